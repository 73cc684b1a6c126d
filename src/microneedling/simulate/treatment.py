"""A whole treatment simulated: per zone the punctures, injury, depth, healing and absorption."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from microneedling import DISCLAIMER
from microneedling.core.errors import ValidationError
from microneedling.core.zones import FacialZone
from microneedling.simulate import absorption, healing, uncertainty, validation
from microneedling.simulate.absorption import AbsorptionCourse, ChannelGeometry, Topical
from microneedling.simulate.constants import constant
from microneedling.simulate.coverage import ZoneInjury, zone_injury
from microneedling.simulate.depth import DepthReach, zone_depth
from microneedling.simulate.devices import DeviceSpec
from microneedling.simulate.geometry import ZoneOutline, zone_outlines
from microneedling.simulate.healing import HealingCourse, HealingInterval
from microneedling.simulate.puncture_field import (
    PunctureField,
    TreatmentSettings,
    generate_punctures,
)

FIELD_MODEL_VERSION = "field-1"
MODEL_VERSION = f"{FIELD_MODEL_VERSION}+{healing.MODEL_VERSION}+{absorption.MODEL_VERSION}"
COLLAGEN_SCALE = (
    "% change from baseline on the scale of ultrasound dermal density (kenkel2021: echogenicity "
    "3 months after a series, not histological collagen content)"
)
"""What the collagen figures measure: the model's collagen gain is calibrated to Kenkel's
ultrasound dermal density."""
REPORT_WEEKS = (1, 2, 4, 8, 12, 16, 24, 36)


@dataclass(frozen=True)
class Schedule:
    sessions: int = 1
    interval_days: int = 30

    def days(self) -> list[float]:
        if not 1 <= self.sessions <= 12:
            raise ValidationError("sessions", f"{self.sessions} is outside 1–12")
        if not 1 <= self.interval_days <= 365:
            raise ValidationError("interval_days", f"{self.interval_days} is outside 1–365")
        return [float(i * self.interval_days) for i in range(self.sessions)]


@dataclass(frozen=True)
class ProductUse:
    product: Topical
    concentration_mg_ml: float = 10.0
    occluded: bool = False
    hours: float = 24.0
    applied_volume_ul_cm2: float | None = None
    infinite_dose: bool = False


@dataclass(frozen=True)
class ZoneSimulation:
    zone: FacialZone
    settings: TreatmentSettings
    field: PunctureField
    outline: ZoneOutline
    injury: ZoneInjury
    depth: DepthReach
    dose: float
    course: HealingCourse
    absorption: AbsorptionCourse | None
    interval: HealingInterval | None = None
    """5th/50th/95th percentiles of every healing curve across the parameter ranges."""

    def summary(self, visible_threshold_pct: float, erythema_threshold: float) -> dict[str, Any]:
        last = self.course.session_days[-1]
        first = self.course.session_days[0]
        interval = self.interval or healing.healing_interval(
            self.course.session_days,
            [self.dose] * len(self.course.session_days),
            until_day=float(self.course.days[-1]),
        )
        view: dict[str, Any] = {
            "zone": self.zone.value,
            "depth_mm": self.settings.depth_mm,
            "effective_depth_mm": round(self.depth.effective_mm, 3),
            "layer": self.depth.layer.value,
            "layer_if_fully_inserted": self.depth.layer_if_fully_inserted.value,
            "dermis_bottom_mm": round(self.depth.dermis_bottom_mm, 3),
            "warning": self.depth.warning,
            "passes": self.settings.passes,
            "pattern": self.settings.pattern.value,
            "area_cm2": round(self.injury.area_cm2, 2),
            "punctures": self.injury.punctures,
            "density_per_cm2": round(self.injury.density_per_cm2, 1),
            "spacing_median_mm": round(self.injury.spacing_median_mm, 3),
            "spacing_p5_mm": round(self.injury.spacing_p5_mm, 3),
            "spacing_p95_mm": round(self.injury.spacing_p95_mm, 3),
            "injured_fraction": round(self.injury.injured_fraction, 5),
            "injured_fraction_se": round(self.injury.injured_fraction_se, 5),
            "injured_fraction_poisson": round(self.injury.poisson_fraction, 5),
            "overtreated": self.injury.overtreated,
            "overtreated_fraction": round(self.injury.overtreated_fraction, 4),
            "dose": round(self.dose, 6),
            "erythema_peak": round(float(self.course.erythema.max()), 2),
            "erythema_settled_day": _round(healing.settled_day(self.course, erythema_threshold)),
            "visible_day": _round(healing.visible_day(self.course, visible_threshold_pct)),
            "collagen_pct_by_week": {
                w: round(self.course.at(first + 7 * w)["collagen_pct"], 1) for w in REPORT_WEEKS
            },
            "elastin_pct_by_week": {
                w: round(self.course.at(first + 7 * w)["elastin_pct"], 1) for w in REPORT_WEEKS
            },
            "weekly": self._weekly(),
            "spacing_histogram": {
                "edges_mm": list(self.injury.spacing_histogram[0]),
                "counts": list(self.injury.spacing_histogram[1]),
            },
            "collagen_pct_12_weeks_after_last": round(self.course.at(last + 84)["collagen_pct"], 1),
            "erythema_settled_day_interval": interval.settled_day.rounded(2),
            "visible_day_interval": _finite(interval.visible_day.rounded(1)),
            "never_visible_fraction": round(interval.never_visible_fraction, 3),
            "collagen_pct_by_week_interval": {
                w: interval.at(first + 7 * w)["collagen_pct"] | {} for w in REPORT_WEEKS
            },
            "elastin_pct_by_week_interval": {
                w: interval.at(first + 7 * w)["elastin_pct"] | {} for w in REPORT_WEEKS
            },
            "collagen_pct_12_weeks_after_last_interval": interval.at(last + 84)["collagen_pct"],
            "redness_reports": validation.redness_reports(self.settings.depth_mm),
            "erythema_daily": self._erythema_daily(interval),
        }
        for key in ("collagen_pct_by_week_interval", "elastin_pct_by_week_interval"):
            view[key] = {w: _rounded(b, 1) for w, b in view[key].items()}
        view["collagen_pct_12_weeks_after_last_interval"] = _rounded(
            view["collagen_pct_12_weeks_after_last_interval"], 1
        )
        view["weekly"] |= self._weekly_interval(interval)
        if self.absorption is not None:
            a = self.absorption
            ratio = a.enhancement_ratio
            view["absorption"] = {
                "kp_cm_h": a.kp_cm_h,
                "channel_permeability_cm_h": a.channel_permeability_cm_h,
                "closure_tau_h": a.tau_h,
                "cumulative_ug_cm2": round(float(a.cumulative_ug_cm2[-1]), 4),
                "cumulative_ug_cm2_interval": _interval_view(a),
                "applied_volume_ul_cm2": a.applied_volume_ul_cm2,
                "applied_ug_cm2": a.applied_ug_cm2,
                "intact_cumulative_ug_cm2": a.intact_cumulative_ug_cm2,
                "enhancement_ratio": None if not np.isfinite(ratio) else round(ratio, 3),
                "peak_flux_ug_cm2_h": round(float(a.flux_ug_cm2_h.max()), 4),
                "hourly": self._hourly(a),
                "warnings": list(a.warnings),
            }
        return view

    def _weekly(self) -> dict[str, list[float]]:
        """Collagen, elastin and peak erythema week by week from the first session."""
        course = self.course
        start = course.session_days[0]
        weeks = int((course.days[-1] - start) // 7)
        edges = start + 7.0 * np.arange(weeks + 1)
        return {
            "week": list(range(weeks + 1)),
            "collagen_pct": [round(course.at(d)["collagen_pct"], 2) for d in edges],
            "elastin_pct": [round(course.at(d)["elastin_pct"], 2) for d in edges],
        }

    def _weekly_interval(self, interval: HealingInterval) -> dict[str, list[float]]:
        """p5 and p95 of collagen and elastin on the same weeks as :meth:`_weekly`."""
        start = self.course.session_days[0]
        weeks = int((self.course.days[-1] - start) // 7)
        edges = start + 7.0 * np.arange(weeks + 1)
        out: dict[str, list[float]] = {}
        for name in ("collagen_pct", "elastin_pct"):
            band = getattr(interval, name)
            for q in ("p5", "p95"):
                values = np.interp(edges, interval.days, getattr(band, q))
                out[f"{name}_{q}"] = [round(float(v), 2) for v in values]
        return out

    def _erythema_daily(self, interval: HealingInterval) -> dict[str, list[float]]:
        """Redness (x visible threshold) each day for two weeks from the last session: the
        calibrated course and the p5/p50/p95 band."""
        last = self.course.session_days[-1]
        days = last + np.arange(0.0, 15.0)
        out = {
            "day_after_last": [float(d) for d in np.arange(0.0, 15.0)],
            "value": [
                round(float(v), 3) for v in np.interp(days, self.course.days, self.course.erythema)
            ],
        }
        for q in ("p5", "p50", "p95"):
            values = np.interp(days, interval.days, getattr(interval.erythema, q))
            out[q] = [round(float(v), 3) for v in values]
        return out

    @staticmethod
    def _hourly(a: AbsorptionCourse) -> dict[str, list[float]]:
        hours = np.arange(0.0, float(a.hours[-1]) + 1e-9, 1.0)
        return {
            "hour": hours.tolist(),
            "flux_ug_cm2_h": np.interp(hours, a.hours, a.flux_ug_cm2_h).round(5).tolist(),
            "cumulative_ug_cm2": np.interp(hours, a.hours, a.cumulative_ug_cm2).round(5).tolist(),
        }


def _interval_view(a: AbsorptionCourse) -> dict[str, float] | None:
    """p5/p50/p95 of the cumulative uptake at the last hour (absorption's Latin hypercube)."""
    band = a.interval_at_end()
    if band is None:
        return None
    return {k: round(v, 4) for k, v in zip(("p5", "p50", "p95"), band, strict=True)}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _rounded(band: Mapping[str, float], digits: int) -> dict[str, float]:
    return {q: round(float(v), digits) for q, v in band.items()}


def _finite(band: dict[str, Any]) -> dict[str, Any]:
    """None for a percentile that is not a number (never reached in most samples)."""
    return {q: (None if v is None or not np.isfinite(v) else v) for q, v in band.items()}


@dataclass(frozen=True)
class TreatmentSimulation:
    device: DeviceSpec
    schedule: Schedule
    product: ProductUse | None
    zones: tuple[ZoneSimulation, ...]

    def summary(self) -> dict[str, Any]:
        params = healing.calibrated_parameters()
        zones = [
            z.summary(params.visible_threshold_pct, params.erythema_threshold) for z in self.zones
        ]
        total = sum(z.injury.punctures for z in self.zones)
        return {
            "model_version": MODEL_VERSION,
            "device": self.device.model,
            "device_kind": self.device.kind,
            "schedule": {
                "sessions": self.schedule.sessions,
                "interval_days": self.schedule.interval_days,
            },
            "product": None
            if self.product is None
            else {
                "code": self.product.product.code,
                "name": self.product.product.name,
                "mw": self.product.product.mw,
                "log_kow": self.product.product.log_kow,
                "concentration_mg_ml": self.product.concentration_mg_ml,
                "occluded": self.product.occluded,
                "hours": self.product.hours,
                "applied_volume_ul_cm2": self.product.applied_volume_ul_cm2,
                "infinite_dose": self.product.infinite_dose,
            },
            "punctures_per_session": total,
            "collagen_scale": COLLAGEN_SCALE,
            "uncertainty": {
                "method": "Latin hypercube over the parameter ranges of healing.yaml (seeded)",
                "samples": uncertainty.DEFAULT_SAMPLES,
                "seed": uncertainty.DEFAULT_SEED,
                "percentiles": list(uncertainty.PERCENTILES),
                "note": "the calibrated course is 'value'; p5-p95 is how far it moves across "
                "the published and estimated parameter ranges, not a clinical prediction interval",
            },
            "zones": zones,
            "warnings": [z["warning"] for z in zones if z["warning"]],
            "disclaimer": DISCLAIMER,
        }


def zone_channels(injured_fraction: float, depth: DepthReach) -> ChannelGeometry:
    """The micro-channels of a zone: its injured area, open to the effective needle depth, each
    channel at least one wound radius long (``channel_width_mm``)."""
    return ChannelGeometry.from_depths(
        injured_fraction,
        depth.effective_mm,
        depth.papillary_bottom_mm,
        minimum_path_mm=constant("channel_width_mm") / 2.0,
    )


def simulate_zone(
    device: DeviceSpec,
    settings: TreatmentSettings,
    zone: FacialZone,
    schedule: Schedule,
    product: ProductUse | None = None,
    *,
    outline: ZoneOutline | None = None,
) -> ZoneSimulation:
    outline = outline or zone_outlines()[zone]
    field = generate_punctures(device, settings, outline)
    radius = constant("channel_width_mm") / 2.0
    injury = zone_injury(
        field.xy,
        outline,
        wound_radius_mm=radius,
        safety_spacing_mm=constant("safety_spacing_mm"),
        seed=settings.seed,
    )
    depth = zone_depth(zone, settings.depth_mm)
    dose = healing.injury_dose(injury.injured_fraction, depth.effective_mm)
    days = schedule.days()
    course = healing.healing_course(days, [dose] * len(days), until_day=days[-1] + 270.0)
    interval = healing.healing_interval(days, [dose] * len(days), until_day=days[-1] + 270.0)
    uptake = None
    if product is not None:
        channels = zone_channels(injury.injured_fraction, depth)
        uptake = absorption.absorption_course(
            product.product,
            product.concentration_mg_ml,
            channels,
            occluded=product.occluded,
            hours=product.hours,
            applied_volume_ul_cm2=product.applied_volume_ul_cm2,
            infinite_dose=product.infinite_dose,
            seed=settings.seed,
        )
    return ZoneSimulation(
        zone, settings, field, outline, injury, depth, dose, course, uptake, interval
    )


def simulate_treatment(
    device: DeviceSpec,
    settings: TreatmentSettings,
    zones: Sequence[FacialZone],
    *,
    schedule: Schedule | None = None,
    product: ProductUse | None = None,
    depth_by_zone: Mapping[FacialZone, float] | None = None,
) -> TreatmentSimulation:
    """Simulate every zone; ``depth_by_zone`` overrides the settings' depth zone by zone."""
    if not zones:
        raise ValidationError("zones", "name at least one zone")
    schedule = schedule or Schedule()
    results = []
    for i, zone in enumerate(zones):
        depth = (depth_by_zone or {}).get(zone, settings.depth_mm)
        zone_settings = replace(settings, depth_mm=depth, seed=settings.seed + i)
        results.append(simulate_zone(device, zone_settings, zone, schedule, product))
    return TreatmentSimulation(device, schedule, product, tuple(results))
