"""What the API modules share: the token scheme in the schema, bounded ids, researcher views."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Security
from fastapi.security import HTTPBearer
from sqlalchemy.orm import Session

from microneedling.app.clinic import Actor
from microneedling.core.parsing import MAX_ID
from microneedling.records.personal import PERSONAL_FIELDS
from microneedling.services import research

# Declares the personal API token in the OpenAPI schema; the check itself is the guard's
# (security.py), which also accepts a browser's session cookie.
bearer = HTTPBearer(
    auto_error=False, description="A personal API token (microneedling users token)"
)
TOKEN = [Security(bearer)]

RecordId = Annotated[int, Path(ge=1, le=MAX_ID)]
PatientCode = Annotated[str, Path(min_length=1, max_length=64)]

PERSONAL_KEYS = frozenset().union(*PERSONAL_FIELDS.values())


def redact(value: Any) -> Any:
    """``value`` without names, signatures and free text (``records.personal``), at any depth."""
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items() if k not in PERSONAL_KEYS}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


def for_actor(actor: Actor, value: Any) -> Any:
    """What ``actor`` may see of a record: a researcher gets it without personal fields."""
    return redact(value) if actor.is_researcher else value


def research_gate(
    db: Session, actor: Actor, *, code: str | None = None, plan_id: int | None = None
) -> None:
    """A researcher sees only patients who consented to research use (403 otherwise)."""
    if not actor.is_researcher:
        return
    if code is not None:
        research.require_patient_for_research(db, code)
    if plan_id is not None:
        research.require_plan_for_research(db, plan_id)


def research_ids(db: Session, actor: Actor) -> set[int] | None:
    """The patient ids a researcher's lists are limited to (None: no limit)."""
    return research.research_patient_ids(db) if actor.is_researcher else None
