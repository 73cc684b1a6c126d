"""The session runner: preparation → treatment → post-treatment → the aftercare sheet.

Each step is one form posting to one ``services.sessions`` function, as ``microneedling session``
calls them: the numbing dwell timer (the product's stated dwell from ``anaesthetics.yaml``), each
treated zone entered on the face diagram (depth, passes, pattern, endpoint, cartridge lot), the
protocol's warnings as they were recorded, and the aftercare sheet with a print stylesheet.
Assistants record preparation and post-treatment; only clinicians treat zones and finish.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from microneedling.app.api.common import research_gate
from microneedling.app.clinic import Actor
from microneedling.app.deps import ClinicDep, CurrentAccount, require_role
from microneedling.app.pages.plans import diagram
from microneedling.app.permissions import CLINICAL, READ, STAFF
from microneedling.app.rendering import render
from microneedling.core.clinical import ClinicalEndpoint, Pattern, Phase
from microneedling.core.errors import ValidationError
from microneedling.core.parsing import (
    MAX_ID,
    parse_datetime,
    parse_depth_mm,
    parse_float,
    parse_int,
    utcnow,
)
from microneedling.protocol.phases import MAX_PASSES
from microneedling.records import models
from microneedling.reports.face_diagram import ZoneValue, face_diagram_svg, session_diagram
from microneedling.services import sessions as service
from microneedling.services.lookups import by_id

router = APIRouter()

PERMISSIONS = {
    "POST /plans/{plan_id}/sessions": STAFF,
    "GET /sessions/{session_id}": READ,
    "POST /sessions/{session_id}/preparation": STAFF,
    "POST /sessions/{session_id}/zones": CLINICAL,
    "POST /sessions/{session_id}/post": STAFF,
    "POST /sessions/{session_id}/finish": CLINICAL,
    "GET /sessions/{session_id}/aftercare": STAFF,
}

Staff = Annotated[Actor, Depends(require_role("clinician", "assistant"))]
Clinician = Annotated[Actor, Depends(require_role("clinician"))]
SessionId = Annotated[int, Path(ge=1, le=MAX_ID)]
STEPS = (Phase.PREPARATION, Phase.TREATMENT, Phase.POST_TREATMENT, Phase.COMPLETED)


def _back(session_id: int, anchor: str = "") -> Response:
    return RedirectResponse(f"/sessions/{session_id}{anchor}", status_code=303)


@router.post("/plans/{plan_id}/sessions")
def start(
    request: Request,
    plan_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    clinic: ClinicDep,
    actor: Staff,
) -> Response:
    with clinic.transaction(actor) as db:
        view = service.start_session(
            db, clinic.knowledge, plan_id=plan_id, clinician=actor.username
        )
    return _back(int(view["id"]))


def _lots(db: Any, device_id: int | None) -> list[dict[str, Any]]:
    """The in-date cartridge lots of the plan's device, for the lot picker."""
    if device_id is None:
        return []
    rows = db.scalars(
        select(models.Cartridge)
        .where(models.Cartridge.device_id == device_id, models.Cartridge.expiry >= date.today())
        .order_by(models.Cartridge.id)
    )
    return [{"lot": c.lot, "expiry": c.expiry.isoformat()} for c in rows]


@router.get("/sessions/{session_id}")
def session_page(
    request: Request, session_id: SessionId, clinic: ClinicDep, actor: CurrentAccount
) -> Response:
    with clinic.reading() as db:
        view = service.show_session(db, session_id)
        row = by_id(db, models.TreatmentSession, session_id, "session")
        research_gate(db, actor, plan_id=row.plan_id)
        plan = row.plan
        planned: list[dict[str, Any]] = [
            {"zone": z.zone, "depth_mm": z.depth_mm} for z in plan.zones
        ]
        lots = _lots(db, plan.device_id)
        device = plan.device.model if plan.device else None
        plan_id = plan.id
    done = {z["zone"] for z in view["zone_treatments"]}
    values: dict[str, ZoneValue] = {
        z["zone"]: ZoneValue(float(z["depth_mm"]), "planned") for z in planned
    }
    for z in view["zone_treatments"]:
        values[z["zone"]] = ZoneValue(
            float(z["depth_mm"]), f"done: {z['passes']} passes, lot {z['cartridge_lot']}"
        )
    phase = Phase(view["phase"])
    runner_svg = face_diagram_svg(
        values,
        title=f"Session {session_id}: planned depth per zone",
        value_label="Depth",
        id_prefix="runner-zone-",
    )
    warnings = [w for p in view["phases"] for w in p.get("warnings", [])]
    return render(
        request,
        "session.html",
        {
            "title": f"Session {session_id}",
            "session": view,
            "plan_id": plan_id,
            "phase": phase.value,
            "steps": [s.value for s in STEPS],
            "step_index": STEPS.index(phase) if phase in STEPS else -1,
            "planned": [z for z in planned if z["zone"] not in done],
            "device": device,
            "lots": lots,
            "anaesthetics": clinic.knowledge.anaesthetics,
            "patterns": [p.value for p in Pattern],
            "endpoints": [e.value for e in ClinicalEndpoint],
            "max_passes": MAX_PASSES,
            "warnings": warnings,
            "runner_diagram": diagram(runner_svg),
            "done_diagram": diagram(session_diagram(view)),
        },
    )


