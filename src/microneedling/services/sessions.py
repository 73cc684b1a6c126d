"""Record a treatment session through its phases: preparation, treatment, post-treatment."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from microneedling.core.clinical import ClinicalEndpoint, Pattern, Phase
from microneedling.core.errors import ValidationError
from microneedling.core.parsing import parse_enum, utcnow
from microneedling.core.zones import parse_zone
from microneedling.protocol.aftercare import aftercare_sheet
from microneedling.protocol.knowledge import Knowledge
from microneedling.protocol.phases import (
    PostTreatment,
    Preparation,
    ZoneTreatment,
    check_post_treatment,
    check_preparation,
    check_zone_treatment,
    next_phase,
    require_phase,
)
from microneedling.records import models
from microneedling.services.consent import require_treatment_consent
from microneedling.services.devices import device_by_model_or_id
from microneedling.services.lookups import by_id
from microneedling.services.screenings import require_current_screening
from microneedling.services.views import plain, session_view


def _phase_record(session_row: models.TreatmentSession, phase: Phase) -> models.PhaseRecord:
    for record in session_row.phases:
        if record.phase == phase.value:
            return record
    raise ValidationError("phase", f"session {session_row.id} has no record of phase {phase}")


def _advance(
    db: Session,
    row: models.TreatmentSession,
    *,
    data: dict[str, Any] | None = None,
    warnings: list[str] | None = None,
) -> None:
    """Close the current phase (with its data) and open the next one."""
    now = utcnow()
    current = Phase(row.phase)
    if current is not Phase.SCHEDULED:
        record = _phase_record(row, current)
        record.ended_at = now
        if data:
            record.data = {**record.data, **plain(data)}
        if warnings:
            record.warnings = [*record.warnings, *warnings]
    following = next_phase(current)
    row.phase = following.value
    if following is not Phase.COMPLETED:
        db.add(models.PhaseRecord(session_id=row.id, phase=following.value, started_at=now))
    db.flush()
    db.refresh(row)


def start_session(
    db: Session, knowledge: Knowledge, *, plan_id: int, clinician: str
) -> dict[str, Any]:
    """Start the plan's next scheduled session: the screening gate applies at every visit, and the
    patient's consent to the treatment text now in effect is required."""
    plan = by_id(db, models.TreatmentPlan, plan_id, "plan")
    if not clinician.strip():
        raise ValidationError("clinician", "name the treating clinician")
    require_current_screening(db, knowledge, plan.patient)
    require_treatment_consent(db, plan.patient)
    open_sessions = [s for s in plan.sessions if s.phase not in ("scheduled", "completed")]
    if open_sessions:
        raise ValidationError(
            "plan_id", f"session {open_sessions[0].id} of plan {plan_id} is still in progress"
        )
    scheduled = [s for s in plan.sessions if s.phase == Phase.SCHEDULED.value]
    if not scheduled:
        raise ValidationError("plan_id", f"plan {plan_id} has no scheduled session left")
    row = scheduled[0]
    row.clinician = clinician
    _advance(db, row)
    return session_view(row)


def record_preparation(
    db: Session,
    knowledge: Knowledge,
    *,
    session_id: int,
    cleansed: bool,
    numbing_product: str | None = None,
    applied_at: datetime | None = None,
    removed_at: datetime | None = None,
    anaesthetic_area: str | None = None,
) -> dict[str, Any]:
    row = by_id(db, models.TreatmentSession, session_id, "session")
    require_phase(Phase(row.phase), Phase.PREPARATION, "record preparation")
    prep = Preparation(cleansed, numbing_product, applied_at, removed_at, anaesthetic_area)
    warnings = check_preparation(prep, knowledge)
    data = {
        "cleansed": cleansed,
        "numbing_product": numbing_product,
        "applied_at": applied_at,
        "removed_at": removed_at,
        "dwell_minutes": prep.dwell_minutes,
        "anaesthetic_area": anaesthetic_area,
    }
    _advance(db, row, data=data, warnings=warnings)
    return session_view(row) | {"warnings": warnings}


