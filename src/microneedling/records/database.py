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
from microneedling.records.bounds import check_actor, install_bounds

if TYPE_CHECKING:  # Alembic is loaded only by the commands that migrate or check the schema
    from alembic.config import Config

DATABASE_URL_ENV = "MICRONEEDLING_DATABASE_URL"
MIGRATION_URL_ENV = "MICRONEEDLING_MIGRATION_URL"
# What the application role may do on PostgreSQL when migrations run as a separate owner role:
# read and write the records, but only read and append the audit log and only read the schema
# version. Applied after every upgrade, so tables added by later migrations are covered.
APPLICATION_GRANTS = (
    "GRANT USAGE ON SCHEMA {schema} TO {role}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role}",
    "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
    "REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON audit_log FROM {role}",
    "REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON alembic_version FROM {role}",
)
MIGRATIONS = "microneedling.records:migrations"


def data_dir() -> Path:
    """Where the default database lives: ``$XDG_DATA_HOME/microneedling`` (``~/.local/share``)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "microneedling"


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'microneedling.sqlite3'}"


def resolve_url(explicit: str | None = None, field: str = DATABASE_URL_ENV) -> URL:
    """Parse the database URL (argument, else environment, else default) with a clear error."""
    text = explicit or os.environ.get(DATABASE_URL_ENV) or default_database_url()
    try:
        url = make_url(text)
    except ArgumentError:
        raise ValidationError(
            field,
            "malformed database URL; expected sqlite:///path/to/file.sqlite3 or "
            "postgresql://user:password@host:5432/dbname",
        ) from None
    backend = url.get_backend_name()
    if backend == "postgresql":
        _require_psycopg()
        return url.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        return url
    raise ValidationError(field, f"unsupported database {backend!r}; use sqlite or postgresql")


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


def upgrade_schema(application: Database, owner: Database | None = None) -> str | None:
    """Migrate to the latest revision as ``owner`` (else as the application itself).

    On PostgreSQL with an owner of another name, the application's role is then granted what it
    needs and no more (``APPLICATION_GRANTS``). Returns the revision reached.
    """
    migrator = owner or application
    migrator.upgrade()
    role = application.url.username
    if (
        owner is not None
        and role is not None
        and role != owner.url.username
        and owner.url.get_backend_name() == "postgresql"
    ):
        owner.grant_application_role(role)
    return migrator.current_revision()


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
        install_bounds(factory)  # every stored value within its column's bounds
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

    def require_known_revision(self) -> str | None:
        """The current revision, refusing one this code has no migration for (a newer release's)."""
        from alembic.script import ScriptDirectory
        from alembic.util import CommandError

        current = self.current_revision()
        if current is None:
            return None
        try:
            ScriptDirectory.from_config(self.alembic_config()).get_revision(current)
        except CommandError:
            from microneedling import __version__

            raise DatabaseError(
                f"database {self.safe_url} is at revision {current}, newer than this "
                f"microneedling ({__version__}, latest revision {self.head_revision()}) knows; "
                "use the newer release that migrated it"
            ) from None
        return current

    def upgrade(self, revision: str = "head") -> None:
        """Apply migrations up to ``revision``."""
        from alembic import command

        self.require_known_revision()
        try:
            command.upgrade(self.alembic_config(), revision)
        except OperationalError as exc:
            raise self._unreachable(exc) from None

    def grant_application_role(self, role: str) -> None:
        """As the owner, let ``role`` use the schema, and append to (never change) the audit log."""
        with self.engine.begin() as connection:
            quote = connection.dialect.identifier_preparer.quote
            schema = connection.exec_driver_sql("SELECT current_schema()").scalar_one()
            for statement in APPLICATION_GRANTS:
                connection.exec_driver_sql(
                    statement.format(schema=quote(str(schema)), role=quote(role))
                )

    def downgrade(self, revision: str) -> None:
        from alembic import command

        self.require_known_revision()
        command.downgrade(self.alembic_config(), revision)

    def require_migrated(self) -> None:
        """Refuse to work on a database whose schema is not at the latest migration."""
        current, head = self.require_known_revision(), self.head_revision()
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
        check_actor(actor)
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
