"""Plain, JSON-ready views of records, shared by every surface."""

from __future__ import annotations

from typing import Any

from microneedling.core.jsonable import plain
from microneedling.records import models

__all__ = ["plain", "record"]


def record(obj: models.Base, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    return {k: plain(v) for k, v in obj.as_dict().items() if k not in exclude}


def patient_view(patient: models.Patient) -> dict[str, Any]:
    return record(patient)


def screening_view(screening: models.Screening) -> dict[str, Any]:
    return record(screening, exclude=("patient_id",)) | {"patient": screening.patient.code}


def plan_view(plan: models.TreatmentPlan) -> dict[str, Any]:
    return record(plan, exclude=("patient_id",)) | {
        "patient": plan.patient.code,
        "device": plan.device.model if plan.device else None,
        "zones": [record(z, exclude=("id", "plan_id")) for z in plan.zones],
        "sessions": [session_view(s, brief=True) for s in plan.sessions],
    }


def session_view(session: models.TreatmentSession, *, brief: bool = False) -> dict[str, Any]:
    view = record(session)
    if brief:
        return view
    return view | {
        "patient": session.plan.patient.code,
        "phases": [record(p, exclude=("id", "session_id")) for p in session.phases],
        "zone_treatments": [
            record(z, exclude=("session_id",))
            | {"device": z.device.model, "cartridge_lot": z.cartridge.lot}
            for z in session.zone_treatments
        ],
    }


def device_view(device: models.Device) -> dict[str, Any]:
    return record(device) | {"cartridges": [record(c) for c in device.cartridges]}
