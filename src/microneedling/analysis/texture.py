"""Roughness: the fine relief of the skin's luminance, once shading and larger features are removed.

The band-pass is a difference of Gaussians (Marr & Hildreth 1980) of the illumination-normalised
L*, keeping structure between ``fine_mm`` (the finest the photo resolves) and ``coarse_mm`` (the
scale of the skin's microrelief, finer than pores and lines). Roughness is the robust standard
deviation (1.4826 x median absolute deviation) of that band inside the zone, so sparse spots and
lines, which are other metrics' features, hardly move it, while a rougher surface raises it
everywhere (the image analogue of the Sq/Sa amplitude parameters of ISO 25178).

References
----------
Marr D, Hildreth E. Theory of edge detection. Proc R Soc Lond B 1980;207:187-217.
Hampel FR. The influence curve and its role in robust estimation. J Am Stat Assoc 1974;69:383-93.
ISO 25178-2:2012 Geometrical product specifications, surface texture: areal.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from microneedling.analysis.illumination import robust_sigma


def bandpass(
    lightness: NDArray[np.float32],
    mm_per_px: float,
    *,
    fine_mm: float,
    shading_mm: float,
    min_fine_px: float | None = None,
) -> NDArray[np.float32]:
    """Difference of Gaussians: detail between ``fine_mm`` and ``shading_mm`` (L* units).

    The fine Gaussian is never narrower than ``min_fine_px`` pixels (default: the
    ``texture_min_fine_px`` setting), whatever the photo's scale: detail near the pixel's own
    size (the Nyquist frequency) is what resampling, a slightly nearer camera or a fraction of a
    pixel's shift, changes most, and it is sampling, not skin.
    """
    fine, coarse = band_sigmas_px(
        mm_per_px, fine_mm=fine_mm, shading_mm=shading_mm, min_fine_px=min_fine_px
    )
    low = cv2.GaussianBlur(lightness, (0, 0), coarse)
    high = cv2.GaussianBlur(lightness, (0, 0), fine)
    return np.asarray(np.subtract(high, low, out=high), np.float32)  # in place: no copy


def band_sigmas_px(
    mm_per_px: float, *, fine_mm: float, shading_mm: float, min_fine_px: float | None = None
) -> tuple[float, float]:
    """The band's (fine, coarse) Gaussian sigmas in pixels, as ``bandpass`` uses them."""
    if min_fine_px is None:
        min_fine_px = _min_fine_px()
    fine = max(fine_mm / mm_per_px, min_fine_px, 0.5)
    return fine, max(shading_mm / mm_per_px, 2 * fine)


def _min_fine_px() -> float:
    from microneedling.analysis.settings import analysis_settings

    return analysis_settings().metrics.texture_min_fine_px.value


def roughness(detail: NDArray[np.float32], mask: NDArray[np.bool_]) -> float:
    """Robust standard deviation of the band-passed L* inside the zone."""
    values = detail[mask]
    return robust_sigma(values) if values.size else float("nan")
