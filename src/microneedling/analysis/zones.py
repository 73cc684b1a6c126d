"""Zone masks from the landmarks: the foundation's facial zones, without eyes, brows, lips or hair.

Pixels of the face oval are placed in a face frame (u along the eye line towards the subject's left,
v down, both in units of the inter-pupillary distance d) and assigned by anatomical rules: above the
brows forehead, between them glabella, around each eye periorbital, the nose hull nose, around the
lips perioral, below them chin, the lateral lower face jawline, the rest of the mid-face cheeks.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from microneedling.analysis.landmarks import LEFT_IRIS, NOSE_TIP, RIGHT_IRIS, Landmarks
from microneedling.analysis.mesh_topology import FEATURES
from microneedling.analysis.stats import median
from microneedling.core.data import read_data
from microneedling.core.zones import FacialZone

ANALYSED_ZONES: tuple[FacialZone, ...] = tuple(z for z in FacialZone if z is not FacialZone.NECK)
MOUTH_CORNERS = (61, 291)
CHIN = 152
ADULT_IPD_MM = 63.36  # Dodgson NA. Variation and extrema of human interpupillary distance. 2004.
NONE = -1
HAIR_DELTA_E = 20.0  # CIE76 distance from mid-face skin beyond which forehead pixels are hair
BROW_MARGIN = 0.02  # the forehead starts this far (in d) above the highest brow landmark ...
BROW_SLACK = 0.03  # ... or at the schematic's height, if that lies within this much (in d) of it


@cache
def feature_indices() -> dict[str, tuple[int, ...]]:
    f = FEATURES
    return {
        "oval": f["oval"],
        "left_eye": f["left_eye"],
        "right_eye": f["right_eye"],
        "brows": tuple(sorted(f["left_brow"] + f["right_brow"])),
        "left_brow": f["left_brow"],
        "right_brow": f["right_brow"],
        "lips": f["lips"],
        "nose": f["nose"],
    }


@cache
def schematic_forehead_edge_mm() -> float:
    """Height above the pupils of the forehead's lower edge in the project's schematic face
    (``zone_geometry.yaml``, the lowest vertex of its forehead outline), in mm."""
    outline = read_data("zone_geometry.yaml")["zones"]["forehead"]
    return float(min(y for polygon in outline for _, y in polygon))


def forehead_edge(
    brow_top: float, *, margin: float = BROW_MARGIN, slack: float = BROW_SLACK
) -> float:
    """The forehead's lower edge, v in units of the inter-pupillary distance (negative: above).

    Anatomically the forehead starts at the brows: its lower edge is the brows' upper border
    (``brow_top - margin``, the highest brow landmark and a little hair above it), and between
    the brows the glabella reaches up to ``0.10`` d above that edge. But the brow landmarks move
    between takes of the same face as a unit, by about 0.5 mm (SD, relative to the pupils; the
    eye contour by 0.1 mm), and under a fringe the forehead is a strip of a few mm whose area
    then moved by 6.35-7.79 cm2 (CV 6%) over takes 3% larger and smaller. So the edge is held at
    the schematic face's height above the pupils (``schematic_forehead_edge_mm``: 22 mm, a fixed
    fraction of the pupil distance, which moves by 0.1 mm) wherever that lies within ``slack``
    (0.03 d, about 2 mm) of the brows' own edge, and follows the brows ``slack`` away beyond:
    the same between takes for brows near the usual height (the synthetic face's brow tops lie
    21.0-22.4 mm above its pupils), continuous in the brow landmarks, and never more than
    ``slack`` from where the brows put it, so a high or low brow still bounds its forehead.
    The brows themselves stay out of every zone (their landmark hull, grown by 0.04 d).
    """
    by_brows = brow_top - margin
    fixed = -schematic_forehead_edge_mm() / ADULT_IPD_MM
    return float(np.clip(fixed, by_brows - slack, by_brows + slack))


@dataclass(frozen=True)
class ZoneMap:
    """A label image over the face's bounding box: ``labels[y, x]`` indexes ANALYSED_ZONES."""

    labels: NDArray[np.int8]
    origin: tuple[int, int]  # (x0, y0) of the box in the full image
    mm_per_px: float
    scale_source: str

    def mask(self, zone: FacialZone) -> NDArray[np.bool_]:
        return self.labels == ANALYSED_ZONES.index(zone)

    def crop(self, image: NDArray[np.generic]) -> NDArray[np.generic]:
        x0, y0 = self.origin
        h, w = self.labels.shape
        return image[y0 : y0 + h, x0 : x0 + w]

    def area_cm2(self, zone: FacialZone) -> float:
        return float(self.mask(zone).sum()) * self.mm_per_px**2 / 100.0

    def zones_present(self) -> list[FacialZone]:
        present = set(np.unique(self.labels).tolist()) - {NONE}
        return [z for i, z in enumerate(ANALYSED_ZONES) if i in present]


