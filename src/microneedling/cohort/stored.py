"""The cohort and the database: stored photos as a manifest, measured results stored back.

The science of the cohort never opens a database session; these two functions are what the
surfaces call with one (the CLI's ``cohort analyze --patient/--indication`` and ``--store``).
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from microneedling.cohort.consent import research_consented
from microneedling.cohort.manifest import Manifest, ManifestError, ManifestRow, Problem
from microneedling.cohort.results import MEASURED, read_part
from microneedling.cohort.runner import RunSummary
from microneedling.core.errors import ValidationError
from microneedling.records import models
from microneedling.records.photo_store import photo_dir
from microneedling.services.lookups import patient_by_code

__all__ = ["manifest_from_database", "store_results"]


def manifest_from_database(
    db: Session, *, patients: list[str] | None = None, indication: str | None = None
) -> tuple[Manifest, dict[str, int]]:
    """The stored photos of the listed patients, or of every patient with a plan of
    ``indication``, as a manifest (visit = the photo date's rank per patient and view).

    Patients without research consent are left out once consent is recorded; the counts say
    how many.
    """
    if not patients and not indication:
        raise ValidationError("source", "give a manifest, patients or an indication")
    chosen: list[models.Patient] = []
    if patients:
        chosen = [patient_by_code(db, code) for code in patients]
    else:
        plans = db.scalars(
            select(models.TreatmentPlan).where(models.TreatmentPlan.indication == indication)
        ).all()
        seen: dict[int, models.Patient] = {}
        for chosen_plan in plans:
            seen.setdefault(chosen_plan.patient_id, chosen_plan.patient)
        chosen = list(seen.values())
        if not chosen:
            raise ValidationError("indication", f"no patient has a plan for {indication!r}")
    consenting = research_consented(db, chosen)
    rows: list[ManifestRow] = []
    for patient in chosen:
        if patient.code not in consenting:
            continue
        plan: models.TreatmentPlan | None = patient.plans[-1] if patient.plans else None
        photos = db.scalars(
            select(models.Photo)
            .where(models.Photo.patient_id == patient.id)
            .order_by(models.Photo.taken_on, models.Photo.id)
        ).all()
        visits: dict[str, list[Any]] = defaultdict(list)
        for photo in photos:
            dates = visits[photo.view]
            if photo.taken_on not in dates:
                dates.append(photo.taken_on)
            session = None
            if photo.session_id is not None:
                treatment = db.get(models.TreatmentSession, photo.session_id)
                session = treatment.number if treatment is not None else None
            rows.append(
                ManifestRow(
                    row=photo.id,
                    patient=patient.code,
                    visit=dates.index(photo.taken_on),
                    date=photo.taken_on,
                    view=photo.view,
                    photo=photo_dir() / photo.stored_path,
                    session=session,
                    indication=plan.indication if plan else None,
                    fitzpatrick=patient.fitzpatrick,
                    birth_year=patient.birth_year,
                )
            )
    if not rows:
        raise ManifestError([Problem(0, "rows", "no stored photos of consenting patients")])
    counts = {"patients": len(chosen), "excluded_no_consent": len(chosen) - len(consenting)}
    return Manifest(tuple(rows), "database"), counts


def store_results(db: Session, manifest: Manifest, run: RunSummary) -> dict[str, int]:
    """Store each measured photo of the run with its patient (services.photos), once.

    A photo already stored with an analysis of the same model is left as it is.
    """
    from microneedling.analysis.images import analysis_ipd_px, read_photo
    from microneedling.services.photos import (
        current_model_id,
        model_id,
        record_analysis,
        store_photo,
    )

    rows = {r.row: r for r in manifest.rows}
    stored = skipped = 0
    for outcome in run.outcomes:
        record = read_part(run.out_dir, outcome.key) if outcome.key else None
        if record is None or record["status"] != MEASURED:
            continue
        row = rows[outcome.row]
        photo = read_photo(Path(row.photo), reduce_to_ipd_px=analysis_ipd_px())
        stored_photo = store_photo(
            db, patient_code=row.patient, photo=photo, view=row.view, taken_on=row.date
        )
        analyses = stored_photo.analyses
        if analyses and model_id(analyses[-1].summary) == current_model_id():
            skipped += 1
            continue
        record_analysis(db, stored_photo, record["summary"])
        stored += 1
    return {"stored": stored, "already_stored": skipped}
