"""Fit the healing model's free parameters to published points; writes ``data/healing.yaml``.

Run ``python -m microneedling.simulate.calibration`` after changing a target or a fixed rate.
The fixed rates and every target cite their source; the fitted values are recorded with the
residual of each target so the test suite can hold the model to them.
"""

from __future__ import annotations

import argparse
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from scipy.optimize import least_squares

from microneedling.core.data import read_data
from microneedling.simulate.constants import constant
from microneedling.simulate.coverage import poisson_coverage
from microneedling.simulate.devices import find_device
from microneedling.simulate.healing import (
    HealingParameters,
    erythema_settling_days,
    healing_course,
    injury_dose,
    visible_day,
)
from microneedling.simulate.puncture_field import TreatmentSettings, expected_density_per_cm2


def reference_density_per_cm2(reference: dict[str, Any]) -> float:
    """Punctures per cm^2 of the reference session: a catalogue pen at default settings."""
    device = find_device(reference["device"])
    settings = TreatmentSettings(depth_mm=device.depth_mm.min, passes=reference["passes"])
    return expected_density_per_cm2(device, settings)


def reference_dose(depth_mm: float, reference: dict[str, Any]) -> float:
    """The dose of a typical session: Poisson coverage at the reference density."""
    radius = constant("channel_width_mm") / 2.0
    fraction = poisson_coverage(reference_density_per_cm2(reference) / 100.0, radius)
    return injury_dose(fraction, depth_mm * constant("penetration_efficiency"))


def series_course(series: dict[str, Any], reference: dict[str, Any], p: HealingParameters) -> Any:
    days = [i * series["interval_days"] for i in range(series["sessions"])]
    dose = reference_dose(series["depth_mm"], reference)
    return healing_course(days, [dose] * len(days), p, until_day=series["until_day"])


def calibrate(spec: dict[str, Any]) -> tuple[HealingParameters, list[dict[str, Any]]]:
    """Fit erythema clearance to the settling days, then scale collagen, elastin and visibility."""
    fixed = {k: v["value"] for k, v in spec["fixed"].items()}
    reference = spec["reference"]
    targets = spec["targets"]
    theta = fixed["erythema_threshold"]
    settle = [t for t in targets if t["kind"] == "erythema_settled_day"]

    def with_erythema(x: np.ndarray[Any, Any]) -> HealingParameters:
        gain, vmax, half = np.exp(x)
        return HealingParameters(
            dose_gain=gain,
            clearance_max=vmax,
            clearance_half=half,
            collagen_gain=1.0,
            elastin_gain=1.0,
            visible_threshold_pct=1.0,
            erythema_threshold=theta,
            fibroblast_decay=fixed["fibroblast_decay"],
            maturation_rate=fixed["maturation_rate"],
            collagen_decay=fixed["collagen_decay"],
            elastin_decay=fixed["elastin_decay"],
        )

    def residuals(x: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        p = with_erythema(x)
        return np.array(
            [
                erythema_settling_days(p.dose_gain * reference_dose(t["depth_mm"], reference), p)
                - t["value"]
                for t in settle
            ]
        )

    fit = least_squares(residuals, x0=np.log([2000.0, 2.0, 1.0]), method="lm")
    p = with_erythema(fit.x)

    series = spec["series"]
    unit = series_course(series, reference, p)
    collagen = next(t for t in targets if t["kind"] == "collagen_change_pct")
    beta = collagen["value"] / unit.at(collagen["day"])["collagen_pct"]
    gamma = spec["elastin_peak_pct"]["value"] / float(unit.elastin_pct.max())
    p = p.model_copy(update={"collagen_gain": beta, "elastin_gain": gamma})
    visible = next(t for t in targets if t["kind"] == "visible_day")
    course = series_course(series, reference, p)
    p = p.model_copy(update={"visible_threshold_pct": course.at(visible["value"])["collagen_pct"]})
    return p, evaluate(p, spec)


def evaluate(p: HealingParameters, spec: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with the model's value for it."""
    reference = spec["reference"]
    course = series_course(spec["series"], reference, p)
    rows = []
    for target in spec["targets"]:
        kind = target["kind"]
        if kind == "erythema_settled_day":
            model = erythema_settling_days(
                p.dose_gain * reference_dose(target["depth_mm"], reference), p
            )
        elif kind == "collagen_change_pct":
            model = course.at(target["day"])["collagen_pct"]
        elif kind == "elastin_change_pct":
            model = course.at(target["day"])["elastin_pct"]
        elif kind == "visible_day":
            model = visible_day(course, p.visible_threshold_pct) or float("nan")
        else:
            raise ValueError(f"unknown target kind {kind}")
        rows.append({**target, "model": round(float(model), 3)})
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="update data/healing.yaml")
    args = parser.parse_args(argv)
    spec = read_data("healing.yaml")
    params, rows = calibrate(spec)
    for row in rows:
        ok = abs(row["model"] - row["value"]) <= row["tolerance"]
        print(
            f"{row['kind']:24} {row.get('depth_mm', ''):>5} target {row['value']:>8} "
            f"± {row['tolerance']:<5} model {row['model']:>9}  {'ok' if ok else 'MISS'}  "
            f"({row['source']})"
        )
    print(yaml.safe_dump({"parameters": params.model_dump()}, sort_keys=False))
    if args.write:
        path = Path(str(resources.files("microneedling.data").joinpath("healing.yaml")))
        spec["parameters"] = {k: float(f"{v:.6g}") for k, v in params.model_dump().items()}
        header = "".join(
            line for line in path.read_text().splitlines(keepends=True) if line.startswith("#")
        )
        path.write_text(header + yaml.safe_dump(spec, sort_keys=False, width=100))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
