"""A patient's record as a FHIR R4B bundle (cohort/fhir.py builds and validates the resources).

Patient (the pseudonymous code only), a Procedure per treatment session (its treated zones and
device), an Observation per measurement of the newest analysis of each stored photo, and a Consent
per recorded consent where the clinic records them. The export is logged with the actor.
"""

from __future__ import annotations

import importlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from microneedling.cohort import fhir
from microneedling.records import models
from microneedling.records.audit import log_access
from microneedling.services.lookups import patient_by_code

__all__ = ["patient_bundle", "patient_bundle_json"]

SESSION_STATUS = {"completed": "completed", "scheduled": "preparation", "cancelled": "not-done"}


def _procedures(patient: models.Patient) -> list[Any]:
    out = []
    for plan in patient.plans:
        for session in plan.sessions:
            zones = sorted({z.zone for z in session.zone_treatments})
            devices = {z.device.model for z in session.zone_treatments}
            device = ", ".join(sorted(devices)) or (plan.device.model if plan.device else None)
            status = SESSION_STATUS.get(session.phase, "in-progress")
            out.append(
                fhir.procedure(
                    fhir.ProcedureInfo(
                        session_id=session.id,
                        patient=patient.code,
                        performed_on=session.scheduled_for.isoformat(),
                        status=status,
                        zones=zones or [z.zone for z in plan.zones],
                        device=device,
                        clinician=session.clinician,
                    )
                )
            )
    return out


def _observations(db: Session, patient: models.Patient) -> list[Any]:
    photos = db.scalars(
        select(models.Photo)
        .where(models.Photo.patient_id == patient.id)
        .order_by(models.Photo.taken_on, models.Photo.id)
    ).all()
    out = []
    for photo in photos:
        if not photo.analyses:
            continue
        summary = photo.analyses[-1].summary
        for zone in summary["zones"]:
            for metric, value in zone.items():
                if metric in fhir.METRIC_UNITS and value is not None:
                    out.append(
                        fhir.observation(
                            patient.code,
                            photo.sha256,
                            photo.taken_on.isoformat(),
                            zone["zone"],
                            metric,
                            float(value),
                        )
                    )
    return out


def _consents(db: Session, patient: models.Patient) -> list[Any]:
    """Consent resources from the consent records, where the clinic keeps them."""
    tables = importlib.import_module("microneedling.records.consent")
    record: Any = getattr(tables, "ConsentRecord", None)
    if record is None:
        return []
    rows = db.scalars(select(record).where(record.patient_id == patient.id).order_by(record.id))
    return [
        fhir.consent_resource(
            patient.code, row.kind, row.withdrawn_at is None, row.signed_at.date().isoformat()
        )
        for row in rows
    ]


def patient_bundle(db: Session, patient_code: str) -> Any:
    """The patient's record as a validated FHIR R4B collection bundle."""
    patient = patient_by_code(db, patient_code)
    log_access(db, "export", patient)
    resources = [fhir.patient_resource(patient.code)]
    resources += _procedures(patient)
    resources += _observations(db, patient)
    resources += _consents(db, patient)
    return fhir.bundle(resources)


def patient_bundle_json(db: Session, patient_code: str) -> str:
    text: str = patient_bundle(db, patient_code).model_dump_json(indent=1)
    return text
