"""A patient's metrics as percentiles among the clinic's own patients ("compared with peers").

For the patient timeline and report: each metric per zone of the patient's newest usable photo,
ranked among the newest usable photos of the clinic's other patients of the same age band and
Fitzpatrick type (cohort/statistics.py ``peer_percentiles``), with the group size, and no
percentile for a group under the stated minimum. Usable: measured by the current model, passed the
capture-quality checks, and, once the clinic records research consent, from consenting patients
(the patient asking is always included).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from microneedling.cohort import statistics
from microneedling.cohort.consent import research_consented
from microneedling.records import models
from microneedling.services.lookups import patient_by_code
from microneedling.services.photos import current_model_id, model_id

__all__ = ["peer_percentiles"]


def _rows(db: Session, view: str) -> list[dict[str, Any]]:
    """One long-table row per zone and metric of each patient's newest usable photo."""
    current = current_model_id()
    newest: dict[int, dict[str, Any]] = {}
    photos = db.scalars(
        select(models.Photo).where(models.Photo.view == view).order_by(models.Photo.taken_on)
    ).all()
    for photo in photos:
        if not photo.analyses:
            continue
        summary = photo.analyses[-1].summary
        if model_id(summary) != current or not summary["quality"]["ok"]:
            continue
        newest[photo.patient_id] = summary
    patients = {p.id: p for p in db.scalars(select(models.Patient)).all()}
    rows = []
    for patient_id, summary in newest.items():
        patient = patients[patient_id]
        for zone in summary["zones"]:
            for metric, value in zone.items():
                if metric != "zone" and value is not None:
                    rows.append(
                        {
                            "patient": patient.code,
                            "visit": 0,
                            "zone": zone["zone"],
                            "metric": metric,
                            "value": float(value),
                            "birth_year": patient.birth_year,
                            "fitzpatrick": patient.fitzpatrick,
                        }
                    )
    return rows


def peer_percentiles(
    db: Session,
    patient_code: str,
    *,
    view: str = "front",
    today: date | None = None,
    min_group: int = statistics.MIN_PEER_GROUP,
) -> dict[str, Any]:
    """The patient's metrics per zone as percentiles among peers, with each group's size."""
    patient = patient_by_code(db, patient_code)
    frame = pd.DataFrame.from_records(
        _rows(db, view),
        columns=["patient", "visit", "zone", "metric", "value", "birth_year", "fitzpatrick"],
    )
    everyone = db.scalars(select(models.Patient)).all()
    allowed = research_consented(db, everyone) | {patient.code}
    frame = frame[frame["patient"].isin(allowed)]
    year = (today or date.today()).year
    return {
        "patient": patient.code,
        "view": view,
        "min_group": min_group,
        "model": current_model_id(),
        "zones": statistics.peer_percentiles(frame, patient.code, year=year, min_group=min_group),
    }
