"""The procedure as a state machine, and the checks each phase's record must pass."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from microneedling.core.clinical import PHASE_ORDER, ClinicalEndpoint, Pattern, Phase
from microneedling.core.errors import PhaseOrderError, ValidationError
from microneedling.core.zones import FacialZone
from microneedling.protocol.knowledge import Knowledge

MAX_PASSES = 20  # rollers use 15-20 passes (Doddaballapur 2009); pens far fewer


def next_phase(current: Phase) -> Phase:
    """The phase after ``current``; completed sessions have none."""
    if current is Phase.COMPLETED:
        raise PhaseOrderError("session is already completed")
    return PHASE_ORDER[PHASE_ORDER.index(current) + 1]


def require_phase(current: Phase, expected: Phase, action: str) -> None:
    """Refuse ``action`` unless the session is in ``expected``; phases cannot be skipped."""
    if current is not expected:
        raise PhaseOrderError(
            f"cannot {action}: the session is in phase '{current}', this needs phase '{expected}'"
        )


@dataclass(frozen=True)
class Preparation:
    cleansed: bool
    numbing_product: str | None
    applied_at: datetime | None
    removed_at: datetime | None
    anaesthetic_area: str | None

    @property
    def dwell_minutes(self) -> float | None:
        if self.applied_at is None or self.removed_at is None:
            return None
        return (self.removed_at - self.applied_at).total_seconds() / 60.0


def check_preparation(record: Preparation, knowledge: Knowledge) -> list[str]:
    """Validate a preparation record; return warnings that the clinician should see."""
    if not record.cleansed:
        raise ValidationError("cleansed", "skin must be cleansed before treatment")
    warnings: list[str] = []
    if record.numbing_product is None:
        return warnings
    if record.applied_at is None or record.removed_at is None:
        raise ValidationError(
            "numbing", "a numbing product needs both its application and removal time"
        )
    dwell = record.dwell_minutes
    assert dwell is not None
    if dwell <= 0:
        raise ValidationError("removed_at", "removal time must be after application time")
    if not record.anaesthetic_area:
        raise ValidationError("anaesthetic_area", "name the area the numbing product covered")
    product = knowledge.anaesthetic(record.numbing_product)
    if product is None:
        warnings.append(
            f"numbing product {record.numbing_product!r} is not in the catalogue; "
            "dwell time not checked"
        )
    elif not product.dwell_min <= dwell <= product.dwell_max:
        warnings.append(
            f"{product.name} was on for {dwell:.0f} min, outside its stated "
            f"{product.dwell_min:g}–{product.dwell_max:g} min"
        )
    return warnings


@dataclass(frozen=True)
class ZoneTreatment:
    zone: FacialZone
    depth_mm: float
    passes: int
    pattern: Pattern
    endpoint: ClinicalEndpoint
    deviation_reason: str | None = None


def check_zone_treatment(
    record: ZoneTreatment,
    *,
    planned_range_mm: tuple[float, float] | None,
    device_range_mm: tuple[float, float],
) -> list[str]:
    """A depth outside the plan's range needs a reason; one outside the device's is impossible."""
    if not 1 <= record.passes <= MAX_PASSES:
        raise ValidationError("passes", f"{record.passes} is outside 1–{MAX_PASSES}")
    low_dev, high_dev = device_range_mm
    if not low_dev <= record.depth_mm <= high_dev:
        raise ValidationError(
            "depth_mm",
            f"{record.depth_mm:g} mm is outside the device's range {low_dev:g}–{high_dev:g} mm",
        )
    if planned_range_mm is None:
        raise ValidationError("zone", f"{record.zone} is not in the plan")
    low, high = planned_range_mm
    if not low <= record.depth_mm <= high:
        if not (record.deviation_reason and record.deviation_reason.strip()):
            raise ValidationError(
                "deviation_reason",
                f"{record.depth_mm:g} mm is outside the plan's {low:g}–{high:g} mm for "
                f"{record.zone}; record a reason",
            )
        return [f"{record.zone}: {record.depth_mm:g} mm outside plan ({record.deviation_reason})"]
    return []


@dataclass(frozen=True)
class PostTreatment:
    product: str
    sterile: bool
    immediate_reaction: str | None


def check_post_treatment(record: PostTreatment) -> list[str]:
    if not record.product.strip():
        raise ValidationError("product", "name the product applied after treatment")
    if not record.sterile:
        return [
            f"{record.product} is not sterile: non-sterile topicals in fresh channels have "
            "caused granulomas (Soltani-Arabshahi 2014)"
        ]
    return []
