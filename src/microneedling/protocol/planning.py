"""Turn graded zones into a treatment plan: a depth per zone and a schedule, each explained."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from microneedling import DISCLAIMER
from microneedling.core.anatomy import DepthReach, zone_depth
from microneedling.core.clinical import Indication
from microneedling.core.errors import ValidationError
from microneedling.core.zones import FacialZone
from microneedling.protocol.knowledge import Knowledge

DEPTH_STEP_MM = 0.05


@dataclass(frozen=True)
class Grade:
    """A zone's graded severity on a named scale."""

    scale: str
    score: float


@dataclass(frozen=True)
class DeviceRange:
    model: str
    depth_min_mm: float
    depth_max_mm: float


@dataclass(frozen=True)
class ZonePlan:
    """A zone's planned nominal depth (the needle setting), what it is expected to reach, and
    why; ``warnings`` are the depth warnings a simulation of this depth raises, word for word."""

    zone: FacialZone
    depth_mm: float
    range_min_mm: float
    range_max_mm: float
    rationale: str
    effective_depth_mm: float = 0.0
    layer: str = ""
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlanProposal:
    indication: Indication
    zones: tuple[ZonePlan, ...]
    sessions: int
    interval_days: int
    rationale: tuple[str, ...]
    disclaimer: str = DISCLAIMER


def floor_to_step(depth_mm: float, step_mm: float = DEPTH_STEP_MM) -> float:
    """Round a depth down to the device step, so rounding never goes deeper."""
    return round(math.floor(depth_mm / step_mm + 1e-9) * step_mm, 2)


def _within_dermis(
    zone: FacialZone, depth: float, device: DeviceRange | None, notes: list[str]
) -> DepthReach:
    """The reach of ``depth``, lowered in steps while its effective depth would pass the dermis
    (never with the bundled data: the effective depth is about a fifth of the setting)."""
    reach = zone_depth(zone, depth)
    lowest = device.depth_min_mm if device else DEPTH_STEP_MM
    planned = depth
    while reach.effective_mm > reach.dermis_bottom_mm and depth - DEPTH_STEP_MM >= lowest:
        depth = floor_to_step(depth - DEPTH_STEP_MM)
        reach = zone_depth(zone, depth)
    if depth != planned:
        notes.append(
            f"lowered from {planned:g} mm so that the needle is not expected to pass the dermis"
        )
    return reach


def _bounded(value: int | None, default: int, low: int, high: int, field: str) -> int:
    if value is None:
        return default
    if not low <= value <= high:
        raise ValidationError(field, f"{value} is outside the allowed range {low}–{high}")
    return value


def propose_plan(
    indication: Indication,
    zones: Sequence[FacialZone],
    grades: Mapping[FacialZone, Grade],
    knowledge: Knowledge,
    *,
    device: DeviceRange | None = None,
    sessions: int | None = None,
    interval_days: int | None = None,
) -> PlanProposal:
    """Choose a needle depth per zone from its graded severity, and the series schedule.

    The depth is ``min + severity * (max - min)`` of the indication's range for the zone, rounded
    down to 0.05 mm and kept inside the zone's limit and the device's range. An ungraded zone gets
    the shallowest depth of its range.

    Depths are nominal settings. Each zone's rationale says what the setting is expected to reach
    (:func:`microneedling.core.anatomy.zone_depth`, the rule the simulation uses): a depth whose
    effective reach would pass the dermis is lowered until it does not, and a depth deeper than the
    zone's typical skin carries the simulation's warning in ``warnings``.
    """
    if not zones:
        raise ValidationError("zones", "a plan needs at least one zone")
    if len(set(zones)) != len(zones):
        raise ValidationError("zones", "a zone is listed twice")
    if device and not 0 < device.depth_min_mm <= device.depth_max_mm:
        raise ValidationError("device", "device depth range must satisfy 0 < min <= max")
    table = knowledge.depths[indication]
    source = knowledge.sources[table.source]
    planned: list[ZonePlan] = []
    for zone in zones:
        low, high = table.zones[zone]
        limit = knowledge.zones[zone].max_depth_mm.value
        grade = grades.get(zone)
        if grade is None:
            severity = 0.0
            why = "no graded severity, shallowest depth of the range"
        else:
            scale = knowledge.scale(grade.scale)
            severity = min(max(scale.severity(grade.score), 0.0), 1.0)
            why = f"{scale.name} {grade.score:g} → severity {severity:.2f} of the range"
        depth = floor_to_step(low + severity * (high - low))
        notes = [f"range {low:g}–{high:g} mm for {indication} ({table.source})", why]
        ceiling = min(high, limit)
        if depth > ceiling:
            depth = ceiling
            notes.append(f"capped at zone limit {limit:g} mm")
        if device:
            if device.depth_min_mm > ceiling:
                raise ValidationError(
                    "device",
                    f"{device.model}'s shallowest setting {device.depth_min_mm:g} mm is deeper "
                    f"than the {zone.label} limit {ceiling:g} mm",
                )
            if depth > device.depth_max_mm:
                depth = floor_to_step(device.depth_max_mm)
                notes.append(f"{device.model} reaches at most {device.depth_max_mm:g} mm")
            if depth < device.depth_min_mm:
                depth = device.depth_min_mm
                notes.append(f"{device.model} starts at {device.depth_min_mm:g} mm")
        reach = _within_dermis(zone, depth, device, notes)
        notes.append(reach.explanation())
        warning = reach.warning
        if warning:
            notes.append(f"note: {warning}")
        planned.append(
            ZonePlan(
                zone=zone,
                depth_mm=reach.needle_mm,
                range_min_mm=low,
                range_max_mm=min(high, limit),
                rationale="; ".join(notes),
                effective_depth_mm=round(reach.effective_mm, 3),
                layer=reach.layer.value,
                warnings=(warning,) if warning else (),
            )
        )
    schedule = knowledge.schedules[indication]
    n_sessions = _bounded(
        sessions,
        schedule.sessions.default,
        schedule.sessions.min,
        schedule.sessions.max,
        "sessions",
    )
    interval = _bounded(
        interval_days,
        schedule.interval_days.default,
        schedule.interval_days.min,
        schedule.interval_days.max,
        "interval_days",
    )
    rationale = (
        f"Depth ranges: {source}",
        f"{n_sessions} sessions every {interval} days "
        f"(range {schedule.sessions.min}–{schedule.sessions.max} sessions, "
        f"{schedule.interval_days.min}–{schedule.interval_days.max} days; "
        f"{knowledge.sources[schedule.interval_days.source]})",
        f"Maintenance every {schedule.maintenance_months.min}–{schedule.maintenance_months.max} "
        "months after the series.",
    )
    return PlanProposal(
        indication=indication,
        zones=tuple(planned),
        sessions=n_sessions,
        interval_days=interval,
        rationale=rationale,
    )
