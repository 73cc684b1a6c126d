"""The healing diary: the patient's own page behind a personal link (no log-in; the token opens
that one diary and nothing else), and the clinician's view of a session's diary beside the
predicted redness, with its links and the follow-up flags.

The patient's form needs no CSRF token: the unguessable token in its address is the credential a
forged cross-site request would lack.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from starlette.responses import RedirectResponse, Response

from microneedling.app.clinic import Actor
from microneedling.app.deps import ClinicDep, require_role
from microneedling.app.permissions import CLINICAL, PUBLIC, STAFF
from microneedling.app.rendering import NavItem, render
from microneedling.core.parsing import MAX_ID, parse_int
from microneedling.reports.patient_report import data_uri, redness_chart
from microneedling.services import diary as service
from microneedling.services import photo_jobs

router = APIRouter()

PERMISSIONS = {
    "GET /diary/{token}": PUBLIC,
    "POST /diary/{token}": PUBLIC,
    "GET /sessions/{session_id}/diary": STAFF,
    "POST /sessions/{session_id}/diary/links": STAFF,
    "POST /diary-links/{link_id}/revoke": STAFF,
    "GET /flags": STAFF,
    "POST /flags/{flag_id}/ack": CLINICAL,
}
NAV = [NavItem("Follow-up", "/flags", STAFF, order=40)]

Staff = Annotated[Actor, Depends(require_role("clinician", "assistant"))]
Clinician = Annotated[Actor, Depends(require_role("clinician"))]
Token = Annotated[str, Path(max_length=128)]
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
DIARY_ACTOR = "patient (diary link)"
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


def _refused(request: Request, exc: service.DiaryLinkRefusedError) -> Response:
    return render(
        request,
        "diary_refused.html",
        {"title": "Healing diary", "message": str(exc)},
        status_code=404,
        headers=NO_STORE,
    )


@router.get("/diary/{token}")
def patient_diary(request: Request, token: Token, clinic: ClinicDep) -> Response:
    """The patient's diary: today's form (once a day) and what they entered so far."""
    try:
        with clinic.reading() as db:
            view = service.patient_diary(db, token)
    except service.DiaryLinkRefusedError as exc:
        return _refused(request, exc)
    return render(
        request,
        "diary.html",
        {
            "title": "Your healing diary",
            "diary": view,
            "token": token,
            "saved": request.query_params.get("saved") == "1",
            "max_mb": photo_jobs.MAX_UPLOAD_BYTES // 1_000_000,
        },
        headers=NO_STORE,
    )


@router.post("/diary/{token}")
async def patient_entry(
    request: Request,
    token: Token,
    clinic: ClinicDep,
    redness: Annotated[str, Form(max_length=4)] = "",
    pain: Annotated[str, Form(max_length=4)] = "",
    swelling: Annotated[str, Form(max_length=4)] = "",
    signs: Annotated[list[str] | None, Form(max_length=32)] = None,
    photo: Annotated[UploadFile | None, File()] = None,
) -> Response:
    """Today's entry; a photo, if sent, is analysed off the request path and linked to it."""
    data = await photo.read(photo_jobs.MAX_UPLOAD_BYTES + 1) if photo is not None else b""
    return _save(request, clinic, token, redness, pain, swelling, list(signs or [])[:32], data)


def _save(
    request: Request,
    clinic: Any,
    token: str,
    redness: str,
    pain: str,
    swelling: str,
    signs: list[str],
    data: bytes,
) -> Response:
    scores = {
        name: parse_int(value, name, low=0, high=10)
        for name, value in (("redness", redness), ("pain", pain), ("swelling", swelling))
    }
    if data:
        photo_jobs.check_upload(data)  # refused before anything is stored
    try:
        with clinic.transaction(DIARY_ACTOR) as db:
            entry = service.add_entry(
                db,
                token=token,
                redness=scores["redness"],
                pain=scores["pain"],
                swelling=scores["swelling"],
                signs=signs,
            )
            session_id = service.resolve_token(db, token).session_id
    except service.DiaryLinkRefusedError as exc:
        return _refused(request, exc)
    if data:
        work = partial(
            service.attach_photo,
            clinic.database,
            DIARY_ACTOR,
            session_id=session_id,
            day=entry["day"],
            data=data,
        )
        clinic.jobs.submit(
            "diary-photo",
            lambda progress: work(progress=progress),
            actor=DIARY_ACTOR,
            params={"session": session_id, "day": entry["day"]},
        )
    return RedirectResponse(f"/diary/{token}?saved=1", status_code=303, headers=NO_STORE)


def _session_page(
    request: Request, clinic: Any, session_id: int, new_link: dict[str, Any] | None = None
) -> Response:
    with clinic.reading() as db:
        view = service.diary_view(db, session_id)
    chart = (
        data_uri(redness_chart(view), "image/png") if view["entries"] or view["predicted"] else None
    )
    link_url = None
    if new_link is not None:
        link_url = str(request.base_url).rstrip("/") + new_link["path"]
    return render(
        request,
        "diary_session.html",
        {
            "title": f"Healing diary · session {view['session_id']}",
            "view": view,
            "chart": chart,
            "new_link": new_link,
            "link_url": link_url,
        },
        headers=NO_STORE,
    )


@router.get("/sessions/{session_id}/diary")
def session_diary(request: Request, session_id: RowId, clinic: ClinicDep, actor: Staff) -> Response:
    return _session_page(request, clinic, session_id)


@router.post("/sessions/{session_id}/diary/links")
def issue_link(request: Request, session_id: RowId, clinic: ClinicDep, actor: Staff) -> Response:
    """A new link, shown on this page once (its token is not stored)."""
    with clinic.transaction(actor) as db:
        link = service.issue_link(db, session_id=session_id)
    return _session_page(request, clinic, session_id, new_link=link)


@router.post("/diary-links/{link_id}/revoke")
def revoke_link(request: Request, link_id: RowId, clinic: ClinicDep, actor: Staff) -> Response:
    with clinic.transaction(actor) as db:
        view = service.revoke_link(db, link_id=link_id)
    return RedirectResponse(f"/sessions/{view['session_id']}/diary", status_code=303)


@router.get("/flags")
def flags(request: Request, clinic: ClinicDep, actor: Staff) -> Response:
    with clinic.reading() as db:
        rows = service.list_flags(db)
    return render(request, "flags.html", {"title": "Follow-up", "flags": rows})


@router.post("/flags/{flag_id}/ack")
def acknowledge(request: Request, flag_id: RowId, clinic: ClinicDep, actor: Clinician) -> Response:
    with clinic.transaction(actor) as db:
        view = service.acknowledge_flag(db, flag_id=flag_id, by=actor.username)
    back = f"/sessions/{view['session_id']}/diary" if view["session_id"] else "/flags"
    return RedirectResponse(back, status_code=303)
