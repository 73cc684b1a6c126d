"""Hair over the forehead: the pixels of the forehead zone that are the fringe, not skin.

The zones leave out hair whose colour is far from mid-face skin (``zones.HAIR_DELTA_E``), but a
fringe's edge is a soft mixture of strands and skin, nearer in colour, and it sits exactly where
the skin ends: the ridge filter takes its dark side for a line, and its share of the zone moves
the zone's colour whenever the zone's outline moves by a pixel (a photo taken again). Here the
forehead is split into hair and skin by the photo's own two references (a Gaussian classifier;
Duda, Hart & Stork 2001, ch. 2): the hair is the non-skin just above the forehead, the skin the
half of the forehead farthest from it, each an isotropic Gaussian class in CIELAB with its own
robust spread (hair, strands with skin between them, varies more than skin). A forehead pixel
more likely hair than skin, connected to the hair above, is hair. Where the two references are
alike (no fringe, a bald or shaved head), nothing is taken out.

Where a fringe covers much of the forehead, the half farthest from the hair is partly hair too,
and its colour drifts towards the hair's: on dark skin the two references then fell under
``MIN_SEPARATION_DELTA_E`` apart and nothing was taken out, so the fringe's strands counted as
wrinkles (110 mm of them on the bare dark face of the synthetic tests). The analysis therefore
takes the skin's class from the face's skin off the forehead (``skin_reference``), which no
fringe covers.

References
----------
Duda RO, Hart PE, Stork DG. Pattern classification, 2nd ed. Wiley 2001 (Bayes decision with
Gaussian classes).
CIE 15:2004 Colorimetry, 3rd ed. (CIELAB colour difference).
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from microneedling.analysis.stats import masked_pixels

Mask = NDArray[np.bool_]
BAND_MM = 3.0  # the hair's reference: the non-skin up to this far above the forehead
MIN_SEPARATION_DELTA_E = 6.0  # hair and skin references nearer than this: no fringe to remove
REFERENCE_STEP = 3  # the skin's reference reads every 3rd row and column of its region


def _above(mask: Mask, reach_px: int) -> Mask:
    """Pixels up to ``reach_px`` above ``mask`` (rows grow downwards), ``mask`` itself left out."""
    out = np.zeros_like(mask)
    for step in range(1, reach_px + 1):
        out[:-step] |= mask[step:]
    return out & ~mask


def _channels(pixels: NDArray[np.float32]) -> NDArray[np.float32]:
    """(n, 3) pixels as (3, n): each channel's values contiguous. NumPy's median of a column of
    (n, 3) pixels, and its sum over their last axis of three, are several times slower than
    the same median of a contiguous row and the same sum channel by channel."""
    return np.ascontiguousarray(pixels.T)


def _centre_and_spread(pixels: NDArray[np.float32]) -> tuple[NDArray[np.float64], float]:
    """Median colour and robust spread (1.4826 x the median absolute deviation, averaged over the
    three channels; at least 1 ΔE) of a class's pixels (the medians of ``_channels``: the
    same values as over the columns of ``pixels``)."""
    channels = _channels(pixels)
    centre = np.median(channels, axis=1).astype(np.float64)
    mad = np.median(np.abs(channels - centre[:, None]), axis=1)
    return centre, max(float(1.4826 * np.sqrt(np.mean(mad**2))), 1.0)


def _log_likelihood(
    channels: NDArray[np.float32], centre: NDArray[np.float64], spread: float
) -> NDArray[np.float64]:
    """Log-likelihood (up to a constant) of an isotropic Gaussian colour class in CIELAB, of
    pixels given as ``_channels`` (the squared distance summed channel by channel, in the
    order NumPy's sum over the pixels' last axis adds them: the same values)."""
    d2 = np.square(channels[0] - centre[0])
    d2 += np.square(channels[1] - centre[1])
    d2 += np.square(channels[2] - centre[2])
    d2 /= spread**2
    return np.asarray(-0.5 * d2 - 3.0 * np.log(spread))


def forehead_hair(
    lab: NDArray[np.float32],
    skin: Mask,
    forehead: Mask,
    mm_per_px: float,
    *,
    band_mm: float = BAND_MM,
    min_separation: float = MIN_SEPARATION_DELTA_E,
    skin_reference: Mask | None = None,
) -> Mask:
    """The forehead pixels that belong to the hair above it (see the module).

    ``skin_reference``: where the skin's class is taken from (the face's skin off the forehead);
    without it, the half of the forehead farthest from the hair.
    """
    out = np.zeros_like(forehead)
    if not forehead.any():
        return out
    reach = max(round(band_mm / mm_per_px), 1)
    x, y, w, h = cv2.boundingRect(forehead.view(np.uint8))
    top = max(y - reach, 0)
    box = (slice(top, y + h), slice(x, x + w))  # only the forehead and the band above it
    skin_class = None
    if skin_reference is not None:
        step = REFERENCE_STEP  # every step-th row and column: the median needs no more
        sample = masked_pixels(lab[::step, ::step], skin_reference[::step, ::step])
        if len(sample):
            skin_class = _centre_and_spread(sample)
    out[box] = _forehead_hair(lab[box], skin[box], forehead[box], reach, min_separation, skin_class)
    return out


def _forehead_hair(
    lab: NDArray[np.float32],
    skin: Mask,
    forehead: Mask,
    reach: int,
    min_separation: float,
    skin_class: tuple[NDArray[np.float64], float] | None = None,
) -> Mask:
    band = _above(forehead, reach) & ~skin
    if band.sum() < 8:
        return np.zeros_like(forehead)
    hair_ref, hair_sd = _centre_and_spread(masked_pixels(lab, band))
    if skin_class is None:  # the half of the forehead farthest from the hair band
        distance = cv2.distanceTransform((~band).astype(np.uint8), cv2.DIST_L2, 3)
        far = forehead & (distance >= np.median(distance[forehead]))
        skin_class = _centre_and_spread(masked_pixels(lab, far))
    skin_ref, skin_sd = skin_class
    if float(np.linalg.norm(hair_ref - skin_ref)) < min_separation:
        return np.zeros_like(forehead)
    pixels = _channels(masked_pixels(lab, forehead))
    nearer = _log_likelihood(pixels, hair_ref, hair_sd) > _log_likelihood(pixels, skin_ref, skin_sd)
    candidate = np.zeros_like(forehead)
    candidate[forehead] = nearer
    # only what is connected to the hair above is the fringe (a dark spot inside the skin is not)
    seeds = candidate | band
    count, pieces = cv2.connectedComponents(seeds.view(np.uint8), connectivity=8)
    touching = np.zeros(count, dtype=bool)
    touching[pieces[band]] = True
    touching[0] = False
    return np.asarray(touching[pieces] & forehead)
