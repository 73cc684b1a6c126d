"""A patient's record as one timeline: screenings, assessments, plans, sessions with their phases,
photos with their measurements, adverse events and predictions, oldest first.

The web's record page and ``GET /api/v1/patients/{code}/timeline`` show it. For a researcher the
names, signatures and free text (``records.personal.PERSONAL_FIELDS``) are left out and a photo
is its metrics only: no stored path, nothing that leads to the face image.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from microneedling.core.jsonable import plain
from microneedling.records import models
from microneedling.records.audit import log_access
from microneedling.records.personal import PERSONAL_FIELDS
from microneedling.services.lookups import patient_by_code
from microneedling.services.views import patient_view, record

# The per-zone measurements of a photo the timeline shows (as ``services.photos.trend``).
PHOTO_METRICS = (
    "a_star",
    "red_area_fraction",
    "roughness_l",
    "pores_per_cm2",
    "wrinkle_length_mm_per_cm2",
    "scar_count",
)


def _when(value: datetime | date | None) -> datetime:
    """A sortable time: a date counts as its midnight UTC."""
    if value is None:
        return datetime.min.replace(tzinfo=UTC)
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time.min, tzinfo=UTC)


def _private(
    obj: models.Base, *, researcher: bool, exclude: tuple[str, ...] = ()
) -> dict[str, Any]:
    """``record(obj)``, without personal fields for a researcher."""
    hidden = PERSONAL_FIELDS.get(obj.__tablename__, frozenset()) if researcher else frozenset()
    return record(obj, exclude=(*exclude, *hidden))


def _event(
    kind: str, at: datetime | date | None, data: dict[str, Any], *, after: datetime | None = None
) -> dict[str, Any]:
    """One event; ``after``: it cannot have come before this (a session not yet started, dated
    by its day only, still comes after the plan that scheduled it)."""
    when = _when(at) if after is None else max(_when(at), after)
    return {"kind": kind, "at": plain(at), "_sort": when, "data": data}


def photo_metrics(photo: models.Photo) -> dict[str, Any]:
    """The latest analysis of a photo: quality and per-zone metrics (no image, no path)."""
    if not photo.analyses:
        return {"analysed": False, "zones": []}
    summary = photo.analyses[-1].summary
    zones = [
        {"zone": z.get("zone")} | {k: z.get(k) for k in PHOTO_METRICS if k in z}
        for z in summary.get("zones", [])
    ]
    quality = summary.get("quality", {})
    return {
        "analysed": True,
        "quality_ok": bool(quality.get("ok", photo.analyses[-1].quality_ok)),
        "quality_reasons": [
            str(check.get("message") or check.get("name"))
            for check in quality.get("checks", [])
            if not check.get("ok", True)
        ],
        "version": photo.analyses[-1].version,
        "zones": zones,
    }


def _load_record(db: Session, patient: models.Patient) -> None:
    """Load the patient's records in a few queries (one per table), not one per row."""
    plans = selectinload(models.Patient.plans)
    sessions = plans.selectinload(models.TreatmentPlan.sessions)
    treatments = sessions.selectinload(models.TreatmentSession.zone_treatments)
    db.scalars(
        select(models.Patient)
        .where(models.Patient.id == patient.id)
        .options(
            selectinload(models.Patient.screenings),
            selectinload(models.Patient.assessments),
            selectinload(models.Patient.adverse_events),
            plans.selectinload(models.TreatmentPlan.zones),
            plans.joinedload(models.TreatmentPlan.device),
            sessions.selectinload(models.TreatmentSession.phases),
            treatments.joinedload(models.ZoneTreatmentRecord.device),
            treatments.joinedload(models.ZoneTreatmentRecord.cartridge),
        )
    ).one()


def patient_timeline(db: Session, code: str, *, researcher: bool = False) -> dict[str, Any]:
    """Everything recorded about one patient as events in time order; the reading is logged."""
    patient = patient_by_code(db, code)
    _load_record(db, patient)
    log_access(db, "read", patient)
    events: list[dict[str, Any]] = []
    for s in patient.screenings:
        events.append(
            _event(
                "screening",
                s.screened_at,
                _private(s, researcher=researcher, exclude=("patient_id",)),
            )
        )
    for a in patient.assessments:
        events.append(
            _event(
                "assessment",
                a.assessed_at,
                _private(a, researcher=researcher, exclude=("patient_id", "photos")),
            )
        )
    plan_ids: list[int] = []
    session_ids: list[int] = []
    for p in patient.plans:
        plan_ids.append(p.id)
        events.append(
            _event(
                "plan",
                p.created_at,
                _private(p, researcher=researcher, exclude=("patient_id",))
                | {
                    "device": p.device.model if p.device else None,
                    "zones": [record(z, exclude=("id", "plan_id")) for z in p.zones],
                },
            )
        )
        for t in p.sessions:
            session_ids.append(t.id)
            started = t.phases[0].started_at if t.phases else None
            events.append(
                _event(
                    "session",
                    started or t.scheduled_for,
                    _private(t, researcher=researcher)
                    | {
                        "phases": [
                            _private(ph, researcher=researcher, exclude=("id", "session_id"))
                            for ph in t.phases
                        ],
                        "zone_treatments": [
                            _private(z, researcher=researcher, exclude=("session_id",))
                            | {"device": z.device.model, "cartridge_lot": z.cartridge.lot}
                            for z in t.zone_treatments
                        ],
                    },
                    after=p.created_at,
                )
            )
    photos = db.scalars(
        select(models.Photo)
        .where(models.Photo.patient_id == patient.id)
        .options(selectinload(models.Photo.analyses))
        .order_by(models.Photo.taken_on, models.Photo.id)
    )
    for photo in photos:
        data = {
            "id": photo.id,
            "view": photo.view,
            "session_id": photo.session_id,
            "taken_on": plain(photo.taken_on),
        } | photo_metrics(photo)
        if not researcher:
            data |= {"width": photo.width, "height": photo.height}
        events.append(_event("photo", photo.taken_on, data))
    for e in patient.adverse_events:
        events.append(
            _event(
                "adverse_event",
                e.onset,
                _private(e, researcher=researcher, exclude=("patient_id",)),
            )
        )
    if plan_ids:
        for prediction in db.scalars(
            select(models.Prediction)
            .where(
                models.Prediction.plan_id.in_(plan_ids)
                | models.Prediction.session_id.in_(session_ids or [-1])
            )
            .order_by(models.Prediction.id)
        ):
            events.append(
                _event(
                    "prediction",
                    prediction.created_at,
                    record(prediction, exclude=("inputs", "summary"))
                    | {"zones": [z.get("zone") for z in prediction.summary.get("zones", [])]},
                )
            )
    events.sort(key=lambda e: e["_sort"])
    for event in events:
        del event["_sort"]
    view = patient_view(patient)
    if researcher:
        view = {k: v for k, v in view.items() if k not in PERSONAL_FIELDS["patient"]}
    return {"patient": view, "events": events}
