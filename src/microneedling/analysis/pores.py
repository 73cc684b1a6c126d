"""Pores and atrophic scars: dark round spots found by scale-normalised Laplacian-of-Gaussian blobs.

Pores are small (about 0.2-1 mm); atrophic scar candidates are larger, deeper depressions that
show as shaded round spots (1.2-4 mm). Both are measured on the shading-free luminance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree
from skimage.feature import blob_log


@dataclass(frozen=True)
class Spots:
    count: int
    per_cm2: float
    mean_area_mm2: float
    total_area_mm2: float
    centres_px: NDArray[np.float64]
    radii_px: NDArray[np.float64]


def dark_spots(
    detail: NDArray[np.float32],
    mask: NDArray[np.bool_],
    mm_per_px: float,
    *,
    radius_mm: tuple[float, float],
    min_contrast: float,
    exclude: NDArray[np.float64] | None = None,
) -> Spots:
    """Dark blobs of the given radius range inside ``mask`` (Lindeberg 1998)."""
    r_min = max(radius_mm[0] / mm_per_px, 1.0)
    r_max = max(radius_mm[1] / mm_per_px, r_min + 0.5)
    area_cm2 = mask.sum() * mm_per_px**2 / 100.0
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        return Spots(0, 0.0, 0.0, 0.0, np.empty((0, 2)), np.empty(0))
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    darkness = np.clip(-detail[y0:y1, x0:x1], 0, None)
    darkness[~mask[y0:y1, x0:x1]] = 0
    # The LoG response of a Gaussian spot of depth c is about c/2 at its own scale.
    blobs = blob_log(
        darkness,
        min_sigma=r_min / np.sqrt(2),
        max_sigma=r_max / np.sqrt(2),
        num_sigma=6,
        threshold=min_contrast / 2.0,
        exclude_border=False,
    )
    if len(blobs) == 0:
        return Spots(0, 0.0, 0.0, 0.0, np.empty((0, 2)), np.empty(0))
    centres = blobs[:, :2] + [y0, x0]
    radii = blobs[:, 2] * np.sqrt(2)
    inside = mask[centres[:, 0].astype(int), centres[:, 1].astype(int)]
    # A spot must be dark over its whole disk, not just a smaller spot inside a large blob.
    depth = np.array(
        [
            darkness[
                max(int(y - y0 - r), 0) : int(y - y0 + r) + 1,
                max(int(x - x0 - r), 0) : int(x - x0 + r) + 1,
            ].mean()
            for (y, x), r in zip(centres, np.maximum(radii, 1.0), strict=True)
        ]
    )
    keep = inside & (depth >= min_contrast / 2.0)
    if exclude is not None and len(exclude) and keep.any():
        # A larger spot centred on a smaller one already found is that spot at a coarser scale.
        distance, _ = cKDTree(exclude).query(centres)
        keep &= distance > radii / 2
    centres, radii = centres[keep], radii[keep]
    areas = np.pi * (radii * mm_per_px) ** 2
    count = len(radii)
    return Spots(
        count=count,
        per_cm2=count / area_cm2 if area_cm2 else 0.0,
        mean_area_mm2=float(areas.mean()) if count else 0.0,
        total_area_mm2=float(areas.sum()),
        centres_px=centres,
        radii_px=radii,
    )
