"""Small, realistic differences between two takes of the same face photo, as pure functions.

What: each function takes an 8-bit sRGB image (rows, cols, 3) and returns a new one of the same
shape: a shift by whole or fractional pixels, a rotation and a scaling about the image centre, an
exposure change, a JPEG round trip and a white-balance (colour temperature) shift.

Why: a measurement a clinician can trust gives the same number when the patient sits down again
and the photo is retaken. These are the differences between such takes (repositioning, camera
exposure, compression, lighting colour); the repeatability suite measures every metric's spread
under each of them against the targets of the commercial systems' published repositioning
figures.

References
----------
IEC 61966-2-1:1999, the sRGB transfer curve (exposure acts on linear light).
ITU-T T.81 | ISO/IEC 10918-1, JPEG (baseline, 4:2:0 chroma subsampling by default).
Wyszecki G, Stiles WS. Color Science, 2nd ed. Wiley, 1982 (Wien's approximation of Planck's law;
the mired scale 10^6 / T).
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

from microneedling.core.errors import ValidationError

Image = NDArray[np.uint8]

# Dominant wavelengths of the sRGB primaries (nm), where the illuminant's spectrum is sampled.
PRIMARY_NM = (611.3, 549.1, 464.3)
C2_NM_K = 1.4388e7  # second radiation constant, nm K


def _check(rgb: Image) -> None:
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValidationError("rgb", "expects an 8-bit (rows, cols, 3) sRGB image")


def _warp(rgb: Image, matrix: NDArray[np.float64]) -> Image:
    """Resample with a 2x3 (x, y) affine matrix, bicubic, edges continued by reflection."""
    rows, cols = rgb.shape[:2]
    out = cv2.warpAffine(
        rgb, matrix, (cols, rows), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT_101
    )
    return np.asarray(out, dtype=np.uint8)


def _centre(rgb: Image) -> tuple[float, float]:
    """(x, y) of the image centre, in OpenCV's pixel-centre convention."""
    return ((rgb.shape[1] - 1) / 2.0, (rgb.shape[0] - 1) / 2.0)


def shift(rgb: Image, offset: tuple[float, float]) -> Image:
    """Move the content by ``offset`` = (rows, cols) pixels (down and right when positive).

    Whole pixels are an exact copy; fractions are resampled bicubically. The edges are continued
    by reflection, so no black border enters the photo.
    """
    _check(rgb)
    dr, dc = offset
    matrix = np.array([[1.0, 0.0, dc], [0.0, 1.0, dr]])
    return _warp(rgb, matrix)


def rotate(rgb: Image, angle_deg: float, center: tuple[float, float] | None = None) -> Image:
    """Rotate the content by ``angle_deg`` counter-clockwise about ``center`` (row, col).

    The default centre is the image centre, as when the head or the camera rolls.
    """
    _check(rgb)
    cx, cy = _centre(rgb) if center is None else (center[1], center[0])
    matrix = cv2.getRotationMatrix2D((cx, cy), angle_deg, 1.0)
    return _warp(rgb, np.asarray(matrix, dtype=np.float64))


def scale(rgb: Image, factor: float, center: tuple[float, float] | None = None) -> Image:
    """Magnify the content by ``factor`` about ``center`` (row, col), keeping the image size.

    1.03 is the camera 3% nearer (the face 3% larger in pixels); the default centre is the
    image centre.
    """
    _check(rgb)
    if factor <= 0:
        raise ValidationError("factor", "must be positive")
    cx, cy = _centre(rgb) if center is None else (center[1], center[0])
    matrix = cv2.getRotationMatrix2D((cx, cy), 0.0, factor)
    return _warp(rgb, np.asarray(matrix, dtype=np.float64))


def _to_linear(rgb: Image) -> NDArray[np.float64]:
    c = rgb.astype(np.float64) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _to_srgb(linear: NDArray[np.float64]) -> Image:
    c = np.clip(linear, 0.0, 1.0)
    v = np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055)
    return (v * 255.0 + 0.5).astype(np.uint8)


def _gain(rgb: Image, gains: NDArray[np.float64]) -> Image:
    """Multiply linear light by per-channel gains (through an 8-bit lookup table per channel)."""
    codes = np.arange(256, dtype=np.uint8)[:, None].repeat(3, axis=1)
    table = _to_srgb(_to_linear(codes[:, None, :])[:, 0, :] * gains)
    out = np.empty_like(rgb)
    for channel in range(3):
        out[..., channel] = table[rgb[..., channel], channel]
    return out


def brightness(rgb: Image, factor: float) -> Image:
    """Change the exposure: linear light times ``factor`` (1.05 is 5% more light), clipped.

    Acts on linear sRGB (IEC 61966-2-1), as a flash's output or the aperture does, not on the
    gamma-encoded codes.
    """
    _check(rgb)
    if factor <= 0:
        raise ValidationError("factor", "must be positive")
    return _gain(rgb, np.full(3, float(factor)))


def jpeg_recompress(rgb: Image, quality: int = 85, *, subsampling: str = "4:2:0") -> Image:
    """Encode as a baseline JPEG at ``quality`` (1-100) and decode again (libjpeg via OpenCV).

    ``subsampling`` is the chroma subsampling: "4:2:0" (cameras' and libraries' default),
    "4:2:2" or "4:4:4".
    """
    _check(rgb)
    if not 1 <= quality <= 100:
        raise ValidationError("quality", "must be between 1 and 100")
    factors = {
        "4:2:0": cv2.IMWRITE_JPEG_SAMPLING_FACTOR_420,
        "4:2:2": cv2.IMWRITE_JPEG_SAMPLING_FACTOR_422,
        "4:4:4": cv2.IMWRITE_JPEG_SAMPLING_FACTOR_444,
    }
    if subsampling not in factors:
        raise ValidationError("subsampling", f"one of {', '.join(factors)}")
    params = [
        cv2.IMWRITE_JPEG_QUALITY,
        int(quality),
        cv2.IMWRITE_JPEG_SAMPLING_FACTOR,
        factors[subsampling],
    ]
    ok, buffer = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), params)
    if not ok:
        raise ValidationError("rgb", "could not be encoded as JPEG")
    decoded = cv2.imdecode(buffer, cv2.IMREAD_COLOR)
    return np.asarray(cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB), dtype=np.uint8)


def white_balance_gains(delta_mired: float) -> NDArray[np.float64]:
    """Per-channel gains (green = 1) of a light ``delta_mired`` warmer (> 0) or cooler (< 0).

    A blackbody's spectral radiance, in Wien's approximation, changes by
    exp(-c2 / lambda x delta(1/T)) when 1/T changes; sampled at the sRGB primaries. 8 mired is
    about 250 K near 5500 K (red +2%, blue -4% against green).
    """
    inverse_t = delta_mired * 1e-6
    log_gain = -C2_NM_K / np.asarray(PRIMARY_NM) * inverse_t
    gains: NDArray[np.float64] = np.exp(log_gain - log_gain[1])
    return gains


def white_balance_shift(rgb: Image, delta_mired: float) -> Image:
    """Light of another colour temperature: linear light times white_balance_gains(delta_mired).

    Positive is warmer (lower temperature: more red, less blue), as a tungsten lamp left on in a
    daylight room; the camera's own white balance is assumed not to have followed.
    """
    _check(rgb)
    return _gain(rgb, white_balance_gains(delta_mired))
