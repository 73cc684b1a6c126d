"""Research consent: which patients' photos a cohort may use.

"Photos only from patients with research consent once consent is recorded": while the clinic has
recorded no research-photo consent at all, every patient is used; from the first such record on,
only patients whose research consent is given and not withdrawn
(``microneedling.services.consent.has_research_consent``). Where that service is not installed
the hook lets every patient through.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from microneedling.records import models

__all__ = ["consent_recorded", "research_consented"]

RESEARCH_KIND = "research_photos"


def _checker() -> Callable[[Session, models.Patient], bool] | None:
    try:
        module = importlib.import_module("microneedling.services.consent")
    except ImportError:
        return None
    check = getattr(module, "has_research_consent", None)
    return check if callable(check) else None


def consent_recorded(db: Session) -> bool:
    """Whether the clinic records research consent (at least one research-photo record)."""
    record: Any = getattr(
        importlib.import_module("microneedling.records.consent"), "ConsentRecord", None
    )
    if record is None or _checker() is None:
        return False
    count = db.scalar(select(func.count()).select_from(record).where(record.kind == RESEARCH_KIND))
    return bool(count)


def research_consented(db: Session, patients: Iterable[models.Patient]) -> set[str]:
    """The codes of ``patients`` whose photos may be used for research."""
    chosen = list(patients)
    check = _checker()
    if check is None or not consent_recorded(db):
        return {p.code for p in chosen}
    return {p.code for p in chosen if check(db, p)}