def hull_mask(
    shape: tuple[int, ...], pts: NDArray[np.float64], dilate_px: int = 0
) -> NDArray[np.bool_]:
    """The convex hull of ``pts`` (x, y) filled, grown by ``dilate_px`` (a distance, in time
    independent of it); the distance transform runs on the hull's box only."""
    mask = np.zeros(shape[:2], dtype=bool)
    found = hull_in_box(shape, pts, dilate_px)
    if found is not None:
        box, inside = found
        mask[box] = inside
    return mask


def hull_in_box(
    shape: tuple[int, ...], pts: NDArray[np.float64], dilate_px: int = 0
) -> tuple[tuple[slice, slice], NDArray[np.bool_]] | None:
    """``hull_mask`` over its box only: the box (rows, columns) and the mask there, or None
    where the box lies outside the image. A caller that takes a small hull out of a mask
    (``zone_map``: eyes, brows, lips) writes over the box, not a whole image of its own."""
    height, width = shape[:2]
    hull = cv2.convexHull(np.round(pts).astype(np.int32))
    x, y, w, h = cv2.boundingRect(hull)
    x0, y0 = max(x - dilate_px - 1, 0), max(y - dilate_px - 1, 0)
    x1, y1 = min(x + w + dilate_px + 1, width), min(y + h + dilate_px + 1, height)
    if x1 <= x0 or y1 <= y0:
        return None
    box = np.zeros((y1 - y0, x1 - x0), dtype=np.uint8)
    cv2.fillConvexPoly(box, hull - np.array([x0, y0], dtype=np.int32), 1)
    if dilate_px > 0:
        distance = cv2.distanceTransform(1 - box, cv2.DIST_L2, 3)
        return (slice(y0, y1), slice(x0, x1)), np.asarray(distance <= dilate_px)
    return (slice(y0, y1), slice(x0, x1)), np.asarray(box > 0)


def image_scale(landmarks: Landmarks, given_mm_per_px: float | None = None) -> tuple[float, str]:
    """mm per pixel and where it came from: given (a calibration sticker), else the pupils."""
    if given_mm_per_px:
        return given_mm_per_px, "given"
    return (
        ADULT_IPD_MM / landmarks.interpupillary_px,
        "interpupillary distance (adult mean 63.36 mm)",
    )


