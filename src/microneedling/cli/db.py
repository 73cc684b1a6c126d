"""``microneedling db``: apply migrations and report the schema state."""

from __future__ import annotations

import typer

from microneedling.cli.context import new_app, state
from microneedling.cli.output import JsonOption, print_json
from microneedling.records.database import DATABASE_URL_ENV, MIGRATION_URL_ENV, upgrade_schema

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
