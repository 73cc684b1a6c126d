"""The patient report: the PDF parses back (pypdf), holds every section, and its numbers are the
stored ones; its first page is pictured by the browser walk.

The picture of the first page is taken by the browser walk (tests/app/test_diary_browser.py):
Chromium shows the report's HTML at A4 width; WeasyPrint 53+ has no PNG output and pypdf cannot
rasterise, so a screenshot of the same HTML is the route available.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from microneedling import DISCLAIMER
from microneedling.protocol.knowledge import Knowledge
from microneedling.records import models
from microneedling.records.database import Database
from microneedling.services import diary, reports
from tests.services.test_diary import enter, treated_session

OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "reports"
SECTIONS = (
    "Your treatment plan",
    "Your sessions",
    "Photos before and after",
    "Measured changes",
    "Compared with the clinic's own patients",
    "Healing after each session",
    "Expected course",
    "Aftercare",
    "Consent",
)


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) >= 2
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


@pytest.fixture
def treated(database: Database, knowledge: Knowledge, clinic: Any) -> int:
    sid = treated_session(database, knowledge, depth_mm=0.5)
    enter(database, sid, {0: 7, 1: 5, 2: 4, 8: 3})
    return sid


def test_report_pdf_holds_every_section_and_the_stored_numbers(
    database: Database, knowledge: Knowledge, treated: int
) -> None:
    with database.transaction("Dr A") as s:
        rendered = reports.patient_report(s, knowledge, "P1")
    assert rendered.pdf is not None and rendered.pdf.startswith(b"%PDF")
    text = _text(rendered.pdf)
    for section in SECTIONS:
        assert section in text, section
    assert re.sub(r"\s+", " ", DISCLAIMER) in text
    with database.reading() as s:
        plan = s.scalars(select(models.TreatmentPlan)).one()
        for zone in plan.zones:
            assert f"{zone.depth_mm:.2f} mm" in text  # planned depths as stored
        done = s.get_one(models.TreatmentSession, treated)
        assert f"{done.zone_treatments[0].depth_mm:.2f} mm, 3 passes" in text
        view = diary.diary_view(s, treated)
        flags = view["flags"]
    rows = " ".join(
        f"{e['day']} {e['redness']} {e['pain']} {e['swelling']}" for e in view["entries"]
    )
    assert rows in text  # the diary table, row by row
    assert f"after day {view['late_after']['day']:.1f}" in text
    assert flags and all(f["reason"][:40] in text for f in flags)
    # no measured photo yet: the peer comparison says why instead of showing a percentile
    assert rendered.data["peers"]["rows"] == []
    assert f"No comparison with other patients: {rendered.data['peers']['reason']}" in text
    assert "cheek_left" not in text and "Left cheek" in text  # display names, not keys
    assert "P1" in text


def test_report_consent_and_diary_from_the_command_line(
    cli: Any, database: Database, treated: int, tmp_path: Path
) -> None:
    page = tmp_path / "out" / "report.html"
    done = cli("report", "P1", "--html", str(page))
    assert done.exit_code == 0, done.output
    assert "Healing after each session" in page.read_text(encoding="utf-8")
    again = cli("report", "P1", "--html", str(page))
    assert again.exit_code == 2 and "exists" in again.stderr
    assert cli("report", "P1", "--html", str(page), "--force").exit_code == 0
    assert cli("report", "P1").exit_code == 2  # nowhere to write
    shown = cli("diary", "show", str(treated))
    assert shown.exit_code == 0 and "Late" not in shown.stderr
    assert "later than predicted" not in shown.stdout and "is late" in shown.stdout
    flags = cli("flags", "list", "--json")
    assert any(f["kind"] == "late_redness" for f in json.loads(flags.stdout))
    status = cli("consent", "show", "P1", "--json")
    assert json.loads(status.stdout)["status"]["treatment"]["state"] == "given"
    link = json.loads(cli("diary", "link", str(treated), "--json").stdout)
    assert link["path"] == f"/diary/{link['token']}"
    assert "token" not in cli("diary", "show", str(treated), "--json").stdout
    text = page.read_text(encoding="utf-8")
    assert "<script" not in text and 'src="http' not in text  # nothing runs, nothing fetched
