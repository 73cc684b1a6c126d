"""Shared fixtures: a migrated database per test on SQLite and, when configured, PostgreSQL.

Set MICRONEEDLING_TEST_POSTGRES_URL to run every database test against PostgreSQL too; CI
(``CI=true``) refuses to run without it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from microneedling.protocol.knowledge import Knowledge, load_knowledge
from microneedling.records import audit_chain
from microneedling.records.database import DATABASE_URL_ENV, Database
from microneedling.records.models import Base

POSTGRES_ENV = "MICRONEEDLING_TEST_POSTGRES_URL"
POSTGRES_URL = os.environ.get(POSTGRES_ENV)

if os.environ.get("CI") and not POSTGRES_URL:
    raise pytest.UsageError(f"CI must set {POSTGRES_ENV}: database tests run on PostgreSQL too")

BACKENDS = ["sqlite", *(["postgresql"] if POSTGRES_URL else [])]

# CI shares the PostgreSQL variants between its two Pythons to stay within its time: each names the
# test folders or files whose PostgreSQL variants it runs (e.g. "records,cli/test_cli.py"); unset
# runs them all.
POSTGRES_FOLDERS_ENV = "MICRONEEDLING_TEST_POSTGRES_FOLDERS"


def _on_postgres(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "postgresql" in callspec.id.split("-"):
        return True
    return item.get_closest_marker("postgres") is not None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    folders = os.environ.get(POSTGRES_FOLDERS_ENV)
    if not folders:
        return
    keep = {f"tests/{name.strip().rstrip('/')}" for name in folders.split(",") if name.strip()}
    selected, deselected = [], []
    for item in items:
        path = item.nodeid.split("::")[0]
        if _on_postgres(item) and not any(
            path == folder or path.startswith(f"{folder}/") for folder in keep
        ):
            deselected.append(item)
        else:
            selected.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the user's real database or data directory."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(DATABASE_URL_ENV, raising=False)
    monkeypatch.setenv("MICRONEEDLING_USER", "tester")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "migrated.sqlite3"
    db = Database.from_url(f"sqlite:///{path}")
    db.upgrade()
    db.dispose()
    return path


def reset_postgres(url: str) -> None:
    """Drop everything in the test database and migrate it from scratch."""
    db = Database.from_url(url)
    with db.engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    db.upgrade()
    db.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    if not POSTGRES_URL:
        pytest.skip(f"{POSTGRES_ENV} not set")
    reset_postgres(POSTGRES_URL)
    return POSTGRES_URL


def _truncate(db: Database) -> None:
    """Empty every table; the owner lifts the audit log's guards for this and puts them back as
    migrated (a tamper test may have removed them)."""
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with db.engine.begin() as connection:
        for name in audit_chain.POSTGRES_TRIGGERS:
            connection.execute(text(f"DROP TRIGGER IF EXISTS {name} ON audit_log"))
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        for statement in audit_chain.postgres_ddl():
            connection.execute(text(statement))


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[str]:
    """The URL of an empty, migrated database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "clinic.sqlite3"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_url")
    db = Database.from_url(url)
    if db.current_revision() != db.head_revision():
        db.dispose()
        reset_postgres(url)
        db = Database.from_url(url)
    _truncate(db)
    db.dispose()
    yield url


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database.from_url(database_url)
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return load_knowledge()


CliResult = Any


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Callable[..., CliResult]:
    """Run ``microneedling ARGS`` in-process against the test database."""
    from microneedling.cli.main import app

    monkeypatch.setenv(DATABASE_URL_ENV, database_url)
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> CliResult:
        return runner.invoke(app, list(args), input=input)

    return invoke
