"""What every command shares: the database, the acting user, the clinical knowledge, errors."""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import typer
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from typer.core import TyperGroup

from microneedling.cli.output import visible
from microneedling.cli.parsing import guard_parameters
from microneedling.core.errors import MicroneedlingError
from microneedling.protocol.knowledge import Knowledge, load_knowledge
from microneedling.records.database import MIGRATION_URL_ENV, Database, describe, resolve_url

USER_ENV = "MICRONEEDLING_USER"


USER_ERROR_EXIT = 2


def fail(message: str) -> typer.Exit:
    """Print one ``error:`` line on stderr; the caller raises the returned exit (code 2).

    The message may quote what the user typed, so control characters in it are shown, not sent.
    """
    typer.echo(f"error: {visible(message, one_line=True)}", err=True)
    return typer.Exit(USER_ERROR_EXIT)


class ClinicGroup(TyperGroup):
    """Turns every expected error into one clear message and exit code 2, never a traceback."""

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """The subcommand, its values bounded (huge ids, NaN, inf, bad text refused) first."""
        return guard_parameters(super().get_command(ctx, cmd_name))

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except MicroneedlingError as exc:
            raise fail(str(exc)) from None
        except SQLAlchemyError as exc:
            raise fail(f"database error: {describe(exc)}") from None
        except OSError as exc:
            raise fail(f"{exc.filename or 'file'}: {exc.strerror or exc}") from None


@dataclass
class State:
    database_url: str | None = None
    user: str = ""

    @property
    def actor(self) -> str:
        return self.user or os.environ.get(USER_ENV) or getpass.getuser()

    def database(self) -> Database:
        return Database.from_url(self.database_url)

    def migration_database(self) -> Database | None:
        """The schema owner's connection, when migrations run as another role."""
        url = os.environ.get(MIGRATION_URL_ENV)
        return Database(resolve_url(url, MIGRATION_URL_ENV)) if url else None

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction on a migrated database, closed afterwards."""
        db = self.database()
        try:
            db.require_migrated()
            with db.transaction(self.actor) as session:
                yield session
        finally:
            db.dispose()

    @contextmanager
    def reading(self) -> Iterator[Session]:
        db = self.database()
        try:
            db.require_migrated()
            with db.reading() as session:
                yield session
        finally:
            db.dispose()

    @property
    def knowledge(self) -> Knowledge:
        return load_knowledge()


def state(ctx: typer.Context) -> State:
    root = ctx.find_root()
    if not isinstance(root.obj, State):
        root.obj = State()
    return root.obj


def new_app(help_text: str) -> typer.Typer:
    return typer.Typer(
        help=help_text,
        cls=ClinicGroup,
        no_args_is_help=True,
        pretty_exceptions_enable=False,
    )
