"""What a researcher may see: only patients who consented to research use of their photos.

A researcher's lists hold those patients only, and any other patient's record, timeline, trend
or plan is refused (``ResearchRefused``, a 403 on the web), whatever else the role allows.
Consent itself is ``services.consent``; this module only asks it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from microneedling.core.errors import MicroneedlingError
from microneedling.records import models
from microneedling.records.consent import ConsentRecord
from microneedling.services.consent import has_research_consent
from microneedling.services.lookups import by_id, patient_by_code


class ResearchRefused(MicroneedlingError):  # noqa: N818 - a refusal, named as the user sees it
    """The patient has not consented to research use (or withdrew it)."""


def research_patient_ids(db: Session) -> set[int]:
    """Ids of the patients whose latest research consent is given and not withdrawn."""
    rows = db.execute(
        select(ConsentRecord.patient_id, ConsentRecord.withdrawn_at)
        .where(ConsentRecord.kind == "research_photos")
        .order_by(ConsentRecord.patient_id, ConsentRecord.signed_at, ConsentRecord.id)
    )
    latest: dict[int, bool] = {}
    for patient_id, withdrawn_at in rows:
        latest[patient_id] = withdrawn_at is None  # later rows replace earlier ones
    return {patient_id for patient_id, given in latest.items() if given}


def require_research_consent(db: Session, patient: models.Patient) -> None:
    if not has_research_consent(db, patient):
        raise ResearchRefused(
            f"patient {patient.code} has not consented to research use; "
            "a researcher sees only patients who have"
        )


def require_patient_for_research(db: Session, code: str) -> None:
    require_research_consent(db, patient_by_code(db, code))


def require_plan_for_research(db: Session, plan_id: int) -> None:
    plan = by_id(db, models.TreatmentPlan, plan_id, "plan")
    require_research_consent(db, plan.patient)
