"""Predict a treatment from its settings, and put two or more settings side by side.

The workflow behind ``microneedling simulate`` (and any other surface): find the device (a
custom file's, the catalogue's or the clinic's own), turn the settings into a simulation, and
compare settings (depth, passes, sessions, interval) with the differences and their intervals.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from microneedling import DISCLAIMER
from microneedling.core.clinical import Pattern
from microneedling.core.errors import DatabaseError, NotFoundError, ValidationError
from microneedling.core.zones import FacialZone
from microneedling.services.devices import simulation_device
from microneedling.simulate import absorption, healing, uncertainty
from microneedling.simulate.constants import constant
from microneedling.simulate.devices import DeviceSpec, RollerSpec
from microneedling.simulate.geometry import zone_outlines
from microneedling.simulate.puncture_field import TreatmentSettings, check_budget, estimate_budget
from microneedling.simulate.treatment import (
    MODEL_VERSION,
    ProductUse,
    Schedule,
    TreatmentSimulation,
    ZoneSimulation,
    simulate_treatment,
    zone_channels,
)

FACE = tuple(z for z in FacialZone if z is not FacialZone.NECK)
COMPARABLE = ("depth_mm", "passes", "sessions", "interval_days")
"""The settings :func:`compare_settings` varies."""
COMPARE_SAMPLES = 64
"""Parameter samples per setting in a comparison (source: estimate; enough for p5/p95)."""
MAX_SETTINGS = 6


def default_passes(device: DeviceSpec) -> int:
    """Rollers are used for 15-20 passes (Doddaballapur 2009); pens and stamps for about 3."""
    return int(constant("roller_passes_default")) if isinstance(device, RollerSpec) else 3


def resolve_device(
    model: str,
    extra: list[DeviceSpec] | None = None,
    open_records: Callable[[], AbstractContextManager[Session]] | None = None,
) -> DeviceSpec:
    """A device by model: a custom file's, the catalogue's, else the clinic's records (opened by
    ``open_records`` only when needed, so a prediction needs no database for catalogue devices)."""
    try:
        return simulation_device(None, model, extra)
    except NotFoundError as missing:
        if open_records is None:
            raise
        try:
            with open_records() as db:
                return simulation_device(db, model, extra)
        except DatabaseError:
            raise missing from None


@dataclass(frozen=True)
class SimulationRequest:
    """What to simulate: a depth for every zone (``depth_mm``) and/or per zone, the technique
    and the series. ``zones`` empty: the zones of ``zone_depths``, else the whole face."""

    depth_mm: float | None = None
    zone_depths: Mapping[FacialZone, float] = field(default_factory=dict)
    zones: Sequence[FacialZone] = ()
    passes: int | None = None
    pattern: Pattern = Pattern.CROSSHATCH
    frequency_hz: float | None = None
    speed_mm_s: float | None = None
    overlap: float | None = None
    sessions: int = 1
    interval_days: int = 30
    product: ProductUse | None = None
    seed: int = 0

    def chosen_zones(self) -> list[FacialZone]:
        return list(self.zones) or list(self.zone_depths) or list(FACE)


def simulate_request(device: DeviceSpec, request: SimulationRequest) -> TreatmentSimulation:
    """Run the simulation a request describes; errors name the request's fields."""
    if request.depth_mm is None and not request.zone_depths:
        raise ValidationError("depth", "give a depth for every zone, or one per zone")
    zones = request.chosen_zones()
    if len(set(zones)) != len(zones):
        raise ValidationError("zones", "a zone is listed twice")
    if request.depth_mm is None:
        missing = [z.value for z in zones if z not in request.zone_depths]
        if missing:
            raise ValidationError("zone_depth", f"no depth for {', '.join(missing)}")
    base_depth = (
        request.depth_mm
        if request.depth_mm is not None
        else next(iter(request.zone_depths.values()))
    )
    options: dict[str, Any] = {}
    if request.speed_mm_s is not None:
        options["speed_mm_s"] = request.speed_mm_s
    if request.overlap is not None:
        options["overlap"] = request.overlap
    settings = TreatmentSettings(
        depth_mm=base_depth,
        passes=default_passes(device) if request.passes is None else request.passes,
        pattern=request.pattern,
        frequency_hz=request.frequency_hz,
        seed=request.seed,
        **options,
    )
    schedule = Schedule(request.sessions, request.interval_days)
    schedule.days()  # refuses a series out of range before any work
    outlines = zone_outlines()
    check_budget(estimate_budget(device, settings, [outlines[z] for z in zones]), device, settings)
    return simulate_treatment(
        device,
        settings,
        zones,
        schedule=schedule,
        product=request.product,
        depth_by_zone=dict(request.zone_depths),
    )


