"""Migrations, transactions, the audit log and connection errors, on every backend."""

import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import DBAPIError

from microneedling.core.errors import DatabaseError, ValidationError
from microneedling.records.database import DATABASE_URL_ENV, Database, resolve_url
from microneedling.records.models import AuditEntry, Base, Patient


def count(db: Database, model: type[Base]) -> int:
    with db.reading() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_migrated_schema_matches_models(database: Database) -> None:
    database.require_migrated()
    tables = set(inspect(database.engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_downgrade_and_upgrade_round_trip(database: Database) -> None:
    database.downgrade("base")
    assert database.current_revision() is None
    with pytest.raises(DatabaseError, match=r"has no schema.*microneedling db upgrade"):
        database.require_migrated()
    database.upgrade()
    database.require_migrated()


def test_fresh_sqlite_file_needs_upgrade(tmp_path: Path) -> None:
    db = Database.from_url(f"sqlite:///{tmp_path / 'new' / 'x.sqlite3'}")
    with pytest.raises(DatabaseError, match="run `microneedling db upgrade`"):
        db.require_migrated()
    db.upgrade()
    db.require_migrated()
    db.dispose()


def test_default_url_lives_in_data_dir(tmp_path: Path) -> None:
    assert str(resolve_url()).endswith("xdg/microneedling/microneedling.sqlite3")


def test_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DATABASE_URL_ENV, "postgresql://u:p@localhost/db")
    assert resolve_url().drivername == "postgresql+psycopg"


def test_postgres_without_its_driver_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """psycopg is the optional ``postgres`` extra; without it a PostgreSQL URL is a clear error."""
    monkeypatch.setitem(sys.modules, "psycopg", None)  # what `import psycopg` sees when absent
    with pytest.raises(ValidationError) as err:
        resolve_url("postgresql://u:p@localhost/db")
    assert err.value.field == DATABASE_URL_ENV
    assert "microneedling[postgres]" in err.value.reason
    assert resolve_url("sqlite:///x.sqlite3").drivername == "sqlite"  # SQLite needs nothing


@pytest.mark.parametrize("url", ["not a url", "://", "mysql://u@h/db"])
def test_malformed_url_names_the_variable(url: str) -> None:
    with pytest.raises(ValidationError) as err:
        resolve_url(url)
    assert err.value.field == DATABASE_URL_ENV


def test_unreachable_postgres_is_a_clear_error() -> None:
    db = Database.from_url("postgresql://nobody:x@127.0.0.1:1/none")
    with pytest.raises(DatabaseError, match="is unreachable"):
        db.require_migrated()
    assert "x@" not in db.safe_url  # the password is never printed


def test_transaction_rolls_back_everything_on_failure(database: Database) -> None:
    with pytest.raises(RuntimeError), database.transaction("t") as s:
        s.add(Patient(code="A", birth_year=1990, fitzpatrick="II"))
        s.flush()
        s.add(Patient(code="B", birth_year=1990, fitzpatrick="II"))
        s.flush()
        raise RuntimeError("power cut")
    assert count(database, Patient) == 0
    assert count(database, AuditEntry) == 0


def test_constraint_violation_is_a_clear_error_and_writes_nothing(database: Database) -> None:
    with (
        pytest.raises(DatabaseError, match="refused by the database"),
        database.transaction("t") as s,
    ):
        s.add(Patient(code="A", birth_year=1990, fitzpatrick="II"))
        s.flush()
        s.add(Patient(code="A", birth_year=1991, fitzpatrick="III"))
    assert count(database, Patient) == 0


def test_every_change_is_audited(database: Database) -> None:
    with database.transaction("dr.who") as s:
        s.add(Patient(code="A", birth_year=1990, fitzpatrick="II"))
    with database.transaction("nurse") as s:
        patient = s.scalars(select(Patient)).one()
        patient.fitzpatrick = "III"
    with database.reading() as s:
        entries = s.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [(e.actor, e.action, e.entity) for e in entries] == [
            ("dr.who", "create", "patient"),
            ("nurse", "update", "patient"),
        ]
        assert entries[0].changes["code"] == "A"
        assert entries[1].changes == {"fitzpatrick": {"old": "II", "new": "III"}}


def test_audit_log_is_append_only_in_the_database(database: Database) -> None:
    with database.transaction("t") as s:
        s.add(Patient(code="A", birth_year=1990, fitzpatrick="II"))
    for statement in ("UPDATE audit_log SET actor = 'forger'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), database.engine.begin() as c:
            c.execute(text(statement))
    assert count(database, AuditEntry) == 1


def test_timestamps_come_back_timezone_aware_utc(database: Database) -> None:
    moment = datetime(2026, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    with database.transaction("t") as s:
        s.add(Patient(code="A", birth_year=1990, fitzpatrick="II", created_at=moment))
    with database.reading() as s:
        stored = s.scalars(select(Patient)).one().created_at
    assert stored == moment
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)
    assert stored == datetime(2026, 5, 1, 10, 0, tzinfo=UTC)


def test_locked_sqlite_database_is_a_clear_error(tmp_path: Path, sqlite_template: Path) -> None:
    import shutil
    import sqlite3

    path = tmp_path / "locked.sqlite3"
    shutil.copy(sqlite_template, path)
    holder = sqlite3.connect(path)
    holder.execute("BEGIN EXCLUSIVE")
    db = Database.from_url(f"sqlite:///{path}")
    db.engine.dispose()
    from sqlalchemy import create_engine

    db.__dict__["engine"] = create_engine(db.url, connect_args={"timeout": 0.1})
    try:
        with pytest.raises(DatabaseError, match="locked"), db.transaction("t") as s:
            s.add(Patient(code="A", birth_year=1990, fitzpatrick="II"))
    finally:
        holder.rollback()
        holder.close()
        db.dispose()


def test_migrations_match_the_models(database: Database) -> None:
    """Autogenerate finds nothing to add: the schema comes only from migrations, and is whole."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with database.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_a_database_newer_than_the_code_is_one_clear_error(
    database: Database, cli: Callable[..., Any]
) -> None:
    with database.engine.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    expected = r"is at revision 0099, newer than this microneedling .* knows"
    for attempt in (database.require_migrated, database.upgrade):
        with pytest.raises(DatabaseError, match=expected):
            attempt()
    for args in (("db", "upgrade"), ("db", "status"), ("patients", "list"), ("audit", "verify")):
        result = cli(*args)
        assert result.exit_code == 2, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "is at revision 0099, newer than" in lines[0]
        assert lines[0].startswith("error: ")
    with database.engine.begin() as c:  # leave the shared database as migrated
        c.execute(
            text("UPDATE alembic_version SET version_num = :v"), {"v": database.head_revision()}
        )
