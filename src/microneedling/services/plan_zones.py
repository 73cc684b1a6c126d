"""Change a planned zone's depth, within the protocol's limits, and explain a zone for the editor.

The plan editor (web) opens one zone of a plan: its planned depth with the protocol's reasons,
the indication's range, the zone's limit, the device's range and what the depth is expected to
reach. A clinician may set another depth: never past the zone's limit or the device's range (the
same limits ``propose_plan`` applies), and outside the indication's range only with a reason. The
change is stored in the plan's zone (the audit log keeps the old value) and its rationale says who
set it and why.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from microneedling.core.anatomy import zone_depth
from microneedling.core.clinical import Indication
from microneedling.core.errors import ValidationError
from microneedling.core.parsing import check_text
from microneedling.core.vocabulary import display
from microneedling.core.zones import FacialZone, parse_zone
from microneedling.protocol.knowledge import Knowledge
from microneedling.protocol.phases import MAX_PASSES
from microneedling.protocol.planning import DEPTH_STEP_MM
from microneedling.records import models
from microneedling.services.lookups import by_id
from microneedling.services.views import plan_view

MAX_REASON_LENGTH = 500


def zone_limits(
    knowledge: Knowledge, plan: models.TreatmentPlan, zone: FacialZone
) -> dict[str, Any]:
    """The limits a zone's depth must keep in this plan, each with where it comes from."""
    indication = Indication(plan.indication)
    table = knowledge.depths[indication]
    low, high = table.zones[zone]
    limit = knowledge.zones[zone].max_depth_mm
    device = plan.device
    lowest = device.depth_min_mm if device else DEPTH_STEP_MM
    deepest = min(limit.value, device.depth_max_mm) if device else limit.value
    return {
        "range_min_mm": low,
        "range_max_mm": min(high, limit.value),
        "range_source": table.source,
        "zone_limit_mm": limit.value,
        "zone_limit_source": limit.source,
        "zone_limit_note": limit.note,
        "device": device.model if device else None,
        "device_min_mm": device.depth_min_mm if device else None,
        "device_max_mm": device.depth_max_mm if device else None,
        "allowed_min_mm": lowest,
        "allowed_max_mm": deepest,
        "max_passes": MAX_PASSES,
    }


def zone_detail(knowledge: Knowledge, plan: models.TreatmentPlan, zone: str) -> dict[str, Any]:
    """One planned zone for the editor: depth, rationale, limits and expected reach."""
    the_zone = parse_zone(zone)
    row = next((z for z in plan.zones if z.zone == the_zone.value), None)
    if row is None:
        raise ValidationError("zone", f"plan {plan.id} does not treat {display('zone', the_zone)}")
    reach = zone_depth(the_zone, row.depth_mm)
    return {
        "zone": the_zone.value,
        "depth_mm": row.depth_mm,
        "rationale": row.rationale,
        "reach": reach.explanation(),
        "layer": reach.layer.value,
        "effective_depth_mm": round(reach.effective_mm, 3),
        "warning": reach.warning,
    } | zone_limits(knowledge, plan, the_zone)


def plan_details(db: Session, knowledge: Knowledge, plan_id: int) -> dict[str, Any]:
    """A plan's view with every zone's editor detail (``zone_details``, in plan order)."""
    plan = by_id(db, models.TreatmentPlan, plan_id, "plan")
    return plan_view(plan) | {
        "zone_details": [zone_detail(knowledge, plan, z.zone) for z in plan.zones]
    }


def set_zone_depth(
    db: Session,
    knowledge: Knowledge,
    *,
    plan_id: int,
    zone: str,
    depth_mm: float,
    clinician: str,
    reason: str | None = None,
) -> dict[str, Any]:
    """Set a planned zone's depth (a nominal needle setting, mm), within the protocol's limits.

    Refused past the zone's limit or the device's range, or off the 0.05 mm device step; outside
    the indication's range only with a ``reason``. Only a plan with no session started yet may be
    changed: a started session was treated to the plan as it stood.
    """
    plan = by_id(db, models.TreatmentPlan, plan_id, "plan")
    the_zone = parse_zone(zone)
    row = next((z for z in plan.zones if z.zone == the_zone.value), None)
    if row is None:
        raise ValidationError("zone", f"plan {plan_id} does not treat {display('zone', the_zone)}")
    if any(s.phase != "scheduled" for s in plan.sessions):
        raise ValidationError("plan_id", f"plan {plan_id} has a session started; plan anew")
    if not clinician.strip():
        raise ValidationError("clinician", "name the planning clinician")
    why = check_text(reason or "", "reason", max_length=MAX_REASON_LENGTH).strip()
    limits = zone_limits(knowledge, plan, the_zone)
    low, high = limits["allowed_min_mm"], limits["allowed_max_mm"]
    if not low <= depth_mm <= high:
        source = "the device's range" if plan.device else "the zone's limit"
        raise ValidationError(
            "depth_mm",
            f"{depth_mm:g} mm is outside {low:g}–{high:g} mm for {display('zone', the_zone)} "
            f"(zone limit {limits['zone_limit_mm']:g} mm; {source})",
        )
    steps = depth_mm / DEPTH_STEP_MM
    if abs(steps - round(steps)) > 1e-6:
        raise ValidationError("depth_mm", f"{depth_mm:g} mm is not a multiple of {DEPTH_STEP_MM}")
    outside = not limits["range_min_mm"] <= depth_mm <= limits["range_max_mm"]
    if outside and not why:
        raise ValidationError(
            "reason",
            f"{depth_mm:g} mm is outside the {limits['range_min_mm']:g}–"
            f"{limits['range_max_mm']:g} mm range for {display('indication', plan.indication)}; "
            "say why",
        )
    reach = zone_depth(the_zone, depth_mm)
    notes = [f"set to {depth_mm:g} mm by {clinician} (was {row.depth_mm:g} mm)"]
    if why:
        notes.append(f"reason: {why}")
    notes.append(reach.explanation())
    if reach.warning:
        notes.append(f"note: {reach.warning}")
    row.depth_mm = round(depth_mm, 2)
    row.rationale = "; ".join(notes)
    db.flush()
    db.refresh(plan)
    return plan_view(plan) | {"warnings": [reach.warning] if reach.warning else []}
