"""Photos of a patient: content-addressed storage, their analyses, and the trend over a plan."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from microneedling.analysis.images import Photo, analysis_ipd_px, check_box, read_photo
from microneedling.analysis.pipeline import VIEW_YAW_DEG, PhotoAnalysis, analyze
from microneedling.core.errors import MicroneedlingError, ValidationError
from microneedling.records import models
from microneedling.records.audit import log_access
from microneedling.records.photo_store import PHOTO_DIR_ENV, clean_copy, photo_dir, write_once
from microneedling.services.lookups import by_id, patient_by_code
from microneedling.services.views import record

if TYPE_CHECKING:
    from microneedling.analysis.compare import Comparison

VIEWS = tuple(VIEW_YAW_DEG)

__all__ = [
    "PHOTO_DIR_ENV",
    "check_repeats",
    "compare_photos",
    "measure_photo",
    "photo_dir",
    "reanalyze",
    "record_analysis",
    "store_measured",
    "store_photo",
    "trend",
]


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

    The stored copy has no EXIF/XMP/IPTC metadata and decodes to the analysed pixels; it is named
    and recorded by its own SHA-256. Neither the file's name nor its folder is kept
    (records/photo_store.py)."""
    patient = patient_by_code(db, patient_code)
    if view not in VIEWS:
        raise ValidationError("view", f"{view!r} is not one of {', '.join(VIEWS)}")
    if session_id is not None:
        treatment = by_id(db, models.TreatmentSession, session_id, "session")
        if treatment.plan.patient_id != patient.id:
            raise ValidationError("session_id", f"session {session_id} is not {patient_code}'s")
    clean = clean_copy(photo.data, photo.format, photo.rgb)
    sha256 = hashlib.sha256(clean.data).hexdigest()
    existing = db.scalar(
        select(models.Photo).where(
            models.Photo.patient_id == patient.id, models.Photo.sha256 == sha256
        )
    )
    if existing is not None:
        return existing
    path = write_once(photo_dir(), f"{sha256}{clean.suffix}", clean.data)
    row = models.Photo(
        patient_id=patient.id,
        session_id=session_id,
        view=view,
        sha256=sha256,
        stored_path=path.relative_to(photo_dir()).as_posix(),
        orientation=clean.orientation,
        width=photo.width,
        height=photo.height,
        taken_on=taken_on or date.today(),
    )
    db.add(row)
    db.flush()
    return row


@dataclass(frozen=True)
class MeasuredPhoto:
    """A decoded photo, its analysis, and the summary that is shown and stored."""

    photo: Photo
    analysis: PhotoAnalysis
    summary: dict[str, Any]


def measure_photo(
    path: Path,
    *,
    view: str = "front",
    grey_box: tuple[int, int, int, int] | None = None,
    mm_per_px: float | None = None,
) -> MeasuredPhoto:
    """Decode one photo file (a JPEG only as finely as the measurement needs) and measure it.

    The summary holds the photo's hash and the options used (so ``reanalyze`` can repeat them),
    never the file's name or folder: a surface adds those for its own display."""
    if view not in VIEWS:
        raise ValidationError("view", f"{view!r} is not one of {', '.join(VIEWS)}")
    photo = read_photo(path, reduce_to_ipd_px=None if mm_per_px else analysis_ipd_px())
    result = analyze(
        photo.rgb,
        grey_box=check_box(grey_box, photo) if grey_box else None,
        mm_per_px=mm_per_px,
        view=view,
        field_name=str(path),
    )
    summary = result.summary() | {
        "sha256": photo.sha256,
        "decode_scale": photo.scale,
        "options": {"grey_box": grey_box, "mm_per_px": mm_per_px},
    }
    return MeasuredPhoto(photo, result, summary)


def store_measured(
    db: Session,
    measured: MeasuredPhoto,
    *,
    patient_code: str,
    view: str = "front",
    session_id: int | None = None,
    taken_on: date | None = None,
) -> dict[str, Any]:
    """Store a measured photo with the patient (and session) and record its analysis."""
    row = store_photo(
        db,
        patient_code=patient_code,
        photo=measured.photo,
        view=view,
        session_id=session_id,
        taken_on=taken_on,
    )
    return record_analysis(db, row, measured.summary)


# Keys of an analysis summary that describe the caller's files, not the photo: never stored.
_NOT_STORED = ("photo", "overlay", "stored", "source")
NOT_MEASURED = "not measured"


def model_id(summary: dict[str, Any]) -> str:
    """What measured an analysis: the analysis version and the landmark runtime+models.

    Analyses stored before the landmark model was recorded in the version name it in the summary.
    """
    return f"{summary['version']}+{summary.get('landmark_model', 'unknown')}"


def current_model_id() -> str:
    from microneedling.analysis.landmarks import MODEL
    from microneedling.analysis.pipeline import ANALYSIS_VERSION

    return f"{ANALYSIS_VERSION}+{MODEL}"


def record_analysis(db: Session, photo: models.Photo, summary: dict[str, Any]) -> dict[str, Any]:
    """Store one analysis of a stored photo, under the id of the model that measured it."""
    kept = {k: v for k, v in summary.items() if k not in _NOT_STORED}
    row = models.PhotoAnalysisRecord(
        photo_id=photo.id,
        version=model_id(kept),
        quality_ok=kept["quality"]["ok"],
        summary=kept,
    )
    db.add(row)
    db.flush()
    return record(row, exclude=("summary",)) | {"photo_id": photo.id}


