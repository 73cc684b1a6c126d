"""Write an audit entry for every inserted, updated and deleted record, inside the same flush.

Entries join the hash chain (records/audit_chain.py); names, signatures and identifying free text
are replaced by keyed hashes whose values live in the erasable ``personal_value`` table
(records/personal.py). Reading or exporting a patient's record is logged too (``log_access``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session, UOWTransaction, sessionmaker

from microneedling.core.jsonable import plain
from microneedling.core.parsing import utcnow
from microneedling.records import audit_chain
from microneedling.records.models import AuditEntry, Base, PersonalValue
from microneedling.records.personal import pseudonymize

ACTOR_KEY = "actor"
UNAUDITED = (AuditEntry, PersonalValue)


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


def _write(session: Session, entries: list[dict[str, Any]]) -> None:
    """Move personal values out of ``entries``, then chain and insert them."""
    actor = str(session.info.get(ACTOR_KEY, "system"))
    now = utcnow()
    personal: list[dict[str, Any]] = []
    for entry in entries:
        entry["changes"], rows = pseudonymize(
            entry["entity"],
            entry["entity_id"],
            entry["changes"],
            update=entry["action"] == "update",
        )
        personal.extend(rows)
        entry["at"], entry["actor"] = now, actor
    connection = session.connection()
    if personal:
        connection.execute(insert(PersonalValue), personal)
    audit_chain.append(connection, entries)


def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    entries: list[dict[str, Any]] = []
    groups = (
        ("create", session.new, True),
        ("update", session.dirty, False),
        ("delete", session.deleted, True),
    )
    for action, objects, all_columns in groups:
        for obj in objects:
            if isinstance(obj, UNAUDITED) or not isinstance(obj, Base):
                continue
            changes = _changes(obj, all_columns=all_columns)
            if action == "update" and not changes:
                continue
            entries.append(
                {
                    "action": action,
                    "entity": obj.__tablename__,
                    "entity_id": getattr(obj, "id", None),
                    "changes": changes,
                }
            )
    if entries:
        _write(session, entries)


def log_access(session: Session, action: str, obj: Base) -> None:
    """Record that the session's actor read or exported ``obj`` (e.g. a patient's record)."""
    session.flush()
    _write(
        session,
        [{"action": action, "entity": obj.__tablename__, "entity_id": obj.id, "changes": {}}],  # type: ignore[attr-defined]
    )


def install_audit(factory: sessionmaker[Session]) -> None:
    """Record every change made through sessions of ``factory``."""
    event.listen(factory, "after_flush", _after_flush)