def setting_label(values: Mapping[str, float]) -> str:
    """``depth 1 mm, 3 passes, 4 sessions every 30 days`` for the varied values."""
    parts = []
    if "depth_mm" in values:
        parts.append(f"depth {values['depth_mm']:g} mm")
    if "passes" in values:
        parts.append(f"{values['passes']:g} passes")
    if "sessions" in values:
        parts.append(f"{values['sessions']:g} sessions")
    if "interval_days" in values:
        parts.append(f"every {values['interval_days']:g} days")
    return ", ".join(parts) or "as given"


def _apply(request: SimulationRequest, variant: Mapping[str, float]) -> SimulationRequest:
    unknown = sorted(set(variant) - set(COMPARABLE))
    if unknown:
        raise ValidationError(
            "compare", f"cannot vary {', '.join(unknown)}; choose from {', '.join(COMPARABLE)}"
        )
    changes: dict[str, Any] = {}
    if "depth_mm" in variant:
        changes["depth_mm"] = float(variant["depth_mm"])
        changes["zone_depths"] = {}
        changes["zones"] = request.chosen_zones()
    for key in ("passes", "sessions", "interval_days"):
        if key in variant:
            value = variant[key]
            if value != int(value):
                raise ValidationError(f"compare.{key}", f"{value:g} is not a whole number")
            changes[key] = int(value)
    return replace(request, **changes)


@dataclass(frozen=True)
class _Samples:
    """Per-sample outcomes of one zone under one setting (same parameter draws for all)."""

    settled_day: np.ndarray[Any, np.dtype[np.float64]]
    collagen_week_12: np.ndarray[Any, np.dtype[np.float64]]
    collagen_after_last: np.ndarray[Any, np.dtype[np.float64]]
    uptake: np.ndarray[Any, np.dtype[np.float64]] | None


def _zone_samples(
    zone: ZoneSimulation, product: ProductUse | None, samples: int, seed: int
) -> _Samples:
    days = list(zone.course.session_days)
    first, last = days[0], days[-1]
    drawn = healing.sample_parameters(samples, seed)
    arrays = healing.healing_arrays(
        days, [zone.dose] * len(days), drawn, until_day=last + 90.0, samples_per_day=1
    )
    collagen = arrays["collagen_iii_pct"] + arrays["collagen_i_pct"]

    def at(day: float) -> np.ndarray[Any, np.dtype[np.float64]]:
        grid = arrays["days"]
        i = int(np.clip(np.searchsorted(grid, day), 1, grid.size - 1))
        f = (day - grid[i - 1]) / (grid[i] - grid[i - 1])
        value: np.ndarray[Any, np.dtype[np.float64]] = (
            collagen[:, i - 1] * (1 - f) + collagen[:, i] * f
        )
        return value

    uptake = None
    if product is not None:
        channels = zone_channels(zone.injury.injured_fraction, zone.depth)
        uptake = absorption.uptake_samples(
            product.product,
            product.concentration_mg_ml,
            channels,
            occluded=product.occluded,
            hours=product.hours,
            applied_volume_ul_cm2=product.applied_volume_ul_cm2,
            infinite_dose=product.infinite_dose,
            samples=samples,
            seed=seed,
        )
    return _Samples(arrays["settled_day"], at(first + 84.0), at(last + 84.0), uptake)


def _metric(value: float, band: uncertainty.Band | None, digits: int) -> dict[str, Any]:
    view: dict[str, Any] = {"value": round(value, digits)}
    if band is not None:
        view |= {"p5": round(float(band.p5), digits), "p95": round(float(band.p95), digits)}
    return view


def _outcomes(zone: ZoneSimulation, samples: _Samples) -> dict[str, dict[str, Any]]:
    course = zone.course
    first, last = course.session_days[0], course.session_days[-1]
    settled = healing.settled_day(course, healing.calibrated_parameters().erythema_threshold)
    view = {
        "effective_depth_mm": _metric(zone.depth.effective_mm, None, 3),
        "injured_pct": _metric(100 * zone.injury.injured_fraction, None, 2),
        "redness_settled_day": _metric(
            float("nan") if settled is None else settled,
            uncertainty.band(samples.settled_day),
            1,
        ),
        "collagen_pct_week_12": _metric(
            course.at(first + 84.0)["collagen_pct"], uncertainty.band(samples.collagen_week_12), 1
        ),
        "collagen_pct_12_weeks_after_last": _metric(
            course.at(last + 84.0)["collagen_pct"],
            uncertainty.band(samples.collagen_after_last),
            1,
        ),
    }
    if zone.absorption is not None and samples.uptake is not None:
        view["uptake_ug_cm2"] = _metric(
            float(zone.absorption.cumulative_ug_cm2[-1]), uncertainty.band(samples.uptake), 3
        )
    return view


