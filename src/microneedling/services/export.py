"""A patient's whole record as one JSON-ready document, and the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from microneedling import DISCLAIMER, __version__
from microneedling.core.parsing import utcnow
from microneedling.records import models
from microneedling.records.audit import log_access
from microneedling.services.lookups import patient_by_code
from microneedling.services.paging import Page, column_rows
from microneedling.services.views import patient_view, plain, plan_view, record, screening_view
from microneedling.services.views import session_view as treatment_view


def export_patient(db: Session, code: str) -> dict[str, Any]:
    """The whole record of a patient; the export is logged with the actor."""
    patient = patient_by_code(db, code)
    log_access(db, "export", patient)
    return {
        "format": "microneedling.patient-record",
        "version": __version__,
        "exported_at": plain(utcnow()),
        "notice": DISCLAIMER,
        "patient": patient_view(patient),
        "assessments": [record(a, exclude=("patient_id",)) for a in patient.assessments],
        "screenings": [screening_view(s) for s in patient.screenings],
        "plans": [
            plan_view(p) | {"sessions": [treatment_view(s) for s in p.sessions]}
            for p in patient.plans
        ],
        "adverse_events": [record(e, exclude=("patient_id",)) for e in patient.adverse_events],
    }


def audit_trail(
    db: Session, *, limit: int = 50, offset: int = 0, fields: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """Audit entries newest first: ``limit`` of them, skipping the ``offset`` newest.

    Only ``fields`` (default: all) are read, as plain column values without building ORM
    objects, so 10,000 entries list in a fraction of a second.
    """
    return column_rows(
        db, models.AuditEntry, models.AuditEntry.seq.desc(), Page(limit, offset), fields
    )


def count_audit(db: Session) -> int:
    return int(db.scalar(select(func.count()).select_from(models.AuditEntry)) or 0)
