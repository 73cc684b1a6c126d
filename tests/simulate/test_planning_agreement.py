"""Planning and simulation agree on depth: every indication, every zone, every catalogue device.

The planner recommends nominal needle settings and explains what each reaches; a simulation of
the planned depth must raise no depth warning that the plan did not already carry, word for word.
"""

from __future__ import annotations

import pytest

from microneedling.core.clinical import Indication
from microneedling.core.errors import ValidationError
from microneedling.core.zones import FacialZone
from microneedling.protocol.knowledge import load_knowledge
from microneedling.protocol.planning import DeviceRange, Grade, ZonePlan, propose_plan
from microneedling.simulate.devices import DeviceSpec, catalogue
from microneedling.simulate.geometry import rectangle
from microneedling.simulate.puncture_field import TreatmentSettings
from microneedling.simulate.treatment import Schedule, simulate_zone

SMALL = rectangle("test patch", 10.0, 10.0)  # depth does not depend on the area simulated


def _zone_plans(device: DeviceSpec) -> dict[tuple[FacialZone, float], ZonePlan]:
    """Every distinct (zone, depth) the planner proposes with ``device``, mildest to worst."""
    knowledge = load_knowledge()
    found: dict[tuple[FacialZone, float], ZonePlan] = {}
    the_range = DeviceRange(device.model, device.depth_mm.min, device.depth_mm.max)
    for indication in Indication:
        for score in (1, 4):
            for zone in FacialZone:
                grades = {zone: Grade("glogau", score)}
                try:
                    plan = propose_plan(indication, [zone], grades, knowledge, device=the_range)
                except ValidationError as exc:
                    # a device whose shallowest setting is too deep for the zone: no plan at all
                    assert exc.field == "device"
                    continue
                (zone_plan,) = plan.zones
                found.setdefault((zone, zone_plan.depth_mm), zone_plan)
    return found


@pytest.mark.parametrize("device", catalogue(), ids=lambda d: d.model)
def test_simulation_raises_no_depth_warning_the_plan_did_not_explain(device: DeviceSpec) -> None:
    plans = _zone_plans(device)
    assert plans, f"{device.model}: no plan for any zone"
    for (zone, depth), zone_plan in plans.items():
        settings = TreatmentSettings(depth_mm=depth, passes=1)
        simulated = simulate_zone(device, settings, zone, Schedule(1, 30), outline=SMALL)
        assert simulated.depth.effective_mm == pytest.approx(zone_plan.effective_depth_mm, abs=1e-3)
        assert simulated.depth.layer.value == zone_plan.layer
        warning = simulated.depth.warning
        if warning is not None:
            assert warning in zone_plan.warnings, (device.model, zone, depth)
            assert warning in zone_plan.rationale
        else:
            assert zone_plan.warnings == ()
        # the planner never proposes a depth expected to pass the dermis
        assert simulated.depth.effective_mm <= simulated.depth.dermis_bottom_mm


def test_the_cheek_plan_of_the_issue_no_longer_passes_the_dermis() -> None:
    """Issue 9: 1.65 mm planned on the cheek, then warned as passing the 1.05 mm dermis."""
    knowledge = load_knowledge()
    grades = {FacialZone.CHEEK_LEFT: Grade("goodman_baron_qualitative", 3)}
    plan = propose_plan(Indication.ACNE_SCARS, [FacialZone.CHEEK_LEFT], grades, knowledge)
    (cheek,) = plan.zones
    assert cheek.depth_mm == 1.0 and cheek.warnings == ()
