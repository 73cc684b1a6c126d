"""Pores read at their depth wherever they fall in the pixel (issue 8: faint pores, repeatability).

A Gaussian dip of depth D must report a contrast of D whether its centre lies on a pixel centre,
a pixel edge or a pixel corner, so that a pore just over the contrast floor is found at every
position and a shifted or rotated photo finds the same pores. Small flat images, no face: fast.
"""

from __future__ import annotations

import cv2
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


def find(
    image: NDArray[np.float32],
    mask: NDArray[np.bool_] | None = None,
    *,
    mm_per_px: float = MM_PER_PX,
) -> pores.Spots:
    """The pores of ``image`` with the analysis's floors and largest sigma
    (``pores.PORE_MAX_SIGMA_PX``), on a flat texture map of 0.3 L*."""
    return pores.dark_blobs(
        image,
        np.ones(image.shape, bool) if mask is None else mask,
        mm_per_px,
        radius_mm=RADIUS_MM,
        min_contrast=FLOOR_L,
        min_snr=5.0,
        min_roundness=0.5,
        noise=np.full(image.shape, 0.3, np.float32),
        max_sigma_px=pores.PORE_MAX_SIGMA_PX,
        exact_reduction=True,
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


# Speed without changing what is found: the mask's box only; windows summed by rows and columns.


def _skin(seed: int, shape: tuple[int, int] = (120, 150)) -> NDArray[np.float32]:
    """Skin-like grain (smoothed noise) with a few dips of several sizes and depths."""
    rng = np.random.default_rng(seed)
    grain = rng.normal(0.0, 1.5, shape).astype(np.float32)
    image = 65.0 + np.asarray(cv2.GaussianBlur(grain, (0, 0), 1.0), np.float32)
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]]
    for _ in range(25):
        r, c = rng.uniform(5, shape[0] - 5), rng.uniform(5, shape[1] - 5)
        sigma, depth = rng.uniform(1.0, 8.0), rng.uniform(2.0, 10.0)
        image -= depth * np.exp(-((rows - r) ** 2 + (cols - c) ** 2) / (2 * sigma**2))
    return image.astype(np.float32)


@pytest.mark.parametrize("radius_mm", [(0.45, 1.1), (1.4, 4.0)])  # pores; scars (reduced image)
def test_spots_do_not_depend_on_the_image_around_the_mask_box(
    radius_mm: tuple[float, float],
) -> None:
    """The same skin inside a larger photo (offset by whole blocks) gives the same spots."""
    image = _skin(3)
    mask = np.zeros(image.shape, bool)
    mask[20:100, 25:125] = True
    pad = (60, 40)  # a multiple of every reduction factor used here (1, 2, 4, 5)
    big = np.pad(image, ((pad[0], 30), (pad[1], 50)), mode="reflect")
    big_mask = np.pad(mask, ((pad[0], 30), (pad[1], 50)))
    kwargs = {
        "radius_mm": radius_mm,
        "min_contrast": 2.0,
        "min_snr": 2.0,
        "min_roundness": 0.3,
    }
    small = pores.dark_blobs(image, mask, MM_PER_PX / 2, **kwargs)  # type: ignore[arg-type]
    large = pores.dark_blobs(big, big_mask, MM_PER_PX / 2, **kwargs)  # type: ignore[arg-type]
    assert len(small.radii_px) >= 2
    # equal but for float32 rounding (filters over images of other sizes)
    np.testing.assert_allclose(large.centres_px - pad, small.centres_px, atol=1e-3)
    np.testing.assert_allclose(large.radii_px, small.radii_px, rtol=1e-5)
    np.testing.assert_allclose(large.contrast, small.contrast, rtol=1e-5)  # type: ignore[arg-type]


@pytest.mark.parametrize("mm_per_px", [0.15, 0.19])
def test_exactly_reduced_spots_do_not_move_with_the_mask(mm_per_px: float) -> None:
    """Reduced by a real factor (``exact_reduction``), the grid is the image's: the same skin
    under a larger mask (its box moved by 6-11 px on every side) gives the same spots inside the
    smaller one. On a grid laid from the mask's box, the first version, a spot's contrast moved
    by up to 0.1 L* and one spot came and went (review, 2026-12-02)."""
    image = _skin(3, (240, 300))
    small = np.zeros(image.shape, bool)
    small[60:180, 70:230] = True
    large = np.zeros(image.shape, bool)
    large[49:191, 61:241] = True
    kwargs = {
        "radius_mm": (0.45, 1.1),
        "min_contrast": 2.0,
        "min_snr": 2.0,
        "min_roundness": 0.3,
        "max_sigma_px": pores.PORE_MAX_SIGMA_PX,
        "exact_reduction": True,
    }
    a = pores.dark_blobs(image, small, mm_per_px, **kwargs)  # type: ignore[arg-type]
    b = pores.dark_blobs(image, large, mm_per_px, **kwargs)  # type: ignore[arg-type]
    assert len(a.radii_px) >= 3
    # b's spots inside the smaller mask, as far inside it as a spot must be
    inside = b.subset(b.inside(small) & (b.centres_px[:, 0] > 70) & (b.centres_px[:, 0] < 170))
    inside = inside.subset((inside.centres_px[:, 1] > 80) & (inside.centres_px[:, 1] < 220))
    own = a.subset((a.centres_px[:, 0] > 70) & (a.centres_px[:, 0] < 170))
    own = own.subset((own.centres_px[:, 1] > 80) & (own.centres_px[:, 1] < 220))
    order_a, order_b = np.lexsort(own.centres_px.T), np.lexsort(inside.centres_px.T)
    np.testing.assert_allclose(inside.centres_px[order_b], own.centres_px[order_a], atol=1e-3)
    np.testing.assert_allclose(inside.radii_px[order_b], own.radii_px[order_a], rtol=1e-4)
    np.testing.assert_allclose(inside.contrast[order_b], own.contrast[order_a], rtol=1e-4)  # type: ignore[index]


