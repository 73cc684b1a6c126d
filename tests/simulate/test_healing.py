"""The healing model's phases against analytic cases and the behaviour the literature describes.

The published points themselves are in test_validation.py; nothing here compares the model with
the points it was calibrated on.
"""

from typing import Any

import numpy as np
import pytest

from microneedling.core.data import sources
from microneedling.core.errors import ValidationError
from microneedling.simulate import healing
from microneedling.simulate.healing import (
    HealingParameters,
    calibrated_parameters,
    healing_course,
    healing_interval,
    parameter_specs,
    reference_dose,
    settled_day,
    visible_day,
)

P = calibrated_parameters()
ONE_MM = reference_dose(1.0)


def test_redness_curve_crosses_the_threshold_on_the_exact_day() -> None:
    """The day read off the sampled curve agrees with t_ref + tau ln s for several doses."""
    for depth in (0.5, 1.0, 2.0):
        course = healing_course([0.0], [reference_dose(depth)], until_day=20, samples_per_day=48)
        exact = P.erythema_settle_ref_d + P.erythema_tau_d * np.log(depth)
        assert settled_day(course, P.erythema_threshold) == pytest.approx(exact, abs=0.01)
        assert course.settled_day_d == pytest.approx(exact, abs=1e-9)


def test_redness_of_two_close_sessions_adds_up() -> None:
    """A session one day after another starts on the first's remaining redness."""
    one = healing_course([1.0], [ONE_MM], until_day=20)
    two = healing_course([0.0, 1.0], [ONE_MM, ONE_MM], until_day=20)
    assert two.settled_day_d > one.settled_day_d
    carried = 1.0 + np.exp(-1.0 / P.erythema_tau_d)
    assert two.settled_day_d - one.settled_day_d == pytest.approx(
        P.erythema_tau_d * np.log(carried)
    )


def test_no_injury_no_change() -> None:
    course = healing_course([0.0, 30.0], [0.0, 0.0], until_day=100)
    assert np.all(course.erythema == 0)
    assert np.allclose(course.collagen_pct, 0) and np.allclose(course.elastin_pct, 0)
    assert settled_day(course, 1.0) == 0.0 and course.settled_day_d == 0.0
    assert visible_day(course, P.visible_threshold_pct) is None


def test_neocollagenesis_is_delayed_by_days() -> None:
    """No new collagen before the proliferative phase starts (Gurtner 2008: day 2 or later);
    a week after one session, less than a third of what is there at twelve weeks."""
    course = healing_course([0.0], [ONE_MM], until_day=120)
    assert course.at(P.proliferation_lag_d)["collagen_pct"] == pytest.approx(0.0, abs=1e-9)
    assert course.at(7)["collagen_pct"] < course.at(84)["collagen_pct"] / 3


def test_collagen_iii_comes_before_collagen_i() -> None:
    course = healing_course([0.0], [ONE_MM], until_day=400)
    early, late = course.at(14), course.at(365)
    assert early["collagen_iii_pct"] > early["collagen_i_pct"] > 0
    assert late["collagen_i_pct"] > late["collagen_iii_pct"]
    peak_iii = course.days[np.argmax(course.collagen_iii_pct)]
    peak_i = course.days[np.argmax(course.collagen_i_pct)]
    assert peak_iii < peak_i


def test_the_response_saturates_over_a_series() -> None:
    """Each added monthly session adds less, and the total stays under the capacity."""
    end = 12 * 30 + 90
    totals = []
    for n in (1, 2, 4, 8, 12):
        days = [30.0 * i for i in range(n)]
        course = healing_course(days, [reference_dose(2.0)] * n, until_day=end)
        totals.append(course.at(30.0 * (n - 1) + 60)["collagen_pct"])
    gains = np.diff(totals) / np.diff([1, 2, 4, 8, 12])
    assert np.all(np.diff(gains) < 0), gains
    assert max(totals) < P.collagen_capacity_pct


def test_the_response_grows_with_the_interval_and_levels_off() -> None:
    """Four sessions a week apart give less than four a month apart, counted the same time after
    the last session; going from 30 to 60 days changes less than going from 7 to 30."""
    after_last = {}
    for gap in (7.0, 30.0, 60.0):
        days = [gap * i for i in range(4)]
        course = healing_course(days, [ONE_MM] * 4, until_day=days[-1] + 91)
        after_last[gap] = course.at(days[-1] + 90)["collagen_pct"]
    assert after_last[7.0] < after_last[30.0]
    assert after_last[60.0] - after_last[30.0] < after_last[30.0] - after_last[7.0]


def test_deeper_needling_means_longer_redness_and_more_collagen() -> None:
    settle, collagen = [], []
    for depth in (0.25, 0.5, 1.0, 1.5, 2.0, 2.5):
        course = healing_course([0.0], [reference_dose(depth)], until_day=120)
        settle.append(course.settled_day_d)
        collagen.append(course.at(90)["collagen_pct"])
    assert settle == sorted(settle) and len(set(settle)) == len(settle)
    assert collagen == sorted(collagen) and len(set(collagen)) == len(collagen)