def record_zone(
    db: Session,
    *,
    session_id: int,
    zone: str,
    depth_mm: float,
    passes: int,
    pattern: str,
    endpoint: str,
    cartridge_lot: str,
    device: str | None = None,
    deviation_reason: str | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """Record one treated zone; the cartridge must belong to the device and be in date."""
    row = by_id(db, models.TreatmentSession, session_id, "session")
    require_phase(Phase(row.phase), Phase.TREATMENT, "record a treated zone")
    plan = row.plan
    if device is not None:
        the_device = device_by_model_or_id(db, device)
    elif plan.device is not None:
        the_device = plan.device
    else:
        raise ValidationError("device", "the plan names no device; give --device")
    cartridge = db.scalar(
        select(models.Cartridge).where(
            models.Cartridge.device_id == the_device.id, models.Cartridge.lot == cartridge_lot
        )
    )
    if cartridge is None:
        raise ValidationError(
            "cartridge_lot", f"lot {cartridge_lot!r} is not registered for {the_device.model}"
        )
    if cartridge.expiry < (today or date.today()):
        raise ValidationError(
            "cartridge_lot", f"lot {cartridge_lot!r} expired on {cartridge.expiry:%Y-%m-%d}"
        )
    the_zone = parse_zone(zone)
    if any(z.zone == the_zone.value for z in row.zone_treatments):
        raise ValidationError("zone", f"{the_zone} is already recorded for session {session_id}")
    planned = next((z for z in plan.zones if z.zone == the_zone.value), None)
    treatment = ZoneTreatment(
        zone=the_zone,
        depth_mm=depth_mm,
        passes=passes,
        pattern=parse_enum(Pattern, pattern, "pattern"),
        endpoint=parse_enum(ClinicalEndpoint, endpoint, "endpoint"),
        deviation_reason=deviation_reason,
    )
    warnings = check_zone_treatment(
        treatment,
        planned_range_mm=(planned.range_min_mm, planned.range_max_mm) if planned else None,
        device_range_mm=(the_device.depth_min_mm, the_device.depth_max_mm),
    )
    db.add(
        models.ZoneTreatmentRecord(
            session_id=row.id,
            zone=the_zone.value,
            depth_mm=depth_mm,
            passes=passes,
            pattern=treatment.pattern.value,
            endpoint=treatment.endpoint.value,
            device_id=the_device.id,
            cartridge_id=cartridge.id,
            deviation_reason=deviation_reason,
        )
    )
    if warnings:
        record = _phase_record(row, Phase.TREATMENT)
        record.warnings = [*record.warnings, *warnings]
    db.flush()
    db.refresh(row)
    return session_view(row) | {"warnings": warnings}


def record_post_treatment(
    db: Session,
    *,
    session_id: int,
    product: str,
    sterile: bool,
    immediate_reaction: str | None = None,
) -> dict[str, Any]:
    """Close the treatment phase (at least one zone treated) and record what was applied."""
    row = by_id(db, models.TreatmentSession, session_id, "session")
    require_phase(Phase(row.phase), Phase.TREATMENT, "record post-treatment")
    if not row.zone_treatments:
        raise ValidationError("zone", "record at least one treated zone before post-treatment")
    post = PostTreatment(product, sterile, immediate_reaction)
    warnings = check_post_treatment(post)
    _advance(db, row)
    record = _phase_record(row, Phase.POST_TREATMENT)
    record.data = {"product": product, "sterile": sterile, "immediate_reaction": immediate_reaction}
    record.warnings = warnings
    db.flush()
    return session_view(row) | {"warnings": warnings}


def finish_session(db: Session, knowledge: Knowledge, *, session_id: int) -> dict[str, Any]:
    """Complete the session, schedule the next one from the plan's interval, give aftercare."""
    row = by_id(db, models.TreatmentSession, session_id, "session")
    require_phase(Phase(row.phase), Phase.POST_TREATMENT, "finish the session")
    _advance(db, row)
    plan = row.plan
    treated_on = utcnow().date()
    next_date: date | None = None
    if row.number < plan.sessions_planned:
        next_date = treated_on + timedelta(days=plan.interval_days)
        db.add(
            models.TreatmentSession(plan_id=plan.id, number=row.number + 1, scheduled_for=next_date)
        )
        db.flush()
    sheet = aftercare_sheet(
        knowledge, patient_code=plan.patient.code, session_date=treated_on, next_session=next_date
    )
    return session_view(row) | {
        "next_session": plain(next_date),
        "aftercare": sheet.as_text(),
    }


def show_session(db: Session, session_id: int) -> dict[str, Any]:
    return session_view(by_id(db, models.TreatmentSession, session_id, "session"))


def aftercare_for_session(db: Session, knowledge: Knowledge, session_id: int) -> dict[str, Any]:
    """The aftercare sheet of a completed session, as given when it was finished."""
    row = by_id(db, models.TreatmentSession, session_id, "session")
    if row.phase != Phase.COMPLETED.value:
        raise ValidationError("session_id", f"session {session_id} is not completed yet")
    treated_on = _phase_record(row, Phase.POST_TREATMENT).ended_at or utcnow()
    following = next((s for s in row.plan.sessions if s.number == row.number + 1), None)
    sheet = aftercare_sheet(
        knowledge,
        patient_code=row.plan.patient.code,
        session_date=treated_on.date(),
        next_session=following.scheduled_for if following else None,
    )
    return {"session_id": session_id, "aftercare": sheet.as_text()}