def _direct_response(image: NDArray[np.float32], r: float, c: float, radius: float) -> float:
    """blob_response for one spot as a plain loop over its window (the definition)."""
    sigma = max(radius / np.sqrt(2), 0.5)
    reach = int(np.ceil(4 * sigma))
    rc, cc = round(r), round(c)
    weights: list[float] = []
    cells: list[float] = []
    for y in range(max(rc - reach, 0), min(rc + reach + 1, image.shape[0])):
        for x in range(max(cc - reach, 0), min(cc + reach + 1, image.shape[1])):
            d2 = ((y - rc) ** 2 + (x - cc) ** 2) / sigma**2
            weights.append(np.exp(-d2 / 2) / (2 * np.pi * sigma**2) * (d2 - 2))
            cells.append(float(image[y, x]))
    mean = float(np.mean(weights))
    return 2.0 * sum((w - mean) * v for w, v in zip(weights, cells, strict=True))


def test_blob_response_by_separable_sums_equals_the_2d_kernel() -> None:
    image = _skin(5)
    rng = np.random.default_rng(2)
    centres = np.column_stack([rng.uniform(0, 119, 40), rng.uniform(0, 149, 40)])
    centres[:4] = np.array([[0, 0], [119, 149], [1.5, 70.2], [60.5, 148.6]])  # cut windows
    radii = rng.choice([1.2, 2.0, 3.5, 6.0], 40)
    got = pores.blob_response(image, pores.Spots(centres, radii))
    expected = [_direct_response(image, r, c, s) for (r, c), s in zip(centres, radii, strict=True)]
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-6)


def test_core_fill_tells_a_depression_from_a_cluster() -> None:
    rows, cols = np.mgrid[0:80, 0:80].astype(np.float64)
    pit = 65.0 - 6.0 * (np.hypot(rows - 40, cols - 40) <= 6)
    cluster = np.full((80, 80), 65.0)
    for dr, dc in ((-4, -4), (-4, 4), (4, -4), (4, 4)):
        cluster -= 6.0 * (np.hypot(rows - 40 - dr, cols - 40 - dc) <= 1.0)
    near_edge = pores.Spots(np.array([[40.0, 40.0], [3.0, 40.0]]), np.array([6.0, 6.0]))
    fill_pit = pores.core_fill(pit.astype(np.float32), near_edge, np.array([6.0, 6.0]))
    fill_cluster = pores.core_fill(cluster.astype(np.float32), near_edge, np.array([6.0, 6.0]))
    assert fill_pit[0] == 1.0 and fill_cluster[0] < 0.3
    assert fill_pit[1] == 0.0  # a flat patch, its window cut by the image's edge


def _dips_at(mm_per_px: float, size_mm: float = 40.0) -> NDArray[np.float32]:
    """The same skin patch (L* 65, 12 pores of 0.5-1.0 mm, 5 L* deep) sampled at ``mm_per_px``."""
    rng = np.random.default_rng(11)
    side = round(size_mm / mm_per_px)
    rows, cols = (np.mgrid[0:side, 0:side] + 0.5) * mm_per_px  # pixel centres, mm
    image = np.full((side, side), 65.0)
    for k in range(12):
        r, c = 5.0 + 10.0 * (k // 4) + rng.uniform(0, 3), 5.0 + 9.0 * (k % 4) + rng.uniform(0, 3)
        sigma = rng.uniform(0.5, 1.0) / np.sqrt(2)
        image -= 5.0 * np.exp(-((rows - r) ** 2 + (cols - c) ** 2) / (2 * sigma**2))
    return image.astype(np.float32)


@pytest.mark.parametrize("mm_per_px", [0.15, 0.19, 0.37])
def test_pores_are_the_same_at_every_photo_resolution(mm_per_px: float) -> None:
    """Pores are searched at 0.253 mm/px or the photo's own coarser scale
    (pores.PORE_MAX_SIGMA_PX): a 3 MP and a 12 MP photo of one face find the same pores, in the
    same places (mm)."""
    found = []
    for scale in (mm_per_px, 0.37):
        spots = find(_dips_at(scale), mm_per_px=scale)
        found.append((spots.centres_px + 0.5) * scale)
    fine, coarse = found
    assert len(fine) == len(coarse) == 12
    apart = np.hypot(*(fine[:, None, :] - coarse[None, :, :]).transpose(2, 0, 1))
    assert apart.min(axis=1).max() < 0.05  # mm: a sixth of a pixel at 0.3 mm/px
