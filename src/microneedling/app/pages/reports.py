"""The patient report on the web: the HTML view and the PDF download, from the same service as
``microneedling report`` (the reading is logged as an export with the actor). It shows face
photos, so it is never a researcher's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import HTMLResponse, Response

from microneedling.app.clinic import Actor
from microneedling.app.deps import ClinicDep, require_role
from microneedling.app.permissions import NO_PHOTOS
from microneedling.services import reports as service

router = APIRouter()

PERMISSIONS = {
    "GET /patients/{code}/report": NO_PHOTOS,
    "GET /patients/{code}/report.pdf": NO_PHOTOS,
}

Staff = Annotated[Actor, Depends(require_role("clinician", "assistant"))]
Repeats = Annotated[int, Query(ge=0, le=20)]
NO_STORE = {"Cache-Control": "no-store"}


@router.get("/patients/{code}/report")
def report_html(
    request: Request, code: str, clinic: ClinicDep, actor: Staff, repeats: Repeats = 0
) -> Response:
    """The report as a page (the same HTML that the PDF is rendered from)."""
    with clinic.transaction(actor) as db:
        rendered = service.patient_report(db, clinic.knowledge, code, pdf=False, repeats=repeats)
    return HTMLResponse(rendered.html, headers=NO_STORE)


@router.get("/patients/{code}/report.pdf")
def report_pdf(code: str, clinic: ClinicDep, actor: Staff, repeats: Repeats = 0) -> Response:
    """The report as a PDF download."""
    with clinic.transaction(actor) as db:
        rendered = service.patient_report(db, clinic.knowledge, code, pdf=True, repeats=repeats)
    assert rendered.pdf is not None
    name = f"report-{rendered.patient}.pdf".replace('"', "")
    return Response(
        rendered.pdf,
        media_type="application/pdf",
        headers=NO_STORE | {"Content-Disposition": f'attachment; filename="{name}"'},
    )
