"""The healing model against its published calibration points and analytic cases."""

from typing import Any

import numpy as np
import pytest

from microneedling.core.data import read_data
from microneedling.core.errors import ValidationError
from microneedling.simulate.calibration import calibrate, evaluate, reference_dose, series_course
from microneedling.simulate.healing import (
    HealingParameters,
    calibrated_parameters,
    erythema_settling_days,
    healing_course,
    settled_day,
    visible_day,
)

SPEC: dict[str, Any] = read_data("healing.yaml")


@pytest.mark.parametrize(
    "index",
    range(len(SPEC["targets"])),
    ids=[f"{t['kind']}-{t.get('depth_mm', t.get('day', ''))}" for t in SPEC["targets"]],
)
def test_calibrated_model_reproduces_each_published_point(index: int) -> None:
    row = evaluate(calibrated_parameters(), SPEC)[index]
    assert abs(row["model"] - row["value"]) <= row["tolerance"], row


def test_calibration_script_reproduces_the_stored_parameters() -> None:
    fitted, _ = calibrate(SPEC)
    stored = calibrated_parameters()
    for name, value in fitted.model_dump().items():
        assert value == pytest.approx(getattr(stored, name), rel=1e-3), name


def test_ode_matches_the_exact_settling_time() -> None:
    p = calibrated_parameters()
    dose = reference_dose(1.0, SPEC["reference"])
    course = healing_course([0.0], [dose], p, until_day=20, samples_per_day=200)
    exact = erythema_settling_days(p.dose_gain * dose, p)
    assert settled_day(course, p.erythema_threshold) == pytest.approx(exact, abs=0.02)
    assert course.erythema[0] == pytest.approx(p.dose_gain * dose)


def test_no_injury_no_change() -> None:
    course = healing_course([0.0, 30.0], [0.0, 0.0], until_day=100)
    assert np.all(course.erythema == 0)
    assert np.allclose(course.collagen_pct, 0) and np.allclose(course.elastin_pct, 0)
    assert settled_day(course, 1.0) == 0.0
    assert visible_day(course, calibrated_parameters().visible_threshold_pct) is None


def test_deeper_needling_means_longer_redness_and_more_collagen() -> None:
    p = calibrated_parameters()
    settle, collagen = [], []
    for depth in (0.25, 0.5, 1.0, 1.5, 2.0, 2.5):
        course = healing_course([0.0], [reference_dose(depth, SPEC["reference"])], p, until_day=120)
        settle.append(settled_day(course, p.erythema_threshold))
        collagen.append(course.at(90)["collagen_pct"])
    assert settle == sorted(settle) and len(set(settle)) == len(settle)
    assert collagen == sorted(collagen)


def test_erythema_settles_within_days_for_usual_depths() -> None:
    p = calibrated_parameters()
    for depth in (0.5, 1.0):
        days = erythema_settling_days(p.dose_gain * reference_dose(depth, SPEC["reference"]), p)
        assert 1.0 <= days <= 5.0


def test_collagen_keeps_rising_after_the_series_as_reported() -> None:
    """Ablon 2018: significant by day 90 and still improving at day 150."""
    course = series_course(SPEC["series"], SPEC["reference"], calibrated_parameters())
    assert course.at(150)["collagen_pct"] > course.at(90)["collagen_pct"]
    assert (
        course.at(90)["collagen_i_pct"] > 0
        and course.at(7)["collagen_iii_pct"] > course.at(7)["collagen_i_pct"]
    )  # type III is laid down first


def test_sessions_superpose() -> None:
    p = calibrated_parameters()
    dose = reference_dose(1.0, SPEC["reference"])
    one = healing_course([0.0], [dose], p, until_day=200)
    two = healing_course([0.0, 30.0], [dose, dose], p, until_day=200)
    assert two.at(120)["collagen_pct"] > one.at(120)["collagen_pct"]
    assert two.session_days == (0.0, 30.0)


@pytest.mark.parametrize(
    ("days", "doses"),
    [([], []), ([0.0, 30.0], [0.1]), ([30.0, 0.0], [0.1, 0.1]), ([0.0], [-1.0])],
)
def test_bad_inputs(days: list[float], doses: list[float]) -> None:
    with pytest.raises(ValidationError):
        healing_course(days, doses)


def test_parameters_are_positive() -> None:
    p: HealingParameters = calibrated_parameters()
    assert all(v > 0 for v in p.model_dump().values())
