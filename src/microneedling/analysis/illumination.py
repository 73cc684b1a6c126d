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

import warnings
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

Float = NDArray[np.float32]
REFERENCE_L = 65.0  # L* of typical light skin: normalised images are in L* units at this lightness
MAX_SIGMA_PX = 4.0  # large Gaussians run on a reduced image; shading is smooth at that scale


def masked_blur(image: Float, mask: NDArray[np.bool_], sigma_px: float) -> Float:
    """Gaussian mean of ``image`` over ``mask`` only (normalised convolution; Knutsson 1993).

    Sigmas above ``MAX_SIGMA_PX`` are computed on an image reduced so the sigma is 4 px there, then
    enlarged bilinearly: exact enough for a smooth shading field, and fast at any size.
    """
    weight = mask.astype(np.float32)
    values = image.astype(np.float32) * weight
    height, width = image.shape[:2]
    factor = max(1.0, sigma_px / MAX_SIGMA_PX)
    if factor > 1.0:
        size = (max(round(width / factor), 1), max(round(height / factor), 1))
        values = cv2.resize(values, size, interpolation=cv2.INTER_AREA)
        weight = cv2.resize(weight, size, interpolation=cv2.INTER_AREA)
    sigma = sigma_px / factor
    num = cv2.GaussianBlur(values, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    den = cv2.GaussianBlur(weight, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    mean = num / np.maximum(den, 1e-3)
    if factor > 1.0:
        mean = cv2.resize(mean, (width, height), interpolation=cv2.INTER_LINEAR)
    return mean.astype(np.float32)


def flat_field_lightness(
    lightness: Float,
    skin: NDArray[np.bool_],
    mm_per_px: float,
    *,
    sigma_mm: float,
    reference_l: float = REFERENCE_L,
) -> Float:
    """L* with shading and exposure removed: (L* + 16) / G(L* + 16) x (reference + 16) - 16.

    ``G`` is a Gaussian of ``sigma_mm`` over the skin only (eyes, brows, hair do not bleed in);
    features narrower than about sigma / 2 keep their contrast, relative to their own surroundings.
    """
    cube = lightness.astype(np.float32) + 16.0
    fill = float(np.median(cube[skin])) if skin.any() else float(cube.mean())
    shading = masked_blur(cube, skin, sigma_mm / mm_per_px)
    shading = np.where(shading > 1.0, shading, fill).astype(np.float32)
    return (cube / shading * (reference_l + 16.0) - 16.0).astype(np.float32)


def robust_sigma(values: NDArray[np.floating[Any]]) -> float:
    """1.4826 x the median absolute deviation: the SD of the bulk, not of sparse outliers."""
    if values.size == 0:
        return float("nan")
    median = float(np.median(values))
    return 1.4826 * float(np.median(np.abs(values - median)))


def local_contrast(
    detail: Float, skin: NDArray[np.bool_], mm_per_px: float, *, window_mm: float
) -> Float:
    """Robust local SD of a band-passed image: 1.4826 x the median |detail| per square block of
    ``window_mm`` over the skin, enlarged bilinearly to the image (blocks with little skin take
    the face's value).

    The median ignores sparse spots and lines (up to about a third of a block), so it measures
    the texture the features sit in; detectors compare a feature's contrast with it.
    """
    height, width = detail.shape
    block = max(round(window_mm / mm_per_px), 4)
    rows, cols = -(-height // block), -(-width // block)
    values = np.full((rows * block, cols * block), np.nan, dtype=np.float32)
    values[:height, :width] = np.where(skin, np.abs(detail), np.nan)
    blocks = values.reshape(rows, block, cols, block).transpose(0, 2, 1, 3).reshape(rows, cols, -1)
    counts = np.isfinite(blocks).sum(axis=2)
    overall = float(np.median(np.abs(detail[skin]))) if skin.any() else 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # blocks off the skin are all NaN
        medians = np.where(
            counts >= 0.25 * block * block, np.nanmedian(blocks, axis=2), overall
        ).astype(np.float32)
    medians = np.where(np.isfinite(medians), medians, overall).astype(np.float32)
    # Each block takes the largest of itself and its 8 neighbours: where the texture changes, a
    # feature must stand out of the rougher side.
    medians = cv2.dilate(medians, np.ones((3, 3), np.uint8), borderType=cv2.BORDER_REPLICATE)
    grid = cv2.resize(medians, (cols * block, rows * block), interpolation=cv2.INTER_LINEAR)
    return (1.4826 * grid[:height, :width]).astype(np.float32)
