"""What the punctures do to the surface: density, spacing, injured area and over-treatment."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from microneedling.simulate.geometry import Points, ZoneOutline


def puncture_density_per_cm2(n_punctures: int, area_cm2: float) -> float:
    return n_punctures / area_cm2


def nearest_neighbour_mm(
    xy: Points, *, tree: cKDTree | None = None, at_most: int | None = None, seed: int = 0
) -> NDArray[np.float64]:
    """Distance from each puncture (or a random subset of ``at_most``) to its nearest other."""
    if len(xy) < 2:
        return np.full(len(xy), np.inf)
    tree = tree if tree is not None else cKDTree(xy)
    query = xy
    if at_most is not None and len(xy) > at_most:
        query = xy[np.random.default_rng(seed).choice(len(xy), at_most, replace=False)]
    distances = np.asarray(tree.query(query, k=2)[0])
    return distances[:, 1]


def poisson_coverage(density_per_mm2: float, radius_mm: float) -> float:
    """Fraction of the surface inside at least one wound disk if punctures fall at random:
    1 - exp(-lambda * pi * r^2) (Boolean model of stochastic geometry)."""
    return float(1.0 - np.exp(-density_per_mm2 * np.pi * radius_mm**2))


@dataclass(frozen=True)
class Coverage:
    fraction: float
    standard_error: float
    samples: int


def injured_fraction(
    xy: Points,
    outline: ZoneOutline,
    radius_mm: float,
    *,
    samples: int = 40_000,
    seed: int = 0,
    tree: cKDTree | None = None,
) -> Coverage:
    """Area fraction of the zone inside the union of wound disks, by Monte Carlo.

    Uniform points in the zone are tested against the nearest puncture with a k-d tree; the
    standard error sqrt(p(1-p)/n) says how exact the estimate is.
    """
    rng = np.random.default_rng(seed)
    probes = outline.sample(samples, rng)
    if len(xy) == 0:
        return Coverage(0.0, 0.0, samples)
    tree = tree if tree is not None else cKDTree(xy)
    distance, _ = tree.query(probes, k=1, distance_upper_bound=radius_mm)
    p = float(np.isfinite(distance).mean())
    return Coverage(p, float(np.sqrt(max(p * (1 - p), 1e-12) / samples)), samples)


def overtreated(xy: Points, spacing_mm: float, *, tree: cKDTree | None = None) -> int:
    """How many punctures have another puncture closer than ``spacing_mm``."""
    if len(xy) < 2:
        return 0
    tree = tree if tree is not None else cKDTree(xy)
    pairs = tree.query_pairs(spacing_mm, output_type="ndarray")
    return int(np.unique(pairs).size)


SPACING_BINS_MM = np.arange(0, 0.52, 0.02)  # 0.02 mm bins up to 0.5 mm


@dataclass(frozen=True)
class ZoneInjury:
    """What one session does to the surface of one zone."""

    punctures: int
    area_cm2: float
    density_per_cm2: float
    spacing_median_mm: float
    spacing_p5_mm: float
    spacing_p95_mm: float
    spacing_histogram: tuple[tuple[float, ...], tuple[int, ...]]  # bin edges (mm), counts
    injured_fraction: float
    injured_fraction_se: float
    poisson_fraction: float
    overtreated: int

    @property
    def overtreated_fraction(self) -> float:
        return self.overtreated / self.punctures if self.punctures else 0.0


def zone_injury(
    xy: Points,
    outline: ZoneOutline,
    *,
    wound_radius_mm: float,
    safety_spacing_mm: float,
    samples: int = 10_000,
    spacing_samples: int = 5_000,
    seed: int = 0,
) -> ZoneInjury:
    """Density, spacing, injured area (Monte Carlo and Poisson) and over-treatment, one k-d tree.

    The spacing percentiles come from ``spacing_samples`` random punctures, the injured area from
    ``samples`` random points: both are estimates whose error falls as 1/sqrt(n).
    """
    area = outline.area_cm2
    tree = cKDTree(xy, balanced_tree=False, compact_nodes=False) if len(xy) else None
    spacing = nearest_neighbour_mm(xy, tree=tree, at_most=spacing_samples, seed=seed)
    finite = spacing[np.isfinite(spacing)]
    p5, median, p95 = np.percentile(finite, [5, 50, 95]) if finite.size else (np.nan,) * 3
    counts, edges = np.histogram(finite, bins=SPACING_BINS_MM)
    coverage = injured_fraction(xy, outline, wound_radius_mm, samples=samples, seed=seed, tree=tree)
    density = puncture_density_per_cm2(len(xy), area)
    return ZoneInjury(
        punctures=len(xy),
        area_cm2=area,
        density_per_cm2=density,
        spacing_median_mm=float(median),
        spacing_p5_mm=float(p5),
        spacing_p95_mm=float(p95),
        spacing_histogram=(tuple(round(e, 2) for e in edges.tolist()), tuple(counts.tolist())),
        injured_fraction=coverage.fraction,
        injured_fraction_se=coverage.standard_error,
        poisson_fraction=poisson_coverage(density / 100.0, wound_radius_mm),
        overtreated=overtreated(xy, safety_spacing_mm, tree=tree) if tree else 0,
    )


def injured_fraction_naive(
    xy: Points, outline: ZoneOutline, radius_mm: float, pixel_mm: float
) -> float:
    """Reference implementation for the benchmark: paint each wound disk on a raster, one by one."""
    xmin, ymin, xmax, ymax = outline.bounds
    nx, ny = int((xmax - xmin) / pixel_mm) + 1, int((ymax - ymin) / pixel_mm) + 1
    painted = np.zeros((ny, nx), dtype=bool)
    reach = int(np.ceil(radius_mm / pixel_mm))
    for x, y in xy:
        cx, cy = int((x - xmin) / pixel_mm), int((y - ymin) / pixel_mm)
        for j in range(max(cy - reach, 0), min(cy + reach + 1, ny)):
            for i in range(max(cx - reach, 0), min(cx + reach + 1, nx)):
                px, py = xmin + (i + 0.5) * pixel_mm, ymin + (j + 0.5) * pixel_mm
                if (px - x) ** 2 + (py - y) ** 2 <= radius_mm**2:
                    painted[j, i] = True
    gx, gy = np.meshgrid(
        xmin + (np.arange(nx) + 0.5) * pixel_mm, ymin + (np.arange(ny) + 0.5) * pixel_mm
    )
    inside = outline.contains(np.column_stack([gx.ravel(), gy.ravel()])).reshape(ny, nx)
    return float(painted[inside].mean())
