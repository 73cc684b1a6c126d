"""Fit the healing model's ``fitted: true`` parameters to the CALIBRATION points of
``data/healing.yaml`` only; validation points are never read here.

``python -m microneedling.simulate.calibration`` prints the fit and the calibration and
validation tables; ``--write`` stores each fitted value with its range (refit with the point's
value at ± its tolerance) in ``healing.yaml``. Every other parameter is held at its published or
estimated value.

Fits, in order (each a closed form or a one-dimensional root):

1. redness: ``settled = t_ref + tau ln s`` is linear in (t_ref, tau): least squares over the
   ``erythema_settled_day`` points;
2. ``collagen_gain_pct``: the root of collagen(day) = value for the ``collagen_change_pct`` point;
3. ``elastin_gain_pct``: elastin is linear in it, so two runs give it exactly;
4. ``visible_threshold_pct``: the collagen change of the ``visible_day`` point's series on its day.

Each fitted parameter's range comes from refits with one calibration point at a time moved to
its value ± tolerance, and with each series whose depth is not published exactly
(``depth_range_mm``, e.g. Kenkel's "up to 2.5 mm") refitted at the ends of that range.
"""

from __future__ import annotations

import argparse
import copy
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import brentq

from microneedling.simulate import healing
from microneedling.simulate.healing import HealingParameters
from microneedling.simulate.validation import healing_spec, points, series_course, validation_table

MIN_TAU_D = 0.1
"""Lower bound of the redness time constant when a refit at a tolerance edge goes below it."""


def _only(spec: Mapping[str, Any], kind: str) -> list[dict[str, Any]]:
    return [p for p in points("calibration", spec) if p["kind"] == kind]


def fit_erythema(
    settle_points: list[dict[str, Any]], shift: Mapping[str, float] | None = None
) -> tuple[float, float]:
    """(t_ref, tau) by linear least squares; ``shift`` moves named points' values (days)."""
    shift = shift or {}
    s = np.array(
        [healing.reference_dose(p["depth_mm"]) / healing.reference_dose(1.0) for p in settle_points]
    )
    y = np.array([p["value"] + shift.get(p["id"], 0.0) for p in settle_points])
    design = np.column_stack([np.ones_like(s), np.log(s)])
    (t_ref, tau), *_ = np.linalg.lstsq(design, y, rcond=None)
    return float(t_ref), max(float(tau), MIN_TAU_D)


def fit_collagen_gain(
    point: Mapping[str, Any], p: HealingParameters, value: float, spec: Mapping[str, Any]
) -> float:
    """The collagen gain (% per reference session) that puts the series at ``value``."""

    def miss(gain: float) -> float:
        q = p.model_copy(update={"collagen_gain_pct": gain})
        day = float(point["day"])
        return series_course(point["series"], q, day + 1, spec).at(day)["collagen_pct"] - value

    return float(brentq(miss, 1e-3, 1e4, xtol=1e-6))


def fit_elastin_gain(
    point: Mapping[str, Any], p: HealingParameters, value: float, spec: Mapping[str, Any]
) -> float:
    """The tropoelastin gain that puts total elastin at ``value`` (linear: two runs)."""
    day = float(point["day"])

    def at(gain: float) -> float:
        q = p.model_copy(update={"elastin_gain_pct": gain})
        return series_course(point["series"], q, day + 1, spec).at(day)["elastin_pct"]

    base, unit = at(0.0), at(1.0) - at(0.0)
    return max((value - base) / unit, 0.0)


def visible_threshold(
    point: Mapping[str, Any], p: HealingParameters, day: float, spec: Mapping[str, Any]
) -> float:
    """Collagen change of the point's series on ``day``: the threshold seen then."""
    return series_course(point["series"], p, day + 1, spec).at(day)["collagen_pct"]


