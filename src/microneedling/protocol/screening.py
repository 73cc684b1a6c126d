"""Contraindication screening: answers in, outcome and findings out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from microneedling.core.clinical import ContraindicationKind, ScreeningOutcome
from microneedling.core.errors import ContraindicatedError, ValidationError
from microneedling.protocol.knowledge import Knowledge


@dataclass(frozen=True)
class Finding:
    """A contraindication the patient answered yes to."""

    code: str
    kind: ContraindicationKind
    question: str
    reason: str


@dataclass(frozen=True)
class ScreeningResult:
    outcome: ScreeningOutcome
    findings: tuple[Finding, ...]

    @property
    def absolute(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.kind is ContraindicationKind.ABSOLUTE)

    @property
    def relative(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.kind is ContraindicationKind.RELATIVE)


def evaluate_screening(answers: Mapping[str, bool], knowledge: Knowledge) -> ScreeningResult:
    """Check that every question is answered, and classify the yes answers."""
    known = {c.code for c in knowledge.contraindications}
    unknown = sorted(set(answers) - known)
    if unknown:
        raise ValidationError(
            f"answers.{unknown[0]}",
            f"unknown contraindication; known codes: {', '.join(sorted(known))}",
        )
    missing = [c.code for c in knowledge.contraindications if c.code not in answers]
    if missing:
        raise ValidationError(
            "answers", f"every question must be answered; missing: {', '.join(missing)}"
        )
    findings = tuple(
        Finding(
            code=item.code,
            kind=knowledge.contraindication_kind(item),
            question=knowledge.question(item),
            reason=item.reason,
        )
        for item in knowledge.contraindications
        if answers[item.code]
    )
    kinds = {f.kind for f in findings}
    if ContraindicationKind.ABSOLUTE in kinds:
        outcome = ScreeningOutcome.ABSOLUTE
    elif ContraindicationKind.RELATIVE in kinds:
        outcome = ScreeningOutcome.RELATIVE
    else:
        outcome = ScreeningOutcome.CLEAR
    return ScreeningResult(outcome=outcome, findings=findings)


def ensure_treatable(
    outcome: ScreeningOutcome, findings: tuple[str, ...], *, acknowledged: bool
) -> None:
    """Refuse a plan when the screening has an absolute, or an unacknowledged relative, finding."""
    listed = ", ".join(findings)
    if outcome is ScreeningOutcome.ABSOLUTE:
        raise ContraindicatedError(
            f"screening has an absolute contraindication ({listed}); no plan can be made"
        )
    if outcome is ScreeningOutcome.RELATIVE and not acknowledged:
        raise ContraindicatedError(
            f"screening has relative contraindications ({listed}) that a clinician must "
            "acknowledge first: microneedling screening acknowledge SCREENING_ID --clinician NAME"
        )
