"""Before/after: align a follow-up photo to the baseline, measure the same zones, and say whether
each change is larger than the measurement's own repeatability."""

from __future__ import annotations

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
NOISE_SD = 2.0  # a change must exceed 2 standard deviations of the repeatability spread


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


def repeatability(
    rgb: NDArray[np.uint8],
    landmarks: Landmarks,
    direct: PhotoAnalysis,
    *,
    runs: int = 5,
    seed: int = 0,
) -> dict[str, dict[str, float]]:
    """Half-width of the noise band per zone and metric.

    The photo is moved and brightened slightly (as between retakes), then measured exactly as a
    follow-up is: landmarks found again, aligned back, measured on the baseline zones. The band is
    NOISE_SD standard deviations of those values plus their mean offset from the direct measurement.
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
    bands: dict[str, dict[str, float]] = {}
    for zone_name, metrics in samples.items():
        bands[zone_name] = {}
        for name, values in metrics.items():
            sd = float(np.std(values, ddof=1)) if len(values) > 1 else 0.0
            base = getattr(reference[zone_name], name) if zone_name in reference else None
            offset = abs(float(np.mean(values)) - float(base)) if base is not None else 0.0
            bands[zone_name][name] = NOISE_SD * sd + offset
    return bands


@dataclass(frozen=True)
class Comparison:
    before: PhotoAnalysis
    after: PhotoAnalysis
    transform: NDArray[np.float64]
    noise: dict[str, dict[str, float]]

    def changes(self) -> list[dict[str, Any]]:
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
                sd = self.noise.get(b.zone.value, {}).get(name, 0.0)
                change = float(va) - float(vb)
                rows.append(
                    {
                        "zone": b.zone.value,
                        "metric": name,
                        "before": round(float(vb), 4),
                        "after": round(float(va), 4),
                        "change": round(change, 4),
                        "noise": round(NOISE_SD * sd, 4),
                        "beyond_noise": abs(change) > NOISE_SD * sd,
                    }
                )
        return rows

    def summary(self) -> dict[str, Any]:
        scale = float(np.sqrt(abs(np.linalg.det(self.transform[:2, :2]))))
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
            "changes": self.changes(),
            "noise_rule": f"a change counts when larger than {NOISE_SD:g} SD of repeatability plus "
            "the alignment's own offset",
        }


def compare(
    before_rgb: NDArray[np.uint8],
    after_rgb: NDArray[np.uint8],
    *,
    repeat_runs: int = 5,
    seed: int = 0,
) -> Comparison:
    """Align ``after`` onto ``before`` from the landmarks and measure both on the baseline zones."""
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
    return Comparison(before, after, matrix, noise)
