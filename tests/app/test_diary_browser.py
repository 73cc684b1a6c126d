"""A real Chromium (Debian's, through Playwright) walks consent and the healing diary: the
clinician records the patient's consent on the tablet with a drawn signature, hands out a diary
link after the session; the patient fills in the diary without logging in; a revoked link and a
made-up one are refused in the browser; the clinician sees the late-redness flag and downloads
the PDF report. Screenshots go to ``test-output/browser/`` (``consent-*``, ``diary-*``), and the
report's first page to ``test-output/reports/patient-report-page1.png``."""

from __future__ import annotations

import re
import shutil
from datetime import date

import pytest
from sqlalchemy import select

from microneedling.protocol.knowledge import load_knowledge
from microneedling.records import models
from microneedling.records.consent import ConsentRecord
from microneedling.services import assessments, devices, diary, patients
from tests.app.test_browser import PASSWORD, SHOTS, TIMEOUT_MS
from tests.app.test_browser import served as served  # the app in a uvicorn thread
from tests.services.test_diary import treated_session

REPORTS = SHOTS.parent / "reports"


def test_consent_diary_and_report_in_the_browser(served: tuple[str, object]) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("no chromium on PATH (Debian's chromium package)")
    from playwright.sync_api import expect, sync_playwright

    base, database = served
    knowledge = load_knowledge()
    with database.transaction("setup") as db:  # type: ignore[attr-defined]
        patients.register_patient(db, code="P1", birth_year=1990, fitzpatrick="III")
        pen = db.scalars(select(models.Device).where(models.Device.model == "Pen16")).one()
        devices.add_cartridge(db, device_id=pen.id, lot="GOOD", expiry=date(2099, 1, 1))
        assessments.record_assessment(
            db, knowledge, patient_code="P1", zone="cheek_left", scale="goodman_baron_qualitative",
            score=3, rater="Dr A", indication="acne_scars",
        )  # fmt: skip
    SHOTS.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        tablet = browser.new_page(viewport={"width": 1024, "height": 1366})
        tablet.set_default_timeout(TIMEOUT_MS)
        tablet.goto(f"{base}/login")
        tablet.locator("#username").fill("dr.lee")
        tablet.locator("#password").fill(PASSWORD)
        tablet.get_by_role("button", name="Log in").click()
        expect(tablet.locator(".who")).to_contain_text("dr.lee")

        # consent on the tablet: tick, type, draw, record
        tablet.goto(f"{base}/patients/P1/consent")
        for box in tablet.locator("input[name=statements]").all():
            box.check()
        tablet.locator("#signer_name").fill("Pat One")
        tablet.locator("#signature-pad").scroll_into_view_if_needed()
        pad = tablet.locator("#signature-pad").bounding_box()
        assert pad is not None
        tablet.mouse.move(pad["x"] + 20, pad["y"] + pad["height"] / 2)
        tablet.mouse.down()
        for step in range(1, 12):
            tablet.mouse.move(pad["x"] + 20 + step * 40, pad["y"] + 30 + (step % 2) * 80)
        tablet.mouse.up()
        tablet.screenshot(path=str(SHOTS / "consent-1-signing.png"), full_page=True)
        tablet.get_by_role("button", name="Record the consent").click()
        expect(tablet.locator("#state-treatment")).to_contain_text("given")
        tablet.screenshot(path=str(SHOTS / "consent-2-recorded.png"), full_page=True)
        with database.reading() as db:  # type: ignore[attr-defined]
            assert db.scalars(select(ConsentRecord)).one().signature_ref is not None

        # the session (recorded through the services), then the diary link
        sid = treated_session(database, knowledge, depth_mm=0.5)  # type: ignore[arg-type]
        tablet.goto(f"{base}/sessions/{sid}/diary")
        tablet.get_by_role("button", name="Issue a diary link for the patient").click()
        link = tablet.locator("#diary-link").inner_text()
        tablet.get_by_role("button", name="Issue a diary link for the patient").click()
        other = tablet.locator("#diary-link").inner_text()
        assert re.fullmatch(rf"{re.escape(base)}/diary/[A-Za-z0-9_-]{{43}}", link)

        # the patient, on their own phone: no log-in, only the diary
        phone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        phone.set_default_timeout(TIMEOUT_MS)
        phone.goto(link)
        phone.locator("#redness").fill("7")
        phone.locator("#pain").fill("3")
        phone.locator("#sign-blisters").check()
        phone.screenshot(path=str(SHOTS / "diary-1-patient.png"), full_page=True)
        phone.get_by_role("button", name="Save today's entry").click()
        expect(phone.locator("#done-today")).to_be_visible()
        expect(phone.locator("header nav")).to_have_count(0)  # no menu: nothing else to reach

        # a revoked link and a made-up one are refused
        tablet.locator("form[action^='/diary-links/'] button").last.click()
        phone.goto(other)
        expect(phone.locator("#refused")).to_contain_text("withdrawn by the clinic")
        phone.goto(f"{base}/diary/{'A' * 43}")
        expect(phone.locator("#refused")).to_contain_text("not valid")
        phone.screenshot(path=str(SHOTS / "diary-2-refused.png"), full_page=True)

        # day 8: still red (entered as told by phone), the clinician sees the flag
        with database.transaction("Dr A") as db:  # type: ignore[attr-defined]
            diary.record_entry(db, session_id=sid, day=8, redness=5, pain=1, swelling=0)
        tablet.goto(f"{base}/sessions/{sid}/diary")
        expect(tablet.locator(".flag").first).to_be_visible()
        expect(tablet.locator("main")).to_contain_text("Late redness")
        tablet.screenshot(path=str(SHOTS / "diary-3-clinician.png"), full_page=True)
        with tablet.expect_download() as got:
            tablet.evaluate(
                "() => { const a = document.createElement('a');"
                " a.href = '/patients/P1/report.pdf'; a.download = 'r.pdf';"
                " document.body.appendChild(a); a.click(); }"
            )
        path = got.value.path()
        assert path is not None and path.read_bytes()[:5] == b"%PDF-"

        # the first page of the report (its HTML at A4 width: 794 x 1123 CSS pixels)
        REPORTS.mkdir(parents=True, exist_ok=True)
        tablet.set_viewport_size({"width": 794, "height": 1123})
        tablet.goto(f"{base}/patients/P1/report")
        expect(tablet.locator("#statement")).to_contain_text("the treating clinician decides")
        tablet.screenshot(path=str(REPORTS / "patient-report-page1.png"))
        browser.close()