@router.post("/sessions/{session_id}/preparation")
def preparation(
    request: Request,
    session_id: SessionId,
    clinic: ClinicDep,
    actor: Staff,
    cleansed: Annotated[str, Form(max_length=10)] = "",
    numbing_product: Annotated[str, Form(max_length=64)] = "",
    applied_at: Annotated[str, Form(max_length=40)] = "",
    dwell_minutes: Annotated[str, Form(max_length=20)] = "",
    anaesthetic_area: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    applied = removed = None
    if numbing_product:
        removed = utcnow()
        if applied_at:
            applied = parse_datetime(applied_at, "applied_at")
        elif dwell_minutes:
            minutes = parse_float(dwell_minutes, "dwell_minutes")
            if not 0 < minutes <= 24 * 60:
                raise ValidationError("dwell_minutes", f"{minutes:g} is not 0-1440 minutes")
            applied = removed - timedelta(minutes=minutes)
        else:
            raise ValidationError("applied_at", "start the timer or give the minutes it was on")
    with clinic.transaction(actor) as db:
        service.record_preparation(
            db,
            clinic.knowledge,
            session_id=session_id,
            cleansed=cleansed == "yes",
            numbing_product=numbing_product or None,
            applied_at=applied,
            removed_at=removed,
            anaesthetic_area=anaesthetic_area or None,
        )
    return _back(session_id)


@router.post("/sessions/{session_id}/zones")
def record_zone(
    request: Request,
    session_id: SessionId,
    clinic: ClinicDep,
    actor: Clinician,
    zone: Annotated[str, Form(max_length=64)] = "",
    depth_mm: Annotated[str, Form(max_length=20)] = "",
    passes: Annotated[str, Form(max_length=10)] = "",
    pattern: Annotated[str, Form(max_length=32)] = "",
    endpoint: Annotated[str, Form(max_length=32)] = "",
    cartridge_lot: Annotated[str, Form(max_length=64)] = "",
    deviation_reason: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    with clinic.transaction(actor) as db:
        service.record_zone(
            db,
            session_id=session_id,
            zone=zone,
            depth_mm=parse_depth_mm(depth_mm, "depth_mm"),
            passes=parse_int(passes, "passes", low=1, high=MAX_PASSES),
            pattern=pattern,
            endpoint=endpoint,
            cartridge_lot=cartridge_lot,
            deviation_reason=deviation_reason or None,
        )
    return _back(session_id, "#treatment")


@router.post("/sessions/{session_id}/post")
def post_treatment(
    request: Request,
    session_id: SessionId,
    clinic: ClinicDep,
    actor: Staff,
    product: Annotated[str, Form(max_length=200)] = "",
    sterile: Annotated[str, Form(max_length=10)] = "",
    immediate_reaction: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    if not product.strip():
        raise ValidationError("product", "name the serum or mask applied")
    with clinic.transaction(actor) as db:
        service.record_post_treatment(
            db,
            session_id=session_id,
            product=product,
            sterile=sterile == "yes",
            immediate_reaction=immediate_reaction or None,
        )
    return _back(session_id)


@router.post("/sessions/{session_id}/finish")
def finish(
    request: Request, session_id: SessionId, clinic: ClinicDep, actor: Clinician
) -> Response:
    with clinic.transaction(actor) as db:
        service.finish_session(db, clinic.knowledge, session_id=session_id)
    return RedirectResponse(f"/sessions/{session_id}/aftercare", status_code=303)


@router.get("/sessions/{session_id}/aftercare")
def aftercare(request: Request, session_id: SessionId, clinic: ClinicDep, actor: Staff) -> Response:
    with clinic.reading() as db:
        sheet = service.aftercare_for_session(db, clinic.knowledge, session_id)
    return render(
        request,
        "session_aftercare.html",
        {"title": f"Aftercare · session {session_id}", "sheet": sheet, "session_id": session_id},
    )
