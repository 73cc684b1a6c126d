"""``microneedling patients``: register, list and show patients."""

from __future__ import annotations

import typer

from microneedling.cli.context import new_app, state
from microneedling.cli.listing import listing, print_json_rows
from microneedling.cli.output import JsonOption, fields, message, print_json
from microneedling.cli.parsing import key_values
from microneedling.services import erasure
from microneedling.services import patients as service
from microneedling.services.paging import Page

app = new_app("Register, list and show patients (pseudonymous codes only).")

LIST_KEYS = ("code", "birth_year", "fitzpatrick", "created_at")
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
def list_(
    ctx: typer.Context,
    limit: int = typer.Option(100, "--limit", help="Patients per page (1-10,000)."),
    offset: int = typer.Option(0, "--offset", help="Skip this many patients (by code)."),
    as_json: bool = JsonOption,
) -> None:
    """List patients by code, a page at a time (--limit, --offset); --json prints the page."""
    page = Page(limit, offset)
    with state(ctx).reading() as db:
        rows = service.list_patients(db, page, None if as_json else LIST_KEYS)
        total = None if as_json else service.count_patients(db)
    if as_json:
        print_json_rows(rows)
        return
    assert total is not None
    listing(
        f"Patients: {page.describe(len(rows), total)}",
        ("code", "birth year", "skin type", "registered"),
        ((r["code"], r["birth_year"], r["fitzpatrick"], r["created_at"][:10]) for r in rows),
    )
    if page.has_more(len(rows), total):
        message(f"  next page: --offset {offset + len(rows)}")


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
