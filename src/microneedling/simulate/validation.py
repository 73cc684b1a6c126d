"""The healing model against published points: the ones it was calibrated on and the ones it
never saw (``data/healing.yaml: points``, each with ``role: calibration | validation |
reference``).

:func:`validation_table` returns one row per point: its id, source, role, what was measured, the
observed value (or the constraint), the model's prediction, the error, the tolerance stated in the
data file before the comparison, and whether the prediction is within it. ``simulate --explain``
prints it; ``tests/simulate/test_validation.py`` fails when a validation point is missed.

Kinds of point:

- ``erythema_settled_day``: days after one session at ``depth_mm`` until redness is gone,
  within ``tolerance`` days.
- ``erythema_upper_bound``: redness must be gone by ``value`` days (a review's maximum, or a
  manufacturer's *downtime*, of which redness is one part).
- ``collagen_change_pct`` / ``elastin_change_pct``: % change on ``day`` of a named ``series``,
  within ``tolerance`` (points) or within a factor ``tolerance_factor``.
- ``visible_day``: the day a change becomes visible (calibration of the visible threshold).
- ``collagen_rises``: collagen on ``day`` above that on ``compare_day`` (an ordering or timing
  constraint from a study that gives only a direction or a time).
- ``elastin_falls``: total elastin on ``day`` below baseline.
- ``collagen_more_with_sessions``: collagen of ``series`` above that of ``compare_series``.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np

from microneedling.core.data import read_data
from microneedling.simulate import healing
from microneedling.simulate.healing import HealingCourse, HealingParameters

ROLES = ("calibration", "validation", "reference")


@cache
def healing_spec() -> dict[str, Any]:
    """The parsed ``healing.yaml``."""
    spec: dict[str, Any] = read_data("healing.yaml")
    return spec


def points(role: str | None = None, spec: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """The published points of ``healing.yaml``, of one ``role`` or all."""
    items: list[dict[str, Any]] = list((spec or healing_spec())["points"])
    return [p for p in items if role is None or p["role"] == role]


def series_days(series: Mapping[str, Any]) -> list[float]:
    """Session days (from the first) of a series ``{sessions, interval_days}``."""
    return [float(i * series["interval_days"]) for i in range(int(series["sessions"]))]


def series_course(
    name: str,
    params: HealingParameters,
    until_day: float,
    spec: Mapping[str, Any] | None = None,
) -> HealingCourse:
    """The course of a named series of ``healing.yaml`` at its depth, reference sessions."""
    series = (spec or healing_spec())["series"][name]
    days = series_days(series)
    dose = healing.reference_dose(float(series["depth_mm"]))
    end = max(until_day, days[-1] + 1.0)
    return healing.healing_course(days, [dose] * len(days), params, until_day=end)


def single_session_settling(depth_mm: float, params: HealingParameters) -> float:
    """Days until the redness of one reference session at ``depth_mm`` is gone."""
    s = np.array([healing.reference_dose(depth_mm) / healing.reference_dose(1.0)])
    days = healing.settling_days(
        np.zeros(1), s, params.erythema_settle_ref_d, params.erythema_tau_d
    )
    return float(days.reshape(-1)[0])


def predict(
    point: Mapping[str, Any], params: HealingParameters, spec: Mapping[str, Any] | None = None
) -> float:
    """The model's value for one point (see the module docstring for the kinds)."""
    kind = point["kind"]
    if kind in ("erythema_settled_day", "erythema_upper_bound"):
        return single_session_settling(float(point["depth_mm"]), params)
    day = float(point["day"])
    course = series_course(point["series"], params, day + 1.0, spec)
    if kind == "collagen_change_pct":
        return course.at(day)["collagen_pct"]
    if kind == "elastin_change_pct":
        return course.at(day)["elastin_pct"]
    if kind == "visible_day":
        seen = healing.visible_day(course, params.visible_threshold_pct)
        return float("nan") if seen is None else seen
    if kind == "collagen_rises":
        return (
            course.at(day)["collagen_pct"] - course.at(float(point["compare_day"]))["collagen_pct"]
        )
    if kind == "elastin_falls":
        return course.at(day)["elastin_pct"]
    if kind == "collagen_more_with_sessions":
        other = series_course(point["compare_series"], params, day + 1.0, spec)
        return course.at(day)["collagen_pct"] - other.at(day)["collagen_pct"]
    raise ValueError(f"unknown point kind {kind!r}")


