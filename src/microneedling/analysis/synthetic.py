"""Synthetic face photos with planted features of known size, for testing and the sample series.

The base is a real face that ships inside scikit-image: ``skimage.data.astronaut()``, the NASA
portrait of Eileen Collins (public domain, a work of the US government), enlarged 4x. Features
are planted in CIELAB inside the zones of a frozen planting map (``planting_zones``): the zones
and the fringe that the landmark model and zone code drew on this face once, stored as package
data (``data/base_face_planting.yaml`` and its two PNGs), so that a change to the landmarks or
the zones moves what the analysis measures, never what was planted (``draw_planting_map``
draws it again with the live code, for the test that shows how far the two have drifted):

- a redness patch: a* raised by a known amount over a disk of known radius;
- pores: dark Gaussian spots of known count, radius and depth;
- wrinkles: dark Gaussian lines of known count, length, depth and angle;
- texture: band-limited noise of known amplitude (L*).

Features go on the zone's skin only: over the forehead, the fringe's edge is left out
(the frozen ``skin_mask.forehead_hair`` of the base face), as a line drawn across hair is not a
wrinkle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from io import BytesIO
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image
from skimage import data
from skimage.color import lab2rgb, rgb2lab

from microneedling.analysis.images import write_png
from microneedling.analysis.landmarks import Landmarks, detect_landmarks
from microneedling.analysis.skin_mask import forehead_hair
from microneedling.analysis.zones import ANALYSED_ZONES, NONE, ZoneMap, zone_map
from microneedling.core.data import parse_document
from microneedling.core.errors import ValidationError
from microneedling.core.files import atomic_output, check_output
from microneedling.core.zones import FacialZone

BASE_SCALE = 4
HAIR_MARGIN_MM = 1.0  # features are planted this far from the fringe (strands reach below it)
LICENCE = "skimage.data.astronaut(): NASA photograph of Eileen Collins, public domain"
PLANTING_MAP = "base_face_planting.yaml"  # in microneedling/analysis/data, with its two PNGs


@dataclass(frozen=True)
class Plan:
    """What to plant; lengths and radii in mm, depths in L*, redness in a*."""

    redness_zone: FacialZone | None = FacialZone.CHEEK_LEFT
    redness_delta_a: float = 0.0
    redness_radius_mm: float = 12.0
    pore_zone: FacialZone = FacialZone.CHEEK_RIGHT
    pore_count: int = 0
    pore_radius_mm: float = 0.8
    pore_depth_l: float = 12.0
    wrinkle_zone: FacialZone = FacialZone.FOREHEAD
    wrinkle_count: int = 0
    wrinkle_length_mm: float = 15.0
    wrinkle_depth_l: float = 10.0
    wrinkle_width_mm: float = 0.6
    wrinkle_angle_deg: float = 0.0
    texture_zone: FacialZone = FacialZone.CHIN
    texture_l: float = 0.0
    seed: int = 0


@dataclass(frozen=True)
class SyntheticPhoto:
    rgb: NDArray[np.uint8]
    plan: Plan
    mm_per_px: float
    truth: dict[str, Any] = field(default_factory=dict)


@cache
def base_rgb() -> NDArray[np.uint8]:
    """The enlarged astronaut portrait (computed once)."""
    small = data.astronaut()
    size = (small.shape[1] * BASE_SCALE, small.shape[0] * BASE_SCALE)
    rgb: NDArray[np.uint8] = cv2.resize(small, size, interpolation=cv2.INTER_CUBIC)
    return rgb


@cache
def base_face() -> tuple[NDArray[np.uint8], Landmarks, ZoneMap]:
    """The enlarged astronaut portrait, its landmarks and its zones as the live code finds them
    (computed once): what the analysis sees on the bare face, not where features are planted
    (``planting_zones``)."""
    rgb = base_rgb()
    landmarks = detect_landmarks(rgb)
    zones = zone_map(landmarks, rgb.shape, lab=rgb2lab(rgb))
    return rgb, landmarks, zones


def draw_planting_map() -> tuple[ZoneMap, NDArray[np.bool_]]:
    """The base face's zones and the fringe over its forehead (``skin_mask.forehead_hair``, in
    zone-map pixels) as the live landmark and zone code draw them: what was frozen into the
    planting map, drawn again to see how far the code has moved since."""
    rgb, _, zones = base_face()
    x0, y0 = zones.origin
    h, w = zones.labels.shape
    lab = rgb2lab(rgb[y0 : y0 + h, x0 : x0 + w]).astype(np.float32)
    skin = zones.labels >= 0
    hair = forehead_hair(lab, skin, zones.mask(FacialZone.FOREHEAD), zones.mm_per_px)
    return zones, hair


def _planting_file(name: str) -> bytes:
    return (resources.files("microneedling.analysis") / "data" / name).read_bytes()


def _planting_png(name: str) -> NDArray[np.uint8]:
    with Image.open(BytesIO(_planting_file(name))) as image:
        return np.asarray(image.convert("L"), dtype=np.uint8)


@cache
def _planting_map() -> tuple[ZoneMap, NDArray[np.bool_]]:
    """The frozen planting map: its zones (labels by zone name, so a reordering of
    ANALYSED_ZONES cannot swap them) and its fringe."""
    meta = parse_document(_planting_file(PLANTING_MAP).decode("utf-8"), PLANTING_MAP)
    stored = _planting_png(meta["labels"])  # 0: no zone; k: the k-th of meta["zones"]
    lookup = np.full(256, NONE, dtype=np.int8)
    for k, name in enumerate(meta["zones"], start=1):
        lookup[k] = ANALYSED_ZONES.index(FacialZone(name))
    labels = lookup[stored]
    hair = _planting_png(meta["hair"]) > 0
    if list(labels.shape) != meta["shape_px"] or hair.shape != labels.shape:
        raise ValidationError(PLANTING_MAP, "the planting map's images do not match its shape")
    x0, y0 = meta["origin_px"]
    zones = ZoneMap(labels, (int(x0), int(y0)), float(meta["mm_per_px"]), meta["scale_source"])
    return zones, hair


def planting_zones() -> ZoneMap:
    """The base face's zones that features are planted in, frozen (see the module)."""
    return _planting_map()[0]


