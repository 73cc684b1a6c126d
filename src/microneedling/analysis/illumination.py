"""Illumination normalisation of L* before the blob, ridge and roughness filters.

A face is lit unevenly (curvature, the flash's fall-off, a brighter or darker exposure). Light
multiplies reflectance, so in linear luminance Y shading is a slowly varying factor. CIELAB's
lightness is L* = 116 (Y/Yn)^(1/3) - 16, so L* + 16 scales by the cube root of that factor: dividing
L* + 16 by its own large-scale (masked) Gaussian mean removes the shading and any exposure gain
(homomorphic flat-field correction; Oppenheim 1968, here in the cube-root domain of CIELAB). The
result is expressed as L* at a reference skin lightness, so thresholds in L* keep their meaning
while being relative to the local lightness: a feature 8 L* deep on skin of L* 65 and one 6.5 L*
deep on the same skin under 20% less light are the same feature.

References
----------
Oppenheim AV, Schafer RW, Stockham TG. Nonlinear filtering of multiplied and convolved signals.
Proc IEEE 1968;56:1264-91.
CIE 15:2004 Colorimetry, 3rd ed. (CIELAB lightness).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from microneedling.analysis.stats import median

Float = NDArray[np.float32]
REFERENCE_L = 65.0  # L* of typical light skin: normalised images are in L* units at this lightness
MAX_SIGMA_PX = 4.0  # large Gaussians run on a reduced image; shading is smooth at that scale
SHADING_REDUCED_SIGMA_PX = 8.0  # the flat field's shading: reduced less (``masked_blurs``)


def masked_blurs(
    images: Sequence[Float],
    mask: NDArray[np.bool_],
    sigma_px: float,
    *,
    reduced_sigma_px: float = MAX_SIGMA_PX,
) -> list[Float]:
    """Gaussian means of several ``images`` over the same ``mask`` (normalised convolution;
    Knutsson 1993): each equals ``masked_blur`` of that image, value for value.

    Sigmas above ``MAX_SIGMA_PX`` are computed on an image reduced so the sigma is 4 px there,
    then enlarged bilinearly: exact enough for a smooth shading field, and fast at any size. The
    reduction, the costly step, takes the images and the mask's weight as the channels of one
    array (OpenCV's area resize treats channels alike, with the same arithmetic as one channel),
    so the weight is reduced once and each further image costs a fraction of a pass; the blurs,
    whose SIMD sums round differently on several channels, run channel by channel.

    ``reduced_sigma_px`` is the sigma on the reduced image (``MAX_SIGMA_PX`` unless given): a
    larger one reduces less. Why: the flat field's shading reduced to 4 px sigmas moved with the
    grid of the reduction, laid from the crop's corner, which moves with the landmarks (and
    with the face in the photo); the texture band-pass of the flat-fielded L* read the moved
    sampling. At points a contrast window inside the sample face's skin, under landmark shifts
    of 1-3 px (the photo fixed), the band moved by 0.014-0.024 L* (95th percentile); reduced to
    8 px sigmas, 0.003-0.004 L*, as with the blur at full resolution (0.003-0.004; 12 px: the
    same). The texture noise map there moved by 6-17% (95th percentile of the points, by
    shift; 1/16 L* codes), 0% now (tests/analysis/test_texture_noise_landmark_jitter.py).
    """
    return _normalised_convolution(
        images, mask, sigma_px, with_cover=False, reduced_sigma_px=reduced_sigma_px
    )[0]


def masked_blur_and_cover(
    image: Float, mask: NDArray[np.bool_], sigma_px: float
) -> tuple[Float, Float]:
    """``masked_blur`` of ``image`` (value for value) and the mask's cover: the Gaussian mean of
    the mask itself (the share of the kernel's weight on it, 0-1), from the same blur of the
    weight, on the same reduced image as the mean above ``MAX_SIGMA_PX``, enlarged bilinearly.

    Why: a caller that trusts the mean only where enough of the mask is near (``fill_hair``'s
    cover) needs that share; a blur of the mask of its own at full resolution was the costliest
    single call of the wrinkle stage (13 ms on the 12 MP photo's face, sigma 6.7 px), while the
    normalised convolution has already blurred the weight. Above ``MAX_SIGMA_PX`` it differs
    from the full-resolution blur by under 0.01 (tests/analysis/test_speed_equivalence.py).
    """
    means, cover = _normalised_convolution([image], mask, sigma_px, with_cover=True)
    assert cover is not None
    return means[0], cover


def _normalised_convolution(
    images: Sequence[Float],
    mask: NDArray[np.bool_],
    sigma_px: float,
    *,
    with_cover: bool,
    reduced_sigma_px: float = MAX_SIGMA_PX,
) -> tuple[list[Float], Float | None]:
    """``masked_blurs``' means, and with ``with_cover`` the mask's own blurred weight at the
    images' resolution (``masked_blur_and_cover``)."""
    weight = mask.astype(np.float32)
    height, width = mask.shape[:2]
    # a strided channel (of CIELAB) is read in place: one pass, no contiguous copy first
    planes = [np.multiply(image, weight, dtype=np.float32) for image in images]
    planes.append(weight)
    factor = max(1.0, sigma_px / reduced_sigma_px)
    if factor > 1.0:
        size = (max(round(width / factor), 1), max(round(height / factor), 1))
        reduced = cv2.resize(cv2.merge(planes), size, interpolation=cv2.INTER_AREA)
        planes = list(cv2.split(reduced))
    sigma = sigma_px / factor
    *nums, blurred_weight = (
        cv2.GaussianBlur(plane, (0, 0), sigma, borderType=cv2.BORDER_REFLECT) for plane in planes
    )
    den = np.maximum(blurred_weight, np.float32(1e-3))
    means = []
    for num in nums:
        mean = num / den
        if factor > 1.0:
            mean = cv2.resize(mean, (width, height), interpolation=cv2.INTER_LINEAR)
        means.append(np.asarray(mean, np.float32))
    cover = None
    if with_cover:
        cover = blurred_weight
        if factor > 1.0:
            cover = cv2.resize(cover, (width, height), interpolation=cv2.INTER_LINEAR)
        cover = np.asarray(cover, np.float32)
    return means, cover


def masked_blur(image: Float, mask: NDArray[np.bool_], sigma_px: float) -> Float:
    """Gaussian mean of ``image`` over ``mask`` only (normalised convolution; Knutsson 1993).

    Sigmas above ``MAX_SIGMA_PX`` are computed on an image reduced so the sigma is 4 px there, then
    enlarged bilinearly: exact enough for a smooth shading field, and fast at any size.
    """
    return masked_blurs([image], mask, sigma_px)[0]


def flat_field_lightness(
    lightness: Float,
    skin: NDArray[np.bool_],
    mm_per_px: float,
    *,
    sigma_mm: float,
    reference_l: float = REFERENCE_L,
    shading: Float | None = None,
    fill_off_skin: float | None = None,
) -> Float:
    """L* with shading and exposure removed: (L* + 16) / G(L* + 16) x (reference + 16) - 16.

    ``G`` is a Gaussian of ``sigma_mm`` over the skin only (eyes, brows, hair do not bleed in);
    features narrower than about sigma / 2 keep their contrast, relative to their own surroundings.
    ``shading``, when given, is that mean, ``masked_blur(L* + 16, skin, sigma_mm / mm_per_px)``,
    already computed (``masked_blurs`` gives it with other maps at the cost of about one).
    Where no skin is within the Gaussian's reach, the skin's median of L* + 16 stands in for
    the mean; ``fill_off_skin`` (positive), when given, stands in instead where all such pixels
    are off the skin: for a caller that overwrites the pixels off the skin, saving the median.
    """
    cube = np.add(lightness, np.float32(16.0), dtype=np.float32)
    if shading is None:
        shading = masked_blur(cube, skin, sigma_mm / mm_per_px)
    lit = shading > 1.0
    if not lit.all():  # no skin within reach (or none at all): the skin's median lightness
        if fill_off_skin is not None and skin.any() and not (skin & ~lit).any():
            fill = fill_off_skin
        else:
            fill = median(cube[skin]) if skin.any() else float(cube.mean())
        shading = np.where(lit, shading, np.float32(fill))
    flat = np.divide(cube, shading, out=cube)  # in place: no fresh pages for the temporaries
    flat *= np.float32(reference_l + 16.0)
    flat -= np.float32(16.0)
    return flat


def robust_sigma(values: NDArray[np.floating[Any]]) -> float:
    """1.4826 x the median absolute deviation: the SD of the bulk, not of sparse outliers.

    Medians by ``stats.median`` (NumPy's values, to float rounding, in a third of the time)."""
    if values.size == 0:
        return float("nan")
    centre = median(values)
    return 1.4826 * median(np.abs(values - np.asarray(centre, values.dtype)))


CODES_PER_L = 16.0  # |detail| quantised to 1/16 L* (up to 16 L*) for the 8-bit median filter


def local_contrast(
    detail: Float, skin: NDArray[np.bool_], mm_per_px: float, *, window_mm: float
) -> Float:
    """Robust local SD of a band-passed image: 1.4826 x the sliding median of |detail| over a
    square window of ``window_mm`` (off the skin, |detail| takes the skin's median), then the
    largest such value within half a window, so where the texture changes a feature must stand
    out of the rougher side.

    The median ignores spots and lines covering up to about half the window, so it measures the
    texture the features sit in; detectors compare a feature's contrast with it. Sliding (not
    block) windows keep it the same when the face moves by a few pixels. Both filters run on the
    8-bit codes (a maximum of codes is the code of the maximum), and the codes become L* through
    a 256-entry table. The skin's median enters only as its code, found from the skin's codes
    (``_median_code``).
    """
    size = max(2 * round(window_mm / mm_per_px / 2) + 1, 3)
    box = _skin_reach(skin, size)
    codes = _codes(np.abs(detail[box]))
    typical = _median_code(codes, skin[box], detail[box])
    np.copyto(codes, typical, where=~skin[box])
    reach = size
    kernel = np.ones((reach, reach), np.uint8)  # a square: separable, fast at any size
    largest = np.full(skin.shape, typical, dtype=np.uint8)
    if codes.size:
        median_codes = cv2.medianBlur(codes, size)
        largest[box] = cv2.dilate(median_codes, kernel, borderType=cv2.BORDER_REPLICATE)
    table = (1.4826 * (np.arange(256, dtype=np.float32) / CODES_PER_L)).astype(np.float32)
    return np.asarray(cv2.LUT(largest, table), np.float32)


def _skin_reach(skin: NDArray[np.bool_], size: int) -> tuple[slice, slice]:
    """The box of ``skin`` grown by a window (``size`` px) and a pixel, inside the image:
    ``local_contrast``'s two filters over it equal, inside it, the filters over the whole
    image, and outside it the whole image's result is the skin's median code.

    Why: off the skin every code is the median code, so a median window that holds no skin
    (its centre more than half a window from the skin's box) gives that code, and so does a
    maximum over such medians (its centre more than a window away). Within half a window of
    the box's edge (where that is not the image's edge) the pixels beyond the edge, their
    replicated border, and the medians of both are that code: the same values. The median
    filter, the costliest step, then runs on the box only (89-90% of the crop on the
    benchmark photos; empty without skin).
    """
    height, width = skin.shape
    x, y, w, h = cv2.boundingRect(np.ascontiguousarray(skin).view(np.uint8))
    if w == 0 or h == 0:
        return slice(0, 0), slice(0, 0)
    grow = 2 * (size // 2) + 1
    return (
        slice(max(y - grow, 0), min(y + h + grow, height)),
        slice(max(x - grow, 0), min(x + w + grow, width)),
    )


def _codes(magnitude: Float) -> NDArray[np.uint8]:
    """|detail| as 8-bit codes: x 16 + 0.5, clipped to 0..255, truncated (in place, float32)."""
    magnitude *= np.float32(CODES_PER_L)
    magnitude += np.float32(0.5)
    return np.clip(magnitude, 0, 255, out=magnitude).astype(np.uint8)


def _median_code(codes: NDArray[np.uint8], skin: NDArray[np.bool_], detail: Float) -> np.uint8:
    """The code of the skin's median |detail| (``stats.median``), from the histogram of the
    skin's codes: coding never lowers a larger value's code, so the median's code is its order
    statistic's code, or, where the median is the mean of two middle values, their common
    code. Only when those two have different codes is the median itself taken (as before)."""
    if not skin.any():
        return _codes(np.zeros(1, np.float32))[0]
    cumulative = np.cumsum(np.bincount(codes[skin], minlength=256))
    n = int(cumulative[-1])
    middle = (n - 1) * 0.5
    low = int(np.searchsorted(cumulative, int(np.floor(middle)), side="right"))
    high = int(np.searchsorted(cumulative, min(int(np.floor(middle)) + 1, n - 1), side="right"))
    if middle % 1 == 0 or low == high:
        return np.uint8(low)
    typical = median(np.abs(detail[skin]))  # the middle values straddle a code: read it
    return _codes(np.full(1, typical, np.float32))[0]
