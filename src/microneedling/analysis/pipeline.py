"""Analyse one photo: the prepare stage, then every registered metric on every zone.

``prepare`` (analysis/prepare.py) finds the landmarks, sets the scale, balances white, labels the
zones and checks quality; the metric functions of analysis/metrics.py, registered by name, each
measure one zone of the prepared photo. ``analyze`` runs both and assembles one row per zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from microneedling.analysis import colour, metrics
from microneedling.analysis.landmarks import MODEL, Landmarks
from microneedling.analysis.prepare import (
    VIEW_YAW_DEG,
    PreparedPhoto,
    Timings,
    prepare,
    turn_relative,
)
from microneedling.analysis.quality import QualityReport
from microneedling.analysis.zones import ANALYSED_ZONES, ZoneMap
from microneedling.core.errors import ValidationError
from microneedling.core.zones import FacialZone

__all__ = [
    "ANALYSIS_VERSION",
    "METRIC_NAMES",
    "VIEW_YAW_DEG",
    "Overlay",
    "PhotoAnalysis",
    "PreparedPhoto",
    "Timings",
    "ZoneMetrics",
    "analyze",
    "turn_relative",
]

# analysis-2: illumination-normalised detectors, pores by size/shape/contrast, wrinkles by length
# and elongation, scars without pigment, pigment spots, robust roughness.
# analysis-3: pores at sub-pixel position and scale (their depth at any pixel phase), spots only
# where they lie on the skin; lines by normalised Gaussian derivatives at any angle; the fringe
# judged against mid-face skin; skin tone read under the eye whites' (or grey card's) exposure;
# the roughness band never finer than 0.7 px.
# analysis-4: the face crop refined from the mesh where the detector misplaced the face; the
# forehead's lower edge held at the schematic height near the brows; lines sought on the skin
# closed over shadow specks, with the skin's level continued off it, and selected against the
# texture noise measured without them.
# analysis-5: pores sought skin_edge_mm inside the skin's edge (the outline's dark band no longer
# read as pores as the landmarks move) and counted only at a refined radius inside the stated
# range; pores per cm2 of the skin they were sought on; the flat field's shading blurred on a
# finer reduced grid (its sampling no longer moves the texture band as the crop moves).
# analysis-6: a line's pieces joined across a gap the finest ridge scale cannot resolve
# (wrinkles.join_across_gaps; Steger 1998's 2.5 sigma extension and 30 degree linking angle).
# analysis-7: pores on photos finer than 0.253 mm/px searched at exactly that scale (an area
# resize), not at a whole-number reduction (0.253-0.506 mm/px by the photo's resolution).
ANALYSIS_VERSION = "analysis-7"
MIN_ZONE_PX = 50


@dataclass(frozen=True)
class ZoneMetrics:
    zone: FacialZone
    area_cm2: float
    a_star: float
    erythema_index: float
    red_area_fraction: float
    ita_deg: float | None
    ita_spread_deg: float
    melanin_index: float
    melanin_spread: float
    roughness_l: float
    pores_per_cm2: float
    pore_count: int
    pore_mean_area_mm2: float
    wrinkle_length_mm_per_cm2: float
    wrinkle_depth: float
    wrinkle_orientation_deg: float | None
    scar_count: int
    scar_area_mm2: float
    pigment_spot_count: int = 0
    pigment_spot_area_mm2: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"zone": self.zone.value}
        for key, value in self.__dict__.items():
            if key != "zone":
                out[key] = value if not isinstance(value, float) else round(value, 4)
        return out


METRIC_NAMES = tuple(k for k in ZoneMetrics.__dataclass_fields__ if k not in ("zone", "area_cm2"))


@dataclass(frozen=True)
class Overlay:
    """What the overlay draws, in working-image pixels."""

    rgb: NDArray[np.uint8]
    labels: NDArray[np.int8]
    pores: NDArray[np.float64]
    pore_radii: NDArray[np.float64]
    scars: NDArray[np.float64]
    scar_radii: NDArray[np.float64]
    wrinkles: NDArray[np.bool_]
    red: NDArray[np.bool_]
    pigment: NDArray[np.float64] | None = None
    pigment_radii: NDArray[np.float64] | None = None


@dataclass(frozen=True)
class PhotoAnalysis:
    landmarks: Landmarks
    zones: ZoneMap
    mm_per_px: float
    quality: QualityReport
    white_balance: colour.WhiteBalance
    metrics: tuple[ZoneMetrics, ...]
    timings: dict[str, float]
    overlay: Overlay
    image_shape: tuple[int, int]
    cpu_timings: dict[str, float] = field(default_factory=dict)  # CPU seconds per stage

    def metric(self, zone: FacialZone) -> ZoneMetrics:
        for m in self.metrics:
            if m.zone is zone:
                return m
        raise ValidationError("zone", f"{zone} was not measured in this photo")

    def summary(self) -> dict[str, Any]:
        return {
            "version": ANALYSIS_VERSION,
            "landmark_model": MODEL,
            "image": {"width": self.image_shape[1], "height": self.image_shape[0]},
            "mm_per_px": round(self.mm_per_px, 5),
            "scale_source": self.zones.scale_source,
            "white_balance": self.white_balance.as_dict(),
            "quality": self.quality.as_dict(),
            "zones": [m.as_dict() for m in self.metrics],
            "timings_s": {k: round(v, 4) for k, v in self.timings.items()},
        }


def analyze(
    rgb: NDArray[np.uint8],
    *,
    landmarks: Landmarks | None = None,
    zones_from: Landmarks | None = None,
    mm_per_px: float | None = None,
    grey_box: tuple[int, int, int, int] | None = None,
    balance: bool = True,
    view: str = "front",
    field_name: str = "photo",
) -> PhotoAnalysis:
    """Measure every zone of one photo; ``zones_from`` takes zones from aligned landmarks.

    ``view`` is front, left45 or right45; the head turn is judged against the view's own angle.
    """
    prepared = prepare(
        rgb,
        landmarks=landmarks,
        zones_from=zones_from,
        mm_per_px=mm_per_px,
        grey_box=grey_box,
        balance=balance,
        view=view,
        field_name=field_name,
    )
    return measure_zones(prepared)


def measure_zones(prepared: PreparedPhoto) -> PhotoAnalysis:
    """Every registered metric on every zone of a prepared photo."""
    p = prepared
    metrics.derive_all(p)
    results: list[ZoneMetrics] = []
    for index, zone in enumerate(ANALYSED_ZONES):
        mask = p.labels == index
        pixels = np.count_nonzero(mask)
        if pixels < MIN_ZONE_PX:
            continue
        row = metrics.measure(p, mask)
        area = pixels * p.mm_per_px**2 / 100.0
        results.append(ZoneMetrics(zone=zone, area_cm2=area, **row))
    pores, scars, pigment = metrics.pore_spots(p), metrics.scar_spots(p), metrics.pigment_spots(p)
    overlay = Overlay(
        rgb=p.cached("rgb8", lambda: (p.rgb01 * 255).astype(np.uint8)),
        labels=p.labels,
        pores=pores.centres_px,
        pore_radii=pores.radii_px,
        scars=scars.centres_px,
        scar_radii=scars.radii_px,
        wrinkles=metrics.ridge_map(p).skeleton,
        red=p.skin & (p.lab[..., 1] > metrics.red_threshold(p)),
        pigment=pigment.centres_px,
        pigment_radii=pigment.radii_px,
    )
    return PhotoAnalysis(
        p.landmarks,
        p.zones,
        p.mm_per_px,
        p.quality,
        p.white_balance,
        tuple(results),
        p.timings.seconds,
        overlay,
        p.image_shape,
        p.timings.cpu_seconds,
    )
