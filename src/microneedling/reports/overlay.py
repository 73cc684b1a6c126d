"""The analysis overlay: zones, detected pores and scars, wrinkles and red areas on the photo."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from microneedling.analysis.images import write_png
from microneedling.analysis.pipeline import PhotoAnalysis
from microneedling.analysis.zones import ANALYSED_ZONES

ZONE_COLOURS = np.array(
    [
        [230, 25, 75],
        [60, 180, 75],
        [255, 225, 25],
        [0, 130, 200],
        [245, 130, 48],
        [145, 30, 180],
        [70, 240, 240],
        [240, 50, 230],
        [210, 245, 60],
        [250, 190, 212],
    ],
    dtype=np.uint8,
)


def draw_overlay(result: PhotoAnalysis) -> NDArray[np.uint8]:
    o = result.overlay
    canvas = o.rgb.copy()
    red = o.red
    canvas[red] = (0.55 * canvas[red] + 0.45 * np.array([255, 0, 60])).astype(np.uint8)
    for index in range(len(ANALYSED_ZONES)):
        mask = (o.labels == index).astype(np.uint8)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        colour = tuple(int(c) for c in ZONE_COLOURS[index % len(ZONE_COLOURS)])
        cv2.drawContours(canvas, contours, -1, colour, 1, cv2.LINE_AA)
    canvas[o.wrinkles] = (255, 255, 0)
    for (y, x), r in zip(o.pores, o.pore_radii, strict=True):
        cv2.circle(canvas, (int(x), int(y)), max(round(float(r)), 1), (0, 255, 255), 1, cv2.LINE_AA)
    for (y, x), r in zip(o.scars, o.scar_radii, strict=True):
        cv2.circle(canvas, (int(x), int(y)), max(round(float(r)), 2), (255, 128, 0), 1, cv2.LINE_AA)
    return canvas


def write_overlay(result: PhotoAnalysis, path: Path) -> Path:
    return write_png(draw_overlay(result), path)
