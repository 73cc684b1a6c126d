"""Register and list patients."""

from __future__ import annotations

import unicodedata
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from microneedling.core.clinical import FitzpatrickType
from microneedling.core.errors import ValidationError
from microneedling.core.jsonable import plain
from microneedling.core.parsing import check_birth_year, check_text, normalize_code, parse_enum
from microneedling.records import models
from microneedling.records.audit import log_access
from microneedling.services.lookups import patient_by_code
from microneedling.services.paging import MAX_LIMIT, Page, column_rows
from microneedling.services.views import patient_view


def check_code(code: str, field: str = "code") -> str:
    """A pseudonymous code, normalised: letters, digits, dot, dash, underscore; no names or spaces.

    See ``core.parsing.normalize_code``: ``'MN-0001\\n'`` and full-width ``'ＭＮ-０００１'`` are
    ``'MN-0001'``; a code with a space, a non-ASCII letter or a control character is refused.
    """
    return normalize_code(code, field)


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
    """Validate and add a patient (flushed, so it has an id).

    A code that differs from a registered one only in letter case is refused too: on a label or
    a screen the two would be taken for the same patient.
    """
    code = check_code(code, f"{field_prefix}code")
    exists = session.scalar(
        select(models.Patient.code).where(func.lower(models.Patient.code) == code.lower())
    )
    if exists is not None:
        reason = "already exists" if exists == code else f"is too like the existing {exists!r}"
        raise ValidationError(f"{field_prefix}code", f"patient code {code!r} {reason}")
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
    """Validate a patient's fields and return the unsaved record (its code normalised)."""
    code = check_code(code, f"{field_prefix}code")
    check_birth_year(birth_year, f"{field_prefix}birth_year")
    skin_type = parse_enum(FitzpatrickType, fitzpatrick.upper(), f"{field_prefix}fitzpatrick")
    return models.Patient(
        code=code, birth_year=birth_year, fitzpatrick=skin_type.value, history=history or {}
    )


def existing_codes(session: Session, codes: list[str]) -> set[str]:
    """Which of ``codes`` (as given) are already taken, in one query.

    A code is taken when its normalised form matches a registered code, letter case aside.
    A code that is not valid at all is left for ``build_patient`` to refuse.
    """
    folded: dict[str, str] = {}
    for given in codes:
        try:
            folded[given] = check_code(given).lower()
        except ValidationError:
            continue
    query = select(models.Patient.code).where(
        func.lower(models.Patient.code).in_(set(folded.values()))
    )
    taken = {code.lower() for code in session.scalars(query)}
    return {given for given, key in folded.items() if key in taken}


def list_patients(
    session: Session, page: Page | None = None, fields: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Patients by code, one ``page`` of them (all without one), with ``fields`` (default: all,
    as ``patient_view`` gives them), read as plain columns."""
    order = models.Patient.code  # unique: pages never overlap
    if page is not None:
        return column_rows(session, models.Patient, order, page, fields)
    rows: list[dict[str, Any]] = []
    while True:  # every patient, a page at a time
        chunk = column_rows(session, models.Patient, order, Page(MAX_LIMIT, len(rows)), fields)
        rows += chunk
        if len(chunk) < MAX_LIMIT:
            return rows


def count_patients(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(models.Patient)) or 0)


def show_patient(session: Session, code: str) -> dict[str, Any]:
    """One patient's record; the reading is logged with the actor."""
    patient = patient_by_code(session, code)
    view = patient_view(patient)
    # last: SQLite takes its database write lock at a transaction's first write, so the entry
    # holds it from here to the commit only (the web process's own lock still spans the read)
    log_access(session, "read", patient)
    return view


SEARCH_MAX_CHARS = 64


def search_patients(
    session: Session,
    query: str,
    page: Page,
    fields: Sequence[str] | None = None,
    *,
    among: Collection[int] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Patients whose code contains ``query`` (letter case aside), one ``page`` by code, and how
    many match in all. An empty query matches every patient; ``among`` limits the search to
    these patient ids (a researcher's consented patients)."""
    text = unicodedata.normalize("NFKC", query).strip()
    check_text(text, "q", max_length=SEARCH_MAX_CHARS)
    if not text and among is None:
        return list_patients(session, page, fields), count_patients(session)
    pattern = "%" + text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    match: ColumnElement[bool] = func.lower(models.Patient.code).like(pattern, escape="\\")
    if among is not None:
        match = match & models.Patient.id.in_(sorted(among))
    keys = (
        list(fields)
        if fields is not None
        else [a.key for a in models.Patient.__mapper__.column_attrs]
    )
    columns = models.Patient.__mapper__.columns
    query_rows = (
        select(*(columns[key] for key in keys))
        .where(match)
        .order_by(models.Patient.code)
        .limit(page.limit)
        .offset(page.offset)
    )
    rows = [plain(dict(zip(keys, row, strict=True))) for row in session.execute(query_rows)]
    total = int(session.scalar(select(func.count()).select_from(models.Patient).where(match)) or 0)
    return rows, total
