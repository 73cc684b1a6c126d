"""Photo pages: uploads checked before any work, the analysis as a job, the overlay, a
before/after comparison and the trend; a researcher never receives a face image."""

from __future__ import annotations

import io
import re
import struct
import zlib
from functools import cache

import pytest
from PIL import Image

from microneedling.services import patients
from tests.app.conftest import Web, research_consent


@cache
def face_jpeg(redness_delta_a: float) -> bytes:
    """A synthetic face photo (analysis/synthetic.py) as a JPEG, its left cheek as red as asked."""
    from microneedling.analysis.synthetic import Plan, make_photo

    rgb = make_photo(Plan(redness_delta_a=redness_delta_a, pore_count=20, seed=1)).rgb
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, "JPEG", quality=90)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width`` x ``height`` pixels (a decompression bomb)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


def upload(web: Web, role: str, data: bytes, **fields: str) -> object:
    return web(role).post(
        "/patients/P1/photos",
        data=fields | {"csrf_token": web.csrf(role)},
        files={"photo": ("face.jpg", data, "image/jpeg")},
        follow_redirects=False,
    )


@pytest.fixture
def patient(web: Web) -> Web:
    with web.database.transaction("setup") as db:
        patients.register_patient(db, code="P1", birth_year=1985, fitzpatrick="II")
    return web


def gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (600, 600), (200, 150, 120)).save(out, "GIF")
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "the file is empty"),
        (b"just some text, not a photo", "not an image"),
        (png_claiming(20_000, 20_000), "decompression bomb"),
        (png_claiming(8_000, 8_000), "larger than 50 MP"),
        (gif(), "GIF images are not supported"),
    ],
    ids=["empty", "text", "bomb", "over-50-MP", "gif"],
)
def test_uploads_are_checked_before_any_work(patient: Web, data: bytes, fragment: str) -> None:
    response = upload(patient, "clinician", data)
    assert response.status_code == 422, response.text  # type: ignore[attr-defined]
    assert fragment in response.text  # type: ignore[attr-defined]
    from sqlalchemy import func, select

    from microneedling.records.jobs import Job

    with patient.database.reading() as db:
        assert db.scalar(select(func.count()).select_from(Job)) == 0  # nothing was queued


def follow_job(web: Web, role: str, location: str) -> str:
    """Wait for the job a redirect points to, and return its result's address."""
    job_id = int(location.rsplit("/", 1)[1])
    web.app.state.clinic.jobs.wait(job_id, timeout_s=120)
    page = web(role).get(location).text
    assert "Status: <strong>done</strong>" in page, page
    found = re.search(r'<a href="([^"]+)">Open the result</a>', page)
    assert found, page
    return found.group(1)


def test_upload_overlay_compare_and_trend(patient: Web) -> None:
    web = patient
    if not str(web.database.url).startswith("sqlite"):
        pytest.skip("four photo analyses: run once, on SQLite (the job rows are tested on both)")
    photos = []
    for delta, day in ((2.0, "2026-01-05"), (14.0, "2026-01-12")):
        queued = upload(web, "assistant", face_jpeg(delta), taken_on=day)
        assert queued.status_code == 303  # type: ignore[attr-defined]
        photos.append(follow_job(web, "assistant", queued.headers["location"]))  # type: ignore[attr-defined]
    assert photos == ["/photos/1", "/photos/2"]
    page = web("clinician").get("/photos/2").text
    assert 'id="overlay"' in page and "Capture quality" in page
    assert re.search(r"(passed|failed): ", page)  # each check with its reason
    assert "Left cheek" in page and "cheek_left" not in page
    overlay = web("clinician").get("/photos/2/overlay")
    assert overlay.headers["content-type"] == "image/png" and overlay.content[:4] == b"\x89PNG"
    stored = web("clinician").get("/photos/2/image")
    assert stored.headers["content-type"].startswith("image/")
    for path in ("/photos/2", "/photos/2/overlay", "/photos/2/image", "/patients/P1/compare"):
        refused = web("researcher").get(path)
        assert refused.status_code == 403
        assert not refused.headers["content-type"].startswith("image/")

    queued = web("clinician").post(
        "/patients/P1/compare",
        data={"before_id": "1", "after_id": "2", "repeats": "0", "allow_poor_quality": "yes"},
        headers={"X-CSRF-Token": web.csrf("clinician")},
        follow_redirects=False,
    )
    assert queued.status_code == 303, queued.text
    result = follow_job(web, "clinician", queued.headers["location"])
    page = web("clinician").get(result).text
    assert 'id="slider"' in page and 'id="side-by-side"' in page and 'type="range"' in page
    assert "no repeatability estimate" in page and "Redness (CIELAB a*)" in page
    for name in ("before.png", "after.png", "side-by-side.png"):
        image = web("clinician").get(f"{result}/{name}")
        assert image.status_code == 200 and image.content[:4] == b"\x89PNG"
        assert web("researcher").get(f"{result}/{name}").status_code == 403

    research_consent(web.database, "P1")
    trend = web("researcher").get("/patients/P1/trend")  # metrics, no image: researchers read
    assert trend.status_code == 200 and trend.text.count('class="chart"') == 7
    assert "Predicted collagen (model)" in trend.text
