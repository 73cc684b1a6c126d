"""The analysis overlay: zones, detected pores and scars, wrinkles and red areas on the photo.

``draw_overlay`` draws one analysed photo with its zone names, a scale bar in mm and the
patient's left and right; ``draw_comparison`` puts before and after side by side in one image
with a legend below.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
from numpy.typing import NDArray

from microneedling.analysis.images import write_png
from microneedling.analysis.pipeline import PhotoAnalysis
from microneedling.analysis.zones import ANALYSED_ZONES
from microneedling.core.vocabulary import display
from microneedling.core.zones import FacialZone

if TYPE_CHECKING:
    from microneedling.analysis.compare import Comparison

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
RED_AREA = (255, 0, 60)
WRINKLE = (255, 255, 0)
PORE = (0, 255, 255)
SCAR = (255, 128, 0)
PIGMENT = (150, 75, 0)
FONT = cv2.FONT_HERSHEY_SIMPLEX
SCALE_BAR_MM = (5.0, 10.0, 20.0, 50.0)
LEGEND = (
    ("zone outline", None),
    ("red area (a* > face median + 5)", RED_AREA),
    ("wrinkle", WRINKLE),
    ("pore", PORE),
    ("scar candidate", SCAR),
    ("pigment spot", PIGMENT),
)


MIN_PANEL_PX = 900  # a smaller working image is enlarged (whole times) before labelling


def _text_scale(width: int) -> tuple[float, int]:
    """Font scale and stroke for an image ``width`` pixels wide (about 1/50 of it per letter)."""
    scale = max(width / 1200.0, 0.5)
    return scale, max(round(scale * 1.5), 1)


def _label(
    canvas: NDArray[np.uint8],
    text: str,
    origin: tuple[int, int],
    scale: float,
    thickness: int,
    colour: tuple[int, int, int] = (255, 255, 255),
) -> None:
    """Text with its baseline at (x, y) on a dark box, legible on any skin."""
    (w, h), base = cv2.getTextSize(text, FONT, scale, thickness)
    x, y = origin
    pad = max(h // 4, 2)
    x0, y0 = max(x - pad, 0), max(y - h - pad, 0)
    x1, y1 = min(x + w + pad, canvas.shape[1]), min(y + base + pad, canvas.shape[0])
    box = canvas[y0:y1, x0:x1]
    box[:] = (0.35 * box).astype(np.uint8)
    cv2.putText(canvas, text, origin, FONT, scale, colour, thickness, cv2.LINE_AA)


def _centroid(mask: NDArray[np.bool_]) -> tuple[float, float] | None:
    """(row, col) centre of a mask, or None when empty."""
    rows, cols = np.nonzero(mask)
    return (float(rows.mean()), float(cols.mean())) if rows.size else None


def _inside(mask: NDArray[np.bool_]) -> tuple[float, float] | None:
    """(row, col) of the point deepest inside a mask (farthest from its edge): where a label of
    a curved zone (the jawline) still lands on the zone. None when empty."""
    if not mask.any():
        return None
    depth = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 3)
    row, col = np.unravel_index(int(np.argmax(depth)), depth.shape)
    return float(row), float(col)


def patient_right_on_image_left(result: PhotoAnalysis) -> bool:
    """Whether the patient's right side is on the left of the image (a frontal photo, unflipped).

    Read from the zones, which are named for the patient's sides: the right cheek's centre lies
    left of the left cheek's.
    """
    labels = result.overlay.labels
    right = _centroid(labels == ANALYSED_ZONES.index(FacialZone.CHEEK_RIGHT))
    left = _centroid(labels == ANALYSED_ZONES.index(FacialZone.CHEEK_LEFT))
    if right is None or left is None:
        return True
    return right[1] < left[1]


def scale_bar_mm(width_px: int, mm_per_px: float) -> float:
    """The longest of 5, 10, 20, 50 mm that fits in a quarter of the image width."""
    fitting = [mm for mm in SCALE_BAR_MM if mm / mm_per_px <= width_px / 4]
    return fitting[-1] if fitting else SCALE_BAR_MM[0]


def _ring(
    canvas: NDArray[np.uint8],
    row: float,
    col: float,
    radius: float,
    min_px: int,
    colour: tuple[int, int, int],
) -> None:
    """A spot's circle at its sub-pixel centre, rounded to the nearest pixel."""
    centre = (round(float(col)), round(float(row)))
    cv2.circle(canvas, centre, max(round(float(radius)), min_px), colour, 1, cv2.LINE_AA)


