import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from microneedling.core.clinical import Indication
from microneedling.core.errors import ValidationError
from microneedling.core.zones import FacialZone
from microneedling.protocol.knowledge import Knowledge, load_knowledge
from microneedling.protocol.planning import DeviceRange, Grade, floor_to_step, propose_plan


def test_severity_interpolates_inside_the_range(knowledge: Knowledge) -> None:
    zones = [FacialZone.CHIN, FacialZone.CHEEK_RIGHT, FacialZone.JAWLINE]
    grades = {
        FacialZone.CHIN: Grade("goodman_baron_qualitative", 4),
        FacialZone.CHEEK_RIGHT: Grade("goodman_baron_qualitative", 4),
    }
    plan = propose_plan(Indication.ACNE_SCARS, zones, grades, knowledge)
    depths = {z.zone: z.depth_mm for z in plan.zones}
    assert depths[FacialZone.CHIN] == 2.0  # most severe: top of 1.0-2.0 mm
    # the cheek zone includes the cheekbone: 1.0 mm at most (drpen_chart), whatever the grade
    assert depths[FacialZone.CHEEK_RIGHT] == 1.0
    assert depths[FacialZone.JAWLINE] == 1.0  # ungraded: shallowest
    assert "no graded severity" in plan.zones[2].rationale
    assert plan.sessions == 4 and plan.interval_days == 30
    assert "not medical advice" in plan.disclaimer


def test_nominal_and_effective_depth_are_explained(knowledge: Knowledge) -> None:
    """A plan says what its needle setting reaches; beyond the skin it warns as a simulation
    would, in the same words."""
    grades = {FacialZone.CHIN: Grade("goodman_baron_qualitative", 4)}
    plan = propose_plan(
        Indication.ACNE_SCARS, [FacialZone.CHIN, FacialZone.CHEEK_LEFT], grades, knowledge
    )
    chin, cheek = plan.zones
    assert "2 mm nominal → about 0.40 mm effective" in chin.rationale
    assert chin.effective_depth_mm == pytest.approx(0.396)
    assert (
        len(chin.warnings) == 1 and "would pass the dermis if it entered fully" in chin.warnings[0]
    )
    assert chin.warnings[0] in chin.rationale
    assert cheek.depth_mm == 1.0 and cheek.warnings == ()
    assert cheek.layer == "papillary_dermis"


def test_mid_grade_rounds_down_to_step(knowledge: Knowledge) -> None:
    grades = {FacialZone.FOREHEAD: Grade("fitzpatrick_wrinkle", 6)}
    plan = propose_plan(Indication.FINE_LINES, [FacialZone.FOREHEAD], grades, knowledge)
    # 0.25 + 5/8 * 0.5 = 0.5625 -> 0.55 (never rounded deeper)
    assert plan.zones[0].depth_mm == 0.55


def test_device_range_clamps(knowledge: Knowledge) -> None:
    roller = DeviceRange("roller 1.0", 1.0, 1.0)
    grades = {FacialZone.CHIN: Grade("goodman_baron_qualitative", 4)}
    plan = propose_plan(Indication.ACNE_SCARS, [FacialZone.CHIN], grades, knowledge, device=roller)
    assert plan.zones[0].depth_mm == 1.0
    assert "reaches at most 1 mm" in plan.zones[0].rationale


def test_device_too_deep_for_zone_is_refused(knowledge: Knowledge) -> None:
    roller = DeviceRange("MF8", 1.5, 1.5)
    with pytest.raises(ValidationError, match="deeper than the periorbital"):
        propose_plan(
            Indication.FINE_LINES, [FacialZone.PERIORBITAL_LEFT], {}, knowledge, device=roller
        )


def test_schedule_bounds(knowledge: Knowledge) -> None:
    with pytest.raises(ValidationError, match="sessions: 9 is outside the allowed range 3–6"):
        propose_plan(Indication.ACNE_SCARS, [FacialZone.CHIN], {}, knowledge, sessions=9)
    plan = propose_plan(Indication.ACNE_SCARS, [FacialZone.CHIN], {}, knowledge, interval_days=42)
    assert plan.interval_days == 42


def test_zone_list_checks(knowledge: Knowledge) -> None:
    with pytest.raises(ValidationError, match="at least one zone"):
        propose_plan(Indication.TEXTURE, [], {}, knowledge)
    with pytest.raises(ValidationError, match="listed twice"):
        propose_plan(Indication.TEXTURE, [FacialZone.NOSE, FacialZone.NOSE], {}, knowledge)


def test_floor_to_step() -> None:
    assert floor_to_step(0.5625) == 0.55
    assert floor_to_step(1.0) == 1.0
    assert floor_to_step(0.6) == 0.6


devices = st.tuples(st.floats(0.1, 2.5, allow_nan=False), st.floats(0.0, 2.0, allow_nan=False)).map(
    lambda t: DeviceRange("any", round(t[0], 2), round(t[0] + t[1], 2))
)


@settings(max_examples=300, deadline=None)
@given(
    indication=st.sampled_from(list(Indication)),
    zones=st.lists(st.sampled_from(list(FacialZone)), min_size=1, max_size=11, unique=True),
    scores=st.lists(st.integers(1, 4), min_size=11, max_size=11),
    device=st.one_of(st.none(), devices),
)
def test_plan_never_exceeds_zone_limit_or_device_range(
    indication: Indication,
    zones: list[FacialZone],
    scores: list[int],
    device: DeviceRange | None,
) -> None:
    knowledge = load_knowledge()
    grades = {z: Grade("glogau", s) for z, s in zip(FacialZone, scores, strict=False)}
    try:
        plan = propose_plan(indication, zones, grades, knowledge, device=device)
    except ValidationError as exc:
        # Only a device whose shallowest setting is deeper than a zone's limit is refused.
        assert device is not None and exc.field == "device"
        return
    for zone_plan in plan.zones:
        assert zone_plan.depth_mm <= knowledge.zones[zone_plan.zone].max_depth_mm.value + 1e-9
        assert zone_plan.depth_mm <= zone_plan.range_max_mm + 1e-9
        if device is not None:
            assert device.depth_min_mm - 1e-9 <= zone_plan.depth_mm <= device.depth_max_mm + 1e-9
        else:
            assert zone_plan.depth_mm >= zone_plan.range_min_mm - 1e-9
