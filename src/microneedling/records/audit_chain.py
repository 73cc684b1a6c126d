"""The audit log as a hash chain: append entries in order, and verify every link.

Entry ``n`` stores ``prev_hash`` (the ``entry_hash`` of entry ``n - 1``; 64 zeros for the first) and
``entry_hash = SHA-256(prev_hash || "\\n" || canonical JSON of its content)``. Changing, replacing,
inserting or deleting an entry breaks the link after it; ``verify`` walks the chain and names the
first broken link, and checks that the triggers guarding the table are in place. A chain rewritten
from the first changed entry to the end can only be caught against a head recorded outside the
database (``expect``), which is why ``audit verify`` prints the head.

Appends serialize: on PostgreSQL through a transaction-scoped advisory lock, on SQLite through the
database's single write lock (taken before the head is read); a unique ``seq`` and the insert
trigger refuse a fork even if that failed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select, text

from microneedling.records.models import AuditEntry

GENESIS = "0" * 64
CHAIN_VERSION = 1
ADVISORY_LOCK_KEY = 0x6D6E_6175_6469_74  # "mnaudit": one lock for every writer of the chain
CONTENT_KEYS = ("seq", "at", "actor", "action", "entity", "entity_id", "changes")

# The triggers that guard the table, with their exact definitions (migration 0004 creates them).
SQLITE_TRIGGERS = {
    "audit_log_no_update": (
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
    ),
    "audit_log_no_delete": (
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
    ),
    "audit_log_chain": (
        "CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log "
        "WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM audit_log) "
        f"OR NEW.prev_hash IS NOT coalesce((SELECT entry_hash FROM audit_log "
        f"ORDER BY seq DESC LIMIT 1), '{GENESIS}') "
        "OR EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id) "
        "BEGIN SELECT RAISE(ABORT, 'audit_log: an entry must extend the chain'); END"
    ),
}
POSTGRES_FUNCTIONS = {
    "audit_log_append_only": "BEGIN RAISE EXCEPTION 'audit_log is append-only'; END",
    "audit_log_extends_chain": (
        "DECLARE head_seq bigint; head_hash text; "
        "BEGIN "
        "SELECT seq, entry_hash INTO head_seq, head_hash FROM audit_log "
        "ORDER BY seq DESC LIMIT 1; "
        "IF NEW.seq IS DISTINCT FROM coalesce(head_seq, 0) + 1 "
        f"OR NEW.prev_hash IS DISTINCT FROM coalesce(head_hash, '{GENESIS}') THEN "
        "RAISE EXCEPTION 'audit_log: an entry must extend the chain'; "
        "END IF; "
        "RETURN NEW; "
        "END"
    ),
}
# trigger name -> (timing and events as pg_get_triggerdef writes them, row or statement, function)
POSTGRES_TRIGGERS = {
    "audit_log_no_change": ("BEFORE DELETE OR UPDATE", "ROW", "audit_log_append_only"),
    "audit_log_no_truncate": ("BEFORE TRUNCATE", "STATEMENT", "audit_log_append_only"),
    "audit_log_chain": ("BEFORE INSERT", "ROW", "audit_log_extends_chain"),
}


def postgres_ddl() -> list[str]:
    """CREATE statements of the PostgreSQL functions and triggers, in order."""
    statements = [
        f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $${body}$$"
        for name, body in POSTGRES_FUNCTIONS.items()
    ]
    statements += [
        f"CREATE TRIGGER {name} {events} ON audit_log FOR EACH {level} EXECUTE FUNCTION {fn}()"
        for name, (events, level, fn) in POSTGRES_TRIGGERS.items()
    ]
    return statements


def _iso(at: Any) -> str:
    if isinstance(at, datetime):
        aware = at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
        return aware.isoformat()
    return str(at)


def canonical(entry: dict[str, Any]) -> bytes:
    """The content an entry's hash covers, as canonical JSON (sorted keys, UTC times)."""
    content = {key: entry[key] for key in CONTENT_KEYS}
    content["at"] = _iso(content["at"])
    return json.dumps(
        content, sort_keys=True, ensure_ascii=True, separators=(",", ":"), allow_nan=False
    ).encode("ascii")


def link_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    """SHA-256 of the previous entry's hash and this entry's canonical content."""
    return hashlib.sha256(prev_hash.encode("ascii") + b"\n" + canonical(entry)).hexdigest()


