"""Pores read at their depth wherever they fall in the pixel (issue 8: faint pores, repeatability).

A Gaussian dip of depth D must report a contrast of D whether its centre lies on a pixel centre,
a pixel edge or a pixel corner, so that a pore just over the contrast floor is found at every
position and a shifted or rotated photo finds the same pores. Small flat images, no face: fast.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from microneedling.analysis import pores

MM_PER_PX = 0.366  # the sample face's scale, where a 0.6 mm pore is about 1.6 px in radius
RADIUS_MM = (0.45, 1.1)  # analysis.yaml pore_radius_mm
FLOOR_L = 3.0  # analysis.yaml pore_min_contrast_l
PHASES = ((0.0, 0.0), (0.0, 0.5), (0.5, 0.5), (0.25, 0.75))


def dip(
    depth: float, radius_mm: float, centre: tuple[float, float], size: int = 41
) -> NDArray[np.float32]:
    """A flat L* 65 image with one Gaussian dip of ``depth`` (the generator's pore model)."""
    sigma = radius_mm / MM_PER_PX / np.sqrt(2)
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float64)
    d2 = (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2
    return np.asarray(65.0 - depth * np.exp(-d2 / (2 * sigma**2)), dtype=np.float32)


def find(image: NDArray[np.float32], mask: NDArray[np.bool_] | None = None) -> pores.Spots:
    return pores.dark_blobs(
        image,
        np.ones(image.shape, bool) if mask is None else mask,
        MM_PER_PX,
        radius_mm=RADIUS_MM,
        min_contrast=FLOOR_L,
        min_snr=5.0,
        min_roundness=0.5,
        noise=np.full(image.shape, 0.3, np.float32),
    )


@pytest.mark.parametrize("radius_mm", [0.6, 0.7, 1.0])
@pytest.mark.parametrize("phase", PHASES)
def test_a_dip_reads_its_depth_and_place_at_any_pixel_phase(
    radius_mm: float, phase: tuple[float, float]
) -> None:
    centre = (20.0 + phase[0], 20.0 + phase[1])
    spots = find(dip(4.0, radius_mm, centre))
    assert len(spots.radii_px) == 1
    assert spots.contrast is not None
    # the three-point Laplacian at the sampled maximum read 0.75-0.97 of the depth here
    assert spots.contrast[0] == pytest.approx(4.0, rel=0.05)
    assert np.hypot(*(spots.centres_px[0] - centre)) < 0.25
    assert spots.radii_px[0] * MM_PER_PX == pytest.approx(radius_mm, rel=0.15)


@pytest.mark.parametrize("phase", PHASES)
def test_a_dip_just_over_the_floor_is_found_and_one_under_it_is_not(
    phase: tuple[float, float],
) -> None:
    centre = (20.0 + phase[0], 20.0 + phase[1])
    assert len(find(dip(1.08 * FLOOR_L, 0.6, centre)).radii_px) == 1
    assert len(find(dip(0.92 * FLOOR_L, 0.6, centre)).radii_px) == 0


def test_a_dip_at_the_mask_edge_is_not_taken() -> None:
    """Within its own radius of the mask's edge the filter reads the edge, not the spot."""
    image = dip(6.0, 0.7, (20.0, 20.0))
    mask = np.ones(image.shape, bool)
    mask[:, 22:] = False  # edge 2 px from the centre, inside the radius (about 1.9 px)
    assert len(find(image, mask).radii_px) == 0
    mask[:, 22:] = True
    mask[:, 25:] = False  # edge 5 px away
    assert len(find(image, mask).radii_px) == 1


def test_refined_peak_of_a_quadratic_is_its_vertex() -> None:
    k, r, c = np.mgrid[0:3, 0:5, 0:5].astype(np.float64)
    vertex = (1.2, 2.3, 1.8)
    stack = 10.0 - (k - vertex[0]) ** 2 - 2 * (r - vertex[1]) ** 2 - (c - vertex[2]) ** 2
    stack += 0.3 * (r - vertex[1]) * (c - vertex[2])
    offset, value = pores.refine_peaks(
        stack.astype(np.float32), np.array([1]), np.array([2]), np.array([2])
    )
    np.testing.assert_allclose(offset[0], np.subtract(vertex, (1, 2, 2)), atol=1e-5)
    assert value[0] == pytest.approx(10.0, abs=1e-5)


def test_spots_are_counted_where_their_centre_rounds_to() -> None:
    spots = pores.Spots(np.array([[1.6, 0.4]]), np.array([1.5]))
    mask = np.zeros((3, 3), bool)
    mask[2, 0] = True
    assert spots.inside(mask).tolist() == [True]
