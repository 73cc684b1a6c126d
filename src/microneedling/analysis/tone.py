"""Evenness of pigmentation: individual typology angle (ITA°) and melanin index, with spreads."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

MIN_ABS_B = 1.0  # ITA° is left undefined where |b*| < 1: the angle is all noise there


@dataclass(frozen=True)
class Tone:
    ita_deg: float | None
    ita_spread_deg: float
    melanin_index: float
    melanin_spread: float


def ita_deg(lightness: float, b_star: float) -> float | None:
    """Individual typology angle ITA° = arctan((L* - 50) / b*) · 180/π (Chardon 1991).

    Computed as atan2(L* - 50, b*), which equals the published arctan for b* > 0 and keeps going
    past ±90° instead of flipping sign for b* < 0. None where |b*| < ``MIN_ABS_B``.

    References
    ----------
    Chardon A, Cretois I, Hourseau C (1991). Skin colour typology and suntanning pathways.
    Int J Cosmet Sci 13(4):191-208.
    """
    if abs(b_star) < MIN_ABS_B:
        return None
    return float(np.degrees(np.arctan2(lightness - 50.0, b_star)))


def melanin_index(red_reflectance: float) -> float:
    """MI = 100 log10(1 / R_red) (Diffey 1984; Dawson 1980), R_red the linear red reflectance.

    References
    ----------
    Dawson JB et al. (1980). A theoretical and experimental study of light absorption and
    scattering by in vivo skin. Phys Med Biol 25(4):695-709.
    Diffey BL, Oliver RJ, Farr PM (1984). A portable instrument for quantifying erythema induced
    by ultraviolet radiation. Br J Dermatol 111(6):663-672.
    """
    return float(100.0 * np.log10(1.0 / red_reflectance))


def tone(
    lab: NDArray[np.float32], reflectance: NDArray[np.float32], mask: NDArray[np.bool_]
) -> Tone:
    """ITA° from the zone's mean L* and mean b*; MI from its mean red reflectance.

    Both as a colorimeter over the zone would measure them (Chardon 1991; Diffey 1984). The
    spreads are interquartile ranges of the per-pixel values, robust to the odd freckle or
    highlight.
    """
    lightness, b = lab[..., 0][mask], lab[..., 2][mask]
    red = reflectance[..., 0][mask]
    per_pixel_ita = np.degrees(np.arctan2(lightness - 50.0, b))
    per_pixel_mi = 100.0 * np.log10(1.0 / red)
    q_ita = np.percentile(per_pixel_ita, [25, 75])
    q_mi = np.percentile(per_pixel_mi, [25, 75])
    return Tone(
        ita_deg(float(lightness.mean()), float(b.mean())),
        float(q_ita[1] - q_ita[0]),
        melanin_index(float(red.mean())),
        float(q_mi[1] - q_mi[0]),
    )
