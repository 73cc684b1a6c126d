"""Fetch records by their user-facing keys, with NotFoundError when absent."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from microneedling.core.errors import NotFoundError
from microneedling.records import models

M = TypeVar("M", bound=models.Base)


def by_id(session: Session, model: type[M], key: int, label: str) -> M:
    found = session.get(model, key)
    if found is None:
        raise NotFoundError(label, key)
    return found


def patient_by_code(session: Session, code: str) -> models.Patient:
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
