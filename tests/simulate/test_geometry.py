import numpy as np
import pytest

from microneedling.core.zones import FacialZone
from microneedling.simulate.geometry import (
    MASK_PIXEL_MM,
    polygon_area_mm2,
    rectangle,
    zone_outlines,
)


def test_shoelace_area_of_known_shapes() -> None:
    assert polygon_area_mm2(np.array([[0, 0], [4, 0], [4, 3], [0, 3]], float)) == 12.0
    triangle = np.array([[0, 0], [10, 0], [0, 10]], float)
    assert polygon_area_mm2(triangle) == 50.0
    assert rectangle("r", 10, 20).area_cm2 == 2.0


def test_every_zone_has_an_outline_and_zones_do_not_overlap() -> None:
    outlines = zone_outlines()
    assert set(outlines) == set(FacialZone)
    rng = np.random.default_rng(1)
    points = rng.uniform((-80, -200), (80, 80), size=(100_000, 2))
    hits = sum(o.contains(points).astype(int) for o in outlines.values())
    assert hits.max() == 1
    face = sum(o.area_cm2 for z, o in outlines.items() if z is not FacialZone.NECK)
    assert 120 < face < 350  # projected adult face, cm2
    assert outlines[FacialZone.CHEEK_LEFT].area_cm2 == pytest.approx(
        outlines[FacialZone.CHEEK_RIGHT].area_cm2
    )


def test_fast_containment_agrees_away_from_the_edge() -> None:
    outline = zone_outlines()[FacialZone.CHEEK_LEFT]
    rng = np.random.default_rng(2)
    xmin, ymin, xmax, ymax = outline.bounds
    points = rng.uniform((xmin - 5, ymin - 5), (xmax + 5, ymax + 5), size=(50_000, 2))
    exact = outline.contains(points)
    fast = outline.contains_fast(points)
    disagree = np.nonzero(exact != fast)[0]
    assert disagree.size < 0.01 * len(points)
    for index in disagree[:50]:
        nudged = points[index] + rng.uniform(-MASK_PIXEL_MM, MASK_PIXEL_MM, size=(200, 2))
        assert len(set(outline.contains(nudged))) == 2  # only at the outline itself


def test_uniform_sampling_stays_inside() -> None:
    outline = zone_outlines()[FacialZone.JAWLINE]
    points = outline.sample(5_000, np.random.default_rng(3))
    assert len(points) == 5_000
    assert outline.contains(points).all()
    left = (points[:, 0] > 0).mean()
    assert 0.45 < left < 0.55  # both jaw halves are sampled in proportion to area
