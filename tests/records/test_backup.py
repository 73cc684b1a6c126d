"""``db backup`` / ``db restore`` on both backends (PostgreSQL when pg_dump is installed): the
restored database is the one backed up, its audit chain verifies, and bad files are refused."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from microneedling.core.errors import DatabaseError, ValidationError
from microneedling.records import backup
from microneedling.records.database import Database
from microneedling.records.models import Patient
from microneedling.services.audit import verify_audit


def codes(db: Database) -> list[str]:
    with db.reading() as s:
        return list(s.scalars(select(Patient.code).order_by(Patient.code)))


def add(db: Database, *names: str) -> None:
    with db.transaction("t") as s:
        for name in names:
            s.add(Patient(code=name, birth_year=1980, fitzpatrick="II"))


@pytest.fixture
def backed_up(database: Database) -> Database:
    if database.url.get_backend_name() == "postgresql" and not shutil.which("pg_dump"):
        pytest.skip("pg_dump and pg_restore are not installed")
    return database


def test_restore_brings_back_the_database_as_backed_up(backed_up: Database, tmp_path: Path) -> None:
    add(backed_up, "MN-1", "MN-2")
    file = backup.backup(backed_up, tmp_path / "clinic.backup")
    assert file.stat().st_size > 0
    add(backed_up, "MN-3")
    with backed_up.transaction("t") as s:
        s.scalars(select(Patient).where(Patient.code == "MN-1")).one().fitzpatrick = "V"
    assert backup.restore(backed_up, file) == backed_up.head_revision()
    assert codes(backed_up) == ["MN-1", "MN-2"]
    with backed_up.reading() as s:
        assert s.scalars(select(Patient.fitzpatrick).where(Patient.code == "MN-1")).one() == "II"
        view = verify_audit(s)
    assert view["ok"], view["problems"]
    assert view["entries"] == 2
    add(backed_up, "MN-4")  # the restored chain takes new entries
    with backed_up.reading() as s:
        assert verify_audit(s)["entries"] == 3


def test_a_backup_never_overwrites_without_force(backed_up: Database, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    target = folder / "existing.backup"
    target.write_text("keep me")
    with pytest.raises(ValidationError, match="exists"):
        backup.backup(backed_up, target)
    assert target.read_text() == "keep me"
    backup.backup(backed_up, target, force=True)
    assert target.read_bytes() != b"keep me"
    assert [p.name for p in folder.iterdir()] == ["existing.backup"]  # no partial files left


@pytest.mark.parametrize("content", [b"", b"not a database at all", b"SQLite format 3\x00junk"])
def test_a_file_that_is_no_backup_is_refused_and_changes_nothing(
    backed_up: Database, tmp_path: Path, content: bytes
) -> None:
    add(backed_up, "MN-1")
    bad = tmp_path / "bad.backup"
    bad.write_bytes(content)
    with pytest.raises(ValidationError) as err:
        backup.restore(backed_up, bad)
    assert err.value.field == "file"
    with pytest.raises(ValidationError, match="no such backup file"):
        backup.restore(backed_up, tmp_path / "missing.backup")
    for unusable in (tmp_path / "nul\x00byte", tmp_path / ("x" * 5000)):
        with pytest.raises(ValidationError, match="not a usable path"):
            backup.restore(backed_up, unusable)
        with pytest.raises(ValidationError, match="not a usable path"):
            backup.backup(backed_up, unusable)
    assert codes(backed_up) == ["MN-1"]


def test_backup_and_restore_from_the_cli(
    backed_up: Database, tmp_path: Path, cli: Callable[..., Any]
) -> None:
    add(backed_up, "MN-1")
    file = tmp_path / "b.backup"
    result = cli("db", "backup", str(file))
    assert result.exit_code == 0, result.output
    add(backed_up, "MN-2")
    refused = cli("db", "restore", str(file))
    assert refused.exit_code == 2
    assert refused.output.strip() == (
        "error: restore replaces the whole database; add --force to go ahead"
    )
    assert cli("db", "backup", str(file)).exit_code == 2  # exists
    result = cli("db", "restore", str(file), "--force")
    assert result.exit_code == 0, result.output
    assert codes(backed_up) == ["MN-1"]
    assert cli("audit", "verify").exit_code == 0


def test_a_database_without_schema_is_not_backed_up(tmp_path: Path) -> None:
    empty = Database.from_url(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    with pytest.raises(DatabaseError, match="has no schema; there is nothing to back up"):
        backup.backup(empty, tmp_path / "x.backup")
    empty.dispose()
    assert not (tmp_path / "x.backup").exists()
