"""Evenness of pigmentation: individual typology angle (ITA°) and melanin index, with spreads."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from microneedling.analysis.erythema import masked_means
from microneedling.analysis.stats import (
    lerp,
    linear_quantiles,
    order_statistics,
    table_quantiles,
)

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
    lab: NDArray[np.float32],
    reflectance: NDArray[np.float32],
    mask: NDArray[np.bool_],
    exposure: float = 1.0,
    *,
    means: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
    red_codes: tuple[NDArray[np.uint8], NDArray[np.float32]] | None = None,
) -> Tone:
    """ITA° from the zone's mean L* and mean b*; MI from its mean red reflectance.

    Both as a colorimeter over the zone would measure them (Chardon 1991; Diffey 1984), under
    the photo's ``exposure`` (a factor on linear light, ``colour.WhiteBalance.exposure``): the
    reflectance is multiplied by it, and since CIELAB's f(t) is a cube root, L* + 16 and b* by
    its cube root (exact above L* 8). The spreads are interquartile ranges of the per-pixel
    values, robust to the odd freckle or highlight. ``means``, when given, are the per-channel
    means of ``lab`` and ``reflectance`` over ``mask`` (``erythema.masked_means``), already taken
    for another metric of the same zone. ``red_codes``, when given, are the red channel's 8-bit
    codes (the shape of ``mask``) and each code's reflectance (``colour.BalancedImage``): the
    red quartiles are then read from the codes' histogram (``stats.table_quantiles``, the same
    values).
    """
    if not mask.any():
        return Tone(None, float("nan"), float("nan"), float("nan"))
    scale = np.float32(exposure ** (1.0 / 3.0))
    lab_means, reflectance_means = means or (
        masked_means(lab, mask),
        masked_means(reflectance, mask),
    )
    lightness, b = float(lab_means[0]), float(lab_means[2])  # one pass, summed in float64
    red_mean = float(reflectance_means[0]) * exposure
    exposed = lab[..., 0][mask]  # a fresh copy: (L* + 16) x scale - 16 in place
    exposed += np.float32(16.0)
    exposed *= scale
    exposed -= np.float32(16.0)
    b_exposed = lab[..., 2][mask]
    b_exposed *= scale
    q_ita = ita_quantiles(exposed, b_exposed, (0.25, 0.75))
    # MI = 100 log10(1 / R) falls as R rises: its quartiles are those of R, the other way round
    if red_codes is None:
        q_red = linear_quantiles(reflectance[..., 0][mask], (0.25, 0.75))
    else:
        q_red = table_quantiles(red_codes[0][mask], red_codes[1], (0.25, 0.75))
    return Tone(
        ita_deg(float((lightness + 16.0) * scale - 16.0), float(b * scale)),
        float(q_ita[1] - q_ita[0]),
        melanin_index(float(red_mean)),
        melanin_index(float(q_red[0])) - melanin_index(float(q_red[1])),
    )


def _angle_order(y: NDArray[np.float32], x: NDArray[np.float32]) -> NDArray[np.float32]:
    """A number that sorts as atan2(y, x) does over (-180°, 180°], without the arctangent: the
    "diamond angle" y / (|x| + |y|), folded outwards for x < 0 (-2..2, monotonic in the angle)."""
    spread = np.abs(x)
    spread += np.abs(y)
    r = y / np.maximum(spread, np.float32(1e-30), out=spread)
    folded = np.copysign(np.float32(2.0), y)
    folded -= r
    np.copyto(r, folded, where=~(x >= 0))
    return np.asarray(r, np.float32)


def ita_quantiles(
    lightness: NDArray[np.float32], b_star: NDArray[np.float32], quantiles: tuple[float, ...]
) -> list[float]:
    """Quantiles of the per-pixel ITA° (atan2(L* - 50, b*) in degrees), as ``np.percentile``
    (linear interpolation) of the per-pixel angles would give them.

    The pixels are ordered by a cheap monotonic stand-in for the angle, and the arctangent is
    taken only of the order statistics the quantiles fall between: the same values, without an
    arctangent per pixel.
    """
    y = np.asarray(lightness, np.float32) - np.float32(50.0)
    x = np.asarray(b_star, np.float32)
    order = _angle_order(y, x)
    n = len(order)
    spots = [(n - 1) * q for q in quantiles]
    ranks = sorted({min(int(np.floor(s)) + step, n - 1) for s in spots for step in (0, 1)})
    angle_at = {}
    for rank, value in order_statistics(order, ranks).items():
        i = int(np.flatnonzero(order == np.float32(value))[0])
        angle_at[rank] = float(np.degrees(np.arctan2(y[i], x[i])))
    return [
        lerp(angle_at[int(np.floor(s))], angle_at[min(int(np.floor(s)) + 1, n - 1)], s % 1)
        for s in spots
    ]
