"""The audit log's hash chain: intact chains verify; every kind of tampering is found, on both
backends. Tampering is done as the database owner, the way an intruder with the owner's password
(or a superuser) would."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from microneedling.core.errors import ValidationError
from microneedling.records import audit_chain
from microneedling.records.database import Database
from microneedling.records.models import AuditEntry, Patient
from microneedling.services.audit import parse_head, verify_audit


def add_patients(db: Database, codes: list[str], actor: str = "tester") -> None:
    for code in codes:
        with db.transaction(actor) as s:
            s.add(Patient(code=code, birth_year=1980, fitzpatrick="II"))


def verify(db: Database, expect: str | None = None) -> dict[str, Any]:
    with db.reading() as s:
        return verify_audit(s, expect)


def owner(db: Database, *statements: str) -> None:
    with db.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


def drop_guards(db: Database) -> None:
    if db.engine.dialect.name == "postgresql":
        owner(db, *(f"DROP TRIGGER {n} ON audit_log" for n in audit_chain.POSTGRES_TRIGGERS))
    else:
        owner(db, *(f"DROP TRIGGER {n}" for n in audit_chain.SQLITE_TRIGGERS))


def row(db: Database, seq: int) -> dict[str, Any]:
    """Entry ``seq`` with its column types applied (times as aware datetimes)."""
    with db.engine.connect() as connection:
        query = select(AuditEntry.__table__).where(AuditEntry.seq == seq)
        return dict(connection.execute(query).mappings().one())


@pytest.fixture
def chained(database: Database) -> Database:
    add_patients(database, [f"MN-{i}" for i in range(1, 6)])
    return database


def test_an_intact_chain_verifies_and_reports_its_head(chained: Database) -> None:
    view = verify(chained)
    assert view == view | {"ok": True, "entries": 5, "problems": []}
    last = row(chained, 5)
    assert view["head"] == f"5:{last['entry_hash']}"
    assert row(chained, 1)["prev_hash"] == audit_chain.GENESIS
    assert row(chained, 2)["prev_hash"] == row(chained, 1)["entry_hash"]
    assert verify(chained, expect=view["head"])["ok"]


def test_an_empty_log_verifies(database: Database) -> None:
    assert verify(database) == {
        "ok": True,
        "entries": 0,
        "head": f"0:{audit_chain.GENESIS}",
        "problems": [],
    }


def test_triggers_refuse_update_delete_and_entries_off_the_chain(chained: Database) -> None:
    last = row(chained, 5)
    statements = [
        "UPDATE audit_log SET actor = 'forger' WHERE seq = 3",
        "DELETE FROM audit_log WHERE seq = 5",
        # a sixth entry that claims to follow entry 4, and one that repeats seq 5
        "INSERT INTO audit_log (seq, at, actor, action, entity, entity_id, changes, prev_hash,"
        f" entry_hash) VALUES (6, CURRENT_TIMESTAMP, 'x', 'create', 'patient', 9, '{{}}',"
        f" '{row(chained, 4)['entry_hash']}', '{'1' * 64}')",
        "INSERT INTO audit_log (seq, at, actor, action, entity, entity_id, changes, prev_hash,"
        f" entry_hash) VALUES (5, CURRENT_TIMESTAMP, 'x', 'create', 'patient', 9, '{{}}',"
        f" '{last['prev_hash']}', '{'1' * 64}')",
    ]
    if chained.engine.dialect.name == "postgresql":
        statements.append("TRUNCATE audit_log")
        replace = (
            "INSERT INTO audit_log (id, seq, at, actor, action, entity, entity_id, changes,"
            " prev_hash, entry_hash) VALUES (3, 99, CURRENT_TIMESTAMP, 'x', 'create', 'patient',"
            f" 9, '{{}}', '{'0' * 64}', '{'1' * 64}') ON CONFLICT (id) DO UPDATE SET actor = 'x'"
        )
    else:
        replace = (
            "INSERT OR REPLACE INTO audit_log (id, seq, at, actor, action, entity, entity_id,"
            " changes, prev_hash, entry_hash) VALUES (3, 6, CURRENT_TIMESTAMP, 'x', 'create',"
            f" 'patient', 9, '{{}}', '{last['entry_hash']}', '{'1' * 64}')"
        )
    statements.append(replace)
    for statement in statements:
        with pytest.raises(DBAPIError, match=r"append-only|extend the chain"):
            owner(chained, statement)
    assert verify(chained)["ok"]


def test_a_changed_entry_is_the_first_broken_link(chained: Database) -> None:
    drop_guards(chained)
    owner(chained, "UPDATE audit_log SET actor = 'forger' WHERE seq = 3")
    view = verify(chained)
    assert not view["ok"]
    assert view["entries"] == 2
    assert view["problems"][0] == (
        "entry 3 (id 3): its content does not match its hash; it was altered"
    )
    assert any("audit_log_chain is missing" in p for p in view["problems"])


def test_a_replaced_entry_is_found_even_with_a_recomputed_hash(chained: Database) -> None:
    """INSERT OR REPLACE (SQLite) / ON CONFLICT DO UPDATE (PostgreSQL) of entry 3, its own hash
    recomputed: entry 4 no longer links to it."""
    drop_guards(chained)
    forged = row(chained, 3) | {"actor": "forger"}
    forged_hash = audit_chain.link_hash(forged["prev_hash"], forged)
    if chained.engine.dialect.name == "postgresql":
        statement = (
            "INSERT INTO audit_log (id, seq, at, actor, action, entity, entity_id, changes,"
            " prev_hash, entry_hash) SELECT id, seq, at, 'forger', action, entity, entity_id,"
            " changes, prev_hash, :h FROM audit_log WHERE seq = 3"
            " ON CONFLICT (id) DO UPDATE"
            " SET actor = EXCLUDED.actor, entry_hash = EXCLUDED.entry_hash"
        )
    else:
        statement = (
            "INSERT OR REPLACE INTO audit_log (id, seq, at, actor, action, entity, entity_id,"
            " changes, prev_hash, entry_hash) SELECT id, seq, at, 'forger', action, entity,"
            " entity_id, changes, prev_hash, :h FROM audit_log WHERE seq = 3"
        )
    with chained.engine.begin() as connection:
        connection.execute(text(statement), {"h": forged_hash})
    assert row(chained, 3)["actor"] == "forger"
    view = verify(chained)
    assert view["problems"][0] == (
        "entry 4 (id 4): does not link to entry 3; an entry before it was replaced, "
        "inserted or deleted"
    )


def test_a_deleted_entry_leaves_a_gap(chained: Database) -> None:
    drop_guards(chained)
    owner(chained, "DELETE FROM audit_log WHERE seq = 2")
    view = verify(chained)
    assert view["problems"][0] == (
        "entry 3 (id 3): expected entry 2 here; entries were deleted or inserted"
    )
    assert view["entries"] == 1


def test_an_inserted_entry_breaks_the_next_link(chained: Database) -> None:
    """An entry slipped in between 2 and 3 (later entries renumbered) links from 2 but 3 does not
    link to it."""
    drop_guards(chained)
    second = row(chained, 2)
    forged = second | {"seq": 3, "entity_id": 42, "prev_hash": second["entry_hash"]}
    forged_hash = audit_chain.link_hash(second["entry_hash"], forged)
    owner(chained, "UPDATE audit_log SET seq = seq + 100 WHERE seq >= 3")
    owner(chained, "UPDATE audit_log SET seq = seq - 99 WHERE seq >= 103")
    with chained.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO audit_log (seq, at, actor, action, entity, entity_id, changes,"
                " prev_hash, entry_hash) SELECT 3, at, actor, action, entity, 42, changes,"
                " :p, :h FROM audit_log WHERE seq = 2"
            ),
            {"p": second["entry_hash"], "h": forged_hash},
        )
    view = verify(chained)
    assert view["entries"] == 3  # the forged entry itself is consistent
    assert view["problems"][0].startswith("entry 4 (id 3): does not link to entry 3")


def test_deleting_the_newest_entries_is_caught_against_a_recorded_head(chained: Database) -> None:
    head = verify(chained)["head"]
    drop_guards(chained)
    owner(chained, "DELETE FROM audit_log WHERE seq >= 4")
    view = verify(chained, expect=head)
    assert view["problems"][0] == (
        "the log ends at entry 3, before the recorded head 5; entries were deleted"
    )


def test_a_rewritten_chain_is_caught_against_a_recorded_head(chained: Database) -> None:
    head = verify(chained)["head"]
    drop_guards(chained)
    owner(chained, "DELETE FROM audit_log")
    add_patients(chained, [f"X-{i}" for i in range(5)])  # a fresh, internally valid chain
    view = verify(chained, expect=head)
    assert view["problems"][0].startswith("entry 5 (id ")  # SQLite reuses ids, PostgreSQL not
    assert view["problems"][0].endswith(
        "hash differs from the recorded head; the log was rewritten"
    )


def test_removed_disabled_and_replaced_triggers_are_found(chained: Database) -> None:
    if chained.engine.dialect.name == "postgresql":
        owner(
            chained,
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change",
            "DROP TRIGGER audit_log_no_truncate ON audit_log",
            "CREATE OR REPLACE FUNCTION audit_log_extends_chain() RETURNS trigger "
            "LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$",
        )
        expected = [
            "trigger audit_log_no_change is disabled; the audit log is unprotected",
            "trigger audit_log_no_truncate is missing; the audit log is unprotected",
            "trigger audit_log_chain was changed; the audit log is unprotected",
        ]
    else:
        owner(
            chained,
            "DROP TRIGGER audit_log_no_delete",
            "DROP TRIGGER audit_log_no_update",
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log WHEN 0 "
            "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
        )
        expected = [
            "trigger audit_log_no_update was changed; the audit log is unprotected",
            "trigger audit_log_no_delete is missing; the audit log is unprotected",
        ]
    assert verify(chained)["problems"] == expected


@pytest.mark.parametrize("text_", ["", "5", "5:abc", "0:" + "0" * 64, "x:" + "0" * 64])
def test_a_malformed_head_names_the_field(text_: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_head(text_)
    assert err.value.field == "expect"


def test_concurrent_writers_never_fork_the_chain(database: Database) -> None:
    """Four writers, each with its own engine, append 15 transactions of two entries each at
    once; every transaction must land and the chain must hold all 120 entries in order."""
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        db = Database(database.url)
        try:
            for i in range(15):
                with db.transaction(f"writer-{n}") as s:
                    s.add(Patient(code=f"W{n}-{i}a", birth_year=1980, fitzpatrick="II"))
                    s.add(Patient(code=f"W{n}-{i}b", birth_year=1981, fitzpatrick="III"))
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            db.dispose()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    view = verify(database)
    assert view["ok"], view["problems"]
    assert view["entries"] == 120
