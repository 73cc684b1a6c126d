"""Erase a patient's photos and personal data, keeping the pseudonymous treatment record and the
audit chain verifiable (the chain holds only keyed hashes of what is erased)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import delete, event, select, tuple_
from sqlalchemy.orm import Session

from microneedling.core.errors import ValidationError
from microneedling.records import models
from microneedling.records.audit import ACTOR_KEY
from microneedling.records.consent import ConsentRecord, DiaryEntry
from microneedling.records.photo_store import photo_dir
from microneedling.services.lookups import patient_by_code
from microneedling.services.views import record

ERASED = "[erased]"
REASON_MAX_CHARS = 2000


def _check_reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise ValidationError("reason", "an erasure needs a reason (e.g. the patient's request)")
    if len(text) > REASON_MAX_CHARS:
        raise ValidationError("reason", f"longer than {REASON_MAX_CHARS} characters")
    return text


def _records_of(patient: models.Patient, photos: list[models.Photo]) -> list[tuple[str, int]]:
    """(table, id) of every record that belongs to the patient, for their personal values."""
    keys: list[tuple[str, int]] = [("patient", patient.id)]
    keys += [("assessment", a.id) for a in patient.assessments]
    keys += [("screening", s.id) for s in patient.screenings]
    keys += [("adverse_event", e.id) for e in patient.adverse_events]
    for plan in patient.plans:
        keys.append(("treatment_plan", plan.id))
        for treatment in plan.sessions:
            keys.append(("treatment_session", treatment.id))
            keys += [("zone_treatment", z.id) for z in treatment.zone_treatments]
    keys += [("photo", p.id) for p in photos]
    return keys


def _consents_of(db: Session, patient: models.Patient) -> list[ConsentRecord]:
    return list(db.scalars(select(ConsentRecord).where(ConsentRecord.patient_id == patient.id)))


def _unlink_diary_photos(db: Session, photos: list[models.Photo]) -> None:
    """Diary entries keep their scores; the photo they pointed to goes with the others."""
    ids = [p.id for p in photos]
    if not ids:
        return
    for entry in db.scalars(select(DiaryEntry).where(DiaryEntry.photo_id.in_(ids))):
        entry.photo_id = None


def _blank_free_text(patient: models.Patient) -> None:
    patient.history = {}
    for assessment in patient.assessments:
        assessment.notes = None
    for screening in patient.screenings:
        screening.acknowledgement_note = None
    for adverse_event in patient.adverse_events:
        adverse_event.description = ERASED
    for plan in patient.plans:
        for treatment in plan.sessions:
            for zone in treatment.zone_treatments:
                if zone.deviation_reason is not None:
                    zone.deviation_reason = ERASED


def _remove_files_after_commit(db: Session, paths: list[Path]) -> None:
    """Photo files go only once the erasure is committed: both happen, or neither."""

    def remove(_session: Session) -> None:
        for path in paths:
            path.unlink(missing_ok=True)

    event.listen(db, "after_commit", remove, once=True)


def erase_patient(db: Session, code: str, *, reason: str) -> dict[str, Any]:
    """Remove the patient's photos (rows and files), free text and stored personal values.

    The patient's code, dates, grades and treatment parameters stay (they are pseudonymous); the
    erasure itself is recorded with its reason and who did it.
    """
    reason = _check_reason(reason)
    patient = patient_by_code(db, code)
    photos = list(db.scalars(select(models.Photo).where(models.Photo.patient_id == patient.id)))
    consents = _consents_of(db, patient)
    # the consents' typed names and drawn signatures live in personal_value under these keys
    keys = _records_of(patient, photos) + [("consent_record", c.id) for c in consents]
    shared = set(
        db.scalars(
            select(models.Photo.sha256).where(
                models.Photo.sha256.in_([p.sha256 for p in photos]),
                models.Photo.patient_id != patient.id,
            )
        )
    )
    files = [photo_dir() / p.stored_path for p in photos if p.sha256 not in shared]
    _unlink_diary_photos(db, photos)
    for consent in consents:
        if consent.withdrawal_reason is not None:
            consent.withdrawal_reason = ERASED
    db.flush()
    for photo in photos:
        for analysis in photo.analyses:
            db.delete(analysis)
        db.delete(photo)
    _blank_free_text(patient)
    db.flush()  # the audit entries of these changes file their old values as personal values
    removed = db.execute(
        delete(models.PersonalValue).where(
            tuple_(models.PersonalValue.entity, models.PersonalValue.entity_id).in_(keys)
        )
    )
    erasure = models.Erasure(
        patient_id=patient.id,
        reason=reason,
        erased_by=str(db.info.get(ACTOR_KEY, "system")),
        photos_removed=len(photos),
        values_removed=int(removed.rowcount or 0),  # type: ignore[attr-defined]
    )
    db.add(erasure)
    db.flush()
    _remove_files_after_commit(db, files)
    return record(erasure, exclude=("patient_id",)) | {"patient": patient.code}
