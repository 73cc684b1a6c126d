"""Assessments, import, adverse events and export."""

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from microneedling.core.errors import NotFoundError, ValidationError
from microneedling.protocol.knowledge import Knowledge
from microneedling.records import models
from microneedling.records.database import Database
from microneedling.services import adverse_events, assessments, export, importer, patients
from microneedling.services.demo import sample_clinic_path


def counts(database: Database) -> dict[str, int]:
    with database.reading() as s:
        return {
            m.__tablename__: s.scalar(select(func.count()).select_from(m)) or 0
            for m in (models.Patient, models.Device, models.Assessment, models.AuditEntry)
        }


def test_assessment_stores_scale_version_rater_and_time_point(
    database: Database, knowledge: Knowledge
) -> None:
    with database.transaction("t") as s:
        patients.register_patient(s, code="P1", birth_year=1980, fitzpatrick="ii")
        view = assessments.record_assessment(
            s,
            knowledge,
            patient_code="P1",
            zone="Cheek-Left",
            scale="goodman_baron_quantitative",
            score=18,
            rater="Dr A",
            rater_role="blinded_rater",
            time_point="week 12",
            indication="acne_scars",
            counts={"macular": 4, "moderate_atrophic": 3},
        )
    assert view["zone"] == "cheek_left"
    assert view["scale_version"] == "2006"
    assert view["rater_role"] == "blinded_rater"
    assert view["counts"] == {"macular": 4, "moderate_atrophic": 3}


@pytest.mark.parametrize(
    ("kwargs", "field", "reason"),
    [
        ({"score": 5}, "score", "outside"),
        ({"score": 2.5}, "score", "whole numbers"),
        ({"scale": "nope"}, "scale", "unknown scale"),
        ({"zone": "elbow"}, "zone", "unknown zone"),
        ({"rater_role": "mother"}, "rater_role", "expected one of"),
        ({"indication": "fine_lines"}, "indication", "grades acne_scars"),
        ({"counts": {"icepick": 2}}, "counts.icepick", "not a count"),
        ({"rater": " "}, "rater", "name who"),
    ],
)
def test_bad_assessments_are_refused(
    database: Database, knowledge: Knowledge, kwargs: dict[str, Any], field: str, reason: str
) -> None:
    with database.transaction("t") as s:
        patients.register_patient(s, code="P1", birth_year=1980, fitzpatrick="II")
    args = {
        "patient_code": "P1",
        "zone": "chin",
        "scale": "goodman_baron_qualitative",
        "score": 2,
        "rater": "Dr A",
        "indication": "acne_scars",
    } | kwargs
    with pytest.raises(ValidationError) as err, database.transaction("t") as s:
        assessments.record_assessment(s, knowledge, **args)
    assert err.value.field == field
    assert reason in err.value.reason


def test_sample_clinic_imports(database: Database, knowledge: Knowledge) -> None:
    clinic = importer.read_clinic_file(sample_clinic_path())
    with database.transaction("t") as s:
        added = importer.import_clinic(s, knowledge, clinic)
    assert added == {"devices": 3, "cartridges": 3, "patients": 3, "assessments": 9}
    assert counts(database)["patient"] == 3


def test_import_failing_midway_leaves_database_unchanged(
    database: Database, knowledge: Knowledge, tmp_path: Path
) -> None:
    with database.transaction("t") as s:
        patients.register_patient(s, code="P3", birth_year=1980, fitzpatrick="II")
    before = counts(database)
    path = tmp_path / "clinic.yaml"
    path.write_text(
        "devices:\n"
        "  - {model: Pen, kind: pen, needle_count: 12, depth_min_mm: 0.2, depth_max_mm: 2.5}\n"
        "patients:\n"
        "  - {code: P1, birth_year: 1990, fitzpatrick: II}\n"
        "  - {code: P2, birth_year: 1991, fitzpatrick: III}\n"
        "  - {code: P3, birth_year: 1992, fitzpatrick: IV}\n"
    )
    clinic = importer.read_clinic_file(path)
    with (
        pytest.raises(ValidationError, match=r"patients\[2\]\.code: patient code 'P3' already"),
        database.transaction("t") as s,
    ):
        importer.import_clinic(s, knowledge, clinic)
    assert counts(database) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("patients: [{code: P1, birth_year: 1990}]", "patients[0].fitzpatrick: Field required"),
        ("patients: [{code: P1, birth_year: x, fitzpatrick: II}]", "patients[0].birth_year"),
        ("devices: 3", "devices: Input should be a valid list"),
        ("- just a list", "expected a mapping"),
        ("patients: [{code: P1", "not valid YAML"),
        ("surprise: 1", "surprise: Extra inputs are not permitted"),
    ],
)
def test_bad_clinic_files_name_the_field(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "clinic.yaml"
    path.write_text(content)
    with pytest.raises(ValidationError) as err:
        importer.read_clinic_file(path)
    assert message in str(err.value)


def test_binary_and_missing_files(tmp_path: Path) -> None:
    binary = tmp_path / "photo.json"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe")
    with pytest.raises(ValidationError, match="not a UTF-8 text file"):
        importer.read_clinic_file(binary)
    with pytest.raises(ValidationError, match="no such file"):
        importer.read_clinic_file(tmp_path / "missing.yaml")


def test_patient_validation(database: Database) -> None:
    cases = [
        ({"code": "has space"}, "code"),
        ({"birth_year": date.today().year + 1}, "birth_year"),
        ({"fitzpatrick": "VII"}, "fitzpatrick"),
    ]
    for override, field in cases:
        args = {"code": "P1", "birth_year": 1990, "fitzpatrick": "II"} | override
        with pytest.raises(ValidationError) as err, database.transaction("t") as s:
            patients.register_patient(s, **args)
        assert err.value.field == field
    with database.transaction("t") as s:
        patients.register_patient(s, code="P1", birth_year=1990, fitzpatrick="II")
    with pytest.raises(ValidationError, match="already exists"), database.transaction("t") as s:
        patients.register_patient(s, code="P1", birth_year=1990, fitzpatrick="II")
    with pytest.raises(NotFoundError, match="patient P9 not found"), database.reading() as s:
        patients.show_patient(s, "P9")


def test_adverse_event_and_export(database: Database, knowledge: Knowledge) -> None:
    clinic = importer.read_clinic_file(sample_clinic_path())
    with database.transaction("t") as s:
        importer.import_clinic(s, knowledge, clinic)
        event = adverse_events.report_adverse_event(
            s,
            patient_code="MN-0001",
            kind="prolonged_erythema",
            severity="mild",
            onset=date.today(),
            description="red for 6 days",
            reported_by="Dr A",
        )
    assert event["severity"] == "mild"
    with pytest.raises(ValidationError, match="in the future"), database.transaction("t") as s:
        adverse_events.report_adverse_event(
            s,
            patient_code="MN-0001",
            kind="x",
            severity="mild",
            onset=date.today() + timedelta(days=2),
            description="x",
            reported_by="x",
        )
    with database.reading() as s:
        document = export.export_patient(s, "MN-0001")
        trail = export.audit_trail(s, limit=5)
    assert document["patient"]["code"] == "MN-0001"
    assert len(document["assessments"]) == 4
    assert document["adverse_events"][0]["kind"] == "prolonged_erythema"
    assert "not medical advice" in document["notice"]
    assert len(trail) == 5 and (trail[0]["action"], trail[0]["entity"]) == ("export", "patient")
    assert trail[1]["entity"] == "adverse_event"