def _serialize(connection: Connection) -> None:
    """Hold the chain's write lock until the transaction ends."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
    else:  # a write statement takes SQLite's database write lock (and changes nothing)
        connection.execute(text("UPDATE audit_log SET seq = seq WHERE 0"))


def head(connection: Connection) -> tuple[int, str]:
    """The newest entry's ``seq`` and hash; ``(0, GENESIS)`` for an empty log."""
    row = connection.execute(
        select(AuditEntry.seq, AuditEntry.entry_hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    return (0, GENESIS) if row is None else (int(row[0]), str(row[1]))


def append(connection: Connection, entries: Iterable[dict[str, Any]]) -> None:
    """Chain and insert entries (keys: at, actor, action, entity, entity_id, changes)."""
    rows = list(entries)
    if not rows:
        return
    _serialize(connection)
    seq, prev = head(connection)
    for row in rows:
        # JSON round trip first, so the hash covers exactly what the database gives back
        row["changes"] = json.loads(json.dumps(row["changes"], allow_nan=False))
        seq += 1
        row["seq"] = seq
        row["prev_hash"] = prev
        prev = row["entry_hash"] = link_hash(prev, row)
    connection.execute(insert(AuditEntry), rows)


@dataclass
class Verification:
    """What ``verify`` found: entries checked, the head, and the problems (first break first)."""

    entries: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _walk(connection: Connection, result: Verification, expect: tuple[int, str] | None) -> None:
    columns = [getattr(AuditEntry, key) for key in (*CONTENT_KEYS, "id", "prev_hash")]
    query = select(*columns, AuditEntry.entry_hash).order_by(AuditEntry.seq)
    stream = connection.execution_options(yield_per=2000).execute(query)
    expected_seq, prev, anchored = 1, GENESIS, False
    for row in stream:
        entry = dict(row._mapping)
        where = f"entry {entry['seq']} (id {entry['id']})"
        if entry["seq"] != expected_seq:
            result.problems.append(
                f"{where}: expected entry {expected_seq} here; entries were deleted or inserted"
            )
            return
        if entry["prev_hash"] != prev:
            result.problems.append(
                f"{where}: does not link to entry {expected_seq - 1}; "
                "an entry before it was replaced, inserted or deleted"
            )
            return
        if link_hash(prev, entry) != entry["entry_hash"]:
            result.problems.append(f"{where}: its content does not match its hash; it was altered")
            return
        if expect is not None and entry["seq"] == expect[0]:
            anchored = True
            if entry["entry_hash"] != expect[1]:
                result.problems.append(
                    f"{where}: hash differs from the recorded head; the log was rewritten"
                )
                return
        prev = entry["entry_hash"]
        result.entries, result.head_seq, result.head_hash = expected_seq, expected_seq, prev
        expected_seq += 1
    if expect is not None and not anchored:
        result.problems.append(
            f"the log ends at entry {result.head_seq}, before the recorded head {expect[0]}; "
            "entries were deleted"
        )


def _normal(sql: str) -> str:
    return " ".join(sql.replace("public.", "").split()).lower()


def _check_triggers(connection: Connection) -> list[str]:
    problems: list[str] = []
    if connection.dialect.name == "postgresql":
        rows = connection.execute(
            text(
                "SELECT t.tgname, t.tgenabled, pg_get_triggerdef(t.oid), p.proname, p.prosrc "
                "FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
                "WHERE t.tgrelid = 'audit_log'::regclass AND NOT t.tgisinternal"
            )
        ).all()
        found = {str(r[0]): r for r in rows}
        for name, (events, level, fn) in POSTGRES_TRIGGERS.items():
            expected = (
                f"CREATE TRIGGER {name} {events} ON audit_log FOR EACH {level} "
                f"EXECUTE FUNCTION {fn}()"
            )
            row = found.get(name)
            if row is None:
                problems.append(f"trigger {name} is missing; the audit log is unprotected")
            elif row[1] == "D":
                problems.append(f"trigger {name} is disabled; the audit log is unprotected")
            elif _normal(str(row[2])) != _normal(expected) or _normal(str(row[4])) != _normal(
                POSTGRES_FUNCTIONS[fn]
            ):
                problems.append(f"trigger {name} was changed; the audit log is unprotected")
        return problems
    rows = connection.execute(
        text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'audit_log'"
        )
    ).all()
    found_sql = {str(r[0]): str(r[1]) for r in rows}
    for name, sql in SQLITE_TRIGGERS.items():
        if name not in found_sql:
            problems.append(f"trigger {name} is missing; the audit log is unprotected")
        elif _normal(found_sql[name]) != _normal(sql):
            problems.append(f"trigger {name} was changed; the audit log is unprotected")
    return problems


def verify(connection: Connection, expect: tuple[int, str] | None = None) -> Verification:
    """Walk the whole chain and check the guarding triggers; ``expect`` is a recorded head."""
    result = Verification()
    _walk(connection, result, expect)
    result.problems.extend(_check_triggers(connection))
    return result


def describe_head(seq: int, entry_hash: str) -> str:
    """The head as ``SEQ:HASH``, the form ``audit verify --expect`` takes back."""
    return f"{seq}:{entry_hash}"
