"""Record-wide commands: aftercare, adverse events, export, import and the audit log."""

from __future__ import annotations

from pathlib import Path

import typer

from microneedling.cli.context import state
from microneedling.cli.listing import listing, print_json_rows
from microneedling.cli.output import JsonOption, fields, message, panel, print_json
from microneedling.core.files import optional_output
from microneedling.core.parsing import parse_date, utcnow
from microneedling.protocol.aftercare import aftercare_sheet
from microneedling.services import adverse_events, export, importer, sessions
from microneedling.services.paging import Page


def aftercare(
    ctx: typer.Context,
    session_id: int | None = typer.Option(None, "--session", help="A completed session."),
    as_json: bool = JsonOption,
) -> None:
    """Print the patient aftercare sheet (of a session, or the clinic's general sheet)."""
    st = state(ctx)
    if session_id is None:
        text = aftercare_sheet(
            st.knowledge, patient_code="-", session_date=utcnow().date(), next_session=None
        ).as_text()
    else:
        with st.reading() as db:
            text = sessions.aftercare_for_session(db, st.knowledge, session_id)["aftercare"]
    print_json({"aftercare": text}) if as_json else panel(text, "Aftercare sheet")


def adverse_event(
    ctx: typer.Context,
    patient: str = typer.Argument(..., help="Patient code."),
    kind: str = typer.Option(..., "--kind", help="e.g. prolonged_erythema, infection, PIH."),
    severity: str = typer.Option(..., "--severity", help="mild, moderate or severe."),
    onset: str = typer.Option(..., "--onset", help="Onset date, YYYY-MM-DD."),
    description: str = typer.Option(..., "--description", help="What happened."),
    reported_by: str = typer.Option(..., "--reported-by", help="Who reports it."),
    session_id: int | None = typer.Option(None, "--session", help="Related session id."),
    as_json: bool = JsonOption,
) -> None:
    """Report an adverse event."""
    with state(ctx).transaction() as db:
        view = adverse_events.report_adverse_event(
            db,
            patient_code=patient,
            kind=kind,
            severity=severity,
            onset=parse_date(onset, "onset"),
            description=description,
            reported_by=reported_by,
            session_id=session_id,
        )
    keys = ("id", "patient", "session_id", "kind", "severity", "onset", "description")
    print_json(view) if as_json else fields("Adverse event recorded", view, keys)


def export_record(
    ctx: typer.Context,
    patient: str = typer.Argument(..., help="Patient code."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file."),
    force: bool = typer.Option(False, "--force", help="Replace the --output file if it exists."),
) -> None:
    """Export a patient's whole record as JSON (the export is logged in the audit log).

    With ``-o`` the file is written (to a temporary name) before the export's audit entry is
    committed and renamed into place after: both happen, or neither.
    """
    import json

    with (
        optional_output(output, "output", force=force) as out,  # renamed in after the commit
        state(ctx).transaction() as db,
    ):
        document = export.export_patient(db, patient)
        text = json.dumps(document, indent=2, ensure_ascii=False)
        if out is not None:
            out.write_text(text + "\n")
    if output is None:
        typer.echo(text)
    else:
        message(f"wrote {output}")


def import_file(
    ctx: typer.Context,
    path: Path = typer.Argument(..., help="Clinic file (YAML or JSON): devices and patients."),
    as_json: bool = JsonOption,
) -> None:
    """Import devices, cartridges, patients and assessments; all or nothing."""
    st = state(ctx)
    clinic = importer.read_clinic_file(path)
    with st.transaction() as db:
        counts = importer.import_clinic(db, st.knowledge, clinic)
    print_json(counts) if as_json else message(
        "imported " + ", ".join(f"{n} {what}" for what, n in counts.items())
    )


AUDIT_KEYS = ("id", "at", "actor", "action", "entity", "entity_id")


def audit(
    ctx: typer.Context,
    limit: int = typer.Option(20, "--limit", help="Newest N entries (1-10,000)."),
    offset: int = typer.Option(0, "--offset", help="Skip the newest N entries (older pages)."),
    as_json: bool = JsonOption,
) -> None:
    """Show the append-only audit log, newest first, a page at a time (--limit, --offset)."""
    if ctx.invoked_subcommand is not None:
        return
    page = Page(limit, offset)
    with state(ctx).reading() as db:
        rows = export.audit_trail(
            db, limit=page.limit, offset=page.offset, fields=None if as_json else AUDIT_KEYS
        )
        total = None if as_json else export.count_audit(db)
    if as_json:
        print_json_rows(rows)
        return
    assert total is not None
    listing(
        f"Audit log, newest first: {page.describe(len(rows), total)}",
        ("id", "at", "actor", "action", "entity", "entity id"),
        (
            (r["id"], r["at"][:19], r["actor"], r["action"], r["entity"], r["entity_id"])
            for r in rows
        ),
    )
    if page.has_more(len(rows), total):
        message(f"  older entries: --offset {offset + len(rows)}")