def _stored_bytes(photo: models.Photo) -> bytes:
    """The stored file of a photo, checked against its content hash."""
    field = f"photo {photo.id}"
    try:
        data = (photo_dir() / photo.stored_path).read_bytes()
    except OSError:
        raise ValidationError(field, "its stored file is missing from the photo store") from None
    if hashlib.sha256(data).hexdigest() != photo.sha256:
        raise ValidationError(field, "its stored file has changed since it was stored")
    return data


def reanalyze(
    db: Session, patient_code: str, *, view: str | None = None, force: bool = False
) -> dict[str, Any]:
    """Measure a patient's stored photos again with the current model, keeping the old analyses.

    Each photo gets a new analysis row under the current model id (the old rows stay, with theirs);
    photos whose newest analysis already has the current id are left alone unless ``force``. The
    options of the newest analysis (grey card, given scale) are used again. A photo that cannot be
    measured (its file gone, no face) is reported with the reason and nothing is stored for it.
    """
    from microneedling.analysis.images import analysis_ipd_px, check_box, decode_photo
    from microneedling.analysis.pipeline import analyze

    patient = patient_by_code(db, patient_code)
    if view is not None and view not in VIEWS:
        raise ValidationError("view", f"{view!r} is not one of {', '.join(VIEWS)}")
    query = select(models.Photo).where(models.Photo.patient_id == patient.id)
    if view is not None:
        query = query.where(models.Photo.view == view)
    current = current_model_id()
    outcomes = []
    for photo in db.scalars(query.order_by(models.Photo.taken_on, models.Photo.id)).all():
        previous = photo.analyses[-1] if photo.analyses else None
        outcome: dict[str, Any] = {
            "photo_id": photo.id,
            "taken_on": photo.taken_on.isoformat(),
            "view": photo.view,
            "previous_model": model_id(previous.summary) if previous else None,
        }
        if previous is not None and outcome["previous_model"] == current and not force:
            outcomes.append(outcome | {"status": "already current"})
            continue
        options = dict(previous.summary.get("options", {})) if previous else {}
        box, given_mm = options.get("grey_box"), options.get("mm_per_px")
        try:
            decoded = decode_photo(
                _stored_bytes(photo),
                f"photo {photo.id}",
                reduce_to_ipd_px=None if given_mm else analysis_ipd_px(),
            )
            result = analyze(
                decoded.rgb,
                grey_box=check_box(tuple(box), decoded) if box else None,
                mm_per_px=given_mm,
                view=photo.view,
                field_name=f"photo {photo.id}",
            )
        except MicroneedlingError as exc:
            outcomes.append(outcome | {"status": NOT_MEASURED, "reason": str(exc)})
            continue
        summary = result.summary() | {
            "sha256": photo.sha256,
            "options": options,
            "decode_scale": decoded.scale,
        }
        stored = record_analysis(db, photo, summary)
        outcomes.append(outcome | {"status": "measured", "analysis_id": stored["id"]})
    return {"patient": patient.code, "model": current, "photos": outcomes}


def check_repeats(repeats: int) -> None:
    """The number of repeatability runs of a comparison: 0 (none) or 2-20."""
    if not 0 <= repeats <= 20 or repeats == 1:
        raise ValidationError("repeats", f"{repeats} must be 0 or 2-20")


def compare_photos(
    before: Photo, after: Photo, *, repeats: int = 5, allow_poor_quality: bool = False
) -> Comparison:
    """Align a follow-up photo onto its baseline and judge each change against repeatability.

    Changes in photos that fail the capture-quality checks (or, for the colour metrics, whose
    white balance fell back) are "not comparable" unless ``allow_poor_quality``.
    """
    from microneedling.analysis.compare import compare

    check_repeats(repeats)
    return compare(
        before.rgb, after.rgb, repeat_runs=repeats, allow_poor_quality=allow_poor_quality
    )


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
    photos = db.scalars(
        select(models.Photo)
        .where(models.Photo.patient_id == patient.id, models.Photo.view == view)
        .options(selectinload(models.Photo.analyses))
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
                # colour metrics of a photo whose white balance fell back are not corrected
                "white_balance_fallback": bool(summary["white_balance"].get("fallback", False)),
                "model": model_id(summary),
                "zones": zones,
            }
        )
    models_used = sorted({p["model"] for p in points})
    # logged last: SQLite takes its database write lock at a transaction's first write, so
    # the entry holds it from here to the commit only (the web process's own lock still spans
    # the read)
    log_access(db, "read", patient)
    return {
        "patient": patient.code,
        "view": view,
        "start": start.isoformat() if start else None,
        "prediction_id": prediction.id if prediction else None,
        "models": models_used,
        "mixed_models": _mixed_models_warning(patient.code, models_used),
        "points": points,
    }


def _mixed_models_warning(patient_code: str, models_used: list[str]) -> str | None:
    """Analyses by different models are not comparable point to point: say so, and the fix."""
    if len(models_used) < 2:
        return None
    return (
        f"these photos were measured by {len(models_used)} different models "
        f"({', '.join(models_used)}); their values are not comparable point to point. "
        f"Reanalyze {patient_code} to measure them all with the current model."
    )