def base_hair() -> NDArray[np.bool_]:
    """The fringe over the base face's forehead, in planting-map pixels, frozen: features are
    planted on skin, never on hair."""
    return _planting_map()[1]


def plantable(
    zones: ZoneMap, zone: FacialZone, hair_margin_mm: float = HAIR_MARGIN_MM
) -> NDArray[np.bool_]:
    """The zone's skin that features may be planted on: the zone without the fringe."""
    mask = zones.mask(zone)
    if zone is not FacialZone.FOREHEAD:
        return mask
    reach = 2 * round(hair_margin_mm / zones.mm_per_px) + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (reach, reach))
    near_hair = cv2.dilate(base_hair().astype(np.uint8), kernel) > 0
    return mask & ~near_hair


def _zone_points(
    zones: ZoneMap,
    zone: FacialZone,
    n: int,
    margin_px: int,
    rng: np.random.Generator,
    hair_margin_mm: float = HAIR_MARGIN_MM,
) -> NDArray[np.float64]:
    """``n`` random (x, y) full-image points inside the zone's plantable skin, away from its
    edge."""
    mask = plantable(zones, zone, hair_margin_mm).astype(np.uint8)
    if margin_px > 0:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * margin_px + 1,) * 2)
        mask = cv2.erode(mask, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    ys, xs = np.nonzero(mask)
    if len(ys) == 0:
        raise ValidationError("plan", f"no room in {zone} for the planted features")
    pick = rng.choice(len(ys), size=n, replace=len(ys) < n)
    points: NDArray[np.float64] = np.column_stack([xs[pick], ys[pick]]).astype(np.float64)
    return points + np.asarray(zones.origin, dtype=np.float64)


def _spread_points(
    zones: ZoneMap,
    zone: FacialZone,
    n: int,
    margin_px: int,
    spacing_px: float,
    rng: np.random.Generator,
) -> NDArray[np.float64]:
    """Like _zone_points, but at least ``spacing_px`` apart (so planted spots stay separate)."""
    candidates = _zone_points(zones, zone, 40 * max(n, 1), margin_px, rng)
    chosen: list[NDArray[np.float64]] = []
    for point in candidates:
        if all(np.hypot(*(point - c)) >= spacing_px for c in chosen):
            chosen.append(point)
            if len(chosen) == n:
                break
    if len(chosen) < n:
        raise ValidationError("plan", f"{zone} cannot hold {n} spots {spacing_px:.0f} px apart")
    return np.array(chosen)


def _place_lines(
    zones: ZoneMap, plan: Plan, hair_margin_mm: float, rng: np.random.Generator
) -> list[NDArray[np.float64]]:
    """Centres (x, y, full image) of ``plan.wrinkle_count`` parallel lines inside the zone's
    plantable skin, apart as the plan's spacing asks; fewer where they do not fit."""
    ox, oy = zones.origin
    h, w = zones.labels.shape
    px = zones.mm_per_px
    half = plan.wrinkle_length_mm / px / 2
    angle = np.radians(plan.wrinkle_angle_deg)
    direction = np.array([np.cos(angle), -np.sin(angle)])
    width = plan.wrinkle_width_mm / px
    inside = plantable(zones, plan.wrinkle_zone, hair_margin_mm)
    margin = int(3 * width) + 2

    def fits(centre: NDArray[np.float64]) -> bool:
        for t in np.linspace(-1, 1, 9):
            x, y = np.round(centre + t * half * direction - (ox, oy)).astype(int)
            if not (0 <= y < h and 0 <= x < w and inside[y, x]):
                return False
        return True

    candidates = [
        c
        for c in _zone_points(zones, plan.wrinkle_zone, 4000, margin, rng, hair_margin_mm)
        if fits(c)
    ]
    across = np.array([-direction[1], direction[0]])
    reshuffle = np.random.default_rng(plan.seed + 1)  # the plan's own draws stay as they are
    order = np.arange(len(candidates))
    centres_list: list[NDArray[np.float64]] = []
    for _ in range(50):  # random sequential packing, started afresh until all lines fit
        centres_list = []
        for i in order:
            c = candidates[i]
            if all(
                abs(float((c - d) @ across)) > 6 * width
                or np.hypot(*(c - d)) > 2 * half + 6 * width
                for d in centres_list
            ):
                centres_list.append(c)
            if len(centres_list) == plan.wrinkle_count:
                break
        if len(centres_list) == plan.wrinkle_count:
            break
        order = reshuffle.permutation(len(candidates))
    return centres_list


def make_photo(plan: Plan) -> SyntheticPhoto:
    """Plant the features of ``plan`` on the base face, in the zones of the frozen planting map;
    the truth records what was planted."""
    rgb = base_rgb()
    zones = planting_zones()
    rng = np.random.default_rng(plan.seed)
    px = zones.mm_per_px
    ox, oy = zones.origin
    h, w = zones.labels.shape
    lab = rgb2lab(rgb[oy : oy + h, ox : ox + w])  # only the face box changes
    lightness = lab[..., 0]
    truth: dict[str, Any] = {"mm_per_px": px, "licence": LICENCE}
    yy, xx = np.mgrid[0:h, 0:w]
    xx, yy = xx + ox, yy + oy

    if plan.redness_zone is not None and plan.redness_delta_a:
        radius = plan.redness_radius_mm / px
        ((cx, cy),) = _zone_points(zones, plan.redness_zone, 1, int(radius) + 2, rng)
        disk = (xx - cx) ** 2 + (yy - cy) ** 2 <= radius**2
        lab[..., 1][disk] += plan.redness_delta_a
        truth["redness"] = {
            "zone": plan.redness_zone.value,
            "delta_a": plan.redness_delta_a,
            "centre_px": [cx, cy],
            "radius_px": radius,
            "area_cm2": float(disk.sum()) * px**2 / 100,
        }

    if plan.pore_count:
        sigma = plan.pore_radius_mm / px / np.sqrt(2)
        centres = _spread_points(
            zones, plan.pore_zone, plan.pore_count, int(4 * sigma) + 2, 6 * sigma, rng
        )
        dips = np.zeros((h, w))
        for cx, cy in centres - (ox, oy):
            x0, x1 = int(cx - 4 * sigma), int(cx + 4 * sigma) + 1
            y0, y1 = int(cy - 4 * sigma), int(cy + 4 * sigma) + 1
            gx, gy = np.meshgrid(np.arange(x0, x1), np.arange(y0, y1))
            dips[y0:y1, x0:x1] += np.exp(-((gx - cx) ** 2 + (gy - cy) ** 2) / (2 * sigma**2))
        lightness -= plan.pore_depth_l * dips
        truth["pores"] = {
            "zone": plan.pore_zone.value,
            "count": plan.pore_count,
            "radius_mm": plan.pore_radius_mm,
            "depth_l": plan.pore_depth_l,
            "centres_px": centres.tolist(),
        }

    if plan.wrinkle_count:
        half = plan.wrinkle_length_mm / px / 2
        angle = np.radians(plan.wrinkle_angle_deg)
        direction = np.array([np.cos(angle), -np.sin(angle)])
        width = plan.wrinkle_width_mm / px
        centres_list: list[NDArray[np.float64]] = []
        state = rng.bit_generator.state
        for hair_margin in (HAIR_MARGIN_MM, 0.0):  # as far from the fringe as the zone allows
            rng.bit_generator.state = state
            centres_list = _place_lines(zones, plan, hair_margin, rng)
            if len(centres_list) == plan.wrinkle_count:
                break
        if len(centres_list) < plan.wrinkle_count:
            raise ValidationError(
                "plan", f"{plan.wrinkle_zone} cannot hold {plan.wrinkle_count} lines"
            )
        centres = np.array(centres_list)
        canvas = np.zeros((h, w), dtype=np.uint8)
        for centre in centres - (ox, oy):
            a = np.round(centre - half * direction).astype(int)
            b = np.round(centre + half * direction).astype(int)
            cv2.line(canvas, tuple(a.tolist()), tuple(b.tolist()), 1, 1)
        # the same Gaussian cross-section at every angle: depth x exp(-d^2 / 2 (w/2)^2)
        distance = cv2.distanceTransform(1 - canvas, cv2.DIST_L2, 5)
        lightness -= plan.wrinkle_depth_l * np.exp(-(distance**2) / (2 * (width / 2) ** 2))
        truth["wrinkles"] = {
            "zone": plan.wrinkle_zone.value,
            "count": plan.wrinkle_count,
            "length_mm": plan.wrinkle_length_mm,
            "total_length_mm": plan.wrinkle_count * plan.wrinkle_length_mm,
            "angle_deg": plan.wrinkle_angle_deg,
        }

    if plan.texture_l:
        noise = rng.normal(0, 1, (h, w)).astype(np.float32)
        noise = cv2.GaussianBlur(noise, (0, 0), max(0.3 / px, 0.7))
        noise *= plan.texture_l / noise.std()
        mask = zones.mask(plan.texture_zone)
        lightness[mask] += noise[mask]
        truth["texture"] = {"zone": plan.texture_zone.value, "amplitude_l": plan.texture_l}

    out = rgb.copy()
    out[oy : oy + h, ox : ox + w] = (np.clip(lab2rgb(lab), 0, 1) * 255 + 0.5).astype(np.uint8)
    return SyntheticPhoto(out, plan, px, truth)


SAMPLE_SERIES: tuple[tuple[str, Plan], ...] = (
    ("baseline", Plan(redness_delta_a=4, pore_count=40, wrinkle_count=5, texture_l=2, seed=1)),
    ("week-01", Plan(redness_delta_a=14, pore_count=36, wrinkle_count=5, texture_l=2, seed=1)),
    ("week-12", Plan(redness_delta_a=2, pore_count=22, wrinkle_count=3, texture_l=1, seed=1)),
)


def write_sample_series(directory: Path, *, force: bool = False) -> list[Path]:
    """Write the bundled sample photos (baseline, one week after, twelve weeks after), each
    atomically; files already there are replaced only with ``force``."""
    targets = [(directory / f"sample-{name}.png", plan) for name, plan in SAMPLE_SERIES]
    for path, _ in targets:
        check_output(path, "directory", force=force)
    for path, plan in targets:
        with atomic_output(path, "directory", force=force) as out:
            write_png(make_photo(plan).rgb, out.temp)
    return [path for path, _ in targets]
