"""Wrinkles and fine lines: Hessian ridge filtering (Sato 1998), skeleton length and orientation."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray
from skimage.measure import label, regionprops
from skimage.morphology import remove_small_objects, skeletonize

RIDGE_MM_PER_PX = 0.2


@dataclass(frozen=True)
class Lines:
    length_mm_per_cm2: float
    total_length_mm: float
    depth_proxy: float
    orientation_deg: float | None


@dataclass(frozen=True)
class RidgeMap:
    """Ridge strength and the skeleton of every line long enough, over the whole face."""

    response: NDArray[np.float32]
    skeleton: NDArray[np.bool_]


def skeleton_length_px(skeleton: NDArray[np.bool_]) -> float:
    """Length of an 8-connected skeleton: 1 per straight step, sqrt(2) per diagonal step."""
    s = skeleton.astype(np.int8)
    straight = (s[:, 1:] & s[:, :-1]).sum() + (s[1:, :] & s[:-1, :]).sum()
    diagonal = (s[1:, 1:] & s[:-1, :-1]).sum() + (s[1:, :-1] & s[:-1, 1:]).sum()
    # In an L-shaped corner the diagonal duplicates two straight steps: do not count it.
    corners = (s[1:, 1:] & s[:-1, 1:] & s[1:, :-1]).sum()
    corners += (s[:-1, :-1] & s[:-1, 1:] & s[1:, :-1]).sum()
    return float(straight + np.sqrt(2) * max(diagonal - corners, 0))


SATO_SCALE = 1 / 3.8  # brings the response to skimage.filters.sato's scale on test lines


def dark_ridge_response(image: NDArray[np.float32], sigmas: list[float]) -> NDArray[np.float32]:
    """Sato's 2-D line measure for dark lines: the largest Hessian eigenvalue where positive,
    scale-normalised (sigma^2) and maximised over ``sigmas``; OpenCV filters for speed."""
    response = np.zeros(image.shape, dtype=np.float32)
    for sigma in sigmas:
        smooth = cv2.GaussianBlur(image, (0, 0), float(sigma))
        dxx = cv2.Sobel(smooth, cv2.CV_32F, 2, 0, ksize=3)
        dyy = cv2.Sobel(smooth, cv2.CV_32F, 0, 2, ksize=3)
        dxy = cv2.Sobel(smooth, cv2.CV_32F, 1, 1, ksize=3)
        largest = 0.5 * (dxx + dyy + np.sqrt((dxx - dyy) ** 2 + 4.0 * dxy**2))
        np.maximum(response, np.clip(largest, 0.0, None) * sigma**2 * SATO_SCALE, out=response)
    return response


def ridge_map(
    detail: NDArray[np.float32],
    skin: NDArray[np.bool_],
    mm_per_px: float,
    *,
    sigmas_mm: tuple[float, ...],
    min_response: float,
    min_length_mm: float,
) -> RidgeMap:
    """Dark ridges over the skin, thresholded and reduced to a one-pixel skeleton.

    The filter runs at ``RIDGE_MM_PER_PX`` at the finest (lines are wider than that); the skeleton
    is drawn back at the working resolution.
    """
    factor = max(1.0, RIDGE_MM_PER_PX / mm_per_px)
    small = detail
    if factor > 1.0:
        size = (round(detail.shape[1] / factor), round(detail.shape[0] / factor))
        small = cv2.resize(detail, size, interpolation=cv2.INTER_AREA)
    sigmas = [max(s / (mm_per_px * factor), 0.7) for s in sigmas_mm]
    response = dark_ridge_response(small, sigmas)
    if factor > 1.0:
        response = cv2.resize(
            response, (detail.shape[1], detail.shape[0]), interpolation=cv2.INTER_LINEAR
        )
    ridges = (response > min_response) & skin
    min_px = max(int(min_length_mm / mm_per_px), 3)
    ridges = remove_small_objects(ridges, max_size=min_px - 1)
    return RidgeMap(response, skeletonize(ridges))


def zone_lines(
    ridges: RidgeMap,
    mask: NDArray[np.bool_],
    mm_per_px: float,
    *,
    min_length_mm: float,
    eye_line_deg: float = 0.0,
) -> Lines:
    """Length per cm2, mean ridge strength and dominant orientation of the lines in ``mask``."""
    area_cm2 = mask.sum() * mm_per_px**2 / 100.0
    ys, xs = np.nonzero(mask)
    if ys.size == 0:
        return Lines(0.0, 0.0, 0.0, None)
    box = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1))
    skeleton = ridges.skeleton[box] & mask[box]
    labels = label(skeleton, connectivity=2)
    keep = np.zeros_like(skeleton)
    weights, angles = [], []
    for region in regionprops(labels):
        length = skeleton_length_px(labels[region.slice] == region.label)
        if length * mm_per_px < min_length_mm:
            continue
        keep[region.slice] |= labels[region.slice] == region.label
        weights.append(length)
        angles.append(np.degrees(region.orientation))
    total_mm = skeleton_length_px(keep) * mm_per_px
    depth = float(ridges.response[box][keep].mean()) if keep.any() else 0.0
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
    return Lines(total_mm / area_cm2 if area_cm2 else 0.0, total_mm, depth, orientation)
