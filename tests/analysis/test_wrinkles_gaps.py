"""Joining a line's pieces across a gap the ridge filter cannot resolve (analysis/wrinkles.py,
``join_across_gaps``; Steger 1998: a free end is extended by 2.5 sigma along its direction, and
line points are linked when their directions differ by less than 30 degrees). Issue 8: a faint
forehead line broke where the face's own texture crossed it, and the piece past the dip failed
the length test.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from microneedling.analysis import wrinkles

MM_PER_PX = 0.2
LIMITS = {"min_length_mm": 4.0, "min_elongation": 4.0}
GAP_MM = wrinkles.GAP_SIGMAS * 0.3  # the finest wrinkle scale, 0.3 mm: 0.75 mm


def joined(ridges: NDArray[np.bool_]) -> wrinkles.RidgeMap:
    response = np.where(ridges, 4.0, 0.0).astype(np.float32)
    found = wrinkles.lines_of(response, ridges, MM_PER_PX, **LIMITS)
    return wrinkles.join_across_gaps(
        found,
        ridges,
        MM_PER_PX,
        gap_mm=GAP_MM,
        max_angle_deg=wrinkles.GAP_MAX_ANGLE_DEG,
        **LIMITS,
    )


def length_mm(lines: wrinkles.RidgeMap) -> float:
    return wrinkles.skeleton_length_px(lines.skeleton) * MM_PER_PX


@pytest.mark.parametrize("gap_at", [10, 14, 19])
def test_a_line_with_a_one_pixel_dip_is_measured_at_full_length(gap_at: int) -> None:
    ridges = np.zeros((40, 60), bool)
    ridges[20, 10:40] = True  # 30 px: 29 steps, 5.8 mm
    ridges[20, 10 + gap_at] = False  # the texture's dip: neither piece reaches 4 mm
    assert not wrinkles.lines_of(
        np.zeros(ridges.shape, np.float32), ridges, MM_PER_PX, **LIMITS
    ).lines.any()
    lines = joined(ridges)
    assert length_mm(lines) == pytest.approx(29 * MM_PER_PX, rel=0.05)
    assert lines.lines.sum() == 29  # the gap's pixel is not a line pixel


def test_a_slanted_line_with_a_dip_is_measured_at_full_length() -> None:
    ridges = np.zeros((60, 60), bool)
    for c in range(10, 40):  # rising one row in three: 30 px, 5.9 mm
        ridges[40 - c // 3, c] = True
    whole = wrinkles.skeleton_length_px(ridges) * MM_PER_PX
    ridges[40 - 25 // 3, 25] = False
    assert length_mm(joined(ridges)) == pytest.approx(whole, rel=0.05)


@pytest.mark.parametrize("missing_px", [2, 3, 4, 5])  # the gap allowed: 0.75 mm, 3.75 px
def test_collinear_pieces_joined_up_to_the_gap_and_apart_beyond(missing_px: int) -> None:
    """Pieces of 15 px (2.8 mm, each under 4 mm) with ``missing_px`` pixels missing between
    them: 3 (0.6 mm uncovered) and fewer join, 4 (0.8 mm) and more stay apart."""
    ridges = np.zeros((40, 60), bool)
    ridges[20, 10:25] = True  # ends at column 24
    ridges[20, 25 + missing_px : 40 + missing_px] = True
    if missing_px * MM_PER_PX > GAP_MM:
        assert not joined(ridges).lines.any()
    else:
        assert joined(ridges).lines.any()


@pytest.mark.parametrize("mm_per_px", [0.15, 0.2, 0.3, 0.37, 0.4, 0.6, 0.74])
def test_a_one_pixel_dip_joins_at_any_resolution_the_gap_allows(mm_per_px: float) -> None:
    """One missing pixel leaves one pixel of the line uncovered: joined at every resolution up
    to 0.75 mm a pixel (its end pixels' centres are 2 px apart, 1.5 mm at 0.74 mm/px)."""
    ridges = np.zeros((40, 80), bool)
    ridges[20, 5:75] = True  # 70 px: longer than 4 mm at every resolution here
    ridges[20, 40] = False
    response = np.where(ridges, 4.0, 0.0).astype(np.float32)
    limits = {"min_length_mm": 70 * mm_per_px * 0.6, "min_elongation": 4.0}  # no piece alone
    found = wrinkles.lines_of(response, ridges, mm_per_px, **limits)
    assert not found.lines.any()
    after = wrinkles.join_across_gaps(
        found, ridges, mm_per_px, gap_mm=GAP_MM, max_angle_deg=wrinkles.GAP_MAX_ANGLE_DEG, **limits
    )
    assert after.lines.sum() == 69


def test_perpendicular_pieces_near_each_other_are_not_joined() -> None:
    ridges = np.zeros((40, 60), bool)
    ridges[20, 10:25] = True  # ends at column 24
    ridges[21:36, 26] = True  # starts one pixel off its end, turning by 90 degrees
    assert not joined(ridges).lines.any()


def test_a_kept_line_is_unchanged_without_a_piece_to_join() -> None:
    ridges = np.zeros((40, 60), bool)
    ridges[20, 10:40] = True
    ridges[5, 50:53] = True  # a short piece far away
    found = wrinkles.lines_of(
        np.where(ridges, 4.0, 0).astype(np.float32), ridges, MM_PER_PX, **LIMITS
    )
    after = joined(ridges)
    np.testing.assert_array_equal(after.lines, found.lines)
    np.testing.assert_array_equal(after.skeleton, found.skeleton)


def crossed_line(bright_l: float, size: int = 64) -> NDArray[np.float32]:
    """A dark line 7 mm long, 4 L* deep, of Gaussian section (sigma 0.25 mm) at 0.37 mm/px (the
    level-1 line of the cross-talk ladder on the synthetic face's pixels), crossed at its middle
    by a bright ridge of the skin's own texture (``bright_l`` L*, sigma 0.3 mm)."""
    mm = 0.37
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float64)
    beyond = np.maximum(np.abs(cols - size / 2) - 7.0 / mm / 2, 0.0)
    distance2 = beyond**2 + (rows - size / 2 + 0.2) ** 2
    image = 70.0 - 4.0 * np.exp(-distance2 / (2 * (0.25 / mm) ** 2))
    image += bright_l * np.exp(-((cols - size / 2) ** 2) / (2 * (0.3 / mm) ** 2))
    return np.asarray(image, dtype=np.float32)


def crossed_lines(image: NDArray[np.float32], gap_sigmas: float) -> wrinkles.RidgeMap:
    """``ridge_map`` of ``image`` (0.37 mm/px, all skin) with the wrinkle settings."""
    return wrinkles.ridge_map(
        image,
        np.ones(image.shape, bool),
        0.37,
        sigmas_mm=(0.3, 0.5, 0.8),
        min_contrast=3.0,
        min_snr=2.4,
        min_length_mm=4.0,
        min_elongation=4.0,
        gap_sigmas=gap_sigmas,
    )


def test_a_line_crossed_by_the_texture_is_measured_at_full_length() -> None:
    full = wrinkles.skeleton_length_px(crossed_lines(crossed_line(0.0), 0.0).skeleton)
    assert full * 0.37 > 6.0
    crossed = crossed_line(2.0)
    # the dip cuts it into two pieces, each under 4 mm
    assert not crossed_lines(crossed, 0.0).lines.any()
    joined = crossed_lines(crossed, wrinkles.GAP_SIGMAS)
    assert wrinkles.skeleton_length_px(joined.skeleton) == pytest.approx(full, rel=0.05)
