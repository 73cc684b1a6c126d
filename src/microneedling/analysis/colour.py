"""Colour: CIELAB, reflectance, and white balance from a grey reference or the eye whites."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray
from skimage.color import rgb2lab

Float = NDArray[np.float32]
MIN_REFERENCE_PIXELS = 40


def to_lab(rgb01: Float) -> Float:
    """sRGB in 0..1 to CIELAB (D65), exactly (scikit-image)."""
    return rgb2lab(rgb01).astype(np.float32)


def to_lab_fast(rgb01: Float) -> Float:
    """sRGB in 0..1 to CIELAB through OpenCV's 8-bit tables: L* to 0.4, a* and b* to 1 unit.

    Zone means average the rounding away; used for whole photos, where exact conversion is slow.
    """
    lab8 = cv2.cvtColor((rgb01 * 255.0 + 0.5).astype(np.uint8), cv2.COLOR_RGB2Lab)
    lab = lab8.astype(np.float32)
    lab[..., 0] *= 100.0 / 255.0
    lab[..., 1:] -= 128.0
    return lab


_CODES = np.arange(256, dtype=np.float64) / 255.0
_LINEAR = np.clip(
    np.where(_CODES <= 0.04045, _CODES / 12.92, ((_CODES + 0.055) / 1.055) ** 2.4), 1e-4, 1.0
).astype(np.float32)


def linear_reflectance(rgb01: Float) -> Float:
    """Undo the sRGB transfer curve (IEC 61966-2-1): channel values as reflectance 0..1.

    Looked up per 8-bit code, the precision the photo had.
    """
    codes = (np.clip(rgb01, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return _LINEAR[codes]


@dataclass(frozen=True)
class WhiteBalance:
    """Per-channel gains applied before measuring, and where they came from."""

    method: str
    gains: tuple[float, float, float]
    reference_pixels: int

    def apply(self, rgb01: Float) -> Float:
        return np.clip(rgb01 * np.asarray(self.gains, np.float32), 0.0, 1.0)


def gains_from(reference: Float) -> tuple[float, float, float]:
    """Gains that make the mean of ``reference`` (n, 3) neutral grey, keeping its brightness."""
    mean = reference.reshape(-1, 3).mean(axis=0)
    target = float(mean.mean())
    g = target / np.maximum(mean, 1e-4)
    return (float(g[0]), float(g[1]), float(g[2]))


def white_balance(
    rgb01: Float,
    *,
    grey_box: tuple[int, int, int, int] | None = None,
    sclera: NDArray[np.bool_] | None = None,
) -> WhiteBalance:
    """From a grey card (x, y, w, h) when the photo has one, else from the eye whites, else none."""
    if grey_box is not None:
        x, y, w, h = grey_box
        patch = rgb01[y : y + h, x : x + w]
        if patch.size // 3 >= MIN_REFERENCE_PIXELS:
            return WhiteBalance("grey reference", gains_from(patch), patch.size // 3)
    if sclera is not None:
        lab = to_lab(rgb01[sclera].reshape(-1, 1, 3)).reshape(-1, 3)
        chroma = np.hypot(lab[:, 1], lab[:, 2])
        bright = lab[:, 0] > 50
        # the eye whites: bright, and the least coloured half of the bright eye pixels
        calm = chroma <= np.percentile(chroma[bright], 50) if bright.any() else bright
        whites = rgb01[sclera].reshape(-1, 3)[bright & calm]
        if len(whites) >= MIN_REFERENCE_PIXELS:
            return WhiteBalance("eye whites (sclera)", gains_from(whites), len(whites))
    return WhiteBalance("none", (1.0, 1.0, 1.0), 0)
