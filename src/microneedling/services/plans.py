"""Make a treatment plan from a patient's assessments, behind the screening gate."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from microneedling import DISCLAIMER
from microneedling.core.clinical import Indication
from microneedling.core.errors import ValidationError
from microneedling.core.parsing import parse_enum
from microneedling.core.zones import FacialZone, parse_zone
from microneedling.protocol.knowledge import Knowledge
from microneedling.protocol.planning import DeviceRange, Grade, propose_plan
from microneedling.records import models
from microneedling.services.devices import device_by_model_or_id
from microneedling.services.lookups import by_id, patient_by_code
from microneedling.services.screenings import require_current_screening
from microneedling.services.views import plan_view


def latest_grades(
    session: Session, knowledge: Knowledge, patient: models.Patient, indication: Indication
) -> dict[FacialZone, Grade]:
    """Per zone, the newest investigator score on a planning scale for this indication."""
    rows = session.scalars(
        select(models.Assessment)
        .where(models.Assessment.patient_id == patient.id)
        .order_by(models.Assessment.assessed_at, models.Assessment.id)
    )
    grades: dict[FacialZone, Grade] = {}
    for row in rows:
        scale = knowledge.scales.get(row.scale)
        if scale is None or not scale.planning or indication not in scale.indications:
            continue
        if row.indication not in (None, indication.value) or row.rater_role != "investigator":
            continue
        grades[FacialZone(row.zone)] = Grade(scale=row.scale, score=row.score)
    return grades


def create_plan(
    session: Session,
    knowledge: Knowledge,
    *,
    patient_code: str,
    indication: str,
    clinician: str,
    zones: list[str] | None = None,
    device: str | None = None,
    sessions: int | None = None,
    interval_days: int | None = None,
    first_session: date | None = None,
) -> dict[str, Any]:
    """Plan a series: screening gate, per-zone depths with reasons, and the first session date.

    Without ``zones``, every zone assessed for the indication is planned.
    """
    patient = patient_by_code(session, patient_code)
    if not clinician.strip():
        raise ValidationError("clinician", "name the planning clinician")
    the_indication = parse_enum(Indication, indication, "indication")
    screening = require_current_screening(session, knowledge, patient)
    grades = latest_grades(session, knowledge, patient, the_indication)
    if zones:
        chosen = [parse_zone(z, "zones") for z in zones]
    else:
        chosen = sorted(grades, key=list(FacialZone).index)
        if not chosen:
            raise ValidationError(
                "zones",
                f"patient {patient.code} has no assessment for {the_indication}; "
                "grade the zones first or name them with --zone",
            )
    the_device = device_by_model_or_id(session, device) if device else None
    proposal = propose_plan(
        the_indication,
        chosen,
        grades,
        knowledge,
        device=DeviceRange(the_device.model, the_device.depth_min_mm, the_device.depth_max_mm)
        if the_device
        else None,
        sessions=sessions,
        interval_days=interval_days,
    )
    plan = models.TreatmentPlan(
        patient_id=patient.id,
        screening_id=screening.id,
        device_id=the_device.id if the_device else None,
        indication=the_indication.value,
        sessions_planned=proposal.sessions,
        interval_days=proposal.interval_days,
        rationale=[*proposal.rationale, DISCLAIMER],
        created_by=clinician,
    )
    session.add(plan)
    session.flush()
    for zone_plan in proposal.zones:
        session.add(
            models.PlanZone(
                plan_id=plan.id,
                zone=zone_plan.zone.value,
                depth_mm=zone_plan.depth_mm,
                range_min_mm=zone_plan.range_min_mm,
                range_max_mm=zone_plan.range_max_mm,
                rationale=zone_plan.rationale,
            )
        )
    session.add(
        models.TreatmentSession(
            plan_id=plan.id, number=1, scheduled_for=first_session or date.today()
        )
    )
    session.flush()
    session.refresh(plan)
    return plan_view(plan)


def show_plan(session: Session, plan_id: int) -> dict[str, Any]:
    return plan_view(by_id(session, models.TreatmentPlan, plan_id, "plan"))