def zone_map(
    landmarks: Landmarks,
    image_shape: tuple[int, ...],
    *,
    mm_per_px: float | None = None,
    lab: NDArray[np.floating[Any]] | None = None,
    scale_source: str = "given",
) -> ZoneMap:
    """Label every skin pixel of the face with its zone; the scale comes from the pupils."""
    idx = feature_indices()
    xy = landmarks.xy
    height, width = image_shape[:2]
    oval = xy[list(idx["oval"])]
    x0, y0 = np.maximum(np.floor(oval.min(axis=0)).astype(int), 0)
    x1 = min(int(np.ceil(oval[:, 0].max())) + 1, width)
    y1 = min(int(np.ceil(oval[:, 1].max())) + 1, height)
    shape = (y1 - y0, x1 - x0)
    local = xy - [x0, y0]
    d = landmarks.interpupillary_px

    right, left = local[RIGHT_IRIS], local[LEFT_IRIS]
    centre = (right + left) / 2
    u_axis = (left - right) / np.linalg.norm(left - right)
    v_axis = np.array([-u_axis[1], u_axis[0]])  # down the face

    def uv(p: NDArray[np.float64]) -> NDArray[np.float64]:
        return (p - centre) @ np.column_stack([u_axis, v_axis]) / d

    gy = np.arange(shape[0], dtype=np.float32)[:, None] - np.float32(centre[1])
    gx = np.arange(shape[1], dtype=np.float32)[None, :] - np.float32(centre[0])
    # float32 throughout (float32 grids times float32 scalars): no copy to convert
    u = gx * np.float32(u_axis[0] / d) + gy * np.float32(u_axis[1] / d)
    v = gx * np.float32(v_axis[0] / d) + gy * np.float32(v_axis[1] / d)

    skin = hull_mask(shape, local[list(idx["oval"])])  # the face, less the parts below
    pad = max(int(0.04 * d), 1)
    for part in ("left_eye", "right_eye", "left_brow", "right_brow", "lips"):
        found = hull_in_box(shape, local[list(idx[part])], pad)
        if found is not None:
            box, inside = found
            skin[box] &= ~inside
    # The rules below read the skin's pixels only (about half of the face's box), gathered
    # once, with their (u, v) and their colour; those too dark for skin end up without a zone.
    pixels = np.flatnonzero(skin)
    u_s, v_s = u.ravel().take(pixels), v.ravel().take(pixels)
    in_hair = np.zeros(pixels.size, dtype=bool)
    lit = None
    if lab is not None:
        crop = lab[y0:y1, x0:x1]
        # channel by channel: a strided gather is the fast one
        colours = [crop[..., channel][skin] for channel in range(3)]
        lit = colours[0] > median(colours[0]) - 30.0  # not deep shadow, not dark hair
        mid_face = lit & (v_s > 0.3) & (v_s < 0.9)
        if mid_face.any():  # hair over the forehead differs in colour from mid-face skin
            above = lit & (v_s < 0.0)  # hair only matters above the eyes
            squared = np.zeros(int(np.count_nonzero(above)), dtype=crop.dtype)
            for plane in colours:
                difference = plane[above] - np.float32(median(plane[mid_face]))
                squared += difference * difference
            in_hair[above] = np.sqrt(squared) > HAIR_DELTA_E  # CIE76 distance

    brows = uv(local[list(idx["brows"])])
    brow_top, brow_bottom = brows[:, 1].min(), brows[:, 1].max()
    forehead_v = forehead_edge(brow_top)
    mouth_v = uv(local[list(MOUTH_CORNERS)])[:, 1].mean()
    nose_v = uv(local[[NOSE_TIP]])[0, 1]
    nose = hull_mask(shape, local[list(idx["nose"])])
    around_lips = hull_mask(shape, local[list(idx["lips"])], int(0.18 * d))

    # Each skin pixel takes the first zone whose rule it meets, in this order.
    across, side_left = np.abs(u_s), u_s > 0
    in_nose = nose.ravel().take(pixels)
    eye_band = (v_s > brow_bottom - 0.05) & (v_s < 0.3) & (across > 0.22) & (across < 0.95)
    cheeks = (v_s >= 0.3) & (v_s < mouth_v + 0.2)
    rules = {
        FacialZone.GLABELLA: (across < 0.22)
        & (v_s > forehead_v - 0.10)
        & (v_s < -0.05)
        & ~in_nose
        & ~in_hair,
        FacialZone.FOREHEAD: (v_s < forehead_v) & ~in_hair,
        FacialZone.NOSE: in_nose,
        FacialZone.PERIORBITAL_LEFT: eye_band & side_left,
        FacialZone.PERIORBITAL_RIGHT: eye_band & ~side_left,
        FacialZone.PERIORAL: around_lips.ravel().take(pixels) & (v_s > nose_v + 0.12),
        FacialZone.CHIN: (v_s > mouth_v + 0.2) & (across < 0.5),
        FacialZone.JAWLINE: (v_s > mouth_v + 0.05) & (across >= 0.45),
        FacialZone.CHEEK_LEFT: cheeks & side_left,
        FacialZone.CHEEK_RIGHT: cheeks & ~side_left,
    }
    zone_of = np.full(pixels.size, NONE, dtype=np.int8)
    for zone, rule in reversed(rules.items()):  # last first: an earlier rule overwrites
        np.copyto(zone_of, np.int8(ANALYSED_ZONES.index(zone)), where=rule)
    if lit is not None:
        np.copyto(zone_of, np.int8(NONE), where=~lit)
    labels = np.full(shape, NONE, dtype=np.int8)
    labels.ravel()[pixels] = zone_of

    if mm_per_px is None:
        mm_per_px, scale_source = image_scale(landmarks)
    return ZoneMap(labels, (int(x0), int(y0)), float(mm_per_px), scale_source)
