"""The NumPy parts of the LiteRT landmark runtime, on analytic cases."""

import math

import cv2
import numpy as np
import pytest
from skimage import data

from microneedling.analysis.landmarks import _crop, _Rect, shrink_area, ssd_anchors, weighted_nms


def test_ssd_anchors_are_blazeface_short_range_grid() -> None:
    """896 anchors: 2 per cell of a 16x16 grid, then 6 per cell of an 8x8 grid, cell centres."""
    anchors = ssd_anchors()
    assert anchors.shape == (896, 2)
    assert np.allclose(anchors[0], [0.5 / 16, 0.5 / 16]) and np.allclose(anchors[1], anchors[0])
    assert np.allclose(anchors[2], [1.5 / 16, 0.5 / 16])
    assert np.allclose(anchors[512], [0.5 / 8, 0.5 / 8]) and np.allclose(anchors[517], anchors[512])
    assert np.allclose(anchors[-1], [7.5 / 8, 7.5 / 8])
    assert np.isclose(anchors[:512].mean(), 0.5) and np.isclose(anchors[512:].mean(), 0.5)


def test_weighted_nms_merges_overlaps_by_score() -> None:
    """Two overlapping boxes become their score-weighted mean; a distant box stays apart."""
    rows = np.array(
        [
            [0.0, 0.0, 1.0, 1.0, 7.0],
            [0.1, 0.0, 1.1, 1.0, 9.0],  # IoU with the first: 0.9 / 1.1 = 0.82
            [5.0, 5.0, 6.0, 6.0, 1.0],
        ]
    )
    scores = np.array([0.6, 0.9, 0.8])
    kept = weighted_nms(rows, scores, iou_threshold=0.3)
    assert len(kept) == 2
    (merged, best), (alone, second) = kept
    assert best == 0.9 and second == 0.8
    assert merged == pytest.approx((0.9 * rows[1] + 0.6 * rows[0]) / 1.5)
    assert alone == pytest.approx(rows[2])


def test_rotated_rect_maps_crop_corners() -> None:
    """A square of side 100 at (200, 300) turned 90 degrees: the crop's top-left corner lands at
    the image's (250, 250) and the crop's centre at the rect's centre."""
    rect = _Rect(200.0, 300.0, 100.0, math.pi / 2)
    corners = rect.to_image(np.array([[0.0, 0.0], [0.5, 0.5], [1.0, 0.0]]))
    assert corners == pytest.approx(np.array([[250.0, 250.0], [200.0, 300.0], [250.0, 350.0]]))


def test_crop_samples_the_rotated_square() -> None:
    """A bright block right of a rect's centre, the rect turned 90 degrees: image x = cx - v * side
    and y = cy + u * side (u, v the crop's coordinates from its centre), so the block lands in the
    crop's top half, in the columns its y range gives; the same with the area-averaged shrink."""
    image = np.zeros((800, 800, 3), np.uint8)
    image[300:500, 400:600] = 255  # x 400-600, y 300-500
    direct = _crop(image, _Rect(400.0, 400.0, 400.0, math.pi / 2), 64).astype(float)
    # side 400: v in (-0.5, 0] is the top half, u in [-0.25, 0.25) is columns 16-48
    assert direct[2:30, 18:46].mean() > 250 and direct[34:].mean() < 5
    assert direct[:, :14].mean() < 5 and direct[:, 50:].mean() < 5
    shrunk = _crop(image, _Rect(400.0, 400.0, 800.0, math.pi / 2), 64).astype(float)
    # side 800 (12.5x shrink, averaged first): rows 16-32, columns 24-40
    assert shrunk[18:30, 26:38].mean() > 240
    assert shrunk[36:].mean() < 5 and shrunk[:14].mean() < 5


@pytest.mark.parametrize(("width", "height"), [(3000, 4000), (1001, 777), (130, 97)])
def test_shrink_by_halving_matches_one_area_resize(width: int, height: int) -> None:
    """The halving pyramid gives what one area resize gives, to rounding and to the last step's
    coarser weights (under a code on average on a photo), and says how much of the image it
    covered (odd edges dropped)."""
    image = cv2.resize(data.astronaut(), (width, height), interpolation=cv2.INTER_CUBIC)
    size = (max(width // 23, 1), max(height // 23, 1))
    shrunk, covered_w, covered_h = shrink_area(image, size)
    assert shrunk.shape == (size[1], size[0], 3)
    assert width - 32 <= covered_w <= width and height - 32 <= covered_h <= height
    region = image[: int(covered_h), : int(covered_w)]
    direct = cv2.resize(region, size, interpolation=cv2.INTER_AREA).astype(float)
    difference = np.abs(shrunk.astype(float) - direct)
    print(f"{width}x{height}: mean {difference.mean():.2f}, worst {difference.max():.0f} codes")
    assert difference.mean() < 1.0 and np.percentile(difference, 99) <= 6
