from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session

from microneedling.protocol.knowledge import Knowledge
from microneedling.records.database import Database
from microneedling.services import assessments, consent, devices, patients, plans, screenings


def no_to_all(knowledge: Knowledge) -> dict[str, bool]:
    return {c.code: False for c in knowledge.contraindications}


@pytest.fixture
def clinic(database: Database, knowledge: Knowledge) -> Iterator[dict[str, Any]]:
    """A patient graded for acne scars, a pen with an in-date and an expired cartridge."""
    with database.transaction("setup") as s:
        patients.register_patient(s, code="P1", birth_year=1990, fitzpatrick="III")
        pen = devices.add_device(
            s, model="Pen16", kind="pen", needle_count=16, depth_min_mm=0.2, depth_max_mm=3.0
        )
        devices.add_cartridge(s, device_id=pen["id"], lot="GOOD", expiry=date(2099, 1, 1))
        devices.add_cartridge(s, device_id=pen["id"], lot="OLD", expiry=date(2020, 1, 1))
        for zone, grade in (("cheek_left", 4), ("cheek_right", 2)):
            assessments.record_assessment(
                s,
                knowledge,
                patient_code="P1",
                zone=zone,
                scale="goodman_baron_qualitative",
                score=grade,
                rater="Dr A",
                indication="acne_scars",
            )
        give_consent(s, "P1")
    yield {"patient": "P1", "device": "Pen16"}


def give_consent(s: Session, code: str, kind: str = "treatment") -> dict[str, Any]:
    """The patient's consent to the text in effect, every statement ticked (sessions need it)."""
    form = consent.consent_form(kind)
    return consent.record_consent(
        s,
        patient_code=code,
        kind=kind,
        statements=[item["id"] for item in form["statements"]],
        signer_name=f"Patient {code}",
        shown_sha256=form["text_sha256"],
    )


def screen(database: Database, knowledge: Knowledge, **yes: bool) -> dict[str, Any]:
    with database.transaction("dr") as s:
        return screenings.screen_patient(
            s, knowledge, patient_code="P1", answers=no_to_all(knowledge) | yes, clinician="Dr A"
        )


def make_plan(database: Database, knowledge: Knowledge, **kwargs: Any) -> dict[str, Any]:
    with database.transaction("dr") as s:
        return plans.create_plan(
            s,
            knowledge,
            patient_code="P1",
            indication="acne_scars",
            clinician="Dr A",
            device="Pen16",
            **kwargs,
        )
