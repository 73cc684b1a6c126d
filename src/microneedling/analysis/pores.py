"""Pores and atrophic scars: dark round spots found by scale-normalised Laplacian-of-Gaussian blobs.

Pores are small (about 0.2-1 mm); atrophic scar candidates are larger, deeper depressions that
show as shaded round spots (1.2-4 mm). Both are found once over the face on the shading-free
luminance, then counted per zone.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree
from skimage.feature import blob_log


@dataclass(frozen=True)
class Spots:
    """Spot centres (row, col) and radii, in pixels of the image they were found in."""

    centres_px: NDArray[np.float64]
    radii_px: NDArray[np.float64]

    def in_zone(self, mask: NDArray[np.bool_], mm_per_px: float) -> tuple[int, float, float]:
        """Count, count per cm2 and mean area (mm2) of the spots centred inside ``mask``."""
        if len(self.radii_px) == 0 or not mask.any():
            return 0, 0.0, 0.0
        rows = np.clip(self.centres_px[:, 0].astype(int), 0, mask.shape[0] - 1)
        cols = np.clip(self.centres_px[:, 1].astype(int), 0, mask.shape[1] - 1)
        inside = mask[rows, cols]
        count = int(inside.sum())
        area_cm2 = mask.sum() * mm_per_px**2 / 100.0
        mean_area = (
            float(np.mean(np.pi * (self.radii_px[inside] * mm_per_px) ** 2)) if count else 0.0
        )
        return count, count / area_cm2, mean_area


NO_SPOTS = Spots(np.empty((0, 2)), np.empty(0))


def dark_spots(
    detail: NDArray[np.float32],
    mask: NDArray[np.bool_],
    mm_per_px: float,
    *,
    radius_mm: tuple[float, float],
    min_contrast: float,
    exclude: NDArray[np.float64] | None = None,
    max_sigma_px: float = 8.0,
) -> Spots:
    """Dark blobs of the given radius range centred inside ``mask`` (Lindeberg 1998).

    Large spots are searched on a reduced image so that no sigma exceeds ``max_sigma_px``.
    """
    r_min = max(radius_mm[0] / mm_per_px, 1.0)
    r_max = max(radius_mm[1] / mm_per_px, r_min + 0.5)
    factor = max(1, int(r_max / np.sqrt(2) / max_sigma_px + 0.999))
    darkness = np.clip(-detail, 0, None)
    darkness[~mask] = 0
    if factor > 1:
        size = (darkness.shape[1] // factor, darkness.shape[0] // factor)
        darkness = cv2.resize(darkness, size, interpolation=cv2.INTER_AREA)
    # The LoG response of a Gaussian spot of depth c is about c/2 at its own scale.
    blobs = blob_log(
        darkness,
        min_sigma=max(r_min / factor, 1.0) / np.sqrt(2),
        max_sigma=r_max / factor / np.sqrt(2),
        num_sigma=3,
        threshold=min_contrast / 2.0,
        exclude_border=False,
    )
    if len(blobs) == 0:
        return NO_SPOTS
    centres = blobs[:, :2] * factor + (factor - 1) / 2.0
    radii = blobs[:, 2] * np.sqrt(2) * factor
    rows = np.clip(centres[:, 0].astype(int), 0, mask.shape[0] - 1)
    cols = np.clip(centres[:, 1].astype(int), 0, mask.shape[1] - 1)
    keep = mask[rows, cols]
    # A spot must be dark over most of its box (median depth above the threshold, i.e. at least
    # half its pixels), not a few small spots inside it: counted with an integral image.
    dark = cv2.integral((darkness >= min_contrast / 2.0).astype(np.uint8))
    height, width = darkness.shape
    reach = np.maximum(blobs[:, 2] * np.sqrt(2), 1.0)
    y0 = np.clip((blobs[:, 0] - reach).astype(int), 0, height)
    y1 = np.clip((blobs[:, 0] + reach).astype(int) + 1, 0, height)
    x0 = np.clip((blobs[:, 1] - reach).astype(int), 0, width)
    x1 = np.clip((blobs[:, 1] + reach).astype(int) + 1, 0, width)
    count = dark[y1, x1] - dark[y0, x1] - dark[y1, x0] + dark[y0, x0]
    keep &= count >= 0.5 * (y1 - y0) * (x1 - x0)
    if exclude is not None and len(exclude) and keep.any():
        # A larger spot holding a smaller one already found is that spot at a coarser scale.
        distance, _ = cKDTree(exclude).query(centres)
        keep &= distance > radii / 2
    return Spots(centres[keep], radii[keep])
