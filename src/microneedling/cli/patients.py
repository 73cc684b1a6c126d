"""``microneedling patients``: register, list and show patients."""

from __future__ import annotations

import typer

from microneedling.cli.context import new_app, state
from microneedling.cli.output import JsonOption, fields, print_json, table
from microneedling.cli.parsing import key_values
from microneedling.services import erasure
from microneedling.services import patients as service

app = new_app("Register, list and show patients (pseudonymous codes only).")

PATIENT_KEYS = ("id", "code", "birth_year", "fitzpatrick", "history", "created_at")


@app.command("add")
def add(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="Pseudonymous patient code, e.g. MN-0042."),
    birth_year: int = typer.Option(..., "--birth-year", help="Year of birth."),
    fitzpatrick: str = typer.Option(..., "--fitzpatrick", help="Fitzpatrick skin type I-VI."),
    history: list[str] = typer.Option([], "--history", help="Relevant history as key=value."),
    as_json: bool = JsonOption,
) -> None:
    """Register a new patient."""
    st = state(ctx)
    with st.transaction() as db:
        view = service.register_patient(
            db,
            code=code,
            birth_year=birth_year,
            fitzpatrick=fitzpatrick,
            history=dict(key_values(history, "history")),
        )
    print_json(view) if as_json else fields(
        f"Patient {view['code']} registered", view, PATIENT_KEYS
    )


@app.command("list")
def list_(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """List all patients."""
    with state(ctx).reading() as db:
        rows = service.list_patients(db)
    if as_json:
        print_json(rows)
        return
    table(
        f"{len(rows)} patients",
        ("code", "birth year", "skin type", "registered"),
        ((r["code"], r["birth_year"], r["fitzpatrick"], r["created_at"][:10]) for r in rows),
    )


@app.command("show")
def show(ctx: typer.Context, code: str, as_json: bool = JsonOption) -> None:
    """Show one patient (the reading is logged in the audit log)."""
    with state(ctx).transaction() as db:
        view = service.show_patient(db, code)
    print_json(view) if as_json else fields(f"Patient {view['code']}", view, PATIENT_KEYS)


@app.command("erase")
def erase(
    ctx: typer.Context,
    code: str = typer.Argument(..., help="Patient code."),
    reason: str = typer.Option(..., "--reason", help="Why (e.g. the patient's request of DATE)."),
    as_json: bool = JsonOption,
) -> None:
    """Erase a patient's photos (files too), free text and personal values; the reason is kept."""
    with state(ctx).transaction() as db:
        view = erasure.erase_patient(db, code, reason=reason)
    keys = ("patient", "photos_removed", "values_removed", "erased_by", "erased_at")
    print_json(view) if as_json else fields(f"Patient {code} erased", view, keys)
