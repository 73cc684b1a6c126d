"""Personal values stay out of the audit log; erasure removes them and the patient's photos while
the chain stays verifiable; reading and exporting a record is logged with the actor."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from microneedling.analysis.images import decode_photo
from microneedling.core.errors import NotFoundError, ValidationError
from microneedling.protocol.knowledge import Knowledge
from microneedling.records import models
from microneedling.records.database import Database
from microneedling.services import adverse_events, assessments, erasure, export, patients, photos
from microneedling.services.audit import verify_audit

SECRETS = ("lives on Elm Street", "fainted after the first session")


def png(seed: int) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, (480, 640, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def store(db: Database, code: str, seed: int) -> models.Photo:
    with db.transaction("nurse") as s:
        row = photos.store_photo(s, patient_code=code, photo=decode_photo(png(seed)))
        summary = {"version": "t", "quality": {"ok": True}, "zones": [], "photo": "/x/Jane.png"}
        photos.record_analysis(s, row, summary)
        return row


def audit_text(db: Database) -> str:
    with db.reading() as s:
        return json.dumps([e.changes for e in s.scalars(select(models.AuditEntry))])


def personal_values(db: Database) -> list[Any]:
    with db.reading() as s:
        return [json.loads(v.value) for v in s.scalars(select(models.PersonalValue))]


@pytest.fixture
def patient(clinic: dict[str, Any], database: Database, knowledge: Knowledge) -> str:
    with database.transaction("dr") as s:
        assessments.record_assessment(
            s,
            knowledge,
            patient_code="P1",
            zone="forehead",
            scale="goodman_baron_qualitative",
            score=2,
            rater="Dr B",
            indication="acne_scars",
            notes=SECRETS[0],
        )
        adverse_events.report_adverse_event(
            s,
            patient_code="P1",
            kind="syncope",
            severity="mild",
            onset=date(2026, 1, 2),
            description=SECRETS[1],
            reported_by="Dr B",
        )
    return "P1"


def test_names_and_free_text_are_hashed_in_the_audit(patient: str, database: Database) -> None:
    text = audit_text(database)
    for secret in (*SECRETS, "Dr A", "Dr B"):
        assert secret not in text
        assert secret in personal_values(database)
    assert '"notes": {"personal": "' in text


def test_erasure_removes_photos_and_personal_data_and_keeps_the_chain(
    patient: str, database: Database
) -> None:
    row = store(database, patient, seed=1)
    file = photos.photo_dir() / row.stored_path
    assert file.exists()
    with database.transaction("dpo") as s:
        view = erasure.erase_patient(s, patient, reason="  patient's request of 2026-11-20 ")
    assert view["photos_removed"] == 1 and view["values_removed"] >= 6
    assert view["erased_by"] == "dpo" and view["reason"] == "patient's request of 2026-11-20"
    assert not file.exists()
    with database.reading() as s:
        assert s.scalars(select(models.Photo)).all() == []
        assert s.scalars(select(models.PhotoAnalysisRecord)).all() == []
        record = export.export_patient(s, patient)
        assert verify_audit(s)["ok"]
    assert SECRETS[0] not in json.dumps(record) and SECRETS[1] not in json.dumps(record)
    assert record["patient"]["code"] == "P1" and len(record["assessments"]) == 3
    remaining = personal_values(database)
    for secret in SECRETS:
        assert secret not in remaining
        assert secret not in audit_text(database)
    assert "patient's request of 2026-11-20" in remaining  # the erasure's own reason


def test_an_erasure_that_fails_keeps_the_photo_file(patient: str, database: Database) -> None:
    row = store(database, patient, seed=2)
    with pytest.raises(RuntimeError), database.transaction("dpo") as s:
        erasure.erase_patient(s, patient, reason="request")
        raise RuntimeError("power cut before the commit")
    assert (photos.photo_dir() / row.stored_path).exists()
    assert SECRETS[0] in personal_values(database)


def test_a_photo_shared_with_another_patient_keeps_its_file(
    patient: str, database: Database
) -> None:
    with database.transaction("t") as s:
        patients.register_patient(s, code="P2", birth_year=1980, fitzpatrick="II")
    store(database, patient, seed=3)
    other = store(database, "P2", seed=3)
    with database.transaction("dpo") as s:
        erasure.erase_patient(s, patient, reason="request")
    assert (photos.photo_dir() / other.stored_path).exists()


@pytest.mark.parametrize("reason", ["", "   ", "x" * 2001])
def test_an_erasure_needs_a_reason(patient: str, database: Database, reason: str) -> None:
    with pytest.raises(ValidationError) as err, database.transaction("dpo") as s:
        erasure.erase_patient(s, patient, reason=reason)
    assert err.value.field == "reason"


def test_erasing_an_unknown_patient_is_not_found(database: Database) -> None:
    with pytest.raises(NotFoundError), database.transaction("dpo") as s:
        erasure.erase_patient(s, "NOBODY", reason="request")


def test_reading_and_exporting_a_record_are_logged_with_the_actor(
    patient: str, database: Database
) -> None:
    with database.transaction("auditor") as s:
        patients.show_patient(s, patient)
    with database.transaction("researcher") as s:
        export.export_patient(s, patient)
    with database.reading() as s:
        entries = s.scalars(select(models.AuditEntry).order_by(models.AuditEntry.seq)).all()
        last = [(e.actor, e.action, e.entity, e.changes) for e in entries[-2:]]
        assert verify_audit(s)["ok"]
    assert last == [
        ("auditor", "read", "patient", {}),
        ("researcher", "export", "patient", {}),
    ]


def test_stored_photos_keep_no_path_or_file_name(patient: str, database: Database) -> None:
    row = store(database, patient, seed=4)
    assert row.stored_path == f"{row.sha256[:2]}/{row.sha256}.png"
    with database.reading() as s:
        summary = s.scalars(select(models.PhotoAnalysisRecord)).one().summary
    assert "photo" not in summary
    assert "Jane" not in audit_text(database)
    assert Path(row.stored_path).is_absolute() is False
