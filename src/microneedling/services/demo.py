"""The bundled sample clinic, run end to end: import, screen, plan, treat, aftercare."""

from __future__ import annotations

from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from microneedling.core.errors import ContraindicatedError, ValidationError
from microneedling.core.parsing import utcnow
from microneedling.protocol.knowledge import Knowledge
from microneedling.records import models
from microneedling.records.database import Database, data_dir
from microneedling.services import consent, importer, plans, predictions, screenings, sessions
from microneedling.services import photos as photo_store
from microneedling.services.patients import list_patients

CLINICIAN = "Dr. Amsel"


def sample_clinic_path() -> Path:
    return Path(str(resources.files("microneedling.data").joinpath("sample_clinic.yaml")))


def run_demo(db: Database, knowledge: Knowledge, *, actor: str = "demo") -> dict[str, Any]:
    """Populate an empty, migrated database with the sample clinic and one whole session."""
    db.upgrade()
    with db.reading() as s:
        if list_patients(s):
            raise ValidationError(
                "database",
                f"{db.safe_url} already holds patients; the demo needs an empty database",
            )
    clinic = importer.read_clinic_file(sample_clinic_path())
    with db.transaction(actor) as s:
        imported = importer.import_clinic(s, knowledge, clinic)

    no_to_all = {c.code: False for c in knowledge.contraindications}
    answers = {
        "MN-0001": no_to_all | {"recent_retinoids": True},
        "MN-0002": no_to_all,
        "MN-0003": no_to_all | {"isotretinoin": True},
    }
    screened = {}
    with db.transaction(actor) as s:
        for code, given in answers.items():
            screened[code] = screenings.screen_patient(
                s, knowledge, patient_code=code, answers=given, clinician=CLINICIAN
            )
    with db.transaction(actor) as s:
        screenings.acknowledge(
            s,
            screening_id=screened["MN-0001"]["id"],
            clinician=CLINICIAN,
            note="retinoid stopped 6 days ago; patient informed",
        )

    created: dict[str, Any] = {}
    refused: dict[str, str] = {}
    for code, indication, device in (
        ("MN-0001", "acne_scars", "Dermapen 4"),
        ("MN-0002", "fine_lines", "SkinPen Precision"),
        ("MN-0003", "acne_scars", "Dermapen 4"),
    ):
        try:
            with db.transaction(actor) as s:
                created[code] = plans.create_plan(
                    s,
                    knowledge,
                    patient_code=code,
                    indication=indication,
                    clinician=CLINICIAN,
                    device=device,
                )
        except ContraindicatedError as exc:
            refused[code] = str(exc)

    plan = created["MN-0001"]
    with db.transaction(actor) as s:
        for kind in ("treatment", "research_photos"):
            form = consent.consent_form(kind)
            consent.record_consent(
                s,
                patient_code="MN-0001",
                kind=kind,
                statements=[item["id"] for item in form["statements"]],
                signer_name="Sample Patient One",
                shown_sha256=form["text_sha256"],
                witnessed_by=CLINICIAN,
            )
    with db.transaction(actor) as s:
        started = sessions.start_session(s, knowledge, plan_id=plan["id"], clinician=CLINICIAN)
    session_id = started["id"]
    removed = utcnow()
    with db.transaction(actor) as s:
        sessions.record_preparation(
            s,
            knowledge,
            session_id=session_id,
            cleansed=True,
            numbing_product="emla",
            applied_at=removed - timedelta(minutes=60),
            removed_at=removed,
            anaesthetic_area="cheeks and chin",
        )
    with db.transaction(actor) as s:
        for zone in plan["zones"]:
            sessions.record_zone(
                s,
                session_id=session_id,
                zone=zone["zone"],
                depth_mm=zone["depth_mm"],
                passes=3,
                pattern="crosshatch",
                endpoint="pinpoint_bleeding",
                cartridge_lot="DP4-2026-0142",
            )
    with db.transaction(actor) as s:
        sessions.record_post_treatment(
            s,
            session_id=session_id,
            product="sterile hyaluronic acid serum",
            sterile=True,
            immediate_reaction="uniform erythema, as expected",
        )
    with db.transaction(actor) as s:
        finished = sessions.finish_session(s, knowledge, session_id=session_id)
    with db.transaction(actor) as s:
        _, prediction = predictions.simulate_plan(s, plan_id=plan["id"])
    photos = _demo_photos(db, plan, actor)
    with db.reading() as s:
        patients = list_patients(s)
        screened = {
            code: screenings.screening_view(s.get_one(models.Screening, view["id"]))
            for code, view in screened.items()
        }
    return {
        "database": db.safe_url,
        "imported": imported,
        "patients": patients,
        "screenings": list(screened.values()),
        "plans": list(created.values()),
        "refused": refused,
        "session": finished,
        "prediction": prediction,
        "trend": photos,
    }


def _demo_photos(db: Database, plan: dict[str, Any], actor: str) -> dict[str, Any]:
    """Analyse the bundled sample photos as MN-0001's visits and return the trend."""
    from microneedling.analysis.images import read_photo
    from microneedling.analysis.pipeline import analyze
    from microneedling.analysis.synthetic import write_sample_series

    start = date.fromisoformat(plan["sessions"][0]["scheduled_for"])
    paths = write_sample_series(data_dir() / "demo-photos", force=True)  # the demo's own files
    for path, offset in zip(paths, (0, 7, 84), strict=True):
        photo = read_photo(path)
        summary = analyze(photo.rgb, field_name=path.name).summary()
        with db.transaction(actor) as s:
            row = photo_store.store_photo(
                s,
                patient_code="MN-0001",
                photo=photo,
                taken_on=start + timedelta(days=offset),
            )
            photo_store.record_analysis(s, row, summary)
    with db.transaction(actor) as s:
        return photo_store.trend(s, "MN-0001")
