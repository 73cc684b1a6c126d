"""Capture quality: head pose, sharpness, exposure and even lighting, each against a threshold.

Photos from different visits are only comparable when these agree; a failed check is reported with
the measurement so the photographer can retake it. A face turned away is refused outright.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from microneedling.analysis.landmarks import HeadPose
from microneedling.analysis.settings import Quality
from microneedling.analysis.stats import median


@dataclass(frozen=True)
class Check:
    name: str
    value: float
    limit: str
    ok: bool
    message: str


@dataclass(frozen=True)
class QualityReport:
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def problems(self) -> list[str]:
        return [c.message for c in self.checks if not c.ok]

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "checks": [asdict(c) for c in self.checks]}


def sharpness(lightness: NDArray[np.float32], mask: NDArray[np.bool_]) -> float:
    """Variance of the Laplacian of L* over the skin (Pertuz 2013); the mean and SD over the mask
    by ``cv2.meanStdDev`` (double sums: the same value to float rounding, without gathering)."""
    if not mask.any():
        return 0.0
    laplacian = cv2.Laplacian(lightness, cv2.CV_32F, ksize=3)
    _, sd = cv2.meanStdDev(laplacian, mask=mask.view(np.uint8))
    return float(sd[0, 0]) ** 2


def clipped_fraction(rgb01: NDArray[np.float32], mask: NDArray[np.bool_]) -> float:
    """The share of ``mask``'s pixels with a channel at 250/255 or more (possibly clipped).

    Counted as the mask less its pixels with every channel below the limit (``cv2.inRange`` up
    to the float just below it: one pass over the image)."""
    count = int(np.count_nonzero(mask))
    if count == 0:
        return 0.0
    below = float(np.nextafter(np.float32(250 / 255), np.float32(-np.inf)))
    dark = cv2.inRange(np.ascontiguousarray(rgb01, np.float32), (-np.inf,) * 3, (below,) * 3)
    inside = mask.view(np.uint8)
    dark_inside = cv2.countNonZero(cv2.bitwise_and(dark, dark, mask=inside))
    return (count - dark_inside) / count


def assess_quality(
    pose: HeadPose,
    lightness: NDArray[np.float32],
    clipped: float,
    skin: NDArray[np.bool_],
    cheek_left: NDArray[np.bool_],
    cheek_right: NDArray[np.bool_],
    limits: Quality,
) -> QualityReport:
    checks: list[Check] = []

    def check(name: str, value: float, ok: bool, limit: str, problem: str) -> None:
        checks.append(Check(name, round(value, 3), limit, ok, "" if ok else problem))

    for name, angle, limit in (
        ("yaw", pose.yaw, limits.max_abs_yaw_deg.value),
        ("pitch", pose.pitch, limits.max_abs_pitch_deg.value),
        ("roll", pose.roll, limits.max_abs_roll_deg.value),
    ):
        check(
            f"head_{name}_deg",
            angle,
            abs(angle) <= limit,
            f"|{name}| <= {limit:g}",
            f"head {name} {angle:+.0f}° exceeds ±{limit:g}°; face the camera squarely",
        )
    sharp = sharpness(lightness, skin)
    check(
        "sharpness",
        sharp,
        sharp >= limits.min_sharpness.value,
        f">= {limits.min_sharpness.value:g}",
        f"photo is blurred (sharpness {sharp:.1f})",
    )
    median_l = median(lightness[skin]) if skin.any() else 0.0
    low, high = limits.min_median_l.value, limits.max_median_l.value
    check(
        "exposure_median_l",
        median_l,
        low <= median_l <= high,
        f"{low:g}-{high:g}",
        f"skin is {'under' if median_l < low else 'over'}-exposed (median L* {median_l:.0f})",
    )
    check(
        "clipped_fraction",
        clipped,
        clipped <= limits.max_clipped_fraction.value,
        f"<= {limits.max_clipped_fraction.value:g}",
        f"{100 * clipped:.1f}% of the skin is blown out; reduce exposure or glare",
    )
    if cheek_left.any() and cheek_right.any():
        diff = abs(median(lightness[cheek_left]) - median(lightness[cheek_right]))
        limit = limits.max_cheek_l_difference.value
        check(
            "lighting_difference_l",
            diff,
            diff <= limit,
            f"<= {limit:g}",
            f"lighting is uneven: the cheeks differ by {diff:.0f} L*; light the face evenly",
        )
    return QualityReport(tuple(checks))
