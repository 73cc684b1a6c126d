"""Register and list patients."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from microneedling.core.clinical import FitzpatrickType
from microneedling.core.errors import ValidationError
from microneedling.core.parsing import check_birth_year, parse_enum
from microneedling.records import models
from microneedling.records.audit import log_access
from microneedling.services.lookups import patient_by_code
from microneedling.services.views import patient_view

CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def check_code(code: str, field: str = "code") -> str:
    """Pseudonymous codes: letters, digits, dot, dash, underscore; no names or spaces."""
    if not CODE_PATTERN.match(code):
        raise ValidationError(
            field,
            f"{code!r} is not a valid patient code (1-64 letters, digits, '.', '-', '_')",
        )
    return code


def register_patient(session: Session, **fields: Any) -> dict[str, Any]:
    """Add a patient under a pseudonymous code; codes are unique."""
    return patient_view(add_patient(session, **fields))


def add_patient(
    session: Session,
    *,
    code: str,
    birth_year: int,
    fitzpatrick: str,
    history: dict[str, Any] | None = None,
    field_prefix: str = "",
) -> models.Patient:
    """Validate and add a patient (flushed, so it has an id)."""
    exists = session.scalar(select(models.Patient.id).where(models.Patient.code == code))
    if exists is not None:
        raise ValidationError(f"{field_prefix}code", f"patient code {code!r} already exists")
    patient = build_patient(
        code=code,
        birth_year=birth_year,
        fitzpatrick=fitzpatrick,
        history=history,
        field_prefix=field_prefix,
    )
    session.add(patient)
    session.flush()
    return patient


def build_patient(
    *,
    code: str,
    birth_year: int,
    fitzpatrick: str,
    history: dict[str, Any] | None = None,
    field_prefix: str = "",
) -> models.Patient:
    """Validate a patient's fields and return the unsaved record."""
    check_code(code, f"{field_prefix}code")
    check_birth_year(birth_year, f"{field_prefix}birth_year")
    skin_type = parse_enum(FitzpatrickType, fitzpatrick.upper(), f"{field_prefix}fitzpatrick")
    return models.Patient(
        code=code, birth_year=birth_year, fitzpatrick=skin_type.value, history=history or {}
    )


def existing_codes(session: Session, codes: list[str]) -> set[str]:
    """Which of ``codes`` are already taken, in one query."""
    found = session.scalars(select(models.Patient.code).where(models.Patient.code.in_(codes)))
    return set(found)


def list_patients(session: Session) -> list[dict[str, Any]]:
    patients = session.scalars(select(models.Patient).order_by(models.Patient.code))
    return [patient_view(p) for p in patients]


def show_patient(session: Session, code: str) -> dict[str, Any]:
    """One patient's record; the reading is logged with the actor."""
    patient = patient_by_code(session, code)
    log_access(session, "read", patient)
    return patient_view(patient)
