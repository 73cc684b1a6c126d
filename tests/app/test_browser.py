"""A real Chromium walks one patient through the clinic web app: log-in, a new patient,
screening, a plan on the face diagram, a whole session, a photo upload with its overlay, and a
before/after view. Each step saves a screenshot under ``test-output/browser/``.

Playwright drives Debian's ``chromium`` (never a downloaded browser); the app runs in uvicorn on a
background thread, on a free port, over the test's SQLite database. Skipped only when no
``chromium`` is on PATH.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from microneedling.app import create_app
from microneedling.records.database import Database
from microneedling.services import accounts, devices
from tests.app.test_photos_pages import face_jpeg
from tests.services.conftest import give_consent

SHOTS = Path(__file__).resolve().parents[2] / "test-output" / "browser"
PASSWORD = "a long browser password"
TIMEOUT_MS = 15_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(database: Database) -> Iterator[tuple[str, Any]]:
    """The app on a free local port in a uvicorn thread, a clinician, a pen and its lot."""
    if not str(database.url).startswith("sqlite"):
        pytest.skip("the browser walk runs once, on SQLite")
    import uvicorn

    with database.transaction("setup") as db:
        accounts.create_account(db, username="dr.lee", password=PASSWORD, role="clinician")
        pen = devices.add_device(
            db, model="Pen16", kind="pen", needle_count=16, depth_min_mm=0.2, depth_max_mm=3.0
        )
        devices.add_cartridge(db, device_id=pen["id"], lot="LOT-42", expiry=date(2099, 1, 1))
    app = create_app(database=database, job_workers=1, secure_cookies=False)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}", database
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def test_one_patient_from_log_in_to_before_and_after(
    served: tuple[str, Database], tmp_path: Path
) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("no chromium on PATH (Debian's chromium package)")
    from playwright.sync_api import expect, sync_playwright

    base, database = served
    SHOTS.mkdir(parents=True, exist_ok=True)
    photos = []
    for delta in (2.0, 14.0):
        path = tmp_path / f"face-{delta:g}.jpg"
        path.write_bytes(face_jpeg(delta))
        photos.append(path)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1024, "height": 1366})  # a tablet, upright
        page.set_default_timeout(TIMEOUT_MS)

        def shot(name: str) -> None:
            page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

        # log in
        page.goto(f"{base}/login")
        page.locator("#username").fill("dr.lee")
        page.locator("#password").fill(PASSWORD)
        shot("01-log-in")
        page.get_by_role("button", name="Log in").click()
        expect(page.locator(".who")).to_contain_text("dr.lee")

        # a new patient
        page.goto(f"{base}/patients/new")
        page.locator("#code").fill("MN-0100")
        page.locator("#birth_year").fill("1988")
        page.locator("#fitzpatrick").select_option("III")
        shot("02-new-patient")
        page.locator("main form button[type=submit]").click()
        expect(page.locator("h1")).to_contain_text("MN-0100")
        with database.transaction("setup") as db:
            give_consent(db, "MN-0100")  # signed on paper, recorded by the desk

        # screening: no to every question
        page.goto(f"{base}/patients/MN-0100/screening")
        for radio in page.locator("input[type=radio][value=no]").all():
            radio.check()
        shot("03-screening")
        page.get_by_role("button", name="Record screening").click()
        expect(page.locator("h1")).to_contain_text("MN-0100")

        # a plan on the face diagram: one zone by a click, one by the keyboard
        page.goto(f"{base}/patients/MN-0100/plans/new")
        page.locator("#indication").select_option("acne_scars")
        page.locator("#device").select_option(label="Pen16 (0.20–3.00 mm)")
        page.locator("#plan-zone-cheek_left").click()
        page.locator("#plan-zone-cheek_right").focus()
        page.keyboard.press("Enter")
        expect(page.locator("#pick-cheek_left")).to_be_checked()
        expect(page.locator("#pick-cheek_right")).to_be_checked()
        shot("04-plan-zones-on-the-diagram")
        page.get_by_role("button", name="Make the plan").click()
        expect(page.locator("#plan-zone-cheek_left")).to_have_attribute(
            "aria-label", "Left cheek: 1.00 mm"
        )
        page.locator("#plan-zone-cheek_right").click()
        expect(page.locator("#zone-detail-cheek_right")).to_be_visible()
        expect(page.locator("#zone-detail-cheek_left")).to_be_hidden()
        shot("05-plan-zone-opened")

        # the whole session
        page.get_by_role("button", name="Start the next session").click()
        page.locator("#cleansed").check()
        page.locator("#numbing_product").select_option("lmx4")
        page.locator("#anaesthetic_area").fill("both cheeks")
        page.locator("#timer-start").click()
        expect(page.locator("#timer-status")).to_contain_text("stated minimum dwell")
        shot("06-session-preparation-timer")
        page.get_by_role("button", name="Record preparation (numbing removed now)").click()
        expect(page.locator("[role=alert]")).to_contain_text("outside its stated 30–60 min")
        page.locator("#runner-zone-cheek_right").click()
        expect(page.locator("#zone")).to_have_value("cheek_right")
        page.locator("#passes").fill("4")
        page.locator("#pattern").select_option("crosshatch")
        page.locator("#cartridge_lot").select_option("LOT-42")
        shot("07-session-treatment-zone")
        page.get_by_role("button", name="Record this zone").click()
        expect(page.locator("#session-zone-cheek_right")).to_have_attribute(
            "aria-label", "Right cheek: 1.00 mm, 4 passes, Cross-hatch, Even redness"
        )
        page.locator("#product").fill("hyaluronic serum")
        page.locator("#sterile").check()
        page.get_by_role("button", name="End treatment").click()
        shot("08-session-post-treatment")
        page.locator("#finish").click()
        expect(page.locator("#aftercare-sheet")).to_contain_text("Aftercare after your")
        shot("09-aftercare-sheet")

        # photos: upload, the job's progress, the overlay
        for photo, day in zip(photos, ("2026-01-05", "2026-02-02"), strict=True):
            page.goto(f"{base}/patients/MN-0100/photos/new")
            page.locator("#photo").set_input_files(str(photo))
            page.locator("#taken_on").fill(day)
            page.get_by_role("button", name="Upload and analyse").click()
            expect(page.locator("progress")).to_be_visible()
            page.get_by_role("link", name="Open the result").click()
            expect(page.locator("#overlay")).to_be_visible()
        expect(page.locator("#quality-checks li").first).to_be_visible()
        shot("10-photo-overlay-and-quality")

        # before and after
        page.goto(f"{base}/patients/MN-0100/compare")
        page.locator("#repeats").fill("0")
        page.locator("#allow_poor_quality").check()
        page.get_by_role("button", name="Compare").click()
        page.get_by_role("link", name="Open the result").click()
        expect(page.locator("#side-by-side")).to_be_visible()
        expect(page.locator("#changes")).to_contain_text("Redness (CIELAB a*)")
        shot("11-before-after")
        page.locator("#slider-position").fill("20")
        expect(page.locator("#slider-after")).to_have_attribute(
            "style", "clip-path: inset(0px 0px 0px 20%);"
        )
        shot("12-before-after-slider")
        browser.close()
    names = sorted(p.name for p in SHOTS.glob("*.png"))
    assert len(names) >= 12, names
