"""Simulate a stored plan or a recorded session, and keep the prediction with it; the device is
found as for any prediction (:func:`microneedling.services.devices.simulation_device`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from microneedling.core.clinical import Pattern
from microneedling.core.errors import ValidationError
from microneedling.core.zones import FacialZone
from microneedling.records import models
from microneedling.services.devices import simulation_device
from microneedling.services.lookups import by_id
from microneedling.services.simulation import default_passes
from microneedling.services.views import record
from microneedling.simulate.devices import DeviceSpec
from microneedling.simulate.puncture_field import TreatmentSettings
from microneedling.simulate.treatment import (
    MODEL_VERSION,
    ProductUse,
    Schedule,
    TreatmentSimulation,
    simulate_treatment,
)


def _store(
    db: Session, result: TreatmentSimulation, inputs: dict[str, Any], **link: int
) -> dict[str, Any]:
    kind = "session" if "session_id" in link else "plan"
    row = models.Prediction(
        kind=kind, model_version=MODEL_VERSION, inputs=inputs, summary=result.summary(), **link
    )
    db.add(row)
    db.flush()
    return record(row, exclude=("summary",))


def simulate_plan(
    db: Session,
    *,
    plan_id: int,
    product: ProductUse | None = None,
    passes: int | None = None,
    pattern: Pattern = Pattern.CROSSHATCH,
    seed: int = 0,
    extra_devices: list[DeviceSpec] | None = None,
    store: bool = True,
) -> tuple[TreatmentSimulation, dict[str, Any] | None]:
    """Predict a plan's whole series: its device, per-zone depths, sessions and interval."""
    plan = by_id(db, models.TreatmentPlan, plan_id, "plan")
    if plan.device is None:
        raise ValidationError("plan_id", f"plan {plan_id} names no device to simulate")
    device = simulation_device(db, plan.device.model, extra_devices)
    depths = {FacialZone(z.zone): z.depth_mm for z in plan.zones}
    zones = list(depths)
    settings = TreatmentSettings(
        depth_mm=depths[zones[0]],
        passes=default_passes(device) if passes is None else passes,
        pattern=pattern,
        seed=seed,
    )
    schedule = Schedule(plan.sessions_planned, plan.interval_days)
    result = simulate_treatment(
        device, settings, zones, schedule=schedule, product=product, depth_by_zone=depths
    )
    inputs = {
        "plan_id": plan_id,
        "device": device.model,
        "passes": settings.passes,
        "pattern": pattern.value,
        "seed": seed,
        "product": None if product is None else product.product.code,
    }
    stored = _store(db, result, inputs, plan_id=plan_id) if store else None
    return result, stored


def simulate_session(
    db: Session,
    *,
    session_id: int,
    product: ProductUse | None = None,
    seed: int = 0,
    extra_devices: list[DeviceSpec] | None = None,
    store: bool = True,
) -> tuple[TreatmentSimulation, dict[str, Any] | None]:
    """Predict the course after one recorded session, from the depths and passes actually used."""
    row = by_id(db, models.TreatmentSession, session_id, "session")
    treated = row.zone_treatments
    if not treated:
        raise ValidationError("session_id", f"session {session_id} has no treated zone recorded")
    device = simulation_device(db, treated[0].device.model, extra_devices)
    depths = {FacialZone(z.zone): z.depth_mm for z in treated}
    first = treated[0]
    settings = TreatmentSettings(
        depth_mm=first.depth_mm, passes=first.passes, pattern=Pattern(first.pattern), seed=seed
    )
    result = simulate_treatment(
        device,
        settings,
        list(depths),
        schedule=Schedule(1, row.plan.interval_days),
        product=product,
        depth_by_zone=depths,
    )
    inputs = {
        "session_id": session_id,
        "device": device.model,
        "seed": seed,
        "product": None if product is None else product.product.code,
    }
    stored = _store(db, result, inputs, session_id=session_id) if store else None
    return result, stored


def subject_of(db: Session, *, plan_id: int | None = None, session_id: int | None = None) -> str:
    """``Patient MN-0042 · plan 1, acne scars`` (or ``· session 2 of plan 1``) for a figure."""
    if session_id is not None:
        row = by_id(db, models.TreatmentSession, session_id, "session")
        plan = row.plan
        where = f"session {row.number} of plan {plan.id}"
    else:
        plan = by_id(db, models.TreatmentPlan, plan_id or 0, "plan")
        where = f"plan {plan.id}"
    return f"Patient {plan.patient.code} · {where}, {plan.indication.replace('_', ' ')}"


def list_predictions(db: Session, *, plan_id: int | None = None) -> list[dict[str, Any]]:
    query = select(models.Prediction).order_by(models.Prediction.id)
    if plan_id is not None:
        query = query.where(models.Prediction.plan_id == plan_id)
    return [record(p) for p in db.scalars(query)]
