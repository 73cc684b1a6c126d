"""Write an audit entry for every inserted, updated and deleted record, inside the same flush."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session, UOWTransaction, sessionmaker

from microneedling.core.jsonable import plain
from microneedling.core.parsing import utcnow
from microneedling.records.models import AuditEntry, Base

ACTOR_KEY = "actor"


def _changes(obj: Base, *, all_columns: bool) -> dict[str, Any]:
    state = inspect(obj)
    changed: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if all_columns:
            changed[attr.key] = plain(getattr(obj, attr.key))
        elif history.has_changes():
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            changed[attr.key] = {"old": plain(old), "new": plain(new)}
    return changed


def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    actor = str(session.info.get(ACTOR_KEY, "system"))
    now = utcnow()
    rows: list[dict[str, Any]] = []
    groups = (
        ("create", session.new, True),
        ("update", session.dirty, False),
        ("delete", session.deleted, True),
    )
    for action, objects, all_columns in groups:
        for obj in objects:
            if isinstance(obj, AuditEntry) or not isinstance(obj, Base):
                continue
            changes = _changes(obj, all_columns=all_columns)
            if action == "update" and not changes:
                continue
            rows.append(
                {
                    "at": now,
                    "actor": actor,
                    "action": action,
                    "entity": obj.__tablename__,
                    "entity_id": getattr(obj, "id", None),
                    "changes": changes,
                }
            )
    if rows:
        session.connection().execute(insert(AuditEntry), rows)


def install_audit(factory: sessionmaker[Session]) -> None:
    """Record every change made through sessions of ``factory``."""
    event.listen(factory, "after_flush", _after_flush)
