"""Micro-channel absorption against the Potts-Guy relation and analytic limits."""

from typing import Any

import numpy as np
import pytest
from scipy.integrate import trapezoid

from microneedling.core.errors import NotFoundError, ValidationError
from microneedling.simulate.absorption import (
    ChannelGeometry,
    Topical,
    absorption_course,
    aqueous_diffusivity_cm2_h,
    find_topical,
    potts_guy_kp_cm_h,
)

CHANNELS = ChannelGeometry(area_fraction=0.05, path_length_mm=0.2)


def molecule(mw: float, log_kow: float = 0.0) -> Topical:
    return Topical(code="m", name="m", mw=mw, log_kow=log_kow)


def test_potts_guy_in_both_published_units() -> None:
    """log kp [cm/s] = -6.3 + ... is the cm/h relation (-2.74 is -6.3 + log10 3600, rounded)."""
    for mw, log_kow in ((18.0, -1.38), (194.19, -0.07), (500.0, 3.0)):
        kp_cm_s = 10 ** (-6.3 + 0.71 * log_kow - 0.0061 * mw)
        assert potts_guy_kp_cm_h(mw, log_kow) == pytest.approx(kp_cm_s * 3600, rel=0.01)


def test_stokes_einstein_diffusivity_of_sucrose() -> None:
    """Sucrose in water: 0.52e-5 cm2/s at 25 C, about 0.62e-5 at 32 C (T / viscosity)."""
    d_cm2_s = aqueous_diffusivity_cm2_h(342.3) / 3600
    assert d_cm2_s == pytest.approx(0.62e-5, rel=0.2)


def test_without_channels_flux_is_exactly_potts_guy() -> None:
    product = find_topical("caffeine")
    course = absorption_course(product, 10.0, None, infinite_dose=True)
    kp = potts_guy_kp_cm_h(product.mw, product.log_kow)
    assert np.allclose(course.flux_ug_cm2_h, kp * 10_000)
    assert course.enhancement_ratio == pytest.approx(1.0)
    none = absorption_course(product, 10.0, ChannelGeometry(0.0, 0.2), infinite_dose=True)
    assert np.array_equal(none.flux_ug_cm2_h, course.flux_ug_cm2_h)


def test_closed_channels_add_nothing() -> None:
    course = absorption_course(find_topical("niacinamide"), 10.0, CHANNELS, infinite_dose=True)
    late = course.hours > 20 * course.tau_h
    intact = course.kp_cm_h * 10_000
    assert np.allclose(course.flux_ug_cm2_h[late], intact, rtol=1e-6)
    assert course.flux_ug_cm2_h[0] > 100 * intact


def test_cumulative_matches_the_closed_form_and_the_flux() -> None:
    course = absorption_course(
        find_topical("caffeine"), 10.0, CHANNELS, occluded=True, infinite_dose=True
    )
    c = 10_000.0
    total = course.hours[-1]
    exact = c * (
        course.kp_cm_h * total
        + course.channel_permeability_cm_h * course.tau_h * (1 - np.exp(-total / course.tau_h))
    )
    assert course.cumulative_ug_cm2[-1] == pytest.approx(exact, rel=1e-9)
    assert trapezoid(course.flux_ug_cm2_h, course.hours) == pytest.approx(exact, rel=1e-3)


def test_larger_molecules_gain_more_relative_enhancement() -> None:
    ratios = [
        absorption_course(molecule(mw), 1.0, CHANNELS, infinite_dose=True).enhancement_ratio
        for mw in (100, 200, 400, 600)
    ]
    assert ratios == sorted(ratios)
    assert ratios[-1] > 10 * ratios[0]


def test_hydrophilic_molecules_gain_more_than_lipophilic() -> None:
    hydrophilic = absorption_course(
        molecule(200, -2), 1.0, CHANNELS, infinite_dose=True
    ).enhancement_ratio
    lipophilic = absorption_course(
        molecule(200, 3), 1.0, CHANNELS, infinite_dose=True
    ).enhancement_ratio
    assert hydrophilic > lipophilic > 1


