"""Report adverse events, linked to the patient and, where known, the session."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from microneedling.core.clinical import AdverseEventSeverity
from microneedling.core.errors import ValidationError
from microneedling.core.parsing import parse_enum
from microneedling.records import models
from microneedling.services.lookups import by_id, patient_by_code
from microneedling.services.views import record


def report_adverse_event(
    db: Session,
    *,
    patient_code: str,
    kind: str,
    severity: str,
    onset: date,
    description: str,
    reported_by: str,
    session_id: int | None = None,
) -> dict[str, Any]:
    patient = patient_by_code(db, patient_code)
    if session_id is not None:
        treatment = by_id(db, models.TreatmentSession, session_id, "session")
        if treatment.plan.patient_id != patient.id:
            raise ValidationError("session_id", f"session {session_id} is not {patient_code}'s")
    if onset > date.today():
        raise ValidationError("onset", f"{onset} is in the future")
    for field, value in (
        ("kind", kind),
        ("description", description),
        ("reported_by", reported_by),
    ):
        if not value.strip():
            raise ValidationError(field, "must not be empty")
    event = models.AdverseEvent(
        patient_id=patient.id,
        session_id=session_id,
        kind=kind.strip(),
        severity=parse_enum(AdverseEventSeverity, severity, "severity").value,
        onset=onset,
        description=description,
        reported_by=reported_by,
    )
    db.add(event)
    db.flush()
    return record(event, exclude=("patient_id",)) | {"patient": patient.code}
