"""``microneedling lots recall LOT``: every session and patient treated with a cartridge lot."""

from __future__ import annotations

import typer

from microneedling.cli.context import new_app, state
from microneedling.cli.output import JsonOption, message, print_json, table
from microneedling.core.vocabulary import display
from microneedling.services.lots import recall_lot

app = new_app("Cartridge lots: find who was treated with one (a recall).")


@app.command("recall")
def recall(
    ctx: typer.Context,
    lot: str = typer.Argument(..., help="The cartridge lot number, as printed on the pack."),
    as_json: bool = JsonOption,
) -> None:
    """List every session and patient treated with cartridges of LOT (the reading is logged)."""
    with state(ctx).transaction() as db:
        view = recall_lot(db, lot)
    if as_json:
        print_json(view)
        return
    table(
        f"Lot {view['lot']}: cartridges",
        ("device", "expiry", "needles"),
        ((c["device"], c["expiry"], c["needle_count"]) for c in view["cartridges"]),
    )
    if not view["sessions"]:
        message(f"No session used lot {view['lot']}.")
        return
    table(
        f"Sessions treated with lot {view['lot']}",
        ("session", "patient", "treated on", "device", "zones", "phase", "clinician"),
        (
            (
                f"{s['session_id']} (#{s['number']} of plan {s['plan_id']})",
                s["patient"],
                s["treated_on"],
                s["device"],
                ", ".join(display("zone", z) for z in s["zones"]),
                display("phase", s["phase"]),
                s["clinician"] or "",
            )
            for s in view["sessions"]
        ),
    )
    table(
        f"Patients to contact ({len(view['patients'])})",
        ("patient", "sessions", "first treated", "last treated"),
        (
            (
                p["patient"],
                ", ".join(str(s) for s in p["sessions"]),
                p["first_treated_on"],
                p["last_treated_on"],
            )
            for p in view["patients"]
        ),
    )
