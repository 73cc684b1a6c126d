"""The prepare stage: from a photo to what every metric reads (decoded pixels are the input).

``prepare`` finds the landmarks and the head pose, sets the scale, crops the face and reduces it to
the working resolution, balances white, converts to CIELAB and reflectance, labels the zones and
checks capture quality. The result, a ``PreparedPhoto``, holds those arrays and computes shared
derived maps (the illumination-normalised L*, the detections of each detector) once, on first use;
metric functions read it and never change what another metric reads.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import cv2
import numpy as np
from numpy.typing import NDArray

from microneedling.analysis import colour
from microneedling.analysis.landmarks import HeadPose, Landmarks, detect_landmarks, head_pose
from microneedling.analysis.quality import QualityReport, assess_quality
from microneedling.analysis.settings import AnalysisSettings, analysis_settings
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

VIEW_YAW_DEG = {"front": 0.0, "left45": 45.0, "right45": 45.0}
T = TypeVar("T")


def turn_relative(pose: HeadPose, expected_abs_yaw: float) -> HeadPose:
    """The pose with yaw measured from the view's expected turn (either side for 45° views)."""
    yaw = pose.yaw if expected_abs_yaw == 0 else abs(pose.yaw) - expected_abs_yaw
    return HeadPose(yaw=yaw, pitch=pose.pitch, roll=pose.roll)


@dataclass
class Timings:
    """Seconds spent per stage: wall-clock time, and the process's CPU time (``time.process_time``,
    which other processes on a shared machine do not inflate; on one thread it is the work done)."""

    seconds: dict[str, float] = field(default_factory=dict)
    cpu_seconds: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start, start_cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start
            cpu = time.process_time() - start_cpu
            self.cpu_seconds[name] = self.cpu_seconds.get(name, 0.0) + cpu


