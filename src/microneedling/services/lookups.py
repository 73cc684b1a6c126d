"""Fetch records by their user-facing keys, with NotFoundError when absent."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from microneedling.core.errors import NotFoundError
from microneedling.core.parsing import check_id, normalize_code
from microneedling.records import models

M = TypeVar("M", bound=models.Base)


def by_id(session: Session, model: type[M], key: int, label: str) -> M:
    """The record with id ``key``; an id beyond ``MAX_ID`` is a field error, not an overflow."""
    found = session.get(model, check_id(key, f"{label}_id"))
    if found is None:
        raise NotFoundError(label, key)
    return found


def patient_by_code(session: Session, code: str, field: str = "patient") -> models.Patient:
    """The patient with ``code`` as normalised (``'MN-0001 '`` finds ``MN-0001``)."""
    code = normalize_code(code, field)
    patient = session.scalar(select(models.Patient).where(models.Patient.code == code))
    if patient is None:
        raise NotFoundError("patient", code)
    return patient


def latest_screening(session: Session, patient: models.Patient) -> models.Screening | None:
    return session.scalar(
        select(models.Screening)
        .where(models.Screening.patient_id == patient.id)
        .order_by(models.Screening.screened_at.desc(), models.Screening.id.desc())
        .limit(1)
    )
