"""``microneedling report PATIENT --pdf out.pdf [--html out.html]``: the patient's report."""

from __future__ import annotations

from pathlib import Path

import typer

from microneedling.cli.context import state
from microneedling.cli.output import message
from microneedling.core.errors import ValidationError
from microneedling.core.files import optional_output
from microneedling.services import reports

HTML_SUFFIXES = (".html", ".htm")


def report(
    ctx: typer.Context,
    patient: str = typer.Argument(..., help="Patient code."),
    pdf: Path | None = typer.Option(None, "--pdf", help="Write the report as PDF here."),
    html: Path | None = typer.Option(None, "--html", help="Write the report as HTML here."),
    repeats: int = typer.Option(
        0,
        "--repeats",
        help="Repeatability runs for the before/after changes (0, or 2-20; more is slower).",
    ),
    force: bool = typer.Option(False, "--force", help="Replace the output files if they exist."),
) -> None:
    """Write the patient's report (plan, sessions, photos, changes, diary, aftercare)."""
    if pdf is None and html is None:
        raise ValidationError("pdf", "give --pdf and/or --html: where to write the report")
    if pdf is not None and html is not None and pdf.resolve() == html.resolve():
        raise ValidationError("html", "the PDF and the HTML need different files")
    st = state(ctx)
    # the files are written (to temporary names) before the report's audit entry is committed
    # and renamed into place after: all happen, or none
    with (
        optional_output(pdf, "pdf", force=force, suffixes=(".pdf",)) as pdf_out,
        optional_output(html, "html", force=force, suffixes=HTML_SUFFIXES) as html_out,
        st.transaction() as db,
    ):
        rendered = reports.patient_report(
            db, st.knowledge, patient, pdf=pdf is not None, repeats=repeats
        )
        if pdf_out is not None and rendered.pdf is not None:
            pdf_out.write_bytes(rendered.pdf)
        if html_out is not None:
            html_out.write_text(rendered.html)
    written = ", ".join(str(p) for p in (pdf, html) if p is not None)
    message(f"Report of {rendered.patient} written to {written}.")
