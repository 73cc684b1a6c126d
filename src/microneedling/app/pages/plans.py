"""The plan editor on the face diagram: make a plan, open a zone, change its depth.

Each zone of the diagram is coloured by its planned depth; a click (or Enter) on a zone opens its
depth with the protocol's reasons and limits (``services.plan_zones``), and a clinician may set
another depth there. The plan is made by ``services.plans.create_plan``, as ``microneedling plan
create`` makes it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Path, Request
from markupsafe import Markup
from starlette.responses import RedirectResponse, Response

from microneedling.app.api.common import research_gate
from microneedling.app.clinic import Actor
from microneedling.app.deps import ClinicDep, CurrentAccount, require_role
from microneedling.app.permissions import CLINICAL, READ
from microneedling.app.rendering import render
from microneedling.core.clinical import ClinicalEndpoint, Indication, Pattern
from microneedling.core.parsing import MAX_ID, parse_date, parse_depth_mm, parse_int
from microneedling.core.zones import FacialZone, parse_zone
from microneedling.reports.face_diagram import plan_diagram, session_diagram
from microneedling.services import devices as device_service
from microneedling.services import plan_zones
from microneedling.services import plans as plan_service
from microneedling.services import sessions as session_service
from microneedling.services.lookups import patient_by_code

router = APIRouter()

PERMISSIONS = {
    "GET /patients/{code}/plans/new": CLINICAL,
    "POST /patients/{code}/plans": CLINICAL,
    "GET /plans/{plan_id}": READ,
    "POST /plans/{plan_id}/zones/{zone}": CLINICAL,
}

Clinician = Annotated[Actor, Depends(require_role("clinician"))]
PlanId = Annotated[int, Path(ge=1, le=MAX_ID)]


def diagram(svg: str) -> Markup:
    """Our own SVG (``reports.face_diagram`` escapes every text in it) for a template."""
    return Markup(svg)  # built and escaped by face_diagram; never stored text as markup


@router.get("/patients/{code}/plans/new")
def new_plan_form(request: Request, code: str, clinic: ClinicDep, actor: Clinician) -> Response:
    with clinic.reading() as db:
        the_code = patient_by_code(db, code).code
        devices = device_service.list_devices(db)
    empty = diagram(plan_diagram({"id": "new", "zones": []}))
    return render(
        request,
        "plan_new.html",
        {
            "title": f"New plan · {the_code}",
            "code": the_code,
            "devices": devices,
            "indications": [i.value for i in Indication],
            "zones": [z.value for z in FacialZone],
            "diagram": empty,
        },
    )


@router.post("/patients/{code}/plans")
def create_plan(
    request: Request,
    code: str,
    clinic: ClinicDep,
    actor: Clinician,
    indication: Annotated[str, Form(max_length=64)] = "",
    device: Annotated[str, Form(max_length=200)] = "",
    zones: Annotated[list[str] | None, Form(max_length=64)] = None,
    sessions: Annotated[str, Form(max_length=20)] = "",
    interval_days: Annotated[str, Form(max_length=20)] = "",
    first_session: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    chosen = [parse_zone(z, "zones").value for z in (zones or [])[: len(FacialZone) + 1]]
    with clinic.transaction(actor) as db:
        view = plan_service.create_plan(
            db,
            clinic.knowledge,
            patient_code=code,
            indication=indication,
            clinician=actor.username,
            zones=chosen or None,
            device=device or None,
            sessions=parse_int(sessions, "sessions", low=1, high=12) if sessions else None,
            interval_days=parse_int(interval_days, "interval_days", low=1, high=365)
            if interval_days
            else None,
            first_session=parse_date(first_session, "first_session") if first_session else None,
        )
    return RedirectResponse(f"/plans/{view['id']}", status_code=303)


def plan_context(clinic: Any, plan_id: int, selected: str | None = None) -> dict[str, Any]:
    with clinic.reading() as db:
        view = plan_zones.plan_details(db, clinic.knowledge, plan_id)
    started = [s for s in view["sessions"] if s["phase"] != "scheduled"]
    return {
        "title": f"Plan {plan_id}",
        "plan": view,
        "diagram": diagram(plan_diagram(view, selected=selected)),
        "editable": not started,
        "patterns": [p.value for p in Pattern],
        "endpoints": [e.value for e in ClinicalEndpoint],
        "selected": selected,
    }


@router.get("/plans/{plan_id}")
def plan_page(
    request: Request, plan_id: PlanId, clinic: ClinicDep, actor: CurrentAccount
) -> Response:
    with clinic.reading() as db:
        research_gate(db, actor, plan_id=plan_id)
    context = plan_context(clinic, plan_id)
    with clinic.reading() as db:
        done = [s for s in context["plan"]["sessions"] if s["phase"] not in ("scheduled",)]
        context["done"] = [
            {
                "session": s,
                "diagram": diagram(session_diagram(session_service.show_session(db, s["id"]))),
            }
            for s in done
        ]
    return render(request, "plan.html", context)


@router.post("/plans/{plan_id}/zones/{zone}")
def set_zone_depth(
    request: Request,
    plan_id: PlanId,
    zone: Annotated[str, Path(max_length=64)],
    clinic: ClinicDep,
    actor: Clinician,
    depth_mm: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    with clinic.transaction(actor) as db:
        plan_zones.set_zone_depth(
            db,
            clinic.knowledge,
            plan_id=plan_id,
            zone=zone,
            depth_mm=parse_depth_mm(depth_mm, "depth_mm"),
            clinician=actor.username,
            reason=reason or None,
        )
    key = parse_zone(zone).value
    return RedirectResponse(f"/plans/{plan_id}#zone-detail-{key}", status_code=303)
