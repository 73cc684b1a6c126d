"""The ridge filter of analysis/wrinkles.py on images of known content: a line of Gaussian
cross-section reads its depth at any angle and wherever it falls on the pixel grid, a round spot
is not a line, and a line's measured length does not depend on its angle (issue 8: the wrinkle
length of the same face moved 16% when the photo turned by 2°).
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from microneedling.analysis import wrinkles

BACKGROUND_L = 70.0


def line_image(
    depth: float,
    sigma_px: float,
    angle_deg: float,
    *,
    offset_px: float = 0.0,
    length_px: float = 60.0,
    size: int = 96,
) -> NDArray[np.float32]:
    """A dark line of Gaussian cross-section (sigma ``sigma_px``) and ``depth`` L* below the
    background, centred on the image (moved ``offset_px`` across itself), with round ends."""
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float64)
    angle = np.radians(angle_deg)
    along_c, along_r = np.cos(angle), -np.sin(angle)  # counter-clockwise as seen
    centre_c = size / 2 - along_r * offset_px
    centre_r = size / 2 + along_c * offset_px
    dc, dr = cols - centre_c, rows - centre_r
    along = dc * along_c + dr * along_r
    across = -dc * along_r + dr * along_c
    beyond = np.maximum(np.abs(along) - length_px / 2, 0.0)
    distance2 = beyond**2 + across**2
    image = BACKGROUND_L - depth * np.exp(-distance2 / (2 * sigma_px**2))
    return np.asarray(image, dtype=np.float32)


def spot_image(depth: float, sigma_px: float, size: int = 64) -> NDArray[np.float32]:
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float64)
    r2 = (rows - size / 2 + 0.3) ** 2 + (cols - size / 2 + 0.2) ** 2
    return np.asarray(BACKGROUND_L - depth * np.exp(-r2 / (2 * sigma_px**2)), dtype=np.float32)


def line_depth(response: NDArray[np.float32], angle_deg: float, size: int = 96) -> float:
    """The median along the middle 40 px of the line of ``line_image`` of the largest response
    within 2 px across it."""
    angle = np.radians(angle_deg)
    along = np.array([-np.sin(angle), np.cos(angle)])  # (row, col)
    peaks = []
    for t in np.arange(-20.0, 21.0):
        r, c = np.round(size / 2 + t * along).astype(int)
        peaks.append(float(response[r - 2 : r + 3, c - 2 : c + 3].max()))
    return float(np.median(peaks))


@pytest.mark.parametrize("sigma_px", [0.7, 1.5, 3.0])
def test_derivative_kernels_read_polynomials_exactly(sigma_px: float) -> None:
    smooth, first, second = wrinkles.gaussian_derivative_kernels(sigma_px)
    radius = len(smooth) // 2
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    assert smooth.sum() == pytest.approx(1.0, abs=1e-6)
    assert np.sum(first) == pytest.approx(0.0, abs=1e-6)  # a constant has no slope
    assert np.sum(first * x) == pytest.approx(1.0, abs=1e-5)  # slope of x is 1
    assert np.sum(second) == pytest.approx(0.0, abs=1e-6)
    assert np.sum(second * x) == pytest.approx(0.0, abs=1e-6)
    assert np.sum(second * x**2) == pytest.approx(2.0, abs=1e-5)  # d2/dx2 of x^2 is 2


# (line sigma, filter sigmas, lowest and highest reading over depth): a line 0.5 mm wide at
# 0.37 mm/px (the synthetic face: under a pixel, where the former blur-and-Sobel filter read
# 0.77-0.91 of the depth), and one sampled more finely
LINES = [(0.68, [0.82, 1.36, 2.17], 0.93, 1.18), (1.2, [1.0, 1.6, 2.6], 0.93, 1.12)]


@pytest.mark.parametrize(("sigma_line", "sigmas", "low", "high"), LINES)
@pytest.mark.parametrize("angle_deg", [0.0, 2.0, 10.0, 22.5, 45.0, 80.0])
def test_a_line_reads_its_depth_at_any_angle_and_pixel_phase(
    angle_deg: float, sigma_line: float, sigmas: list[float], low: float, high: float
) -> None:
    depth = 5.0
    readings = [
        line_depth(
            wrinkles.dark_ridge_response(
                line_image(depth, sigma_line, angle_deg, offset_px=offset), sigmas, floor=0.5
            ),
            angle_deg,
        )
        for offset in (0.0, 0.25, 0.5)
    ]
    # scale-normalised: a Gaussian line reads its depth at its own scale, up to 9% more at the
    # best one (sqrt 2 sigma); a line between pixel centres must not read much less
    assert min(readings) >= low * depth, readings
    assert max(readings) <= high * depth, readings


@pytest.mark.parametrize("sigma_px", [1.0, 2.0, 3.0])
def test_a_round_spot_is_not_a_line(sigma_px: float) -> None:
    # a pore as deep as the deepest planted line reads under a third of its depth anywhere
    response = wrinkles.dark_ridge_response(spot_image(8.0, sigma_px), [1.0, 1.6, 2.6], floor=0.5)
    assert float(response.max()) < 8.0 / 3


def test_wide_scales_run_on_coarser_pixels_and_still_read_the_depth() -> None:
    # at 0.1 mm/px the 0.8 mm scale runs on 0.4 mm pixels (SIGMA_PX), 4x coarser than the image
    mm_per_px = 0.1
    image = line_image(6.0, 0.5 / mm_per_px, 12.0, length_px=60.0, size=96)
    skin = np.ones(image.shape, dtype=bool)
    response = wrinkles.ridge_response(image, skin, mm_per_px, (0.3, 0.5, 0.8), floor=0.5)
    assert line_depth(response, 12.0) == pytest.approx(6.0, rel=0.1)
    # off the skin nothing is read
    assert not wrinkles.ridge_response(image, ~skin, mm_per_px, (0.3, 0.5, 0.8)).any()


def test_line_length_does_not_depend_on_the_angle() -> None:
    mm_per_px = 0.2
    length_px = 50.0
    lengths = []
    for angle in (0.0, 2.0, 7.0, 20.0, 33.0, 45.0):
        image = line_image(6.0, 0.6, angle, offset_px=0.3, length_px=length_px, size=96)
        skin = np.ones(image.shape, dtype=bool)
        ridges = wrinkles.ridge_map(
            image,
            skin,
            mm_per_px,
            sigmas_mm=(0.3, 0.5, 0.8),
            min_contrast=3.0,
            min_snr=2.0,
            min_length_mm=4.0,
            min_elongation=4.0,
        )
        lines = wrinkles.zone_lines(ridges, skin, mm_per_px)
        lengths.append(lines.total_length_mm)
    assert min(lengths) > 0.8 * length_px * mm_per_px, lengths
    assert max(lengths) / min(lengths) <= 1.06, lengths