def test_elastin_closed_form_matches_a_stepped_integration() -> None:
    """The convolution formula of ``elastin`` against small explicit steps of the ODE."""
    t = np.linspace(0.0, 200.0, 200 * 64 + 1)
    h = t[1] - t[0]
    activity = healing.proliferation(
        t, np.array([0.0]), np.array([[1.0]]), P.proliferation_lag_d, P.proliferation_peak_d
    )[0]
    closed = healing.elastin(
        t,
        np.array([0.0]),
        np.array([1.0]),
        np.array([[1.0]]),
        P.elastin_loss_pct,
        P.elastin_gain_pct,
        P.elastin_tau_d,
        P.proliferation_lag_d,
        P.proliferation_peak_d,
    )[0]
    stepped = np.empty_like(t)
    x = -P.elastin_loss_pct
    for j in range(t.size):
        stepped[j] = x
        x += h * (P.elastin_gain_pct * activity[j] - x / P.elastin_tau_d)
    assert np.max(np.abs(closed - stepped)) < 0.01


def test_proliferation_pulse_integrates_to_its_weight_and_peaks_on_time() -> None:
    t = np.linspace(0.0, 400.0, 400 * 20 + 1)
    pulse = healing.proliferation(t, np.array([10.0]), np.array([[2.5]]), 3.0, 7.0)[0]
    assert np.trapezoid(pulse, t) == pytest.approx(2.5, rel=1e-3)
    assert t[np.argmax(pulse)] == pytest.approx(10.0 + 3.0 + 7.0, abs=0.05)


def test_remodelling_is_converged_at_the_daily_step() -> None:
    t = np.arange(0.0, 301.0)
    fine = np.arange(0.0, 300.25, 0.25)
    kwargs: dict[str, Any] = {
        "gain_pct": P.collagen_gain_pct,
        "capacity_pct": P.collagen_capacity_pct,
        "maturation_tau_d": P.maturation_tau_d,
        "collagen_i_tau_d": P.collagen_i_tau_d,
    }
    weights = np.array([[1.0, 1.0, 1.0]])
    sessions = np.array([0.0, 30.0, 60.0])
    lag, peak = P.proliferation_lag_d, P.proliferation_peak_d
    c3, c1 = healing.remodel(1.0, healing.proliferation(t, sessions, weights, lag, peak), **kwargs)
    f3, f1 = healing.remodel(
        0.25, healing.proliferation(fine, sessions, weights, lag, peak), **kwargs
    )
    coarse_total = (c3 + c1)[0]
    fine_total = (f3 + f1)[0, ::4]
    assert np.max(np.abs(coarse_total - fine_total)) < 0.01 * np.max(fine_total)


def test_sessions_off_the_grid_and_the_interval_are_reproducible() -> None:
    days = [0.0, 30.0, 60.0]
    a = healing_interval(days, [ONE_MM] * 3, samples=64, seed=7)
    b = healing_interval(days, [ONE_MM] * 3, samples=64, seed=7)
    c = healing_interval(days, [ONE_MM] * 3, samples=64, seed=8)
    assert np.array_equal(a.collagen_pct.p50, b.collagen_pct.p50)
    assert not np.array_equal(a.collagen_pct.p50, c.collagen_pct.p50)


def test_interval_is_ordered_and_holds_the_calibrated_course() -> None:
    days = [0.0, 30.0, 60.0, 90.0]
    band = healing_interval(days, [ONE_MM] * 4, until_day=300)
    course = healing_course(days, [ONE_MM] * 4, until_day=300)
    for name in ("erythema", "collagen_pct", "elastin_pct"):
        b = getattr(band, name)
        assert np.all(b.p5 <= b.p50 + 1e-12) and np.all(b.p50 <= b.p95 + 1e-12)
    for day in (30.0, 120.0, 270.0):
        at = band.at(day)["collagen_pct"]
        assert at["p5"] < course.at(day)["collagen_pct"] < at["p95"]
        assert at["p95"] - at["p5"] > 5.0  # the ranges are not negligible
    s = band.settled_day
    assert float(s.p5) < course.settled_day_d < float(s.p95)


@pytest.mark.parametrize(
    ("days", "doses"),
    [([], []), ([0.0, 30.0], [0.1]), ([30.0, 0.0], [0.1, 0.1]), ([0.0], [-1.0])],
)
def test_bad_inputs(days: list[float], doses: list[float]) -> None:
    with pytest.raises(ValidationError):
        healing_course(days, doses)


def test_until_day_must_follow_the_first_session() -> None:
    with pytest.raises(ValidationError, match="until_day"):
        healing_course([10.0], [ONE_MM], until_day=5.0)


def test_every_parameter_has_a_source_a_unit_and_a_range() -> None:
    bibliography = sources()
    for name, spec in parameter_specs().items():
        assert spec.unit, name
        for key in spec.source.split(","):
            assert key.strip() in bibliography, (name, key)
        if spec.source == "estimate" and name != "erythema_threshold":
            assert spec.high > spec.low, f"{name}: an estimate needs a range"
    assert set(parameter_specs()) == set(HealingParameters.model_fields)