def _difference(
    ours: dict[str, dict[str, Any]],
    reference: dict[str, dict[str, Any]],
    mine: _Samples,
    theirs: _Samples,
) -> dict[str, dict[str, Any]]:
    """This setting minus the reference; intervals from the paired samples."""
    paired = {
        "redness_settled_day": (mine.settled_day, theirs.settled_day, 1),
        "collagen_pct_week_12": (mine.collagen_week_12, theirs.collagen_week_12, 1),
        "collagen_pct_12_weeks_after_last": (
            mine.collagen_after_last,
            theirs.collagen_after_last,
            1,
        ),
    }
    if mine.uptake is not None and theirs.uptake is not None:
        paired["uptake_ug_cm2"] = (mine.uptake, theirs.uptake, 3)
    view: dict[str, dict[str, Any]] = {}
    for name, metric in ours.items():
        digits = paired[name][2] if name in paired else 3
        delta = metric["value"] - reference[name]["value"]
        band = None
        if name in paired:
            a, b, _ = paired[name]
            band = uncertainty.band(a - b)
        view[name] = _metric(delta, band, digits)
    return view


def compare_settings(
    device: DeviceSpec,
    base: SimulationRequest,
    variants: Sequence[Mapping[str, float]],
    *,
    samples: int = COMPARE_SAMPLES,
) -> dict[str, Any]:
    """Simulate ``base`` changed by each variant (keys of :data:`COMPARABLE`) side by side.

    The first variant is the reference; every other one carries its difference from it. Each
    value has its p5-p95 interval over the parameter ranges (Latin hypercube, the same draws for
    every setting, so a difference's interval is that of the paired differences).
    """
    if not 2 <= len(variants) <= MAX_SETTINGS:
        raise ValidationError("compare", f"compare 2–{MAX_SETTINGS} settings, not {len(variants)}")
    requests = [_apply(base, v) for v in variants]
    seed = uncertainty.DEFAULT_SEED + base.seed
    results = [simulate_request(device, r) for r in requests]
    per_setting = []
    for result in results:
        zone_samples = [_zone_samples(z, base.product, samples, seed) for z in result.zones]
        outcomes = [_outcomes(z, s) for z, s in zip(result.zones, zone_samples, strict=True)]
        per_setting.append((result, zone_samples, outcomes))
    ref_result, ref_samples, ref_outcomes = per_setting[0]
    settings_view = []
    for variant, request, (result, zone_samples, outcomes) in zip(
        variants, requests, per_setting, strict=True
    ):
        zones = []
        for i, zone in enumerate(result.zones):
            entry: dict[str, Any] = {
                "zone": zone.zone.value,
                "depth_mm": zone.settings.depth_mm,
                "outcomes": outcomes[i],
                "warning": zone.depth.warning,
            }
            if result is not ref_result:
                entry["difference"] = _difference(
                    outcomes[i], ref_outcomes[i], zone_samples[i], ref_samples[i]
                )
            zones.append(entry)
        settings_view.append(
            {
                "label": setting_label(variant),
                "varied": dict(variant),
                "depth_mm": request.depth_mm,
                "passes": result.zones[0].settings.passes,
                "sessions": request.sessions,
                "interval_days": request.interval_days,
                "zones": zones,
            }
        )
    return {
        "model_version": MODEL_VERSION,
        "device": device.model,
        "product": None if base.product is None else base.product.product.code,
        "reference": settings_view[0]["label"],
        "settings": settings_view,
        "interval": (
            f"p5–p95 over {samples} Latin-hypercube samples of the parameter ranges; "
            "differences paired sample by sample (same parameter draws)"
        ),
        "disclaimer": DISCLAIMER,
    }


def explain_model() -> dict[str, Any]:
    """What the healing model rests on: every parameter with its range and source, and every
    published point with its role (calibration or validation), the model's value, the error and
    the tolerance stated in the data file before the comparison."""
    from microneedling.simulate import validation

    rows = validation.validation_table()
    held_out = [r for r in rows if r["role"] == "validation"]
    return {
        "model_version": MODEL_VERSION,
        "parameters": validation.parameter_table(),
        "points": rows,
        "validation_passed": sum(r["passed"] for r in held_out),
        "validation_total": len(held_out),
        "disclaimer": DISCLAIMER,
    }