@dataclass(frozen=True)
class PreparedPhoto:
    """A photo ready to measure: the face crop at the working resolution and what was found.

    Arrays are in working-image pixels (``mm_per_px``); ``origin`` and ``factor`` map the full
    photo onto them: working (row, col) = (full (row, col) - origin (row, col)) x factor.
    """

    landmarks: Landmarks  # found on the photo, full-image pixels
    geometry: Landmarks  # what zones came from (aligned baseline landmarks, or ``landmarks``)
    pose: HeadPose
    zones: ZoneMap
    mm_per_px: float
    origin: tuple[int, int]  # (row, col) of the crop in the full photo
    factor: float
    image_shape: tuple[int, int]
    white_balance: colour.WhiteBalance
    balanced: colour.BalancedImage  # the crop's codes after white balance (``rgb01``, ``rgb8``)
    lab: NDArray[np.float32]
    reflectance: NDArray[np.float32]
    labels: NDArray[np.int8]
    quality: QualityReport
    eye_line_deg: float
    settings: AnalysisSettings
    timings: Timings = field(default_factory=Timings)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def rgb01(self) -> NDArray[np.float32]:
        """The balanced crop, 0..1 per channel (looked up from the codes on first use)."""
        return self.balanced.rgb01

    @property
    def skin(self) -> NDArray[np.bool_]:
        return self.cached("skin", lambda: self.labels >= 0)

    def region(self, full_mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
        """A mask drawn on the full photo, in working-image pixels (for regions not from zones)."""
        r0, c0 = self.origin
        height, width = self.labels.shape
        span_r = round(height / self.factor)
        span_c = round(width / self.factor)
        crop = np.zeros((span_r, span_c), dtype=np.float32)
        part = full_mask[r0 : r0 + span_r, c0 : c0 + span_c]
        crop[: part.shape[0], : part.shape[1]] = part
        small = cv2.resize(crop, (width, height), interpolation=cv2.INTER_AREA)
        return np.asarray(small >= 0.5)

    def cached(self, name: str, compute: Callable[[], T]) -> T:
        """A derived map, computed on first use and shared by every metric that reads it."""
        if name not in self._cache:
            self._cache[name] = compute()
        value: T = self._cache[name]
        return value


def _working_scale(mm_per_px: float, settings: AnalysisSettings) -> float:
    return min(1.0, mm_per_px / settings.working_mm_per_px.value)


def _face_box(landmarks: Landmarks, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """x0, y0, x1, y1 of the face oval, with a small margin, inside the image."""
    xy = landmarks.xy[:468]
    margin = 0.05 * landmarks.interpupillary_px
    x0, y0 = np.maximum(np.floor(xy.min(axis=0) - margin), 0).astype(int)
    x1 = int(min(np.ceil(xy[:, 0].max() + margin) + 1, shape[1]))
    y1 = int(min(np.ceil(xy[:, 1].max() + margin) + 1, shape[0]))
    return int(x0), int(y0), x1, y1


def _around_eyes(sclera: NDArray[np.bool_]) -> tuple[slice, slice]:
    """The part of the image the eye-white balance reads: both eye outlines and, around them, a
    margin of half the outlines' height and a few pixels (the band of skin it samples around each
    eye is half that eye's height wide, ``colour._ring``)."""
    x, y, w, h = cv2.boundingRect(sclera.view(np.uint8))
    if w == 0 or h == 0:
        return slice(None), slice(None)
    margin = h // 2 + 4
    return slice(max(y - margin, 0), y + h + margin), slice(max(x - margin, 0), x + w + margin)


def prepare(
    rgb: NDArray[np.uint8],
    *,
    landmarks: Landmarks | None = None,
    zones_from: Landmarks | None = None,
    mm_per_px: float | None = None,
    grey_box: tuple[int, int, int, int] | None = None,
    balance: bool = True,
    view: str = "front",
    field_name: str = "photo",
) -> PreparedPhoto:
    """Landmarks, pose, scale, working-resolution crop, white balance, CIELAB, zones, quality."""
    settings = analysis_settings()
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
        factor = _working_scale(native_mm, settings)
        if factor < 1.0:
            size = (round(crop.shape[1] * factor), round(crop.shape[0] * factor))
            crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
        work_mm = native_mm / factor
        scaled = Landmarks(
            np.column_stack([(geometry.xy - (x0, y0)) * factor, geometry.points[:, 2] * factor])
        )
        eyes = feature_indices()
        sclera = hull_mask(crop.shape, scaled.xy[list(eyes["left_eye"])]) | hull_mask(
            crop.shape, scaled.xy[list(eyes["right_eye"])]
        )
    with timings.stage("colour"):
        if not balance:
            gains = colour.WhiteBalance("none (turned off)", (1.0, 1.0, 1.0), 0)
        elif grey_box is not None:
            x, y, w, h = grey_box
            card = rgb[y : y + h, x : x + w].astype(np.float32) / 255.0
            gains = colour.white_balance(card, grey_box=(0, 0, card.shape[1], card.shape[0]))
        else:
            rows, cols = _around_eyes(sclera)
            raw01 = crop[rows, cols].astype(np.float32) / 255.0
            gains = colour.white_balance(raw01, sclera=sclera[rows, cols])
        balanced = colour.balance_codes(crop, gains)
        lab, reflectance = balanced.lab, balanced.reflectance
    with timings.stage("zones"):
        zones = zone_map(scaled, crop.shape, mm_per_px=work_mm, lab=lab, scale_source=scale_source)
        labels = np.full(crop.shape[:2], -1, dtype=np.int8)
        zx, zy = zones.origin
        h, w = zones.labels.shape
        labels[zy : zy + h, zx : zx + w] = zones.labels
    with timings.stage("quality"):
        skin = labels >= 0
        quality = assess_quality(
            pose,
            lab[..., 0],
            balanced.clipped_fraction(skin),  # quality.clipped_fraction of rgb01, from the codes
            skin,
            labels == ANALYSED_ZONES.index(FacialZone.CHEEK_LEFT),
            labels == ANALYSED_ZONES.index(FacialZone.CHEEK_RIGHT),
            settings.quality,
        )
    eye_line = float(np.degrees(np.arctan2(*(scaled.xy[473] - scaled.xy[468])[::-1])))
    return PreparedPhoto(
        landmarks=found,
        geometry=geometry,
        pose=pose,
        zones=zones,
        mm_per_px=work_mm,
        origin=(y0, x0),
        factor=factor,
        image_shape=(rgb.shape[0], rgb.shape[1]),
        white_balance=gains,
        balanced=balanced,
        lab=lab,
        reflectance=reflectance,
        labels=labels,
        quality=quality,
        eye_line_deg=eye_line,
        settings=settings,
        timings=timings,
        _cache={"rgb8": balanced.rgb8, "skin": skin},
    )
