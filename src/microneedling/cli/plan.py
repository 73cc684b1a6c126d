"""``microneedling plan``: per-zone needle depths and the session schedule, explained."""

from __future__ import annotations

from typing import Any

import typer

from microneedling import DISCLAIMER
from microneedling.cli.context import new_app, state
from microneedling.cli.output import JsonOption, message, print_json, table
from microneedling.core.parsing import parse_date
from microneedling.core.vocabulary import display, in_words
from microneedling.services import plans as service

app = new_app("Make and show treatment plans (depth per zone, sessions, interval).")


def render_plan(view: dict[str, Any]) -> None:
    table(
        f"Plan {view['id']} for {view['patient']}: {display('indication', view['indication'])}, "
        f"{view['sessions_planned']} sessions every {view['interval_days']} days"
        + (f", {view['device']}" if view["device"] else ""),
        ("zone", "depth mm", "range mm", "why"),
        (
            (
                display("zone", z["zone"]),
                f"{z['depth_mm']:.2f}",
                f"{z['range_min_mm']:g}–{z['range_max_mm']:g}",
                in_words(z["rationale"]),
            )
            for z in view["zones"]
        ),
    )
    for line in view["rationale"]:
        if line != DISCLAIMER:
            message(f"  {in_words(line)}")
    table(
        "Sessions",
        ("#", "id", "scheduled for", "phase"),
        (
            (s["number"], s["id"], s["scheduled_for"], display("phase", s["phase"]))
            for s in view["sessions"]
        ),
    )
    message(DISCLAIMER, style="italic")


@app.command("create")
def create(
    ctx: typer.Context,
    patient: str = typer.Argument(..., help="Patient code."),
    indication: str = typer.Option(..., "--indication", help="e.g. acne_scars, fine_lines."),
    clinician: str = typer.Option(..., "--clinician", help="Planning clinician."),
    zone: list[str] = typer.Option([], "--zone", help="Zone to treat (default: assessed zones)."),
    device: str | None = typer.Option(None, "--device", help="Device id or model."),
    sessions: int | None = typer.Option(None, "--sessions", help="Sessions in the series."),
    interval_days: int | None = typer.Option(None, "--interval-days", help="Days between."),
    first_session: str | None = typer.Option(None, "--first-session", help="YYYY-MM-DD."),
    as_json: bool = JsonOption,
) -> None:
    """Plan a series for a screened patient from their graded assessments."""
    st = state(ctx)
    first = parse_date(first_session, "first_session") if first_session else None
    with st.transaction() as db:
        view = service.create_plan(
            db,
            st.knowledge,
            patient_code=patient,
            indication=indication,
            clinician=clinician,
            zones=zone or None,
            device=device,
            sessions=sessions,
            interval_days=interval_days,
            first_session=first,
        )
    print_json(view) if as_json else render_plan(view)


@app.command("show")
def show(ctx: typer.Context, plan_id: int, as_json: bool = JsonOption) -> None:
    """Show a plan with its zones and sessions."""
    with state(ctx).reading() as db:
        view = service.show_plan(db, plan_id)
    print_json(view) if as_json else render_plan(view)
