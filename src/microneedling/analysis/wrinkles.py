"""Wrinkles and fine lines: Hessian ridge filtering (Sato 1998), skeleton length and orientation."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from skimage.filters import sato
from skimage.measure import label, regionprops
from skimage.morphology import remove_small_objects, skeletonize


@dataclass(frozen=True)
class Lines:
    length_mm_per_cm2: float
    total_length_mm: float
    depth_proxy: float
    orientation_deg: float | None
    skeleton: NDArray[np.bool_]


def skeleton_length_px(skeleton: NDArray[np.bool_]) -> float:
    """Length of an 8-connected skeleton: 1 per straight step, sqrt(2) per diagonal step."""
    s = skeleton.astype(np.int8)
    straight = (s[:, 1:] & s[:, :-1]).sum() + (s[1:, :] & s[:-1, :]).sum()
    diagonal = (s[1:, 1:] & s[:-1, :-1]).sum() + (s[1:, :-1] & s[:-1, 1:]).sum()
    # A diagonal step next to a straight one would be counted twice; drop the redundant ones.
    corners = (s[1:, 1:] & s[:-1, 1:] & s[1:, :-1]).sum() + (
        s[:-1, :-1] & s[:-1, 1:] & s[1:, :-1]
    ).sum()
    return float(straight + np.sqrt(2) * max(diagonal - corners, 0))


def wrinkles(
    detail: NDArray[np.float32],
    mask: NDArray[np.bool_],
    mm_per_px: float,
    *,
    sigmas_mm: tuple[float, ...],
    min_response: float,
    min_length_mm: float,
    eye_line_deg: float = 0.0,
) -> Lines:
    """Dark ridges in the zone: length per cm2, mean ridge strength, dominant orientation."""
    empty = np.zeros(mask.shape, dtype=bool)
    area_cm2 = mask.sum() * mm_per_px**2 / 100.0
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        return Lines(0.0, 0.0, 0.0, None, empty)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    crop = detail[y0:y1, x0:x1]
    sigmas = [max(s / mm_per_px, 0.7) for s in sigmas_mm]
    response = sato(crop, sigmas=sigmas, black_ridges=True)
    ridges = (response > min_response) & mask[y0:y1, x0:x1]
    min_px = max(int(min_length_mm / mm_per_px), 3)
    ridges = remove_small_objects(ridges, max_size=min_px - 1)
    skeleton = skeletonize(ridges)
    labels = label(skeleton, connectivity=2)
    keep = np.zeros_like(skeleton)
    weights, angles = [], []
    for region in regionprops(labels):
        length = skeleton_length_px(labels[region.slice] == region.label)
        if length * mm_per_px < min_length_mm:
            continue
        keep[labels == region.label] = True
        weights.append(length)
        angles.append(np.degrees(region.orientation))
    total_mm = skeleton_length_px(keep) * mm_per_px
    depth = float(response[keep].mean()) if keep.any() else 0.0
    orientation = None
    if weights:
        # regionprops: angle between the row axis and the major axis; 90 = horizontal line.
        doubled = np.radians(2 * (90.0 - np.asarray(angles)))
        mean = (
            np.degrees(
                np.arctan2(
                    np.average(np.sin(doubled), weights=weights),
                    np.average(np.cos(doubled), weights=weights),
                )
            )
            / 2
        )
        orientation = float((mean - eye_line_deg + 90) % 180 - 90)
    full = empty.copy()
    full[y0:y1, x0:x1] = keep
    return Lines(total_mm / area_cm2 if area_cm2 else 0.0, total_mm, depth, orientation, full)
