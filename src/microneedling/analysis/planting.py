"""Plant skin features of known size and contrast at given pixel positions, in CIELAB.

One function per feature, each changing a CIELAB image in place, (row, col) everywhere, sizes in
pixels (the caller converts from mm with the photo's scale). ``plant_region`` plants a list of
features inside a region given as a mask, converting only the region's box to and from CIELAB, so
tests can place features by hand-annotated positions independently of the landmark and zone code.

The shapes follow how each feature appears in a cross-polarised clinical photo:

- redness: a* raised over an area (haemoglobin), L* and b* kept;
- pigment spots: L* lowered and b* raised over a disk with a soft edge (melanin);
- pores: small dark Gaussian dips in L* (Lindeberg's model blob);
- wrinkles: dark lines with a Gaussian cross-section in L*;
- texture: band-limited Gaussian noise in L* (fine relief);
- atrophic scars: wider, bowl-shaped dips in L* (a shaded depression), chroma kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from skimage.color import lab2rgb, rgb2lab

from microneedling.core.errors import ValidationError

Lab = NDArray[np.float64]
Points = NDArray[np.float64]


def scatter_points(
    mask: NDArray[np.bool_],
    n: int,
    rng: np.random.Generator,
    *,
    margin_px: float = 0.0,
    spacing_px: float = 0.0,
) -> Points:
    """``n`` random (row, col) points inside ``mask``, ``margin_px`` from its edge and at least
    ``spacing_px`` apart (rejection sampling)."""
    if n == 0:
        return np.empty((0, 2))
    inner = mask.astype(np.uint8)
    if margin_px > 0:
        size = 2 * int(np.ceil(margin_px)) + 1
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
        inner = cv2.erode(inner, kernel, borderType=cv2.BORDER_CONSTANT, borderValue=0)
    rows, cols = np.nonzero(inner)
    if rows.size == 0:
        raise ValidationError("region", "no room for the planted features")
    for _ in range(50):  # random sequential packing, started afresh until all n fit
        candidates = rng.choice(rows.size, size=min(rows.size, 60 * n), replace=False)
        chosen: list[tuple[float, float]] = []
        for i in candidates:
            point = (float(rows[i]), float(cols[i]))
            if all(np.hypot(point[0] - r, point[1] - c) >= spacing_px for r, c in chosen):
                chosen.append(point)
                if len(chosen) == n:
                    return np.array(chosen)
    raise ValidationError("region", f"cannot hold {n} features {spacing_px:.0f} px apart")


def _gaussian_dips(shape: tuple[int, int], centres: Points, sigma_px: float) -> Lab:
    """Sum of unit-depth Gaussians exp(-d^2 / 2 sigma^2) at ``centres``."""
    out = np.zeros(shape)
    reach = int(np.ceil(4 * sigma_px))
    for r, c in centres:
        r0, r1 = max(int(r) - reach, 0), min(int(r) + reach + 1, shape[0])
        c0, c1 = max(int(c) - reach, 0), min(int(c) + reach + 1, shape[1])
        gr, gc = np.mgrid[r0:r1, c0:c1]
        out[r0:r1, c0:c1] += np.exp(-((gr - r) ** 2 + (gc - c) ** 2) / (2 * sigma_px**2))
    return out


def plant_redness(lab: Lab, where: NDArray[np.bool_], delta_a: float) -> None:
    """Raise a* by ``delta_a`` where ``where`` is true, with a 2 px soft edge."""
    soft = cv2.GaussianBlur(where.astype(np.float32), (0, 0), 2.0)
    lab[..., 1] += delta_a * soft


def plant_pores(lab: Lab, centres: Points, radius_px: float, depth_l: float) -> None:
    """Dark Gaussian spots of radius ``radius_px`` (sigma = r / sqrt 2) and depth ``depth_l``."""
    lab[..., 0] -= depth_l * _gaussian_dips(lab.shape[:2], centres, radius_px / np.sqrt(2))


def _disks(shape: tuple[int, int], centres: Points, radius_px: float, edge_px: float) -> Lab:
    """Disks of ``radius_px`` with a smooth edge of width ``edge_px``, 1 inside (max over disks)."""
    out = np.zeros(shape)
    reach = int(np.ceil(radius_px + 3 * edge_px))
    for r, c in centres:
        r0, r1 = max(int(r) - reach, 0), min(int(r) + reach + 1, shape[0])
        c0, c1 = max(int(c) - reach, 0), min(int(c) + reach + 1, shape[1])
        gr, gc = np.mgrid[r0:r1, c0:c1]
        d = np.hypot(gr - r, gc - c)
        disk = 1.0 / (1.0 + np.exp((d - radius_px) / max(edge_px / 2, 1e-3)))
        np.maximum(out[r0:r1, c0:c1], disk, out=out[r0:r1, c0:c1])
    return out


def plant_pigment_spots(
    lab: Lab, centres: Points, radius_px: float, delta_l: float, delta_b: float
) -> None:
    """Brown spots (lentigo-like): L* lowered by ``delta_l`` and b* raised by ``delta_b``."""
    spots = _disks(lab.shape[:2], centres, radius_px, max(0.3 * radius_px, 1.0))
    lab[..., 0] -= delta_l * spots
    lab[..., 2] += delta_b * spots


def plant_scars(lab: Lab, centres: Points, radius_px: float, depth_l: float) -> None:
    """Atrophic (boxcar/rolling) scars: a shaded bowl, depth (1 - (d/R)^2) inside R, soft rim."""
    shape = lab.shape[:2]
    out = np.zeros(shape)
    reach = int(np.ceil(radius_px * 1.5))
    for r, c in centres:
        r0, r1 = max(int(r) - reach, 0), min(int(r) + reach + 1, shape[0])
        c0, c1 = max(int(c) - reach, 0), min(int(c) + reach + 1, shape[1])
        gr, gc = np.mgrid[r0:r1, c0:c1]
        d = np.hypot(gr - r, gc - c) / radius_px
        np.maximum(out[r0:r1, c0:c1], np.clip(1.0 - d**2, 0.0, None), out=out[r0:r1, c0:c1])
    out = cv2.GaussianBlur(out, (0, 0), max(0.15 * radius_px, 0.7))
    lab[..., 0] -= depth_l * out


def plant_lines(
    lab: Lab,
    segments: Sequence[tuple[float, float, float, float]],
    width_px: float,
    depth_l: float,
) -> None:
    """Dark lines (r0, c0, r1, c1) with a Gaussian cross-section: depth exp(-d^2 / 2 (w/2)^2)."""
    canvas = np.zeros(lab.shape[:2], dtype=np.uint8)
    for r0, c0, r1, c1 in segments:
        a = (round(c0), round(r0))
        b = (round(c1), round(r1))
        cv2.line(canvas, a, b, 1, 1)
    distance = cv2.distanceTransform(1 - canvas, cv2.DIST_L2, 5)
    lab[..., 0] -= depth_l * np.exp(-(distance.astype(np.float64) ** 2) / (2 * (width_px / 2) ** 2))


def plant_texture(
    lab: Lab,
    where: NDArray[np.bool_],
    amplitude_l: float,
    grain_px: float,
    rng: np.random.Generator,
) -> None:
    """Gaussian noise blurred to ``grain_px`` and scaled to SD ``amplitude_l``, added to L*."""
    noise = rng.normal(0.0, 1.0, lab.shape[:2]).astype(np.float32)
    noise = cv2.GaussianBlur(noise, (0, 0), max(grain_px, 0.5))
    noise *= amplitude_l / float(noise.std())
    soft = cv2.GaussianBlur(where.astype(np.float32), (0, 0), 1.0)
    lab[..., 0] += noise * soft


@dataclass(frozen=True)
class Feature:
    """One kind of feature to plant: ``kind`` is redness, pigment, pores, wrinkles, texture or
    scars; sizes in mm, contrasts in L* (b* or a* for colour)."""

    kind: str
    count: int = 0
    size_mm: float = 0.0
    contrast: float = 0.0
    extra: float = 0.0  # b* rise of a pigment spot; length of a wrinkle (mm)
    angle_deg: float = 0.0


@dataclass(frozen=True)
class Planted:
    rgb: NDArray[np.uint8]
    truth: list[dict[str, Any]] = field(default_factory=list)


def _line_segments(
    mask: NDArray[np.bool_],
    n: int,
    length_px: float,
    angle_deg: float,
    spacing_px: float,
    rng: np.random.Generator,
) -> list[tuple[float, float, float, float]]:
    """``n`` segments of ``length_px`` at ``angle_deg`` (0 = along the rows) fully inside ``mask``,
    parallel segments at least ``spacing_px`` apart."""
    direction = np.array([-np.sin(np.radians(angle_deg)), np.cos(np.radians(angle_deg))])
    normal = np.array([direction[1], -direction[0]])
    half = length_px / 2
    rows, cols = np.nonzero(mask)
    if rows.size == 0:
        raise ValidationError("region", "no room for the planted lines")
    ends = np.linspace(-1, 1, 9)[:, None] * half * direction
    fits: list[NDArray[np.float64]] = []
    for r, c in zip(rows, cols, strict=True):
        points = np.round(np.array([r, c]) + ends).astype(int)
        pr, pc = points[:, 0], points[:, 1]
        if (
            (pr >= 0).all()
            and (pr < mask.shape[0]).all()
            and (pc >= 0).all()
            and (pc < mask.shape[1]).all()
            and mask[pr, pc].all()
        ):
            fits.append(np.array([r, c], dtype=np.float64))
    chosen: list[NDArray[np.float64]] = []
    for _ in range(100):  # random sequential packing, started afresh until all n fit
        chosen = []
        for i in rng.permutation(len(fits)):
            centre = fits[i]
            if all(
                abs(float((centre - d) @ normal)) > spacing_px
                or abs(float((centre - d) @ direction)) > 2 * half + spacing_px
                for d in chosen
            ):
                chosen.append(centre)
                if len(chosen) == n:
                    break
        if len(chosen) == n:
            break
    if len(chosen) < n:
        raise ValidationError("region", f"cannot hold {n} lines of {length_px:.0f} px")
    return [(*(c - half * direction), *(c + half * direction)) for c in chosen]


def plant_region(
    rgb: NDArray[np.uint8],
    region: NDArray[np.bool_],
    features: Sequence[Feature],
    mm_per_px: float,
    seed: int = 0,
) -> Planted:
    """Plant ``features`` inside ``region`` (a mask over ``rgb``); the truth lists what went where.

    Only the region's bounding box (with a margin) is converted to CIELAB and back.
    """
    rows, cols = np.nonzero(region)
    if rows.size == 0:
        raise ValidationError("region", "is empty")
    pad = 8
    r0, r1 = max(rows.min() - pad, 0), min(rows.max() + pad + 1, rgb.shape[0])
    c0, c1 = max(cols.min() - pad, 0), min(cols.max() + pad + 1, rgb.shape[1])
    lab = rgb2lab(rgb[r0:r1, c0:c1])
    inside = region[r0:r1, c0:c1]
    rng = np.random.default_rng(seed)
    truth: list[dict[str, Any]] = []
    for feature in features:
        size = feature.size_mm / mm_per_px
        entry: dict[str, Any] = {"kind": feature.kind, "count": feature.count}
        if feature.kind == "redness":
            plant_redness(lab, inside, feature.contrast)
        elif feature.kind == "texture":
            plant_texture(lab, inside, feature.contrast, size, rng)
        elif feature.kind == "wrinkles":
            segments = _line_segments(
                inside, feature.count, feature.extra / mm_per_px, feature.angle_deg, 6 * size, rng
            )
            plant_lines(lab, segments, size, feature.contrast)
            entry["total_length_mm"] = feature.count * feature.extra
            entry["segments_px"] = [(a + r0, b + c0, c + r0, d + c0) for a, b, c, d in segments]
        else:
            spacing = {"pores": 2.5, "pigment": 2.6, "scars": 2.6}.get(feature.kind)
            if spacing is None:
                raise ValidationError("kind", f"{feature.kind!r} is not a feature this plants")
            centres = scatter_points(
                inside, feature.count, rng, margin_px=1.5 * size, spacing_px=spacing * size
            )
            if feature.kind == "pores":
                plant_pores(lab, centres, size, feature.contrast)
            elif feature.kind == "pigment":
                plant_pigment_spots(lab, centres, size, feature.contrast, feature.extra)
            else:
                plant_scars(lab, centres, size, feature.contrast)
            entry["centres_px"] = (centres + np.array([r0, c0])).tolist()
        truth.append(entry)
    out = rgb.copy()
    out[r0:r1, c0:c1] = (np.clip(lab2rgb(lab), 0, 1) * 255 + 0.5).astype(np.uint8)
    return Planted(out, truth)