def _fit(spec: Mapping[str, Any], shift: Mapping[str, float]) -> HealingParameters:
    p = healing.calibrated_parameters()
    t_ref, tau = fit_erythema(_only(spec, "erythema_settled_day"), shift)
    p = p.model_copy(update={"erythema_settle_ref_d": t_ref, "erythema_tau_d": tau})
    (collagen,) = _only(spec, "collagen_change_pct")
    gain = fit_collagen_gain(collagen, p, collagen["value"] + shift.get(collagen["id"], 0), spec)
    p = p.model_copy(update={"collagen_gain_pct": gain})
    (elastin,) = _only(spec, "elastin_change_pct")
    e_gain = fit_elastin_gain(elastin, p, elastin["value"] + shift.get(elastin["id"], 0), spec)
    p = p.model_copy(update={"elastin_gain_pct": e_gain})
    (visible,) = _only(spec, "visible_day")
    threshold = visible_threshold(visible, p, visible["value"] + shift.get(visible["id"], 0), spec)
    return p.model_copy(update={"visible_threshold_pct": threshold})


FITTED = (
    "erythema_settle_ref_d",
    "erythema_tau_d",
    "collagen_gain_pct",
    "elastin_gain_pct",
    "visible_threshold_pct",
)


def depth_variants(spec: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Copies of ``spec`` with one series at one end of its ``depth_range_mm`` (the series
    whose needle depth is published only as a range or a maximum)."""
    variants = []
    for name, series in spec["series"].items():
        for depth in series.get("depth_range_mm", []):
            if float(depth) != float(series["depth_mm"]):
                moved = copy.deepcopy(dict(spec))
                moved["series"][name]["depth_mm"] = float(depth)
                variants.append(moved)
    return variants


def calibrate(
    spec: Mapping[str, Any] | None = None, *, ranges: bool = True
) -> dict[str, dict[str, float]]:
    """Each fitted parameter's value, low and high. The range: refit with each calibration
    point moved to its value ± tolerance, one at a time, the others held, and with each series
    at the ends of its ``depth_range_mm`` (``ranges=False``: the value only, low = high =
    value)."""
    spec = spec or healing_spec()
    centre = _fit(spec, {})
    found: dict[str, list[float]] = {k: [getattr(centre, k)] for k in FITTED}
    refits = []
    if ranges:
        for point in points("calibration", spec):
            for sign in (-1.0, 1.0):
                refits.append(_fit(spec, {point["id"]: sign * float(point["tolerance"])}))
        refits.extend(_fit(variant, {}) for variant in depth_variants(spec))
    for moved in refits:
        for k in FITTED:
            found[k].append(getattr(moved, k))
    return {
        k: {"value": values[0], "low": min(values), "high": max(values)}
        for k, values in found.items()
    }


def write_parameters(path: Path, fitted: Mapping[str, Mapping[str, float]]) -> None:
    """Replace value/low/high of each fitted parameter in ``healing.yaml`` in place, keeping
    its comments and layout."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    current: str | None = None
    for i, line in enumerate(lines):
        block = re.match(r"^  (\w+):\s*$", line)
        if block:
            current = block.group(1)
            continue
        if not line.startswith("    "):
            current = None
        field = re.match(r"^    (value|low|high): ", line)
        if current is not None and current in fitted and field:
            number = fitted[current][field.group(1)]
            lines[i] = f"    {field.group(1)}: {float(f'{number:.6g}')}\n"
    path.write_text("".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="update data/healing.yaml")
    args = parser.parse_args(argv)
    fitted = calibrate()
    for name, item in fitted.items():
        print(f"{name:24} {item['value']:10.4g}  range {item['low']:.4g}–{item['high']:.4g}")
    if args.write:
        path = Path(str(resources.files("microneedling.data").joinpath("healing.yaml")))
        write_parameters(path, fitted)
        print(f"wrote {path}")
        healing.parameter_specs.cache_clear()
        healing.calibrated_parameters.cache_clear()
        healing_spec.cache_clear()
    for row in validation_table():
        print(
            f"{row['role']:11} {row['point']:38} observed {row['observed']!s:>14} "
            f"predicted {row['predicted']!s:>8} tol {row['tolerance']:>26} "
            f"{'ok' if row['passed'] else 'MISS'}"
        )


if __name__ == "__main__":
    main()
