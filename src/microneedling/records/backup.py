"""Back up and restore the whole database: SQLite through its online backup API, PostgreSQL through
``pg_dump`` / ``pg_restore`` (PostgreSQL's client programs, which must be on the PATH).

A backup is written to a temporary file beside the target and renamed into place, so a failed
backup leaves no half-written file; a restore is all or nothing (SQLite's backup API copies every
page under one lock, ``pg_restore --single-transaction``). Photos live beside the database
(``MICRONEEDLING_PHOTO_DIR``) and are backed up by copying that folder.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from microneedling.core.errors import DatabaseError, ValidationError
from microneedling.records.database import Database

PG_TIMEOUT_S = 3600


def _usable(path: Path) -> Path:
    """The path, or a field error for one the operating system cannot take (NUL bytes, too long)."""
    reason = "not a usable path (too long, a NUL byte, or under a file)"
    if "\x00" in os.fspath(path):
        raise ValidationError("file", reason)
    try:
        path.stat()
    except FileNotFoundError:
        pass
    except OSError:
        raise ValidationError("file", reason) from None
    return path


def _fresh_target(path: Path, force: bool) -> None:
    _usable(path)
    if path.exists() and not force:
        raise ValidationError("file", f"{path.name} exists; choose another name or force")
    if path.is_dir():
        raise ValidationError("file", f"{path.name} is a folder")
    if not path.parent.is_dir():
        raise ValidationError("file", "its folder does not exist")


def _temporary_beside(path: Path) -> Path:
    handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    os.close(handle)
    return Path(name)


def _sqlite_path(db: Database) -> Path:
    if not db.url.database or db.url.database == ":memory:":
        raise ValidationError("database", "an in-memory database cannot be backed up")
    return Path(db.url.database)


def _pg_environment(db: Database) -> tuple[list[str], dict[str, str]]:
    """libpq connection options and environment (the password travels in PGPASSWORD)."""
    url = db.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    options = [f"--dbname={url.database}"]
    if url.host:
        options.append(f"--host={url.host}")
    if url.port:
        options.append(f"--port={url.port}")
    if url.username:
        options.append(f"--username={url.username}")
    return [*options, "--no-password"], env


def _run(program: str, arguments: list[str], env: dict[str, str]) -> None:
    binary = shutil.which(program)
    if binary is None:
        raise DatabaseError(f"{program} is not on the PATH; install PostgreSQL's client programs")
    done = subprocess.run(
        [binary, *arguments], env=env, capture_output=True, text=True, timeout=PG_TIMEOUT_S
    )
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["failed"])[0]
        raise DatabaseError(f"{program}: {detail}")


def backup(db: Database, path: Path, *, force: bool = False) -> Path:
    """Write a consistent copy of the whole database to ``path`` (never half-written)."""
    if db.require_known_revision() is None:
        raise DatabaseError(f"database {db.safe_url} has no schema; there is nothing to back up")
    _fresh_target(path, force)
    partial = _temporary_beside(path)
    try:
        if db.url.get_backend_name() == "sqlite":
            source = sqlite3.connect(_sqlite_path(db))
            target = sqlite3.connect(partial)
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
        else:
            options, env = _pg_environment(db)
            _run("pg_dump", [*options, "--format=custom", f"--file={partial}"], env)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


def _check_sqlite_backup(path: Path) -> None:
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            (status,) = connection.execute("PRAGMA quick_check").fetchone()
            found = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()
        finally:
            connection.close()
    except sqlite3.DatabaseError:
        raise ValidationError("file", "not a SQLite backup of a microneedling database") from None
    if status != "ok" or found is None:
        raise ValidationError("file", "not an intact backup of a microneedling database")


def restore(db: Database, path: Path) -> str | None:
    """Replace the whole database with the backup at ``path``; returns its revision."""
    if not _usable(path).is_file():
        raise ValidationError("file", "no such backup file")
    db.dispose()
    if db.url.get_backend_name() == "sqlite":
        _check_sqlite_backup(path)
        target_path = _sqlite_path(db)
        target_path.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        target = sqlite3.connect(target_path, timeout=5)
        try:
            source.backup(target)
        except sqlite3.OperationalError as exc:
            raise DatabaseError(f"cannot restore: {exc}") from None
        finally:
            target.close()
            source.close()
    else:
        with path.open("rb") as handle:
            if handle.read(5) != b"PGDMP":
                raise ValidationError("file", "not a pg_dump backup (custom format)")
        options, env = _pg_environment(db)
        _run(
            "pg_restore",
            [*options, "--clean", "--if-exists", "--no-owner", "--single-transaction", str(path)],
            env,
        )
    return db.require_known_revision()
