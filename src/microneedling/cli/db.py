"""``microneedling db``: apply migrations, report the schema state, back up and restore."""

from __future__ import annotations

from pathlib import Path

import typer

from microneedling.cli.context import fail, new_app, state
from microneedling.cli.output import JsonOption, message, print_json
from microneedling.records import backup
from microneedling.records.database import DATABASE_URL_ENV, MIGRATION_URL_ENV, upgrade_schema
from microneedling.records.photo_store import photo_dir

app = new_app(
    f"Database schema (set the URL with {DATABASE_URL_ENV}; migrations run as "
    f"{MIGRATION_URL_ENV} when set)."
)


@app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Create or update the schema to the latest migration (as the owner role when set)."""
    st = state(ctx)
    db, owner = st.database(), st.migration_database()
    try:
        revision = upgrade_schema(db, owner)
        typer.echo(f"database {db.safe_url} is at revision {revision}")
    finally:
        db.dispose()
        if owner is not None:
            owner.dispose()


@app.command("status")
def status(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """Show the database URL and whether its schema is current."""
    db = state(ctx).database()
    try:
        current, head = db.require_known_revision(), db.head_revision()
    finally:
        db.dispose()
    view = {"url": db.safe_url, "revision": current, "latest": head, "current": current == head}
    if as_json:
        print_json(view)
    else:
        typer.echo(
            f"{view['url']}: revision {current or 'none'} (latest {head})"
            + ("" if current == head else " - run `microneedling db upgrade`")
        )


@app.command("backup")
def backup_command(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="Where to write the backup."),
    force: bool = typer.Option(False, "--force", help="Replace FILE if it exists."),
) -> None:
    """Write a consistent copy of the whole database (SQLite backup API, or pg_dump)."""
    st = state(ctx)
    db = st.migration_database() or st.database()
    try:
        backup.backup(db, file, force=force)
    finally:
        db.dispose()
    message(f"backed up {db.safe_url} to {file} (photos: copy {photo_dir()} as well)")


@app.command("restore")
def restore_command(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="A file written by `db backup`."),
    force: bool = typer.Option(
        False, "--force", help="Required: the database's whole content is replaced."
    ),
) -> None:
    """Replace the whole database with a backup (SQLite backup API, or pg_restore)."""
    if not force:
        raise fail("restore replaces the whole database; add --force to go ahead")
    st = state(ctx)
    db, owner = st.database(), st.migration_database()
    try:
        revision = backup.restore(owner or db, file)
        if owner is not None:
            upgrade_schema(db, owner)  # the application role's grants, as after a migration
    finally:
        db.dispose()
        if owner is not None:
            owner.dispose()
    message(f"restored {db.safe_url} from {file} (revision {revision})")
