"""``microneedling session``: start, record each phase in order, finish."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import typer

from microneedling.cli.context import new_app, state
from microneedling.cli.output import JsonOption, message, panel, print_json, table, warnings
from microneedling.core.errors import ValidationError
from microneedling.core.files import optional_output
from microneedling.core.parsing import parse_datetime, parse_depth_mm, utcnow
from microneedling.core.vocabulary import display, in_words
from microneedling.services import sessions as service

app = new_app("Record a treatment session: preparation -> treatment -> post-treatment -> done.")
record_app = new_app("Record the current phase of a session.")
app.add_typer(record_app, name="record")


def _value(value: Any) -> str:
    """A recorded value as a person reads it: yes/no for a flag, display names for keys."""
    if isinstance(value, bool):
        return display("answer", value)
    return in_words(str(value))


def _summary(data: dict[str, Any]) -> str:
    return "; ".join(
        f"{k.replace('_', ' ')}: {_value(v)}"
        for k, v in data.items()
        if v is not None and k[-3:] != "_at"
    )


def render_session(view: dict[str, Any]) -> None:
    table(
        f"Session {view['id']} (#{view['number']}) of {view.get('patient', '')}: "
        f"phase {display('phase', view['phase'])}",
        ("phase", "started UTC", "ended UTC", "recorded"),
        (
            (
                display("phase", p["phase"]),
                p["started_at"][11:19],
                (p["ended_at"] or "")[11:19],
                _summary(p["data"]),
            )
            for p in view.get("phases", [])
        ),
    )
    if view.get("zone_treatments"):
        table(
            "Treated zones",
            ("zone", "mm", "passes", "pattern", "endpoint", "lot", "deviation"),
            (
                (
                    display("zone", z["zone"]),
                    f"{z['depth_mm']:.2f}",
                    z["passes"],
                    display("pattern", z["pattern"]),
                    display("endpoint", z["endpoint"]),
                    z["cartridge_lot"],
                    z["deviation_reason"],
                )
                for z in view["zone_treatments"]
            ),
        )
    warnings(view.get("warnings", []))


def _emit(view: dict[str, Any], as_json: bool) -> None:
    print_json(view) if as_json else render_session(view)


@app.command("start")
def start(
    ctx: typer.Context,
    plan_id: int = typer.Argument(..., help="Plan id."),
    clinician: str = typer.Option(..., "--clinician", help="Treating clinician."),
    as_json: bool = JsonOption,
) -> None:
    """Start the plan's next scheduled session (enters preparation)."""
    st = state(ctx)
    with st.transaction() as db:
        view = service.start_session(db, st.knowledge, plan_id=plan_id, clinician=clinician)
    _emit(view, as_json)


@record_app.command("preparation")
def preparation(
    ctx: typer.Context,
    session_id: int = typer.Argument(..., help="Session id."),
    cleansed: bool = typer.Option(..., "--cleansed/--not-cleansed", help="Skin cleansed?"),
    numbing: str | None = typer.Option(None, "--numbing", help="Numbing product code, e.g. emla."),
    applied_at: str | None = typer.Option(None, "--applied-at", help="When applied (ISO)."),
    removed_at: str | None = typer.Option(None, "--removed-at", help="When removed (ISO)."),
    dwell_minutes: float | None = typer.Option(
        None, "--dwell-minutes", help="Instead of times: minutes on, removed now."
    ),
    area: str | None = typer.Option(None, "--area", help="Area the anaesthetic covered."),
    as_json: bool = JsonOption,
) -> None:
    """Record preparation (cleansing, numbing) and move on to treatment."""
    applied = parse_datetime(applied_at, "applied_at") if applied_at else None
    removed = parse_datetime(removed_at, "removed_at") if removed_at else None
    if dwell_minutes is not None:
        if applied or removed:
            raise ValidationError("dwell_minutes", "give either --dwell-minutes or the two times")
        if not 0 < dwell_minutes <= 24 * 60:
            raise ValidationError("dwell_minutes", f"{dwell_minutes:g} is not 0-1440 minutes")
        removed = utcnow()
        applied = removed - timedelta(minutes=dwell_minutes)
    st = state(ctx)
    with st.transaction() as db:
        view = service.record_preparation(
            db,
            st.knowledge,
            session_id=session_id,
            cleansed=cleansed,
            numbing_product=numbing,
            applied_at=applied,
            removed_at=removed,
            anaesthetic_area=area,
        )
    _emit(view, as_json)


