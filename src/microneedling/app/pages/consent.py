"""Informed consent on the tablet: the text in effect, the statements to tick, the patient's
typed name and a signature drawn on a canvas (sent as a PNG data URL with the form, drawn by
``static/signature.js``), witnessed by the logged-in clinician; a consent's withdrawal."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from starlette.responses import RedirectResponse, Response

from microneedling.app.clinic import Actor
from microneedling.app.deps import ClinicDep, require_role
from microneedling.app.permissions import CLINICAL
from microneedling.app.rendering import render
from microneedling.core.parsing import MAX_ID
from microneedling.services import consent as service

router = APIRouter()

PERMISSIONS = {
    "GET /patients/{code}/consent": CLINICAL,
    "POST /patients/{code}/consent": CLINICAL,
    "POST /consents/{consent_id}/withdraw": CLINICAL,
    "GET /consents/{consent_id}/signature": CLINICAL,
}

Clinician = Annotated[Actor, Depends(require_role("clinician"))]
ConsentId = Annotated[int, Path(ge=1, le=MAX_ID)]
# a drawn signature as a data URL: base64 of at most service.SIGNATURE_MAX_BYTES, and its prefix
SIGNATURE_MAX_CHARS = service.SIGNATURE_MAX_BYTES * 4 // 3 + 64


def _page(
    request: Request, clinic: ClinicDep, code: str, kind: str, status_code: int = 200
) -> Response:
    form = service.consent_form(kind)
    with clinic.reading() as db:
        status = service.consent_status(db, code)
    return render(
        request,
        "consent.html",
        {
            "title": f"Consent · {status['patient']}",
            "code": status["patient"],
            "form": form,
            "status": status,
            "kinds": ("treatment", "research_photos"),
        },
        status_code=status_code,
    )


@router.get("/patients/{code}/consent")
def consent_page(
    request: Request,
    code: str,
    clinic: ClinicDep,
    actor: Clinician,
    kind: Annotated[str, Query(max_length=32)] = "treatment",
) -> Response:
    return _page(request, clinic, code, kind)


@router.post("/patients/{code}/consent")
def record_consent(
    request: Request,
    code: str,
    clinic: ClinicDep,
    actor: Clinician,
    kind: Annotated[str, Form(max_length=32)] = "treatment",
    text_version: Annotated[str, Form(max_length=32)] = "",
    text_sha256: Annotated[str, Form(max_length=64)] = "",
    statements: Annotated[list[str] | None, Form(max_length=64)] = None,
    signer_name: Annotated[str, Form(max_length=service.NAME_MAX_CHARS)] = "",
    signature: Annotated[str, Form(max_length=SIGNATURE_MAX_CHARS)] = "",
) -> Response:
    """Record the consent to the text that was shown (its version and hash come with the form)."""
    with clinic.transaction(actor) as db:
        view = service.record_consent(
            db,
            patient_code=code,
            kind=kind,
            statements=list(statements or [])[:64],
            signer_name=signer_name,
            signature=signature or None,
            text_version=text_version or None,
            shown_sha256=text_sha256 or None,
            witnessed_by=actor.username,
        )
    return RedirectResponse(
        f"/patients/{view['patient']}/consent?kind={view['kind']}#consent-{view['id']}",
        status_code=303,
    )


@router.post("/consents/{consent_id}/withdraw")
def withdraw(
    request: Request,
    consent_id: ConsentId,
    clinic: ClinicDep,
    actor: Clinician,
    reason: Annotated[str, Form(max_length=service.REASON_MAX_CHARS)] = "",
) -> Response:
    with clinic.transaction(actor) as db:
        view = service.withdraw_consent(
            db, consent_id=consent_id, reason=reason, withdrawn_by=actor.username
        )
    return RedirectResponse(f"/patients/{view['patient']}/consent", status_code=303)


@router.get("/consents/{consent_id}/signature")
def signature(consent_id: ConsentId, clinic: ClinicDep, actor: Clinician) -> Response:
    """The drawn signature (PNG); 404 when none was drawn or it was erased."""
    with clinic.reading() as db:
        png = service.signature_png(db, consent_id)
    if png is None:
        from microneedling.core.errors import NotFoundError

        raise NotFoundError("signature of consent", consent_id)
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})
