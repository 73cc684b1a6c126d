"""Roughness of the skin's luminance once shading is removed (a band-pass of L*)."""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray


def bandpass(
    lightness: NDArray[np.float32], mm_per_px: float, *, fine_mm: float, shading_mm: float
) -> NDArray[np.float32]:
    """Difference of Gaussians: detail between ``fine_mm`` and ``shading_mm`` (L* units)."""
    fine = max(fine_mm / mm_per_px, 0.5)
    coarse = max(shading_mm / mm_per_px, 2 * fine)
    low = cv2.GaussianBlur(lightness, (0, 0), coarse)
    high = cv2.GaussianBlur(lightness, (0, 0), fine)
    return (high - low).astype(np.float32)


def roughness(detail: NDArray[np.float32], mask: NDArray[np.bool_]) -> float:
    """Standard deviation of the band-passed L* inside the zone."""
    values = detail[mask]
    return float(values.std()) if values.size else float("nan")
