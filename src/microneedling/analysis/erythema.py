"""Redness: CIELAB a*, the log-reflectance erythema index, and the red area fraction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Redness:
    a_star: float
    erythema_index: float
    red_area_fraction: float


def erythema_index(reflectance: NDArray[np.floating[Any]]) -> NDArray[np.float32]:
    """EI = 100 [log10(1/R_green) - log10(1/R_red)] = 100 log10(R_red / R_green).

    Haemoglobin absorbs green light, so redder skin reflects less green and the index rises.
    ``reflectance`` is linear (..., 3) RGB; any shape whose last axis is R, G, B.

    References
    ----------
    Dawson JB et al. (1980). A theoretical and experimental study of light absorption and
    scattering by in vivo skin. Phys Med Biol 25(4):695-709.
    Diffey BL, Oliver RJ, Farr PM (1984). A portable instrument for quantifying erythema induced
    by ultraviolet radiation. Br J Dermatol 111(6):663-672.
    """
    return (100.0 * np.log10(reflectance[..., 0] / reflectance[..., 1])).astype(np.float32)


def redness(
    lab: NDArray[np.float32],
    reflectance: NDArray[np.float32],
    mask: NDArray[np.bool_],
    red_threshold_a: float,
    *,
    means: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
) -> Redness:
    """Mean a* (CIELAB), the erythema index of the zone's mean reflectance (as a reflectance
    meter over the zone measures it), and the fraction of pixels with a* above the threshold.

    ``reflectance`` is the linear (rows, cols, 3) image; a (rows, cols) erythema-index map is also
    taken, for callers that computed one, and then averaged. ``means``, when given, are the
    per-channel means of ``lab`` and ``reflectance`` over ``mask`` (``masked_means``), already
    taken for another metric of the same zone.
    """
    count = int(np.count_nonzero(mask))
    if count == 0:
        return Redness(float("nan"), float("nan"), float("nan"))
    lab_means, reflectance_means = means or (
        masked_means(lab, mask),
        masked_means(reflectance, mask),
    )
    a_mean = float(lab_means[1])
    if reflectance.ndim == 3:
        ei = float(erythema_index(reflectance_means[:3]))
    else:
        ei = float(reflectance_means[0])
    red = np.count_nonzero((lab[..., 1] > red_threshold_a) & mask)
    return Redness(a_mean, ei, red / count)


def masked_means(image: NDArray[np.float32], mask: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Per-channel means of ``image`` over ``mask`` (four values, unused channels 0), summed in
    float64 in one pass (OpenCV), without gathering the masked pixels into a copy first."""
    mask8 = np.ascontiguousarray(mask).view(np.uint8)
    return np.asarray(cv2.mean(image, mask8), dtype=np.float64)
