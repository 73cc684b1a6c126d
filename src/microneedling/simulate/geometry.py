"""Zone outlines as polygons in mm: area, bounding box, and which points fall inside."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property

import numpy as np
from matplotlib.path import Path as MplPath
from numpy.typing import NDArray

from microneedling.core.data import read_data
from microneedling.core.zones import FacialZone

Points = NDArray[np.float64]


def polygon_area_mm2(vertices: Points) -> float:
    """Shoelace formula for a simple polygon."""
    x, y = vertices[:, 0], vertices[:, 1]
    return float(0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


MASK_PIXEL_MM = 0.1


@dataclass(frozen=True, eq=False)
class ZoneOutline:
    """One zone: one or more polygons (jawline has two), in mm."""

    zone: str
    parts: tuple[Points, ...]

    @property
    def area_mm2(self) -> float:
        return sum(polygon_area_mm2(p) for p in self.parts)

    @property
    def area_cm2(self) -> float:
        return self.area_mm2 / 100.0

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """xmin, ymin, xmax, ymax."""
        allv = np.vstack(self.parts)
        return (
            float(allv[:, 0].min()),
            float(allv[:, 1].min()),
            float(allv[:, 0].max()),
            float(allv[:, 1].max()),
        )

    def contains(self, points: Points) -> NDArray[np.bool_]:
        """Which of ``points`` (n, 2) lie inside the zone (exact polygon test)."""
        inside = np.zeros(len(points), dtype=bool)
        for part in self.parts:
            inside |= MplPath(part).contains_points(points)
        return inside

    def contains_fast(self, points: Points) -> NDArray[np.bool_]:
        """Like :meth:`contains`, by lookup in a cached mask of ``MASK_PIXEL_MM`` pixels.

        Points within half a pixel of the outline may be misjudged; elsewhere it is exact.
        """
        mask, (x0, y0) = self._mask
        ix = np.floor((points[:, 0] - x0) / MASK_PIXEL_MM).astype(np.intp)
        iy = np.floor((points[:, 1] - y0) / MASK_PIXEL_MM).astype(np.intp)
        ok = (ix >= 0) & (iy >= 0) & (ix < mask.shape[1]) & (iy < mask.shape[0])
        inside = np.zeros(len(points), dtype=bool)
        inside[ok] = mask[iy[ok], ix[ok]]
        return inside

    @cached_property
    def _mask(self) -> tuple[NDArray[np.bool_], tuple[float, float]]:
        xmin, ymin, xmax, ymax = self.bounds
        nx = int(np.ceil((xmax - xmin) / MASK_PIXEL_MM)) + 1
        ny = int(np.ceil((ymax - ymin) / MASK_PIXEL_MM)) + 1
        gx, gy = np.meshgrid(
            xmin + (np.arange(nx) + 0.5) * MASK_PIXEL_MM,
            ymin + (np.arange(ny) + 0.5) * MASK_PIXEL_MM,
        )
        inside = self.contains(np.column_stack([gx.ravel(), gy.ravel()]))
        return inside.reshape(ny, nx), (xmin, ymin)

    def sample(self, n: int, rng: np.random.Generator) -> Points:
        """``n`` points uniformly distributed inside the zone (rejection sampling)."""
        xmin, ymin, xmax, ymax = self.bounds
        box = (xmax - xmin) * (ymax - ymin)
        chunks: list[Points] = []
        have = 0
        while have < n:
            want = int((n - have) * box / self.area_mm2 * 1.2) + 16
            candidates = rng.uniform((xmin, ymin), (xmax, ymax), size=(want, 2))
            kept = candidates[self.contains(candidates)]
            chunks.append(kept)
            have += len(kept)
        return np.vstack(chunks)[:n]


def rectangle(zone: str, width_mm: float, height_mm: float) -> ZoneOutline:
    """An axis-aligned rectangle with its corner at the origin, for tests and custom areas."""
    vertices = np.array([[0, 0], [width_mm, 0], [width_mm, height_mm], [0, height_mm]], float)
    return ZoneOutline(zone, (vertices,))


@cache
def zone_outlines() -> dict[FacialZone, ZoneOutline]:
    """The bundled schematic outline of every zone; right-side zones mirror the left."""
    raw = read_data("zone_geometry.yaml")["zones"]
    outlines: dict[FacialZone, ZoneOutline] = {}
    for zone in FacialZone:
        key = zone.value
        mirror = key.endswith("_right")
        if mirror:
            key = key.replace("_right", "_left")
        parts = tuple(
            np.asarray(p, dtype=float) * ([-1.0, 1.0] if mirror else 1.0) for p in raw[key]
        )
        outlines[zone] = ZoneOutline(zone.value, parts)
    return outlines
