"""Record graded assessments on named clinical scales."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from microneedling.core.clinical import Indication, RaterRole
from microneedling.core.errors import ValidationError
from microneedling.core.parsing import MAX_COUNT, parse_enum, utcnow
from microneedling.core.zones import parse_zone
from microneedling.protocol.knowledge import Knowledge
from microneedling.records import models
from microneedling.services.lookups import patient_by_code
from microneedling.services.views import record


def record_assessment(
    session: Session,
    knowledge: Knowledge,
    *,
    patient_code: str,
    **fields: Any,
) -> dict[str, Any]:
    """Store one score; the scale's range, integer-ness, indication and counts are checked."""
    patient = patient_by_code(session, patient_code)
    assessment = build_assessment(knowledge, patient, **fields)
    session.add(assessment)
    session.flush()
    return record(assessment, exclude=("patient_id",)) | {"patient": patient.code}


def build_assessment(
    knowledge: Knowledge,
    patient: models.Patient,
    *,
    zone: str,
    scale: str,
    score: float,
    rater: str,
    rater_role: str = RaterRole.INVESTIGATOR.value,
    time_point: str = "baseline",
    indication: str | None = None,
    counts: dict[str, int] | None = None,
    assessed_at: datetime | None = None,
    notes: str | None = None,
    field_prefix: str = "",
) -> models.Assessment:
    """Validate one score for ``patient`` and return the unsaved record."""
    f = field_prefix
    the_zone = parse_zone(zone, f"{f}zone")
    the_scale = knowledge.scale(scale, f"{f}scale")
    role = parse_enum(RaterRole, rater_role, f"{f}rater_role")
    if not rater.strip():
        raise ValidationError(f"{f}rater", "name who gave the score")
    if not time_point.strip():
        raise ValidationError(f"{f}time_point", "name the time point (e.g. baseline, week 12)")
    if not the_scale.min <= score <= the_scale.max:
        raise ValidationError(
            f"{f}score",
            f"{score:g} is outside {the_scale.name} range {the_scale.min:g}–{the_scale.max:g}",
        )
    if the_scale.integer and score != int(score):
        raise ValidationError(f"{f}score", f"{the_scale.name} takes whole numbers, not {score:g}")
    the_indication = None
    if indication is not None:
        the_indication = parse_enum(Indication, indication, f"{f}indication")
        if the_scale.indications and the_indication not in the_scale.indications:
            allowed = ", ".join(the_scale.indications)
            raise ValidationError(
                f"{f}indication", f"{scale} grades {allowed}, not {the_indication}"
            )
    counts = counts or {}
    unknown = sorted(set(counts) - set(the_scale.counts))
    if unknown:
        allowed = ", ".join(the_scale.counts) or "none"
        raise ValidationError(
            f"{f}counts.{unknown[0]}", f"not a count of {scale}; allowed: {allowed}"
        )
    for key, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
            raise ValidationError(
                f"{f}counts.{key}", f"{value!r} is not a count (0 to {MAX_COUNT})"
            )
    return models.Assessment(
        patient=patient,
        zone=the_zone.value,
        indication=the_indication.value if the_indication else None,
        scale=scale,
        scale_version=the_scale.version,
        score=float(score),
        counts=counts,
        rater_role=role.value,
        rater=rater,
        time_point=time_point,
        assessed_at=assessed_at or utcnow(),
        notes=notes,
    )
