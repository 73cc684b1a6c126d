"""The texture noise that lines must stand out from is measured without the lines (issue 8).

Lines planted densely in a thin strip of skin (as on the forehead) fill much of the noise window:
measured with them, the local texture SD at the lines was about twice the bare skin's, so a line
near the threshold broke into pieces that came and went as the photo turned (the synthetic face's
forehead lines: wrinkle length CV 7.7% under +-2 deg of rotation). ``wrinkles.ridge_map`` given
the band-passed texture measures the noise again with the lines it found left out
(``wrinkles.signal_free_noise``) and selects the lines again.

Stated in advance: at the lines found, the signal-free noise is the bare strip's within -20% /
+25% (its median ratio; the noise is quantised to 0.09 L* steps, a step of the bare 0.9 L*), where
the noise with the lines in is over 1.5 times it; the detected length of the lines at -2, -1, +1
and +2 degrees is within 10% of the unrotated photo's and at least the planted length.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from microneedling.analysis import texture, wrinkles
from microneedling.analysis.illumination import CODES_PER_L, local_contrast

MM_PER_PX = 0.37  # the synthetic face's working pixel
SHAPE = (64, 129)  # 24 x 48 mm
STRIP_MM = 10.0  # the skin: a strip this high, 40 mm long (the forehead's lines zone)
LINES = 4  # 12 mm long, 0.6 mm wide (FWHM), 6 L* deep, 2.5 mm apart: dense in the strip
LENGTH_MM, WIDTH_MM, DEPTH_L, SPACING_MM = 12.0, 0.6, 6.0, 2.5
GRAIN_L = 1.3  # SD of the skin's grain (0.15 mm Gaussian): bare noise about 0.9 L*
WINDOW_MM, FINE_MM, COARSE_MM = 3.0, 0.15, 0.6  # analysis.yaml: contrast window, texture band
SELECTION = {
    "sigmas_mm": (0.3, 0.5, 0.8),
    "min_contrast": 3.0,
    "min_snr": 2.4,
    "min_length_mm": 4.0,
    "min_elongation": 4.0,
}


def strip_photo(
    angle_deg: float, depth_l: float = DEPTH_L
) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
    """L* of a grained strip of skin with ``LINES`` parallel lines turned by ``angle_deg``, and
    the strip (the same grain at every angle: the photo turns, the skin does not change)."""
    rng = np.random.default_rng(3)
    grain = cv2.GaussianBlur(rng.normal(0, 1, SHAPE).astype(np.float32), (0, 0), 0.15 / MM_PER_PX)
    grain *= GRAIN_L / grain.std()
    rows, cols = np.mgrid[0 : SHAPE[0], 0 : SHAPE[1]].astype(np.float64)
    centre_r, centre_c = SHAPE[0] / 2, SHAPE[1] / 2
    angle = np.radians(angle_deg)
    along = (cols - centre_c) * np.cos(angle) - (rows - centre_r) * np.sin(angle)
    across = (cols - centre_c) * np.sin(angle) + (rows - centre_r) * np.cos(angle)
    sigma = WIDTH_MM / 2.355 / MM_PER_PX
    beyond = np.maximum(np.abs(along) - LENGTH_MM / MM_PER_PX / 2, 0.0)
    lines = np.zeros(SHAPE)
    for k in range(LINES):
        offset = (k - (LINES - 1) / 2) * SPACING_MM / MM_PER_PX
        lines += np.exp(-(beyond**2 + (across - offset) ** 2) / (2 * sigma**2))
    image = (70.0 + grain - depth_l * lines).astype(np.float32)
    skin = (np.abs(rows - centre_r) < STRIP_MM / 2 / MM_PER_PX) & (
        np.abs(cols - centre_c) < 20.0 / MM_PER_PX
    )
    return image, skin


def band_and_noise(
    image: NDArray[np.float32], skin: NDArray[np.bool_]
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    band = texture.bandpass(
        image, MM_PER_PX, fine_mm=FINE_MM, shading_mm=COARSE_MM, min_fine_px=0.5
    )
    return band, local_contrast(band, skin, MM_PER_PX, window_mm=WINDOW_MM)


def lines_mm(angle_deg: float, *, signal_free: bool = True) -> float:
    image, skin = strip_photo(angle_deg)
    band, noise = band_and_noise(image, skin)
    ridges = wrinkles.ridge_map(
        image,
        skin,
        MM_PER_PX,
        noise=noise,
        texture=band if signal_free else None,
        window_mm=WINDOW_MM,
        signal_reach_mm=wrinkles.line_reach_mm(COARSE_MM),
        **SELECTION,  # type: ignore[arg-type]
    )
    return wrinkles.skeleton_length_px(ridges.skeleton) * MM_PER_PX


def test_noise_at_the_lines_is_the_bare_skins() -> None:
    image, skin = strip_photo(0.0)
    band, with_lines = band_and_noise(image, skin)
    _, bare = band_and_noise(*strip_photo(0.0, depth_l=0.0))
    found = wrinkles.ridge_map(image, skin, MM_PER_PX, noise=with_lines, **SELECTION)  # type: ignore[arg-type]
    assert found.lines.any()
    signal = wrinkles.grown(found.lines, wrinkles.line_reach_mm(COARSE_MM) / MM_PER_PX)
    clean = wrinkles.signal_free_noise(
        band, skin, signal, MM_PER_PX, window_mm=WINDOW_MM, noise=with_lines
    )
    at = found.lines
    # the problem: the lines count as texture (measured: 2.3 times the bare strip's)
    assert np.median(with_lines[at] / bare[at]) > 1.5
    ratio = float(np.median(clean[at] / bare[at]))  # measured: 1.00
    assert 0.8 <= ratio <= 1.25, ratio
    assert np.all(clean <= with_lines)  # never above the estimate with the lines in


@pytest.mark.parametrize("angle_deg", [-2.0, -1.0, 1.0, 2.0])
def test_line_length_holds_under_small_rotations(angle_deg: float) -> None:
    # measured, mm: 50.7 unrotated, 49.4-52.4 turned (with the noise measured over the lines:
    # 46.6 unrotated, 37.5-44.6 turned, which fails at -2, -1 and +1 deg)
    upright = lines_mm(0.0)
    turned = lines_mm(angle_deg)
    assert turned >= LINES * LENGTH_MM
    assert abs(turned - upright) <= 0.1 * upright, (upright, turned)


def test_without_lines_the_first_selection_is_the_result() -> None:
    image, skin = strip_photo(0.0, depth_l=0.0)
    band, noise = band_and_noise(image, skin)
    plain = wrinkles.ridge_map(image, skin, MM_PER_PX, noise=noise, **SELECTION)  # type: ignore[arg-type]
    again = wrinkles.ridge_map(
        image,
        skin,
        MM_PER_PX,
        noise=noise,
        texture=band,
        **SELECTION,  # type: ignore[arg-type]
    )
    assert not plain.lines.any()
    for a, b in zip(
        (plain.response, plain.skeleton, plain.lines),
        (again.response, again.skeleton, again.lines),
        strict=True,
    ):
        assert np.array_equal(a, b)


def plain_signal_free_noise(
    detail: NDArray[np.float32],
    skin: NDArray[np.bool_],
    signal: NDArray[np.bool_],
    *,
    noise: NDArray[np.float32],
) -> NDArray[np.float32]:
    """The same estimate over the whole image, written plainly (float medians of the kept
    pixels per window, no checkerboard), to check the boxed, 8-bit one."""
    size = max(2 * round(WINDOW_MM / MM_PER_PX / 2) + 1, 3)
    half = size // 2
    background = skin & ~signal
    codes = np.floor(np.abs(detail) * CODES_PER_L + 0.5)
    typical = np.floor(np.median(np.abs(detail[background])) * CODES_PER_L + 0.5)
    codes = np.where(skin, codes, np.floor(np.median(np.abs(detail[skin])) * CODES_PER_L + 0.5))
    padded_codes = np.pad(codes, half, mode="edge")
    padded_signal = np.pad(signal, half, mode="edge")
    medians = np.empty(detail.shape)
    for r in range(detail.shape[0]):
        for c in range(detail.shape[1]):
            window = padded_codes[r : r + size, c : c + size]
            left_out = padded_signal[r : r + size, c : c + size]
            kept = window[~left_out]
            if left_out.mean() > wrinkles.MAX_LEFT_OUT:
                medians[r, c] = typical
            else:
                medians[r, c] = np.sort(kept)[(kept.size - 1) // 2 : kept.size // 2 + 1].mean()
    padded = np.pad(medians, half, mode="edge")
    largest = np.lib.stride_tricks.sliding_window_view(padded, (size, size)).max(axis=(2, 3))
    clean = (1.4826 * largest / CODES_PER_L).astype(np.float32)
    return np.minimum(noise, clean)


def test_the_boxed_estimate_equals_the_plain_one() -> None:
    image, skin = strip_photo(1.0)
    band, noise = band_and_noise(image, skin)
    found = wrinkles.ridge_map(image, skin, MM_PER_PX, noise=noise, **SELECTION)  # type: ignore[arg-type]
    signal = wrinkles.grown(found.lines, wrinkles.line_reach_mm(COARSE_MM) / MM_PER_PX)
    fast = wrinkles.signal_free_noise(
        band, skin, signal, MM_PER_PX, window_mm=WINDOW_MM, noise=noise
    )
    plain = plain_signal_free_noise(band, skin, signal, noise=noise)
    # the checkerboard leaves a window's median within a rank or two of the kept pixels' median
    step = 1.4826 / CODES_PER_L
    assert np.abs(fast - plain).max() <= 2 * step + 1e-6
    assert np.mean(np.abs(fast - plain) < 1e-6) > 0.95  # measured: 0.99
    # nothing to leave out: the estimate is the one given
    none = np.zeros(skin.shape, dtype=bool)
    assert (
        wrinkles.signal_free_noise(band, skin, none, MM_PER_PX, window_mm=WINDOW_MM, noise=noise)
        is noise
    )
