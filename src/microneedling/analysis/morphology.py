"""Binary erosion and dilation by a disk, as the union of centred rectangles.

OpenCV runs a kernel that is not a rectangle point by point (a 15 px disk, the 1 mm skin inset
at 0.15 mm/px: 2 ms on the 12 MP photo's face), a rectangle as two separable passes. A disk is
the union of the rectangles centred on it, one per width of its rows, and the largest (least)
value over a union is the largest (least) of the values over each part: the same pixels as
``cv2.dilate`` / ``cv2.erode`` with nothing off the image, at about half the cost.
"""

from __future__ import annotations

import cv2
import numpy as np
from numpy.typing import NDArray

Mask = NDArray[np.bool_]


def eroded(mask: Mask, kernel: NDArray[np.uint8]) -> Mask:
    """``cv2.erode(mask, kernel, borderValue=0) > 0`` (anchor at the kernel's centre): nothing
    off the image is ``mask``. See ``_morphology`` for how."""
    return _morphology(mask, kernel, grow=False)


def dilated(mask: Mask, kernel: NDArray[np.uint8]) -> Mask:
    """``cv2.dilate(mask, kernel, borderValue=0) > 0`` (anchor at the kernel's centre)."""
    return _morphology(mask, kernel, grow=True)


def _morphology(mask: Mask, kernel: NDArray[np.uint8], *, grow: bool) -> Mask:
    """``mask`` dilated (``grow``) or eroded by ``kernel``, with nothing off the image.

    Off ``mask``'s box (grown by the kernel's reach, for a dilation) every value is 0, as
    beyond the image, so only the box is filtered (see the module for the rectangles).
    """
    out = np.zeros(mask.shape, dtype=np.uint8)
    x, y, w, h = cv2.boundingRect(mask.view(np.uint8))
    if w == 0 or h == 0:
        return out.view(bool)
    reach_r, reach_c = (kernel.shape[0] // 2, kernel.shape[1] // 2) if grow else (0, 0)
    box = (
        slice(max(y - reach_r, 0), min(y + h + reach_r, mask.shape[0])),
        slice(max(x - reach_c, 0), min(x + w + reach_c, mask.shape[1])),
    )
    part = mask[box].view(np.uint8)
    apply, combine = (cv2.dilate, np.maximum) if grow else (cv2.erode, np.minimum)
    parts = _centred_rectangles(kernel) or [kernel]
    result = apply(part, parts[0], borderValue=0)
    for rectangle in parts[1:]:
        combine(result, apply(part, rectangle, borderValue=0), out=result)
    out[box] = result
    return out.view(bool)


def _centred_rectangles(kernel: NDArray[np.uint8]) -> list[NDArray[np.uint8]] | None:
    """``kernel`` (odd sides) as rectangles centred on its centre whose union it is, one per
    width of its rows, or None where it is no such union."""
    height, width = kernel.shape
    if height % 2 == 0 or width % 2 == 0:
        return None
    on = kernel > 0
    widths = np.count_nonzero(on, axis=1)
    rectangles, union = [], np.zeros_like(on)
    for span in sorted(set(widths.tolist()) - {0}):
        rows = np.flatnonzero(widths >= span)
        half_r = max(height // 2 - int(rows[0]), int(rows[-1]) - height // 2)
        half_c = span // 2
        rectangles.append(np.ones((2 * half_r + 1, 2 * half_c + 1), np.uint8))
        union[
            height // 2 - half_r : height // 2 + half_r + 1,
            width // 2 - half_c : width // 2 + half_c + 1,
        ] = True
    return rectangles if rectangles and np.array_equal(union, on) else None
