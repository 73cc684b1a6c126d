"""Connect to the database named by a URL, run transactions, and guard against un-migrated schemas.

SQLite (a file under the user's data directory) is the default; PostgreSQL is used through psycopg 3
when ``MICRONEEDLING_DATABASE_URL`` is a ``postgresql://`` URL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import URL
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from microneedling.core.errors import DatabaseError, MicroneedlingError, ValidationError
from microneedling.records.audit import ACTOR_KEY, install_audit

if TYPE_CHECKING:  # Alembic is loaded only by the commands that migrate or check the schema
    from alembic.config import Config

DATABASE_URL_ENV = "MICRONEEDLING_DATABASE_URL"
MIGRATIONS = "microneedling.records:migrations"


def data_dir() -> Path:
    """Where the default database lives: ``$XDG_DATA_HOME/microneedling`` (``~/.local/share``)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "microneedling"


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'microneedling.sqlite3'}"


def resolve_url(explicit: str | None = None) -> URL:
    """Parse the database URL (argument, else environment, else default) with a clear error."""
    text = explicit or os.environ.get(DATABASE_URL_ENV) or default_database_url()
    try:
        url = make_url(text)
    except ArgumentError:
        raise ValidationError(
            DATABASE_URL_ENV,
            "malformed database URL; expected sqlite:///path/to/file.sqlite3 or "
            "postgresql://user:password@host:5432/dbname",
        ) from None
    backend = url.get_backend_name()
    if backend == "postgresql":
        _require_psycopg()
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        return url
    raise ValidationError(
        DATABASE_URL_ENV, f"unsupported database {backend!r}; use sqlite or postgresql"
    )


def _require_psycopg() -> None:
    """PostgreSQL needs the psycopg 3 driver, an optional extra: say how to install it."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise ValidationError(
            DATABASE_URL_ENV,
            "a PostgreSQL URL needs the psycopg driver, which is not installed; "
            "install it with: pip install 'microneedling[postgres]'",
        ) from None


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def describe(exc: SQLAlchemyError) -> str:
    """One line for a driver error, without SQL or tracebacks."""
    original = getattr(exc, "orig", None) or exc
    return str(original).strip().splitlines()[0] if str(original).strip() else type(exc).__name__


@dataclass
class Database:
    """A database at one URL: its engine, its transactions and its migration state."""

    url: URL

    @classmethod
    def from_url(cls, explicit: str | None = None) -> Database:
        return cls(resolve_url(explicit))

    @property
    def safe_url(self) -> str:
        return self.url.render_as_string(hide_password=True)

    @cached_property
    def engine(self) -> Engine:
        if self.url.get_backend_name() == "sqlite":
            if self.url.database and self.url.database != ":memory:":
                Path(self.url.database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(self.url, connect_args={"timeout": 5})
            event.listen(engine, "connect", _sqlite_pragmas)
            return engine
        return create_engine(self.url, connect_args={"connect_timeout": 5}, pool_pre_ping=True)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        factory = sessionmaker(self.engine, expire_on_commit=False)
        install_audit(factory)
        return factory

    def alembic_config(self) -> Config:
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", MIGRATIONS)
        config.attributes["engine"] = self.engine
        return config

    def current_revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        try:
            with self.engine.connect() as connection:
                return MigrationContext.configure(connection).get_current_revision()
        except OperationalError as exc:
            raise self._unreachable(exc) from None

    def head_revision(self) -> str | None:
        from alembic.script import ScriptDirectory

        return ScriptDirectory.from_config(self.alembic_config()).get_current_head()

    def upgrade(self, revision: str = "head") -> None:
        """Apply migrations up to ``revision``."""
        from alembic import command

        try:
            command.upgrade(self.alembic_config(), revision)
        except OperationalError as exc:
            raise self._unreachable(exc) from None

    def downgrade(self, revision: str) -> None:
        from alembic import command

        command.downgrade(self.alembic_config(), revision)

    def require_migrated(self) -> None:
        """Refuse to work on a database whose schema is not at the latest migration."""
        current, head = self.current_revision(), self.head_revision()
        if current != head:
            state = "has no schema" if current is None else f"is at revision {current}"
            raise DatabaseError(
                f"database {self.safe_url} {state}, the code needs {head}; "
                "run `microneedling db upgrade` first"
            )

    def _unreachable(self, exc: OperationalError) -> DatabaseError:
        detail = describe(exc)
        if "locked" in detail:
            return DatabaseError(f"database {self.safe_url} is locked by another program: {detail}")
        return DatabaseError(f"database {self.safe_url} is unreachable: {detail}")

    @contextmanager
    def transaction(self, actor: str = "system") -> Iterator[Session]:
        """One unit of work: everything inside commits together, or nothing does."""
        session = self.sessions()
        session.info[ACTOR_KEY] = actor
        try:
            yield session
            session.commit()
        except MicroneedlingError:
            session.rollback()
            raise
        except IntegrityError as exc:
            session.rollback()
            raise DatabaseError(f"change refused by the database: {describe(exc)}") from None
        except OperationalError as exc:
            session.rollback()
            raise self._unreachable(exc) from None
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only session (rolled back at the end)."""
        session = self.sessions()
        try:
            yield session
        except OperationalError as exc:
            raise self._unreachable(exc) from None
        finally:
            session.rollback()
            session.close()

    def dispose(self) -> None:
        if "engine" in self.__dict__:
            self.engine.dispose()
