"""``microneedling assessment``: graded scores per zone on named clinical scales."""

from __future__ import annotations

import typer

from microneedling.cli.context import new_app, state
from microneedling.cli.output import JsonOption, fields, print_json, table
from microneedling.cli.parsing import key_counts
from microneedling.protocol.knowledge import load_knowledge
from microneedling.services import assessments as service

app = new_app(
    "Record graded assessments (Goodman-Baron, Glogau, Fitzpatrick wrinkle, GAIS, POSAS)."
)


@app.command("add")
def add(
    ctx: typer.Context,
    patient: str = typer.Argument(..., help="Patient code."),
    zone: str = typer.Option(..., "--zone", help="Facial zone, e.g. cheek_left."),
    scale: str = typer.Option(..., "--scale", help="Scale name; see `assessment scales`."),
    score: float = typer.Option(..., "--score", help="Score on the scale."),
    rater: str = typer.Option(..., "--rater", help="Who gave the score."),
    role: str = typer.Option(
        "investigator", "--role", help="investigator, subject, blinded_rater."
    ),
    time_point: str = typer.Option("baseline", "--time-point", help="e.g. baseline, week 12."),
    indication: str | None = typer.Option(None, "--indication", help="What is being graded."),
    count: list[str] = typer.Option([], "--count", help="Lesion counts as type=N (quantitative)."),
    notes: str | None = typer.Option(None, "--notes"),
    as_json: bool = JsonOption,
) -> None:
    """Record one score for one zone."""
    st = state(ctx)
    with st.transaction() as db:
        view = service.record_assessment(
            db,
            st.knowledge,
            patient_code=patient,
            zone=zone,
            scale=scale,
            score=score,
            rater=rater,
            rater_role=role,
            time_point=time_point,
            indication=indication,
            counts=key_counts(count, "count"),
            notes=notes,
        )
    keys = (
        "id",
        "patient",
        "zone",
        "scale",
        "scale_version",
        "score",
        "rater_role",
        "rater",
        "time_point",
        "indication",
        "counts",
    )
    print_json(view) if as_json else fields("Assessment recorded", view, keys)


@app.command("scales")
def scales(as_json: bool = JsonOption) -> None:
    """List the scales an assessment may use."""
    known = load_knowledge().scales
    if as_json:
        print_json({k: v.model_dump() for k, v in known.items()})
        return
    table(
        "Clinical scales",
        ("scale", "range", "version", "used for planning", "name"),
        (
            (k, f"{v.min:g}–{v.max:g}", v.version, "yes" if v.planning else "no", v.name)
            for k, v in known.items()
        ),
    )
