"""A simulation's punctures and memory are known before anything is allocated, and bounded."""

from __future__ import annotations

from dataclasses import replace

import pytest

from microneedling.core.errors import ValidationError
from microneedling.core.zones import FacialZone
from microneedling.simulate.devices import find_device
from microneedling.simulate.geometry import zone_outlines
from microneedling.simulate.puncture_field import (
    MAX_PUNCTURES,
    TreatmentSettings,
    check_budget,
    estimate_budget,
    expected_density_per_cm2,
    generate_punctures,
    generated_per_pass,
)

FACE = [z for z in FacialZone if z is not FacialZone.NECK]


@pytest.mark.parametrize(
    ("model", "depth"),
    [("Dermapen 4", 1.0), ("Dermaroller MF8", 1.5), ("Derma stamp 36", 1.0)],
)
def test_the_estimate_matches_what_is_generated(model: str, depth: float) -> None:
    """The kept punctures are within a few per cent of the estimate, and never more are
    generated than estimated (the estimate bounds every pass's allocation)."""
    device = find_device(model)
    settings = TreatmentSettings(depth_mm=min(depth, device.depth_mm.max), passes=3, seed=4)
    outline = zone_outlines()[FacialZone.CHEEK_LEFT]
    budget = estimate_budget(device, settings, [outline])
    field = generate_punctures(device, settings, outline)
    assert len(field) == pytest.approx(budget.kept, rel=0.08)
    assert budget.generated >= len(field)
    assert budget.generated == sum(generated_per_pass(device, settings, outline))


def test_the_estimate_scales_with_the_settings() -> None:
    device = find_device("Dermapen 4")
    outlines = [zone_outlines()[z] for z in FACE]
    base = estimate_budget(device, TreatmentSettings(depth_mm=1.0), outlines)
    slow = estimate_budget(device, TreatmentSettings(depth_mm=1.0, speed_mm_s=10.0), outlines)
    assert slow.kept == pytest.approx(3 * base.kept, rel=0.01)
    assert slow.generated == pytest.approx(3 * base.generated, rel=0.05)
    assert slow.peak_bytes > 2.5 * base.peak_bytes
    density = expected_density_per_cm2(device, TreatmentSettings(depth_mm=1.0))
    area = sum(o.area_cm2 for o in outlines)
    assert base.kept == pytest.approx(density * area, rel=0.001)


def test_the_default_whole_face_session_fits_the_limits() -> None:
    device = find_device("Dermapen 4")
    settings = TreatmentSettings(depth_mm=1.0)
    budget = estimate_budget(device, settings, [zone_outlines()[z] for z in FACE])
    check_budget(budget, device, settings)
    assert budget.generated < MAX_PUNCTURES / 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"speed_mm_s": 1.0}, "speed_mm_s"),
        ({"speed_mm_s": 0.1}, "speed_mm_s"),
        ({"passes": 30, "overlap": 0.9}, "overlap"),
        ({"passes": 30}, "passes"),
    ],
)
def test_requests_past_the_limit_are_refused_naming_the_setting(
    change: dict[str, float], field: str
) -> None:
    device = find_device("Dermapen 4")
    settings = replace(TreatmentSettings(depth_mm=1.0), **change)
    budget = estimate_budget(device, settings, [zone_outlines()[z] for z in FACE])
    with pytest.raises(ValidationError) as err:
        check_budget(budget, device, settings)
    assert err.value.field == field
    assert f"limit {MAX_PUNCTURES:,}" in err.value.reason


def test_the_memory_limit_is_checked_too() -> None:
    device = find_device("Dermapen 4")
    settings = TreatmentSettings(depth_mm=1.0)
    budget = estimate_budget(device, settings, [zone_outlines()[FacialZone.CHIN]])
    check_budget(budget, device, settings, max_bytes=budget.peak_bytes)
    with pytest.raises(ValidationError, match=r"GB of memory \(limit"):
        check_budget(budget, device, settings, max_bytes=budget.peak_bytes - 1)


def test_generate_punctures_refuses_before_allocating() -> None:
    """Even called directly (a stored plan, a script), a huge zone request stops at once."""
    device = find_device("Dermapen 4")
    settings = TreatmentSettings(depth_mm=1.0, speed_mm_s=0.01)
    with pytest.raises(ValidationError, match="speed_mm_s"):
        generate_punctures(device, settings, zone_outlines()[FacialZone.FOREHEAD])


@pytest.mark.parametrize("speed", [float("inf"), float("nan"), -1.0, 0.0])
def test_impossible_speeds_are_refused(speed: float) -> None:
    device = find_device("Dermapen 4")
    with pytest.raises(ValidationError, match="speed_mm_s"):
        estimate_budget(
            device, TreatmentSettings(depth_mm=1.0, speed_mm_s=speed), [zone_outlines()[FACE[0]]]
        )
