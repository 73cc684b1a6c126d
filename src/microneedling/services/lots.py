"""Lot recall: every session and patient treated with a given cartridge lot.

When a manufacturer recalls a cartridge lot (a sterility or needle defect), the clinic must find
every patient a needle of that lot touched, to contact them and watch for infection or
granulomatous reactions. A lot number is the manufacturer's, so the same number may be stored
for cartridges of more than one device: the recall finds them all.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from microneedling.core.errors import NotFoundError, ValidationError
from microneedling.core.parsing import check_text
from microneedling.records import models
from microneedling.records.audit import log_access

MAX_LOT_LENGTH = 64
"""As stored (``cartridge.lot``)."""


def parse_lot(value: str, field: str = "lot") -> str:
    """A lot number as stored: trimmed, one line, at most 64 characters, not empty."""
    lot = check_text(value, field, max_length=MAX_LOT_LENGTH + 16).strip()
    if not lot:
        raise ValidationError(field, "name the cartridge lot")
    if len(lot) > MAX_LOT_LENGTH:
        raise ValidationError(field, f"a lot number has at most {MAX_LOT_LENGTH} characters")
    return lot


def recall_lot(db: Session, lot: str) -> dict[str, Any]:
    """Every cartridge with lot number ``lot``, every session that used one, and every patient
    treated in those sessions (each with the zones, dates and sessions).

    Raises NotFoundError when no cartridge has that lot number; a lot that exists but was never
    used gives empty ``sessions`` and ``patients``. Each patient found is logged as read (the
    recall shows who was treated), under the acting account.
    """
    the_lot = parse_lot(lot)
    cartridges = db.scalars(
        select(models.Cartridge)
        .where(models.Cartridge.lot == the_lot)
        .order_by(models.Cartridge.id)
    ).all()
    if not cartridges:
        raise NotFoundError("cartridge lot", the_lot)
    rows = db.scalars(
        select(models.ZoneTreatmentRecord)
        .where(models.ZoneTreatmentRecord.cartridge_id.in_([c.id for c in cartridges]))
        .order_by(models.ZoneTreatmentRecord.session_id, models.ZoneTreatmentRecord.id)
    ).all()
    sessions: dict[int, dict[str, Any]] = {}
    patients: dict[str, dict[str, Any]] = {}
    for row in rows:
        treated = row.session
        patient = treated.plan.patient
        entry = sessions.get(treated.id)
        if entry is None:
            entry = sessions[treated.id] = {
                "session_id": treated.id,
                "number": treated.number,
                "plan_id": treated.plan_id,
                "patient": patient.code,
                "scheduled_for": treated.scheduled_for.isoformat(),
                "treated_on": row.recorded_at.date().isoformat(),
                "phase": treated.phase,
                "clinician": treated.clinician,
                "device": row.device.model,
                "zones": [],
            }
        entry["zones"].append(row.zone)
        person = patients.get(patient.code)
        if person is None:
            person = patients[patient.code] = {"patient": patient.code, "sessions": []}
            log_access(db, "read", patient)
        if treated.id not in person["sessions"]:
            person["sessions"].append(treated.id)
    for person in patients.values():
        dates = [sessions[s]["treated_on"] for s in person["sessions"]]
        person["first_treated_on"], person["last_treated_on"] = min(dates), max(dates)
    return {
        "lot": the_lot,
        "cartridges": [
            {
                "cartridge_id": c.id,
                "device": c.device.model,
                "expiry": c.expiry.isoformat(),
                "needle_count": c.needle_count,
            }
            for c in cartridges
        ],
        "sessions": list(sessions.values()),
        "patients": sorted(patients.values(), key=lambda p: str(p["patient"])),
    }