@record_app.command("zone")
def zone(
    ctx: typer.Context,
    session_id: int = typer.Argument(..., help="Session id."),
    zone: str = typer.Option(..., "--zone", help="Treated zone."),
    depth: str = typer.Option(..., "--depth", help="Needle depth used, mm."),
    passes: int = typer.Option(..., "--passes", help="Number of passes."),
    pattern: str = typer.Option(..., "--pattern", help="horizontal, vertical, diagonal, ..."),
    endpoint: str = typer.Option(..., "--endpoint", help="e.g. uniform_erythema."),
    lot: str = typer.Option(..., "--lot", help="Cartridge lot."),
    device: str | None = typer.Option(None, "--device", help="Device (default: the plan's)."),
    reason: str | None = typer.Option(None, "--reason", help="Why the depth left the plan."),
    as_json: bool = JsonOption,
) -> None:
    """Record one treated zone during the treatment phase."""
    with state(ctx).transaction() as db:
        view = service.record_zone(
            db,
            session_id=session_id,
            zone=zone,
            depth_mm=parse_depth_mm(depth, "depth"),
            passes=passes,
            pattern=pattern,
            endpoint=endpoint,
            cartridge_lot=lot,
            device=device,
            deviation_reason=reason,
        )
    _emit(view, as_json)


@record_app.command("post-treatment")
def post_treatment(
    ctx: typer.Context,
    session_id: int = typer.Argument(..., help="Session id."),
    product: str = typer.Option(..., "--product", help="Serum or mask applied."),
    sterile: bool = typer.Option(..., "--sterile/--not-sterile", help="Was it sterile?"),
    reaction: str | None = typer.Option(None, "--reaction", help="Immediate reaction, if any."),
    as_json: bool = JsonOption,
) -> None:
    """End treatment and record what was applied afterwards."""
    with state(ctx).transaction() as db:
        view = service.record_post_treatment(
            db, session_id=session_id, product=product, sterile=sterile, immediate_reaction=reaction
        )
    _emit(view, as_json)


@app.command("finish")
def finish(
    ctx: typer.Context,
    session_id: int = typer.Argument(..., help="Session id."),
    aftercare_out: Path | None = typer.Option(
        None, "--aftercare-out", help="Also write the aftercare sheet to this text file."
    ),
    force: bool = typer.Option(False, "--force", help="Replace the --aftercare-out file."),
    as_json: bool = JsonOption,
) -> None:
    """Complete the session: schedules the next one and prints the aftercare sheet.

    The sheet is written to a temporary file before the session is committed and renamed into
    place after: the session is completed and the file written, or neither.
    """
    st = state(ctx)
    with (
        optional_output(aftercare_out, "aftercare_out", force=force) as out,  # after the commit
        st.transaction() as db,
    ):
        view = service.finish_session(db, st.knowledge, session_id=session_id)
        if out is not None:
            out.write_text(view["aftercare"] + "\n")
    if as_json:
        print_json(view)
        return
    render_session(view)
    if view["next_session"]:
        message(f"Next session scheduled for {view['next_session']}.")
    else:
        message("That was the last session of the plan.")
    panel(view["aftercare"], "Aftercare sheet")


@app.command("show")
def show(ctx: typer.Context, session_id: int, as_json: bool = JsonOption) -> None:
    """Show a session with its phases and treated zones."""
    with state(ctx).reading() as db:
        view = service.show_session(db, session_id)
    _emit(view, as_json)
