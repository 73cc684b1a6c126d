import numpy as np
import pytest

from microneedling.simulate.coverage import (
    injured_fraction,
    injured_fraction_naive,
    nearest_neighbour_mm,
    overtreated,
    poisson_coverage,
    zone_injury,
)
from microneedling.simulate.devices import find_device
from microneedling.simulate.geometry import rectangle
from microneedling.simulate.puncture_field import (
    TreatmentSettings,
    generate_punctures,
    poisson_field,
)

SQUARE = rectangle("test", 20, 20)


@pytest.mark.parametrize(("density", "radius"), [(5.0, 0.035), (40.0, 0.05), (2.0, 0.3)])
def test_random_field_matches_poisson_coverage(density: float, radius: float) -> None:
    field = poisson_field(density, SQUARE, seed=1)
    coverage = injured_fraction(field.xy, SQUARE, radius, samples=60_000)
    expected = poisson_coverage(density, radius)
    # Monte Carlo error plus a little for the edge (disks cut by the zone border).
    assert abs(coverage.fraction - expected) < 4 * coverage.standard_error + 0.02 * expected


def test_regular_lattice_has_exact_coverage_and_spacing() -> None:
    pitch, radius = 0.5, 0.1
    g = np.arange(pitch / 2, 20, pitch)
    xy = np.array(np.meshgrid(g, g)).reshape(2, -1).T
    coverage = injured_fraction(xy, SQUARE, radius, samples=80_000)
    exact = len(xy) * np.pi * radius**2 / SQUARE.area_mm2  # disks do not overlap
    assert coverage.fraction == pytest.approx(exact, abs=4 * coverage.standard_error)
    assert np.allclose(nearest_neighbour_mm(xy), pitch)
    assert overtreated(xy, spacing_mm=0.4) == 0
    assert overtreated(xy, spacing_mm=0.6) == len(xy)


def test_overtreated_counts_each_close_puncture() -> None:
    xy = np.array([[0, 0], [0.01, 0], [5, 5], [9, 9], [9, 9.02]])
    assert overtreated(xy, 0.05) == 4


def test_vectorised_coverage_agrees_with_naive_raster() -> None:
    field = poisson_field(3.0, rectangle("small", 6, 6), seed=4)
    small = rectangle("small", 6, 6)
    naive = injured_fraction_naive(field.xy, small, 0.1, pixel_mm=0.01)
    fast = injured_fraction(field.xy, small, 0.1, samples=80_000)
    assert fast.fraction == pytest.approx(naive, abs=4 * fast.standard_error + 0.003)


def test_pen_field_with_hand_jitter_behaves_like_poisson() -> None:
    pen = find_device("Dermapen 4")
    field = generate_punctures(pen, TreatmentSettings(depth_mm=1.0, passes=3), SQUARE)
    injury = zone_injury(field.xy, SQUARE, wound_radius_mm=0.035, safety_spacing_mm=0.07)
    assert injury.injured_fraction == pytest.approx(injury.poisson_fraction, rel=0.1)
    assert injury.density_per_cm2 == pytest.approx(len(field) / 4.0)
    assert injury.spacing_p5_mm < injury.spacing_median_mm < injury.spacing_p95_mm
    assert 0 < injury.overtreated_fraction < 1


def test_empty_field() -> None:
    injury = zone_injury(np.empty((0, 2)), SQUARE, wound_radius_mm=0.035, safety_spacing_mm=0.07)
    assert injury.punctures == 0 and injury.injured_fraction == 0.0
