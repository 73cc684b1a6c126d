"""Before/after: align a follow-up photo to the baseline, measure the same zones, and say whether
each change is larger than the measurement's own repeatability.

The rule applied is the rule printed (``NOISE_RULE``): |change| > NOISE_SD·SD + offset, where SD
and offset come from re-measuring the baseline after small retake-like moves, and never less than
one detection for the metrics that count things (a count, or a count per cm² of the zone): when
every repeat found the same number of pores, the band is 0, yet one pore found or missed is not a
change of the skin. Photos that fail
the capture-quality checks give "not comparable" changes unless the user overrides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from skimage.transform import SimilarityTransform

from microneedling.analysis.landmarks import Landmarks, detect_landmarks
from microneedling.analysis.pipeline import METRIC_NAMES, PhotoAnalysis, analyze
from microneedling.core.errors import ValidationError

STABLE = slice(0, 468)  # the face mesh without the irises
NOISE_SD = 2.0  # a change must exceed 2 standard deviations of the repeatability spread ...
NOISE_RULE = (
    f"a change counts when |change| > {NOISE_SD:g} SD of repeatability + the mean offset of the "
    "repeated measurements from the direct one, and by more than one detection for counts"
)
COUNT_METRICS = ("pore_count", "scar_count", "pigment_spot_count")
DENSITY_METRICS = ("pores_per_cm2",)
"""Counts per cm² of the zone: their detection floor is one detection over the zone's area."""
NOT_COMPARABLE = "not comparable"
COLOUR_METRICS = (
    "a_star",
    "erythema_index",
    "red_area_fraction",
    "ita_deg",
    "ita_spread_deg",
    "melanin_index",
    "melanin_spread",
)


@dataclass(frozen=True)
class Band:
    """Repeatability of one metric in one zone: ``half_width`` = NOISE_SD·sd + offset."""

    sd: float
    offset: float

    @property
    def half_width(self) -> float:
        return NOISE_SD * self.sd + self.offset


def similarity(source: Landmarks, target: Landmarks) -> NDArray[np.float64]:
    """3x3 matrix of the similarity (scale, rotation, shift) taking ``source`` onto ``target``."""
    transform = SimilarityTransform.from_estimate(source.xy[STABLE], target.xy[STABLE])
    return np.asarray(transform.params, dtype=np.float64)


def warp(
    rgb: NDArray[np.uint8], matrix: NDArray[np.float64], shape: tuple[int, ...]
) -> NDArray[np.uint8]:
    return cv2.warpAffine(
        rgb, matrix[:2], (shape[1], shape[0]), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT
    )


def perturbations(n: int, seed: int = 0) -> list[tuple[float, float, float, float, float]]:
    """(dx px, dy px, rotation deg, scale, brightness) for the repeatability runs: as between
    retakes of the same pose."""
    rng = np.random.default_rng(seed)
    return [
        (
            float(rng.uniform(-5, 5)),
            float(rng.uniform(-5, 5)),
            float(rng.uniform(-2, 2)),
            float(rng.uniform(0.97, 1.03)),
            float(rng.uniform(0.97, 1.03)),
        )
        for _ in range(n)
    ]


def detection_floor(metric: str, area_cm2: float) -> float:
    """The smallest change of ``metric`` that is more than one detection found or missed."""
    if metric in COUNT_METRICS:
        return 1.0
    if metric in DENSITY_METRICS and area_cm2 > 0:
        return 1.0 / area_cm2
    return 0.0


def noise_band(values: Sequence[float], direct: float | None) -> Band:
    """The repeatability of one metric: SD of the repeated values and their mean offset."""
    sd = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
    offset = abs(float(np.mean(values)) - float(direct)) if direct is not None and values else 0.0
    return Band(sd, offset)


def repeatability(
    rgb: NDArray[np.uint8],
    landmarks: Landmarks,
    direct: PhotoAnalysis,
    *,
    runs: int = 5,
    seed: int = 0,
) -> dict[str, dict[str, Band]]:
    """The noise band per zone and metric.

    The photo is moved and brightened slightly (as between retakes), then measured exactly as a
    follow-up is: landmarks found again, aligned back, measured on the baseline zones. Each band
    holds the SD of those values and their mean offset from the direct measurement.
    """
    samples: dict[str, dict[str, list[float]]] = {}
    height, width = rgb.shape[:2]
    for dx, dy, angle, scale, gain in perturbations(runs, seed):
        matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, scale)
        matrix[:, 2] += (dx, dy)
        moved = cv2.warpAffine(rgb, matrix, (width, height), borderMode=cv2.BORDER_REFLECT)
        moved = np.clip(moved.astype(np.float32) * gain, 0, 255).astype(np.uint8)
        found = detect_landmarks(moved)
        back = similarity(found, landmarks)
        result = analyze(
            warp(moved, back, rgb.shape), landmarks=found.transformed(back), zones_from=landmarks
        )
        for zone in result.metrics:
            store = samples.setdefault(zone.zone.value, {})
            for name in METRIC_NAMES:
                value = getattr(zone, name)
                if value is not None:
                    store.setdefault(name, []).append(float(value))
    reference = {m.zone.value: m for m in direct.metrics}
    bands: dict[str, dict[str, Band]] = {}
    for zone_name, metrics in samples.items():
        base = reference.get(zone_name)
        bands[zone_name] = {
            name: noise_band(values, getattr(base, name) if base is not None else None)
            for name, values in metrics.items()
        }
    return bands


