"""Evenness of pigmentation: individual typology angle (ITA) and melanin index, with spreads."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class Tone:
    ita_deg: float
    ita_spread_deg: float
    melanin_index: float
    melanin_spread: float


def tone(
    lab: NDArray[np.float32], reflectance: NDArray[np.float32], mask: NDArray[np.bool_]
) -> Tone:
    """ITA = atan((L* - 50) / b*) (Chardon 1991); MI = 100 log10(1/R) (Dawson 1980).

    The spread is the interquartile range, robust to the odd freckle or highlight.
    """
    lightness, b = lab[..., 0][mask], lab[..., 2][mask]
    ita = np.degrees(np.arctan2(lightness - 50.0, np.maximum(b, 1e-3)))
    melanin = 100.0 * np.log10(1.0 / reflectance[..., 0][mask])
    q_ita = np.percentile(ita, [25, 50, 75])
    q_mi = np.percentile(melanin, [25, 50, 75])
    return Tone(
        float(q_ita[1]), float(q_ita[2] - q_ita[0]), float(q_mi[1]), float(q_mi[2] - q_mi[0])
    )