def test_occlusion_keeps_channels_open_longer() -> None:
    product = find_topical("ascorbic_acid")
    open_ = absorption_course(product, 10.0, CHANNELS, occluded=False, infinite_dose=True)
    occluded = absorption_course(product, 10.0, CHANNELS, occluded=True, infinite_dose=True)
    assert occluded.tau_h > 20 * open_.tau_h
    assert occluded.cumulative_ug_cm2[-1] > 10 * open_.cumulative_ug_cm2[-1]


def test_finite_dose_never_exceeds_what_was_applied() -> None:
    course = absorption_course(
        find_topical("niacinamide"), 50.0, CHANNELS, applied_volume_ul_cm2=5.0, occluded=True
    )
    applied = 50_000.0 * 5e-3
    assert course.applied_ug_cm2 == pytest.approx(applied)
    assert np.all(np.diff(course.cumulative_ug_cm2) >= 0)
    assert course.cumulative_ug_cm2[-1] <= applied
    assert trapezoid(course.flux_ug_cm2_h, course.hours) == pytest.approx(
        course.cumulative_ug_cm2[-1], rel=5e-3
    )


def test_large_molecules_are_flagged() -> None:
    course = absorption_course(find_topical("hyaluronic_acid_lmw"), 1.0, CHANNELS)
    assert course.warnings and "extrapolation" in course.warnings[0]
    assert course.enhancement_ratio == float("inf")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"concentration_mg_ml": 0}, "concentration_mg_ml"),
        ({"hours": -1}, "hours"),
        ({"applied_volume_ul_cm2": 500}, "applied_volume_ul_cm2"),
        ({"applied_volume_ul_cm2": 5, "infinite_dose": True}, "applied_volume_ul_cm2"),
        ({"interval_samples": -1}, "interval_samples"),
    ],
)
def test_bad_inputs(kwargs: dict[str, Any], field: str) -> None:
    args = {"concentration_mg_ml": 1.0} | kwargs
    with pytest.raises(ValidationError) as err:
        absorption_course(find_topical("caffeine"), channels=CHANNELS, **args)
    assert err.value.field == field
    with pytest.raises(NotFoundError, match="--mw and --logkow"):
        find_topical("unicorn tears")


def test_finite_dose_is_the_default_and_depletes() -> None:
    """10 mg/mL niacinamide in a 10 uL/cm2 film holds 100 ug/cm2: never 6 mg/cm2 in 24 h."""
    product = find_topical("niacinamide")
    channels = ChannelGeometry(0.3, 0.2)
    finite = absorption_course(product, 10.0, channels, occluded=True)
    infinite = absorption_course(product, 10.0, channels, occluded=True, infinite_dose=True)
    assert finite.applied_volume_ul_cm2 == 10.0 and not finite.infinite_dose
    assert finite.applied_ug_cm2 == pytest.approx(100.0)
    assert finite.cumulative_ug_cm2[-1] <= 100.0
    assert infinite.infinite_dose and infinite.applied_ug_cm2 is None
    assert infinite.cumulative_ug_cm2[-1] > 10 * finite.cumulative_ug_cm2[-1]
    # depletion: the flux falls faster than channel closure alone would make it
    assert finite.flux_ug_cm2_h[-1] < infinite.flux_ug_cm2_h[-1]


def test_interval_is_seeded_ordered_and_brackets_the_central_course() -> None:
    product = find_topical("caffeine")
    channels = ChannelGeometry.from_depths(0.05, 0.2, 0.4, minimum_path_mm=0.035)
    assert channels.area_fraction_range is not None and channels.path_length_range_mm is not None
    low_f, high_f = channels.area_fraction_range
    assert low_f < 0.05 < high_f
    one = absorption_course(product, 10.0, channels, seed=3)
    two = absorption_course(product, 10.0, channels, seed=3)
    band = one.interval_at_end()
    assert band is not None and band == two.interval_at_end()
    p5, p50, p95 = band
    assert p5 < p50 < p95 <= 10_000.0 * 15e-3  # the film varies over 5-15 uL/cm2
    assert p5 <= one.cumulative_ug_cm2[-1] <= p95
    assert one.interval_samples == 64
    assert absorption_course(product, 10.0, channels, interval_samples=0).interval_at_end() is None