def judge(point: Mapping[str, Any], predicted: float) -> dict[str, Any]:
    """Observed, error, tolerance (as stated in the data file) and whether it passes."""
    kind = point["kind"]
    value = float(point["value"])
    if not np.isfinite(predicted):
        return {"observed": value, "error": None, "tolerance": "—", "passed": False}
    if kind == "erythema_upper_bound":
        return {
            "observed": f"≤ {value:g} d",
            "error": predicted - value,
            "tolerance": f"≤ {value:g} d",
            "passed": predicted <= value,
        }
    if kind in ("collagen_rises", "collagen_more_with_sessions"):
        return {
            "observed": "higher" if kind == "collagen_rises" else "more sessions, more collagen",
            "error": predicted - value,
            "tolerance": f"difference > {value:g} points",
            "passed": predicted > value,
        }
    if kind == "elastin_falls":
        return {
            "observed": "lower than baseline",
            "error": predicted + value,
            "tolerance": f"< {-value:g}%",
            "passed": predicted < -value,
        }
    if "tolerance_factor" in point:
        factor = float(point["tolerance_factor"])
        return {
            "observed": value,
            "error": predicted - value,
            "tolerance": f"×/÷ {factor:g} ({value / factor:.1f}–{value * factor:.1f})",
            "passed": value / factor <= predicted <= value * factor,
        }
    tolerance = float(point["tolerance"])
    return {
        "observed": value,
        "error": predicted - value,
        "tolerance": f"± {tolerance:g}",
        "passed": abs(predicted - value) <= tolerance,
    }


def validation_table(
    params: HealingParameters | None = None,
    *,
    role: str | None = None,
    spec: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """One row per published point: ``point, source, role, label, measure, observed, predicted,
    error, tolerance, passed`` (``role`` filters; predictions with the calibrated parameters)."""
    p = params or healing.calibrated_parameters()
    rows = []
    for point in points(role, spec):
        predicted = predict(point, p, spec)
        verdict = judge(point, predicted)
        error = verdict["error"]
        rows.append(
            {
                "point": point["id"],
                "source": point["source"],
                "role": point["role"],
                "label": point.get("label", "value"),
                "measure": point.get("measure", ""),
                "observed": verdict["observed"],
                "predicted": round(predicted, 2) if np.isfinite(predicted) else None,
                "error": None if error is None else round(float(error), 2),
                "tolerance": verdict["tolerance"],
                "passed": bool(verdict["passed"]),
            }
        )
    return rows


def parameter_table() -> list[dict[str, Any]]:
    """One row per model parameter: ``name, value, low, high, unit, source, fitted, note`` (the
    range is what the prediction intervals are drawn from)."""
    return [{"name": name, **spec.model_dump()} for name, spec in healing.parameter_specs().items()]


def redness_reports(depth_mm: float) -> list[dict[str, Any]]:
    """The published redness durations whose depth range holds ``depth_mm``, with their kind
    (clinical, review, manufacturer, downtime), so a prediction can show where sources disagree."""
    out = []
    for item in healing_spec().get("redness_reports", []):
        low, high = item["depth_mm"]
        if low - 1e-9 <= depth_mm <= high + 1e-9:
            out.append(
                {
                    "days": list(item["days"]),
                    "source": item["source"],
                    "kind": item["kind"],
                    "note": item.get("note", ""),
                }
            )
    return out
