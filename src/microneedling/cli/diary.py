"""``microneedling diary`` and ``microneedling flags``: the patient's healing-diary link, the
diary beside the predicted redness, and the follow-up flags it raises."""

from __future__ import annotations

from typing import Any

import typer

from microneedling.cli.context import new_app, state
from microneedling.cli.output import JsonOption, fields, message, print_json, table
from microneedling.services import diary as service

app = new_app("The patient's healing diary: a personal link, the diary against the prediction.")
flags_app = new_app("Follow-up flags (late redness, warning signs) until a clinician acknowledges.")


@app.command("link")
def link(
    ctx: typer.Context,
    session_id: int = typer.Argument(..., help="A treated session's id."),
    as_json: bool = JsonOption,
) -> None:
    """Issue a personal diary link (14 days). The token is shown once: hand it to the patient."""
    with state(ctx).transaction() as db:
        view = service.issue_link(db, session_id=session_id)
    if as_json:
        print_json(view)
        return
    fields("Diary link issued", view, ("id", "session_id", "expires_at", "path"))
    message("Give the patient this address on the clinic's web app; it is not shown again.")


@app.command("revoke")
def revoke(
    ctx: typer.Context,
    link_id: int = typer.Argument(..., help="Diary link id (see `diary show`)."),
    as_json: bool = JsonOption,
) -> None:
    """Revoke a diary link: it opens nothing from now on."""
    with state(ctx).transaction() as db:
        view = service.revoke_link(db, link_id=link_id)
    print_json(view) if as_json else fields("Diary link revoked", view, ("id", "revoked_at"))


@app.command("add")
def add(
    ctx: typer.Context,
    session_id: int = typer.Argument(..., help="Session id."),
    day: int = typer.Option(..., "--day", help="Days after the session (0 = the same day)."),
    redness: int = typer.Option(..., "--redness", help="0 (none) to 10 (worst)."),
    pain: int = typer.Option(..., "--pain", help="0 (none) to 10 (worst)."),
    swelling: int = typer.Option(..., "--swelling", help="0 (none) to 10 (worst)."),
    sign: list[str] = typer.Option([], "--sign", help="A warning sign's code (repeat)."),
    as_json: bool = JsonOption,
) -> None:
    """Enter a diary day for the patient (e.g. told by phone)."""
    with state(ctx).transaction() as db:
        view = service.record_entry(
            db,
            session_id=session_id,
            day=day,
            redness=redness,
            pain=pain,
            swelling=swelling,
            signs=list(sign),
        )
    if as_json:
        print_json(view)
        return
    fields("Diary day recorded", view, ("session_id", "day", "redness", "pain", "swelling"))
    for flag in view["flags_raised"]:
        message(f"flag raised ({flag['kind_label']}): {flag['reason']}", "yellow")


def render_diary(view: dict[str, Any]) -> None:
    predicted = view["predicted"]
    if predicted is not None:
        late = view["late_after"]
        message(
            f"Predicted redness after session {view['session_id']} ({view['session_date']}): "
            f"{predicted['basis']}; settled by day {predicted['settled_day'].get('p50', 0):.1f} "
            f"(p5–p95 {predicted['settled_day'].get('p5', 0):.1f}–"
            f"{predicted['settled_day'].get('p95', 0):.1f}). Redness of "
            f"{view['late_level']}/10 or more after day {late['day']:.1f} is late ({late['why']})."
        )
    predicted_by_day = (
        dict(zip(predicted["days"], predicted["value"], strict=True)) if predicted else {}
    )
    table(
        f"Diary of session {view['session_id']} ({view['patient']})",
        ("day", "redness", "pain", "swelling", "warning signs", "predicted redness ×visible"),
        (
            (
                e["day"],
                e["redness"],
                e["pain"],
                e["swelling"],
                ", ".join(e["signs"]),
                f"{predicted_by_day[float(e['day'])]:.2f}"
                if float(e["day"]) in predicted_by_day
                else "",
            )
            for e in view["entries"]
        ),
    )
    table(
        "Links",
        ("id", "created UTC", "expires UTC", "revoked UTC"),
        (
            (k["id"], k["created_at"][:16], k["expires_at"][:16], (k["revoked_at"] or "")[:16])
            for k in view["links"]
        ),
    )
    render_flags(view["flags"], "Flags")


@app.command("show")
def show(
    ctx: typer.Context,
    session_id: int = typer.Argument(..., help="Session id."),
    as_json: bool = JsonOption,
) -> None:
    """The session's diary beside its predicted redness course, its links and flags."""
    with state(ctx).reading() as db:
        view = service.diary_view(db, session_id)
    print_json(view) if as_json else render_diary(view)


def render_flags(flags: list[dict[str, Any]], title: str) -> None:
    table(
        title,
        ("id", "patient", "session", "kind", "raised UTC", "acknowledged", "reason"),
        (
            (
                f["id"],
                f["patient"],
                f["session_id"],
                f["kind_label"],
                f["raised_at"][:16],
                "" if f["open"] else f"{f['acknowledged_by']} {f['acknowledged_at'][:16]}",
                f["reason"],
            )
            for f in flags
        ),
    )


@flags_app.command("list")
def list_flags(
    ctx: typer.Context,
    patient: str | None = typer.Option(None, "--patient", help="Only this patient's flags."),
    all_flags: bool = typer.Option(False, "--all", help="Acknowledged flags too."),
    as_json: bool = JsonOption,
) -> None:
    """Open follow-up flags (all with --all)."""
    with state(ctx).reading() as db:
        rows = service.list_flags(db, patient_code=patient, open_only=not all_flags)
    print_json(rows) if as_json else render_flags(rows, "Follow-up flags")


@flags_app.command("ack")
def acknowledge(
    ctx: typer.Context,
    flag_id: int = typer.Argument(..., help="Flag id."),
    as_json: bool = JsonOption,
) -> None:
    """Acknowledge a flag (the acting user): it leaves the patient list."""
    with state(ctx).transaction() as db:
        view = service.acknowledge_flag(db, flag_id=flag_id)
    keys = ("id", "patient", "kind_label", "acknowledged_by", "acknowledged_at")
    print_json(view) if as_json else fields("Flag acknowledged", view, keys)
