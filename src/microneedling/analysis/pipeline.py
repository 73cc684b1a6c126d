"""Analyse one photo: landmarks, quality, scale, zones, colour correction and every metric."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from microneedling.analysis import colour, erythema, pores, texture, tone, wrinkles
from microneedling.analysis.landmarks import (
    MODEL,
    HeadPose,
    Landmarks,
    detect_landmarks,
    head_pose,
)
from microneedling.analysis.quality import QualityReport, assess_quality
from microneedling.analysis.settings import analysis_settings
from microneedling.analysis.zones import (
    ANALYSED_ZONES,
    ZoneMap,
    feature_indices,
    hull_mask,
    image_scale,
    zone_map,
)
from microneedling.core.errors import ValidationError
from microneedling.core.zones import FacialZone

ANALYSIS_VERSION = "analysis-1"
VIEW_YAW_DEG = {"front": 0.0, "left45": 45.0, "right45": 45.0}


def turn_relative(pose: HeadPose, expected_abs_yaw: float) -> HeadPose:
    """The pose with yaw measured from the view's expected turn (either side for 45° views)."""
    yaw = pose.yaw if expected_abs_yaw == 0 else abs(pose.yaw) - expected_abs_yaw
    return HeadPose(yaw=yaw, pitch=pose.pitch, roll=pose.roll)


@dataclass
class Timings:
    seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start


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


def _working_scale(mm_per_px: float) -> float:
    target = analysis_settings().working_mm_per_px.value
    return min(1.0, mm_per_px / target)