def comparability(
    before: PhotoAnalysis, after: PhotoAnalysis
) -> tuple[list[str], dict[str, list[str]]]:
    """Why the two photos are not comparable: for every metric, and for the colour metrics.

    Every metric: a photo that fails a capture-quality check (pose, sharpness, exposure, even
    lighting). Colour metrics too: a white balance that fell back or differs between the photos.
    """
    general: list[str] = []
    for side, result in (("before", before), ("after", after)):
        general += [f"{side}: {problem}" for problem in result.quality.problems]
    colour_reasons: list[str] = []
    for side, result in (("before", before), ("after", after)):
        if result.white_balance.fallback:
            colour_reasons.append(f"{side}: {result.white_balance.reason}")
    if not colour_reasons and before.white_balance.method != after.white_balance.method:
        colour_reasons.append(
            f"white balance from {before.white_balance.method} before but "
            f"{after.white_balance.method} after"
        )
    return general, {name: colour_reasons for name in COLOUR_METRICS if colour_reasons}


@dataclass(frozen=True)
class Comparison:
    before: PhotoAnalysis
    after: PhotoAnalysis
    transform: NDArray[np.float64]
    noise: dict[str, dict[str, Band]]
    allow_poor_quality: bool = False

    def changes(self) -> list[dict[str, Any]]:
        """One row per zone and metric measured in both photos.

        ``beyond_noise`` applies ``NOISE_RULE`` (None without a noise estimate); ``verdict`` is
        "real change", "within noise", "no noise estimate" or "not comparable" (a photo failed a
        quality check or its white balance, unless ``allow_poor_quality``).
        """
        general, per_metric = comparability(self.before, self.after)
        rows = []
        after = {m.zone: m for m in self.after.metrics}
        for b in self.before.metrics:
            a = after.get(b.zone)
            if a is None:
                continue
            for name in METRIC_NAMES:
                vb, va = getattr(b, name), getattr(a, name)
                if vb is None or va is None:
                    continue
                band = self.noise.get(b.zone.value, {}).get(name)
                change = float(va) - float(vb)
                floor = detection_floor(name, float(b.area_cm2))
                noise = None if band is None else max(band.half_width, floor)
                beyond = None if noise is None else abs(change) > noise
                reasons = general + per_metric.get(name, [])
                comparable = self.allow_poor_quality or not reasons
                if not comparable:
                    verdict = NOT_COMPARABLE
                elif beyond is None:
                    verdict = "no noise estimate"
                else:
                    verdict = "real change" if beyond else "within noise"
                rows.append(
                    {
                        "zone": b.zone.value,
                        "metric": name,
                        "before": round(float(vb), 4),
                        "after": round(float(va), 4),
                        "change": round(change, 4),
                        "noise": None if noise is None else round(noise, 4),
                        "noise_floor": round(floor, 4),
                        "noise_sd": None if band is None else round(band.sd, 4),
                        "noise_offset": None if band is None else round(band.offset, 4),
                        "beyond_noise": beyond,
                        "comparable": comparable,
                        "verdict": verdict,
                    }
                )
        return rows

    def summary(self) -> dict[str, Any]:
        scale = float(np.sqrt(abs(np.linalg.det(self.transform[:2, :2]))))
        general, per_metric = comparability(self.before, self.after)
        colour_reasons = next(iter(per_metric.values()), [])
        return {
            "alignment": {
                "scale": round(scale, 4),
                "rotation_deg": round(
                    float(np.degrees(np.arctan2(self.transform[1, 0], self.transform[0, 0]))), 3
                ),
                "shift_px": [round(float(v), 2) for v in self.transform[:2, 2]],
            },
            "quality": {
                "before": self.before.quality.as_dict(),
                "after": self.after.quality.as_dict(),
            },
            "white_balance": {
                "before": self.before.white_balance.as_dict(),
                "after": self.after.white_balance.as_dict(),
            },
            "comparable": {
                "ok": not general and not colour_reasons,
                "reasons": general,
                "colour_reasons": colour_reasons,
                "overridden": self.allow_poor_quality and bool(general or colour_reasons),
            },
            "changes": self.changes(),
            "noise_rule": NOISE_RULE,
        }


def compare(
    before_rgb: NDArray[np.uint8],
    after_rgb: NDArray[np.uint8],
    *,
    repeat_runs: int = 5,
    seed: int = 0,
    allow_poor_quality: bool = False,
) -> Comparison:
    """Align ``after`` onto ``before`` from the landmarks and measure both on the baseline zones.

    Changes in photos that fail the capture-quality checks (or whose white balance fell back)
    are labelled "not comparable" unless ``allow_poor_quality``.
    """
    before_marks = detect_landmarks(before_rgb, "before")
    after_marks = detect_landmarks(after_rgb, "after")
    if repeat_runs == 1:
        raise ValidationError("repeat_runs", "use 0 (no noise estimate) or at least 2 runs")
    matrix = similarity(after_marks, before_marks)
    aligned = warp(after_rgb, matrix, before_rgb.shape)
    before = analyze(before_rgb, landmarks=before_marks, field_name="before")
    after = analyze(
        aligned,
        landmarks=after_marks.transformed(matrix),
        zones_from=before_marks,
        field_name="after",
    )
    noise = (
        repeatability(before_rgb, before_marks, before, runs=repeat_runs, seed=seed)
        if repeat_runs
        else {}
    )
    return Comparison(before, after, matrix, noise, allow_poor_quality)
