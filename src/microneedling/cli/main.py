"""The ``microneedling`` command: plan, record and follow microneedling treatments."""

from __future__ import annotations

import typer

from microneedling import DISCLAIMER, __version__
from microneedling.cli import (
    assessment,
    audit,
    db,
    devices,
    patients,
    photos,
    plan,
    screening,
    session,
)
from microneedling.cli import cohort as cohort_cli
from microneedling.cli import consent as consent_cli
from microneedling.cli import diary as diary_cli
from microneedling.cli import lots as lots_cli
from microneedling.cli import users as users_cli
from microneedling.cli.context import new_app, state
from microneedling.cli.demo import demo
from microneedling.cli.photos import (
    analyze_command,
    compare_command,
    reanalyze_command,
    trend_command,
)
from microneedling.cli.records import adverse_event, aftercare, export_record, import_file
from microneedling.cli.report import report
from microneedling.cli.serve import serve
from microneedling.cli.simulate import simulate
from microneedling.records.database import DATABASE_URL_ENV

HELP = f"Plan, record and follow microneedling treatments of the face. {DISCLAIMER}"
app = new_app(HELP)
app.add_typer(patients.app, name="patients")
app.add_typer(screening.app, name="screening")
app.add_typer(assessment.app, name="assessment")
app.add_typer(plan.app, name="plan")
app.add_typer(session.app, name="session")
app.add_typer(devices.app, name="devices")
app.add_typer(db.app, name="db")
app.command("aftercare")(aftercare)
app.command("adverse-event")(adverse_event)
app.command("export")(export_record)
app.command("import")(import_file)
app.add_typer(audit.app, name="audit")
app.command("demo")(demo)
app.command("simulate")(simulate)
app.command("analyze")(analyze_command)
app.command("compare")(compare_command)
app.command("trend")(trend_command)
app.command("reanalyze")(reanalyze_command)
app.add_typer(photos.app, name="photos")
app.add_typer(cohort_cli.app, name="cohort")
app.add_typer(users_cli.app, name="users")
app.command("serve")(serve)
app.add_typer(consent_cli.app, name="consent")
app.add_typer(diary_cli.app, name="diary")
app.add_typer(diary_cli.flags_app, name="flags")
app.command("report")(report)
app.add_typer(lots_cli.app, name="lots")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"microneedling {__version__}")
        raise typer.Exit()


@app.callback(help=HELP)
def root(
    ctx: typer.Context,
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        envvar=DATABASE_URL_ENV,
        help="sqlite:///file.sqlite3 or postgresql://user:pw@host/db (default: a local file).",
    ),
    user: str = typer.Option(
        "",
        "--user",
        envvar="MICRONEEDLING_USER",
        help="Who is acting, for the audit log (default: login name).",
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    st = state(ctx)
    st.database_url = database_url
    st.user = user


def main() -> None:
    app()
