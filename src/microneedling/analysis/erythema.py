"""Redness: CIELAB a*, the log-reflectance erythema index, and the red area fraction."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Redness:
    a_star: float
    erythema_index: float
    red_area_fraction: float


def erythema_index(reflectance: NDArray[np.float32]) -> NDArray[np.float32]:
    """Diffey 1984 / Dawson 1980: EI = 100 [log10(1/G) - log10(1/R)] = 100 log10(R / G).

    Haemoglobin absorbs green light, so redder skin reflects less green and the index rises.
    """
    return (100.0 * np.log10(reflectance[..., 0] / reflectance[..., 1])).astype(np.float32)


def redness(
    lab: NDArray[np.float32],
    ei_map: NDArray[np.float32],
    mask: NDArray[np.bool_],
    red_threshold_a: float,
) -> Redness:
    """Mean a* (CIELAB), mean erythema index, and the fraction of pixels above the threshold."""
    a = lab[..., 1][mask]
    ei = ei_map[mask]
    return Redness(float(a.mean()), float(ei.mean()), float((a > red_threshold_a).mean()))