def _face_box(landmarks: Landmarks, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """x0, y0, x1, y1 of the face oval, with a small margin, inside the image."""
    xy = landmarks.xy[:468]
    margin = 0.05 * landmarks.interpupillary_px
    x0, y0 = np.maximum(np.floor(xy.min(axis=0) - margin), 0).astype(int)
    x1 = int(min(np.ceil(xy[:, 0].max() + margin) + 1, shape[1]))
    y1 = int(min(np.ceil(xy[:, 1].max() + margin) + 1, shape[0]))
    return int(x0), int(y0), x1, y1


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
    settings = analysis_settings()
    m = settings.metrics
    timings = Timings()
    with timings.stage("landmarks"):
        found = landmarks or detect_landmarks(rgb, field_name)
        if view not in VIEW_YAW_DEG:
            raise ValidationError("view", f"{view!r} is not one of {', '.join(VIEW_YAW_DEG)}")
        pose = turn_relative(head_pose(found), VIEW_YAW_DEG[view])
        refuse = settings.quality.refuse_abs_yaw_deg.value
        if abs(pose.yaw) > refuse:
            raise ValidationError(
                field_name,
                f"the face is turned away ({pose.yaw:+.0f}° from the {view} view); "
                f"retake the {view} photo",
            )
    geometry = zones_from or found
    with timings.stage("zones"):
        native_mm, scale_source = image_scale(geometry, mm_per_px)
        x0, y0, x1, y1 = _face_box(geometry, rgb.shape)
        crop = rgb[y0:y1, x0:x1]
        factor = _working_scale(native_mm)
        if factor < 1.0:
            size = (round(crop.shape[1] * factor), round(crop.shape[0] * factor))
            crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
        work_mm = native_mm / factor
        scaled = Landmarks(
            np.column_stack([(geometry.xy - (x0, y0)) * factor, geometry.points[:, 2] * factor])
        )
        raw01 = crop.astype(np.float32) / 255.0
        eyes = feature_indices()
        sclera = hull_mask(crop.shape, scaled.xy[list(eyes["left_eye"])]) | hull_mask(
            crop.shape, scaled.xy[list(eyes["right_eye"])]
        )
    with timings.stage("colour"):
        if not balance:
            gains = colour.WhiteBalance("none (turned off)", (1.0, 1.0, 1.0), 0)
        elif grey_box is not None:
            gains = colour.white_balance(rgb.astype(np.float32) / 255.0, grey_box=grey_box)
        else:
            gains = colour.white_balance(raw01, sclera=sclera)
        rgb01 = gains.apply(raw01)
        lab = colour.to_lab_fast(rgb01)
        reflectance = colour.linear_reflectance(rgb01)
    with timings.stage("zones"):
        zones = zone_map(scaled, crop.shape, mm_per_px=work_mm, lab=lab, scale_source=scale_source)
        labels = np.full(crop.shape[:2], -1, dtype=np.int8)
        zx, zy = zones.origin
        h, w = zones.labels.shape
        labels[zy : zy + h, zx : zx + w] = zones.labels
    skin = labels >= 0
    lightness = lab[..., 0]
    with timings.stage("quality"):
        quality = assess_quality(
            pose,
            lightness,
            rgb01,
            skin,
            labels == ANALYSED_ZONES.index(FacialZone.CHEEK_LEFT),
            labels == ANALYSED_ZONES.index(FacialZone.CHEEK_RIGHT),
            settings.quality,
        )
    with timings.stage("texture"):
        detail = texture.bandpass(
            lightness,
            work_mm,
            fine_mm=m.texture_sigma_mm.value,
            shading_mm=m.shading_sigma_mm.value,
        )
    with timings.stage("wrinkles"):
        ridges = wrinkles.ridge_map(
            detail,
            skin,
            work_mm,
            sigmas_mm=m.wrinkle_sigmas_mm.values,
            min_response=m.wrinkle_min_response.value,
            min_length_mm=m.wrinkle_min_length_mm.value,
        )
    with timings.stage("pores"):
        # A dark line is not a row of pores: spots on a wrinkle are left out.
        reach = max(int(m.pore_radius_mm.max / work_mm), 1)
        on_lines = (
            cv2.dilate(
                ridges.skeleton.astype(np.uint8), np.ones((3, 3), np.uint8), iterations=reach
            )
            > 0
        )
        pore_spots = pores.dark_spots(
            detail,
            skin & ~on_lines,
            work_mm,
            radius_mm=(m.pore_radius_mm.min, m.pore_radius_mm.max),
            min_contrast=m.pore_min_contrast_l.value,
        )
    with timings.stage("scars"):
        scar_detail = texture.bandpass(
            lightness,
            work_mm,
            fine_mm=m.pore_radius_mm.max,
            shading_mm=m.scar_shading_sigma_mm.value,
        )
        scar_spots = pores.dark_spots(
            scar_detail,
            skin,
            work_mm,
            radius_mm=(m.scar_radius_mm.min, m.scar_radius_mm.max),
            min_contrast=m.scar_min_contrast_l.value,
            exclude=pore_spots.centres_px,
        )
    red_threshold = float(np.median(lab[..., 1][skin])) + m.red_delta_a.value
    eye_line = float(np.degrees(np.arctan2(*(scaled.xy[473] - scaled.xy[468])[::-1])))
    results: list[ZoneMetrics] = []
    for index, zone in enumerate(ANALYSED_ZONES):
        mask = labels == index
        if mask.sum() < 50:
            continue
        with timings.stage("redness"):
            red = erythema.redness(lab, reflectance, mask, red_threshold)
        with timings.stage("tone"):
            pigment = tone.tone(lab, reflectance, mask)
        with timings.stage("texture"):
            rough = texture.roughness(detail, mask)
        with timings.stage("wrinkles"):
            lines = wrinkles.zone_lines(
                ridges,
                mask,
                work_mm,
                min_length_mm=m.wrinkle_min_length_mm.value,
                eye_line_deg=eye_line,
            )
        with timings.stage("pores"):
            pore_count, pore_density, pore_area = pore_spots.in_zone(mask & ~on_lines, work_mm)
            scar_count, _, scar_area = scar_spots.in_zone(mask, work_mm)
        results.append(
            ZoneMetrics(
                zone=zone,
                area_cm2=float(mask.sum() * work_mm**2 / 100.0),
                a_star=red.a_star,
                erythema_index=red.erythema_index,
                red_area_fraction=red.red_area_fraction,
                ita_deg=pigment.ita_deg,
                ita_spread_deg=pigment.ita_spread_deg,
                melanin_index=pigment.melanin_index,
                melanin_spread=pigment.melanin_spread,
                roughness_l=rough,
                pores_per_cm2=pore_density,
                pore_count=pore_count,
                pore_mean_area_mm2=pore_area,
                wrinkle_length_mm_per_cm2=lines.length_mm_per_cm2,
                wrinkle_depth=lines.depth_proxy,
                wrinkle_orientation_deg=lines.orientation_deg,
                scar_count=scar_count,
                scar_area_mm2=scar_area * scar_count,
            )
        )
    overlay = Overlay(
        rgb=(rgb01 * 255).astype(np.uint8),
        labels=labels,
        pores=pore_spots.centres_px,
        pore_radii=pore_spots.radii_px,
        scars=scar_spots.centres_px,
        scar_radii=scar_spots.radii_px,
        wrinkles=ridges.skeleton,
        red=skin & (lab[..., 1] > red_threshold),
    )
    return PhotoAnalysis(
        found,
        zones,
        work_mm,
        quality,
        gains,
        tuple(results),
        timings.seconds,
        overlay,
        (rgb.shape[0], rgb.shape[1]),
    )
