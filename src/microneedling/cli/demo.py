"""``microneedling demo``: the sample clinic from import to aftercare sheet."""

from __future__ import annotations

from typing import Any

import typer

from microneedling.cli.context import state
from microneedling.cli.output import JsonOption, message, panel, print_json, styled, table
from microneedling.cli.plan import render_plan
from microneedling.cli.session import render_session
from microneedling.records.database import Database, data_dir


def render(summary: dict[str, Any]) -> None:
    message(styled(("Sample clinic", "bold"), f" in {summary['database']}"))
    message("imported " + ", ".join(f"{n} {k}" for k, n in summary["imported"].items()))
    table(
        "Patients and screening",
        ("code", "birth year", "skin type", "screening", "findings", "acknowledged by"),
        (
            (
                p["code"],
                p["birth_year"],
                p["fitzpatrick"],
                s["outcome"],
                ", ".join(f["code"] for f in s["findings"]) or "-",
                s["acknowledged_by"] or "",
            )
            for p, s in zip(summary["patients"], summary["screenings"], strict=True)
        ),
    )
    for plan in summary["plans"]:
        render_plan(plan)
    for code, reason in summary["refused"].items():
        message(styled((f"No plan for {code}:", "red"), f" {reason}"))
    render_session(summary["session"])
    message(f"Next session scheduled for {summary['session']['next_session']}.")
    panel(summary["session"]["aftercare"], "Aftercare sheet")
    message(
        f"Prediction {summary['prediction']['id']} stored with plan "
        f"{summary['prediction']['plan_id']} (`microneedling simulate --plan 1 --plot FILE`)."
    )
    trend = summary["trend"]
    rows = []
    for point in trend["points"]:
        zones = {z["zone"]: z for z in point["zones"]}
        red, pores, lines = zones["cheek_left"], zones["cheek_right"], zones["forehead"]
        predicted = red.get("predicted_collagen_pct")
        rows.append(
            (
                point["taken_on"],
                point["day"],
                f"{red['a_star']:.1f}",
                f"{red['red_area_fraction']:.0%}",
                f"{pores['pores_per_cm2']:.1f}",
                f"{lines['wrinkle_length_mm_per_cm2']:.1f}",
                "" if predicted is None else f"{predicted:+.0f}%",
            )
        )
    # each column from the zone its feature is planted in on the sample photos
    table(
        "MN-0001, bundled sample photos: redness and collagen on the left cheek, "
        "pores on the right cheek, lines on the forehead",
        ("date", "day", "a*", "red area", "pores/cm²", "lines mm/cm²", "collagen (model)"),
        rows,
    )


def demo(
    ctx: typer.Context,
    as_json: bool = JsonOption,
) -> None:
    """Run the bundled sample clinic end to end in a fresh demo database.

    Uses the global --database-url when given (it must be empty), otherwise a fresh SQLite file
    beside the default database.
    """
    from microneedling.services.demo import run_demo

    st = state(ctx)
    if st.database_url:
        db = Database.from_url(st.database_url)
    else:
        path = data_dir() / "demo.sqlite3"
        path.unlink(missing_ok=True)
        db = Database.from_url(f"sqlite:///{path}")
    try:
        summary = run_demo(db, st.knowledge, actor=st.actor)
    finally:
        db.dispose()
    print_json(summary) if as_json else render(summary)
