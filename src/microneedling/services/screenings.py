"""Record contraindication screenings and clinician acknowledgements of relative findings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from microneedling.core.clinical import ScreeningOutcome
from microneedling.core.errors import ContraindicatedError, ValidationError
from microneedling.core.parsing import utcnow
from microneedling.protocol.knowledge import Knowledge
from microneedling.protocol.screening import ensure_treatable, evaluate_screening
from microneedling.records import models
from microneedling.services.lookups import by_id, latest_screening, patient_by_code
from microneedling.services.views import screening_view

__all__ = [
    "acknowledge",
    "require_current_screening",
    "screen_patient",
    "screening_questions",
    "screening_view",
]


def screening_questions(knowledge: Knowledge) -> list[dict[str, str]]:
    """The screening questions in order: code, kind (absolute/relative, after the clinic's
    policy) and the question as asked (policy values filled in)."""
    return [
        {
            "code": c.code,
            "kind": knowledge.contraindication_kind(c).value,
            "question": knowledge.question(c),
        }
        for c in knowledge.contraindications
    ]


def screen_patient(
    session: Session,
    knowledge: Knowledge,
    *,
    patient_code: str,
    answers: dict[str, bool],
    clinician: str,
) -> dict[str, Any]:
    """Store the answers, the outcome and the findings with their reasons."""
    patient = patient_by_code(session, patient_code)
    if not clinician.strip():
        raise ValidationError("clinician", "name the clinician who screened")
    result = evaluate_screening(answers, knowledge)
    screening = models.Screening(
        patient_id=patient.id,
        answers=dict(answers),
        outcome=result.outcome.value,
        findings=[
            {"code": f.code, "kind": f.kind.value, "question": f.question, "reason": f.reason}
            for f in result.findings
        ],
        screened_by=clinician,
    )
    session.add(screening)
    session.flush()
    return screening_view(screening)


def acknowledge(
    session: Session, *, screening_id: int, clinician: str, note: str | None = None
) -> dict[str, Any]:
    """A clinician accepts the relative contraindications of a screening; recorded with a time."""
    screening = by_id(session, models.Screening, screening_id, "screening")
    if not clinician.strip():
        raise ValidationError("clinician", "name the acknowledging clinician")
    if screening.outcome == ScreeningOutcome.ABSOLUTE:
        raise ContraindicatedError(
            f"screening {screening_id} has an absolute contraindication; it cannot be acknowledged"
        )
    if screening.outcome == ScreeningOutcome.CLEAR:
        raise ValidationError(
            "screening_id", f"screening {screening_id} has nothing to acknowledge"
        )
    if screening.acknowledged_by:
        raise ValidationError("screening_id", f"screening {screening_id} was already acknowledged")
    screening.acknowledged_by = clinician
    screening.acknowledged_at = utcnow()
    screening.acknowledgement_note = note
    session.flush()
    return screening_view(screening)


def require_current_screening(
    session: Session, knowledge: Knowledge, patient: models.Patient
) -> models.Screening:
    """The latest screening must exist, be recent, and allow treatment."""
    screening = latest_screening(session, patient)
    if screening is None:
        raise ContraindicatedError(
            f"patient {patient.code} has not been screened: run `microneedling screening run`"
        )
    valid_days = knowledge.policy.screening_valid_days
    if utcnow() - screening.screened_at > timedelta(days=valid_days):
        raise ContraindicatedError(
            f"patient {patient.code}'s latest screening ({screening.screened_at:%Y-%m-%d}) is "
            f"older than {valid_days} days; screen again"
        )
    ensure_treatable(
        ScreeningOutcome(screening.outcome),
        tuple(f["code"] for f in screening.findings),
        acknowledged=screening.acknowledged_by is not None,
    )
    return screening
