"""``microneedling consent``: the text in effect; record, withdraw and show a patient's consent.

On the command line a consent has the patient's typed name and no drawn signature (the web's
tablet page captures one).
"""

from __future__ import annotations

from typing import Any

import typer

from microneedling.cli.context import new_app, state
from microneedling.cli.output import JsonOption, fields, panel, print_json, table
from microneedling.core.errors import ValidationError
from microneedling.services import consent as service

app = new_app("Informed consent: the text in effect, record, withdraw, show.")

KIND_HELP = "treatment (needed before a session) or research_photos (optional)."


@app.command("text")
def text(
    kind: str = typer.Option("treatment", "--kind", help=KIND_HELP),
    as_json: bool = JsonOption,
) -> None:
    """Print the consent text now in effect (show it to the patient before recording)."""
    form = service.consent_form(kind)
    if as_json:
        print_json(form)
        return
    panel(form["text"], f"Version {form['version']} · SHA-256 {form['text_sha256'][:16]}…")
    table(
        "Statements (--statement ID, or --all-statements)",
        ("id", "required", "statement"),
        ((s["id"], "yes" if s["required"] else "no", s["text"]) for s in form["statements"]),
    )


@app.command("record")
def record(
    ctx: typer.Context,
    patient: str = typer.Argument(..., help="Patient code."),
    name: str = typer.Option(..., "--name", help="The patient's name, as they type it to sign."),
    statement: list[str] = typer.Option(
        [], "--statement", help="A ticked statement's id (repeat); see `consent text`."
    ),
    all_statements: bool = typer.Option(
        False, "--all-statements", help="The patient ticked every statement."
    ),
    kind: str = typer.Option("treatment", "--kind", help=KIND_HELP),
    version: str | None = typer.Option(
        None, "--version", help="The version shown (refused if another is now in effect)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Record the patient's consent to the text in effect, witnessed by the acting user."""
    form = service.consent_form(kind)
    if all_statements and statement:
        raise ValidationError("statements", "give either --statement or --all-statements")
    ticked = [s["id"] for s in form["statements"]] if all_statements else list(statement)
    with state(ctx).transaction() as db:
        view = service.record_consent(
            db,
            patient_code=patient,
            kind=kind,
            statements=ticked,
            signer_name=name,
            text_version=version,
        )
    keys = ("id", "patient", "kind_label", "text_version", "text_sha256", "witnessed_by")
    print_json(view) if as_json else fields("Consent recorded", view, keys)


@app.command("withdraw")
def withdraw(
    ctx: typer.Context,
    consent_id: int = typer.Argument(..., help="Consent id (see `consent show`)."),
    reason: str = typer.Option(..., "--reason", help="Why (e.g. the patient's request)."),
    as_json: bool = JsonOption,
) -> None:
    """Withdraw a consent (recorded, never deleted); no session starts without a new one."""
    with state(ctx).transaction() as db:
        view = service.withdraw_consent(db, consent_id=consent_id, reason=reason)
    keys = ("id", "patient", "kind_label", "withdrawn_at", "withdrawn_by")
    print_json(view) if as_json else fields("Consent withdrawn", view, keys)


def _records(view: dict[str, Any]) -> None:
    table(
        f"Consents of {view['patient']}",
        ("id", "kind", "version", "signed UTC", "witness", "withdrawn UTC"),
        (
            (
                r["id"],
                r["kind_label"],
                r["text_version"],
                r["signed_at"][:16],
                r["witnessed_by"],
                (r["withdrawn_at"] or "")[:16],
            )
            for r in view["records"]
        ),
    )


@app.command("show")
def show(
    ctx: typer.Context,
    patient: str = typer.Argument(..., help="Patient code."),
    as_json: bool = JsonOption,
) -> None:
    """The patient's consent status (given, none, withdrawn, outdated) and every consent."""
    with state(ctx).reading() as db:
        view = service.consent_status(db, patient)
    if as_json:
        print_json(view)
        return
    table(
        f"Consent status of {view['patient']}",
        ("consent", "state", "in effect", "why"),
        (
            (kind.replace("_", " "), s["state"], s["current_version"], s["reason"])
            for kind, s in view["status"].items()
        ),
    )
    _records(view)
