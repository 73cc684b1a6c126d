"""PostgreSQL: migrations run as the owner, the application as a role that may only append to and
read the audit log. Tampering needs the owner, and the chain still shows it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from microneedling.records.database import (
    DATABASE_URL_ENV,
    MIGRATION_URL_ENV,
    Database,
    upgrade_schema,
)
from microneedling.records.models import Patient
from microneedling.services.audit import verify_audit
from tests.conftest import CliResult

APP_URL_ENV = "MICRONEEDLING_TEST_POSTGRES_APP_URL"


def _own_app_url(owner: Database) -> str:
    """Without a configured application role, create one (the test owner may CREATEROLE)."""
    role = f"{owner.url.database}_app"
    with owner.engine.begin() as c:
        exists = c.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
        try:
            verb = "ALTER" if exists else "CREATE"
            c.exec_driver_sql(f"{verb} ROLE \"{role}\" LOGIN PASSWORD '{role}'")
        except DBAPIError:
            pytest.skip(f"set {APP_URL_ENV}: the test role may not create an application role")
    return owner.url.set(username=role, password=role).render_as_string(hide_password=False)


@pytest.fixture
def roles(postgres_url: str) -> Iterator[tuple[Database, Database]]:
    """(owner, application) on the PostgreSQL test database, upgraded and granted."""
    owner = Database.from_url(postgres_url)
    app = Database.from_url(os.environ.get(APP_URL_ENV) or _own_app_url(owner))
    upgrade_schema(app, owner)
    tables = "patient, audit_log, personal_value"
    with owner.engine.begin() as c:
        c.exec_driver_sql("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_truncate")
        c.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        c.exec_driver_sql("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_truncate")
    yield owner, app
    app.dispose()
    owner.dispose()


def test_the_application_appends_and_reads_but_cannot_change_the_audit_log(
    roles: tuple[Database, Database],
) -> None:
    _owner, app = roles
    app.require_migrated()
    with app.transaction("dr.a") as s:
        s.add(Patient(code="MN-1", birth_year=1980, fitzpatrick="II"))
    with app.transaction("dr.a") as s:
        s.query(Patient).one().fitzpatrick = "III"
    for statement in (
        "UPDATE audit_log SET actor = 'forger'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
        "DROP TRIGGER audit_log_no_change ON audit_log",
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change",
        "UPDATE alembic_version SET version_num = '0001'",
    ):
        with (
            pytest.raises(DBAPIError, match=r"permission denied|must be owner"),
            app.engine.begin() as c,
        ):
            c.exec_driver_sql(statement)
    with app.reading() as s:
        view = verify_audit(s)
    assert view["ok"] and view["entries"] == 2


def test_tampering_by_the_owner_is_found_by_the_application(
    roles: tuple[Database, Database],
) -> None:
    owner, app = roles
    for code in ("MN-1", "MN-2", "MN-3"):
        with app.transaction("dr.a") as s:
            s.add(Patient(code=code, birth_year=1980, fitzpatrick="II"))
    with owner.engine.begin() as c:
        c.exec_driver_sql("DROP TRIGGER audit_log_no_change ON audit_log")
        c.exec_driver_sql("DELETE FROM audit_log WHERE seq = 2")
    with app.reading() as s:
        problems = verify_audit(s)["problems"]
    assert problems[0].startswith("entry 3 (id 3): expected entry 2 here")
    assert "trigger audit_log_no_change is missing; the audit log is unprotected" in problems


def test_db_upgrade_runs_as_the_owner_from_the_cli(
    roles: tuple[Database, Database],
    monkeypatch: pytest.MonkeyPatch,
    cli_app: Callable[..., CliResult],
) -> None:
    owner, app = roles
    monkeypatch.setenv(DATABASE_URL_ENV, app.url.render_as_string(hide_password=False))
    monkeypatch.setenv(MIGRATION_URL_ENV, owner.url.render_as_string(hide_password=False))
    result = cli_app("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert f"is at revision {app.head_revision()}" in result.output
    added = cli_app("patients", "add", "MN-9", "--birth-year", "1990", "--fitzpatrick", "II")
    assert added.exit_code == 0, added.output
    monkeypatch.setenv(MIGRATION_URL_ENV, "mysql://x@y/z")
    result = cli_app("db", "upgrade")
    assert result.exit_code == 2
    assert result.output.strip().startswith(f"error: {MIGRATION_URL_ENV}: unsupported database")


@pytest.fixture
def cli_app() -> Callable[..., CliResult]:
    from typer.testing import CliRunner

    from microneedling.cli.main import app

    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))
