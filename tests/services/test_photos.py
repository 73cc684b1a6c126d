"""The analyse-then-store workflow that every surface calls (services.photos)."""

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from microneedling.analysis.synthetic import write_sample_series
from microneedling.core.errors import ValidationError
from microneedling.records import models
from microneedling.records.database import Database
from microneedling.services import photos


@pytest.fixture
def baseline(tmp_path: Path) -> Path:
    return write_sample_series(tmp_path / "photos")[0]


def test_measure_then_store_keeps_the_summary_but_no_file_name(
    database: Database, clinic: dict[str, Any], baseline: Path, tmp_path: Path
) -> None:
    measured = photos.measure_photo(baseline)
    assert measured.summary["sha256"] == measured.photo.sha256
    assert {z["zone"] for z in measured.summary["zones"]} == {
        m.zone.value for m in measured.analysis.metrics
    }
    assert "photo" not in measured.summary  # a surface adds the file's name for display only
    with database.transaction("tester") as db:
        stored = photos.store_measured(db, measured, patient_code="P1")
    with database.reading() as db:
        row = db.scalars(select(models.Photo)).one()
        analysis = db.scalars(select(models.PhotoAnalysisRecord)).one()
        patient = db.scalars(select(models.Patient).where(models.Patient.code == "P1")).one()
        assert row.patient_id == patient.id
        assert stored["photo_id"] == row.id
        assert baseline.name not in str(analysis.summary) and str(tmp_path) not in str(
            analysis.summary
        )


def test_a_bad_view_is_refused_before_decoding(baseline: Path) -> None:
    with pytest.raises(ValidationError, match="view"):
        photos.measure_photo(baseline, view="profile")