def draw_overlay(result: PhotoAnalysis, title: str | None = None) -> NDArray[np.uint8]:
    """The measured photo with every detection, zone names, a scale bar in mm, the patient's R and
    L, and ``title`` at the top left; a working image under ``MIN_PANEL_PX`` wide is enlarged
    whole times (nearest pixel) so that the labels stay legible."""
    o = result.overlay
    canvas = o.rgb.copy()
    height, width = canvas.shape[:2]
    red = o.red
    canvas[red] = (0.55 * canvas[red] + 0.45 * np.array(RED_AREA)).astype(np.uint8)
    for index in range(len(ANALYSED_ZONES)):
        mask = (o.labels == index).astype(np.uint8)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        colour = tuple(int(c) for c in ZONE_COLOURS[index % len(ZONE_COLOURS)])
        cv2.drawContours(canvas, contours, -1, colour, 1, cv2.LINE_AA)
    canvas[o.wrinkles] = WRINKLE
    for (y, x), r in zip(o.pores, o.pore_radii, strict=True):
        _ring(canvas, y, x, r, 1, PORE)
    for (y, x), r in zip(o.scars, o.scar_radii, strict=True):
        _ring(canvas, y, x, r, 2, SCAR)
    pigment = getattr(o, "pigment", None)
    pigment_radii = getattr(o, "pigment_radii", None)
    if pigment is not None and pigment_radii is not None:
        for (y, x), r in zip(pigment, pigment_radii, strict=True):
            _ring(canvas, y, x, r, 2, PIGMENT)
    zoom = max(1, -(-MIN_PANEL_PX // width))
    if zoom > 1:
        canvas = cv2.resize(canvas, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_NEAREST)
        height, width = canvas.shape[:2]
    mm_per_px = result.mm_per_px / zoom
    scale, thick = _text_scale(width)
    small = scale * 0.8
    for index, zone in enumerate(ANALYSED_ZONES):
        found = _inside(o.labels == index)
        if found is None:
            continue
        centre = (found[0] * zoom, found[1] * zoom)
        name = display("zone_short", zone.value)
        (tw, th), _ = cv2.getTextSize(name, FONT, small, thick)
        _label(canvas, name, (int(centre[1] - tw / 2), int(centre[0] + th / 2)), small, thick)
    margin = max(width // 40, 6)
    (rw, rh), _ = cv2.getTextSize("R", FONT, scale * 1.6, thick + 1)
    right_first = patient_right_on_image_left(result)
    for letter, x in (
        ("R" if right_first else "L", margin),
        ("L" if right_first else "R", width - margin - rw),
    ):
        _label(canvas, letter, (x, height // 2 + rh // 2), scale * 1.6, thick + 1)
    bar_mm = scale_bar_mm(width, mm_per_px)
    bar_px = round(bar_mm / mm_per_px)
    y = height - margin
    bar_h = max(round(6 * scale), 4)
    cv2.rectangle(canvas, (margin - 2, y - bar_h - 2), (margin + bar_px + 2, y + 2), (0, 0, 0), -1)
    cv2.rectangle(canvas, (margin, y - bar_h), (margin + bar_px, y), (255, 255, 255), -1)
    _label(canvas, f"{bar_mm:g} mm", (margin, y - bar_h - 8), scale, thick)
    if title:
        (_, th), _ = cv2.getTextSize(title, FONT, scale * 1.2, thick)
        _label(canvas, title, (margin, margin + th), scale * 1.2, thick)
    return canvas


def legend(width: int, notes: tuple[str, ...] = ()) -> NDArray[np.uint8]:
    """A white strip ``width`` pixels wide naming each colour, then ``notes``, one per line."""
    scale, thick = _text_scale(width)
    scale = max(scale * 0.5, 0.4)
    thick = max(thick - 1, 1)
    (_, th), _ = cv2.getTextSize("Xg", FONT, scale, thick)
    line = int(th * 2.2)
    entries = [
        *LEGEND,
        ("R / L: the patient's right and left", None),
    ]
    columns = 3
    rows = -(-len(entries) // columns)
    wrapped = [part for note in notes for part in _wrap(note, width - line, scale, thick)]
    strip = np.full((line * (rows + len(wrapped)) + line, width, 3), 255, np.uint8)
    cell = width // columns
    for i, (text, colour) in enumerate(entries):
        x, y = (i % columns) * cell + line // 2, (i // columns + 1) * line
        if colour is None and text == "zone outline":
            for k, c in enumerate(ZONE_COLOURS[:3]):
                cv2.line(strip, (x + k * 6, y - th), (x + k * 6, y), tuple(int(v) for v in c), 2)
        elif colour is not None:
            cv2.rectangle(strip, (x, y - th), (x + th, y), colour, -1)
            cv2.rectangle(strip, (x, y - th), (x + th, y), (0, 0, 0), 1)
        cv2.putText(strip, text, (x + 2 * th, y), FONT, scale, (0, 0, 0), thick, cv2.LINE_AA)
    for j, note in enumerate(wrapped):
        y = (rows + j + 1) * line
        cv2.putText(strip, note, (line // 2, y), FONT, scale, (0, 0, 0), thick, cv2.LINE_AA)
    return strip


def _wrap(text: str, width: int, scale: float, thick: int) -> list[str]:
    """``text`` broken at spaces into lines at most ``width`` pixels wide."""
    lines: list[str] = []
    for word in text.split(" "):
        trial = f"{lines[-1]} {word}" if lines else word
        if lines and cv2.getTextSize(trial, FONT, scale, thick)[0][0] <= width:
            lines[-1] = trial
        else:
            lines.append(word)
    return lines


def draw_comparison(comparison: Comparison) -> NDArray[np.uint8]:
    """Before and after (aligned onto before, measured on the same zones) side by side, one
    legend below; same scale, so the one scale bar per panel reads the same on both."""
    left = draw_overlay(comparison.before, "before")
    right = draw_overlay(comparison.after, "after (aligned to before)")
    if right.shape[:2] != left.shape[:2]:
        right = cv2.resize(right, (left.shape[1], left.shape[0]), interpolation=cv2.INTER_AREA)
    gap = np.full((left.shape[0], max(left.shape[1] // 100, 4), 3), 255, np.uint8)
    panels = np.concatenate([left, gap, right], axis=1)
    summary = comparison.summary()
    notes = [f"change rule: {summary['noise_rule']}"]
    if not summary["comparable"]["ok"]:
        reasons = summary["comparable"]["reasons"] + summary["comparable"]["colour_reasons"]
        head = (
            "NOT COMPARABLE (overridden by the user)"
            if summary["comparable"]["overridden"]
            else "NOT COMPARABLE"
        )
        notes.append(f"{head}: " + "; ".join(reasons))
    return np.concatenate([panels, legend(panels.shape[1], tuple(notes))], axis=0)


def write_overlay(result: PhotoAnalysis, path: Path) -> Path:
    """One analysed photo's overlay with a legend below, as PNG."""
    canvas = draw_overlay(result)
    return write_png(np.concatenate([canvas, legend(canvas.shape[1])], axis=0), path)


def write_comparison_overlay(comparison: Comparison, path: Path) -> Path:
    """Before and after side by side with a legend, as one PNG."""
    return write_png(draw_comparison(comparison), path)
