"""Photos of a patient: content-addressed storage, their analyses, and the trend over a plan."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from microneedling.analysis.images import Photo
from microneedling.analysis.pipeline import VIEW_YAW_DEG
from microneedling.core.errors import ValidationError
from microneedling.records import models
from microneedling.records.audit import log_access
from microneedling.records.photo_store import PHOTO_DIR_ENV, clean_copy, photo_dir, write_once
from microneedling.services.lookups import by_id, patient_by_code
from microneedling.services.views import record

__all__ = ["PHOTO_DIR_ENV", "photo_dir", "record_analysis", "store_photo", "trend"]

VIEWS = tuple(VIEW_YAW_DEG)


def store_photo(
    db: Session,
    *,
    patient_code: str,
    photo: Photo,
    view: str = "front",
    session_id: int | None = None,
    taken_on: date | None = None,
) -> models.Photo:
    """Link a decoded photo to a patient (and session); the same photo twice is stored once.

    The stored copy has no EXIF/XMP/IPTC metadata and decodes to the analysed pixels; neither the
    file's name nor its folder is kept (records/photo_store.py)."""
    patient = patient_by_code(db, patient_code)
    if view not in VIEWS:
        raise ValidationError("view", f"{view!r} is not one of {', '.join(VIEWS)}")
    if session_id is not None:
        treatment = by_id(db, models.TreatmentSession, session_id, "session")
        if treatment.plan.patient_id != patient.id:
            raise ValidationError("session_id", f"session {session_id} is not {patient_code}'s")
    existing = db.scalar(
        select(models.Photo).where(
            models.Photo.patient_id == patient.id, models.Photo.sha256 == photo.sha256
        )
    )
    if existing is not None:
        return existing
    clean = clean_copy(photo.data, photo.format, photo.rgb)
    path = write_once(photo_dir(), f"{photo.sha256}{clean.suffix}", clean.data)
    row = models.Photo(
        patient_id=patient.id,
        session_id=session_id,
        view=view,
        sha256=photo.sha256,
        stored_path=path.relative_to(photo_dir()).as_posix(),
        orientation=clean.orientation,
        width=int(photo.rgb.shape[1]),
        height=int(photo.rgb.shape[0]),
        taken_on=taken_on or date.today(),
    )
    db.add(row)
    db.flush()
    return row


# Keys of an analysis summary that name files on the user's disk; never stored.
PATH_KEYS = ("photo", "overlay", "source")


def record_analysis(db: Session, photo: models.Photo, summary: dict[str, Any]) -> dict[str, Any]:
    """Store an analysis of a stored photo, without the paths of the files it was read from."""
    row = models.PhotoAnalysisRecord(
        photo_id=photo.id,
        version=summary["version"],
        quality_ok=summary["quality"]["ok"],
        summary={k: v for k, v in summary.items() if k not in PATH_KEYS},
    )
    db.add(row)
    db.flush()
    return record(row, exclude=("summary",)) | {"photo_id": photo.id}


def _prediction_for(
    db: Session, patient: models.Patient
) -> tuple[models.Prediction | None, date | None]:
    """The newest stored plan prediction of the patient's newest plan, and the plan's start."""
    if not patient.plans:
        return None, None
    plan = patient.plans[-1]
    prediction = db.scalar(
        select(models.Prediction)
        .where(models.Prediction.plan_id == plan.id)
        .order_by(models.Prediction.id.desc())
        .limit(1)
    )
    start = plan.sessions[0].scheduled_for if plan.sessions else None
    return prediction, start


def trend(db: Session, patient_code: str, *, view: str = "front") -> dict[str, Any]:
    """Every analysed photo of the patient in date order, per zone, beside the predicted course.

    The reading is logged with the actor."""
    patient = patient_by_code(db, patient_code)
    log_access(db, "read", patient)
    photos = db.scalars(
        select(models.Photo)
        .where(models.Photo.patient_id == patient.id, models.Photo.view == view)
        .order_by(models.Photo.taken_on, models.Photo.id)
    ).all()
    prediction, start = _prediction_for(db, patient)
    grades: dict[str, float] = {}  # the clinician's latest Goodman-Baron grade per zone
    for assessment in patient.assessments:
        if assessment.scale == "goodman_baron_qualitative":
            grades[assessment.zone] = assessment.score
    predicted_zones = {}
    if prediction is not None:
        predicted_zones = {z["zone"]: z for z in prediction.summary["zones"]}
    points = []
    for photo in photos:
        if not photo.analyses:
            continue
        summary = photo.analyses[-1].summary
        day = (photo.taken_on - start).days if start else None
        zones = []
        for zone in summary["zones"]:
            entry = {
                k: zone[k]
                for k in (
                    "zone",
                    "a_star",
                    "red_area_fraction",
                    "roughness_l",
                    "pores_per_cm2",
                    "wrinkle_length_mm_per_cm2",
                )
            }
            entry["scar_count"] = zone["scar_count"]
            if zone["zone"] in grades:
                entry["goodman_baron_grade"] = grades[zone["zone"]]
            predicted = predicted_zones.get(zone["zone"])
            if predicted is not None and day is not None and day >= 0:
                weekly = predicted["weekly"]
                week = min(day // 7, weekly["week"][-1])
                entry["predicted_collagen_pct"] = weekly["collagen_pct"][week]
            zones.append(entry)
        points.append(
            {
                "photo_id": photo.id,
                "taken_on": photo.taken_on.isoformat(),
                "day": day,
                "quality_ok": summary["quality"]["ok"],
                "zones": zones,
            }
        )
    return {
        "patient": patient.code,
        "view": view,
        "start": start.isoformat() if start else None,
        "prediction_id": prediction.id if prediction else None,
        "points": points,
    }
