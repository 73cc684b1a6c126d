"""Metric functions registered by name: each takes a prepared photo and a zone mask, gives a row.

A metric reads the ``PreparedPhoto`` and the derived maps it shares (the flat-fielded L*, each
detector's detections over the face), computed once on first use; it never changes them, so no
metric removes what another detected. ``METRICS`` maps a name to its function; ``measure`` runs
the chosen ones on one mask (a zone, or any region drawn on the photo with
``PreparedPhoto.region``).

Register a new metric with ``@register("name")``; its row's keys must not clash with another's.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import cv2
import numpy as np
from numpy.typing import NDArray

from microneedling.analysis import erythema, pores, skin_mask, texture, tone, wrinkles
from microneedling.analysis.illumination import (
    REFERENCE_L,
    SHADING_REDUCED_SIGMA_PX,
    flat_field_lightness,
    local_contrast,
    masked_blur,
    masked_blur_and_cover,
    masked_blurs,
)
from microneedling.analysis.morphology import dilated, eroded
from microneedling.analysis.prepare import PreparedPhoto
from microneedling.analysis.stats import median
from microneedling.analysis.zones import ANALYSED_ZONES
from microneedling.core.zones import FacialZone

Row = dict[str, Any]
Mask = NDArray[np.bool_]
T = TypeVar("T")
MetricFn = Callable[[PreparedPhoto, Mask], Row]
METRICS: dict[str, MetricFn] = {}


def register(name: str) -> Callable[[MetricFn], MetricFn]:
    def add(fn: MetricFn) -> MetricFn:
        METRICS[name] = fn
        return fn

    return add


def measure(prepared: PreparedPhoto, mask: Mask, names: Iterable[str] | None = None) -> Row:
    """The rows of the named metrics (all registered ones by default) on ``mask``, merged."""
    row: Row = {}
    for name in names if names is not None else METRICS:
        with prepared.timings.stage(name):
            row |= METRICS[name](prepared, mask)
    return row


# ---- derived maps, shared by the metrics -------------------------------------------------


def hair(p: PreparedPhoto) -> NDArray[np.bool_]:
    """The fringe's pixels inside the forehead zone (``skin_mask.forehead_hair``), the skin's
    class taken from the face's skin off the forehead (which no fringe covers)."""

    def compute() -> NDArray[np.bool_]:
        forehead = p.labels == ANALYSED_ZONES.index(FacialZone.FOREHEAD)
        return skin_mask.forehead_hair(
            p.lab,
            p.skin,
            forehead,
            p.mm_per_px,
            skin_reference=p.skin & ~forehead,
        )

    return p.cached("hair", compute)


def bare_skin(p: PreparedPhoto) -> NDArray[np.bool_]:
    """The zones' skin without the fringe: what the detectors and colour metrics read."""
    return p.cached("bare_skin", lambda: p.skin & ~hair(p))


def per_mask(cache: dict[Any, Any], name: str, mask: Mask, compute: Callable[[], T]) -> T:
    """``compute()`` once per mask object: the value is kept in ``cache`` while ``mask`` lives.

    Several metrics of a zone read the same mask (its box, its skin part); each would otherwise
    scan the whole image for it. The entry is keyed by the mask's identity and holds a weak
    reference to it, so a later mask at the same address is never given a dead mask's value.
    Masks are not changed once measured (no metric writes into the mask it is given).
    """
    key = (name, id(mask))
    entry = cache.get(key)
    if entry is not None and entry[0]() is mask:
        value: T = entry[1]
        return value
    value = compute()
    cache[key] = (weakref.ref(mask, lambda _: cache.pop(key, None)), value)
    return value


def skin_part(p: PreparedPhoto, mask: Mask) -> Mask:
    """The part of a zone (or region) that is skin, not hair; the whole of it if none is.

    Computed over the mask's bounding box only (a zone is a tenth of the face or less), once per
    mask (``per_mask``): redness, tone and texture all read it."""

    def compute() -> Mask:
        rows, cols = box(mask)
        inside = mask[rows, cols] & ~hair(p)[rows, cols]
        if not inside.any():
            return mask
        part = np.zeros_like(mask)
        part[rows, cols] = inside
        x, y, w, h = cv2.boundingRect(inside.view(np.uint8))  # the part's box, from the zone's
        spans = slice(rows.start + y, rows.start + y + h), slice(cols.start + x, cols.start + x + w)
        per_mask(_BOXES, "box", part, lambda: spans)
        return part

    return per_mask(p._cache, "skin_part", mask, compute)


def kernel_box(mask: Mask, sigma_px: float) -> tuple[slice, slice]:
    """The box spanned by ``mask`` widened by a Gaussian kernel's reach (OpenCV's reaches 4
    sigma), clipped to the image: a Gaussian of ``sigma_px`` over this box equals, on ``mask``,
    the same filter over the whole image, at the cost of the box only."""
    rows, cols = box(mask)
    reach = int(np.ceil(4 * sigma_px)) + 2
    height, width = mask.shape
    return (
        slice(max(rows.start - reach, 0), min(rows.stop + reach, height)),
        slice(max(cols.start - reach, 0), min(cols.stop + reach, width)),
    )


def fill_hair(
    image: NDArray[np.float32], skin: Mask, hair: Mask, sigma_px: float
) -> NDArray[np.float32]:
    """``image`` on the skin; on the fringe the skin's local mean nearby (a Gaussian of
    ``sigma_px`` over the skin); elsewhere off the skin the skin's median.

    A constant fill over the fringe would be brighter than the shade the fringe casts on the
    skin below it, making that band of skin a valley the ridge filter takes for a line; the
    local mean continues the skin into the hair instead.

    The local mean is taken over the fringe's box widened by the kernel's reach
    (``kernel_box``), not over the whole image: the same where the Gaussian runs at full
    resolution (sigma up to ``MAX_SIGMA_PX``); above it, on a reduced image, the reduction's
    grid starts at the box, which moves the fill by at most 0.04 L* (mean 0.01) on the 12 MP
    benchmark photos, at a seventh of the cost (tests/analysis/test_speed_equivalence.py).
    """
    if not skin.any():
        return image
    out = np.full(image.shape, median(image[skin]), dtype=np.float32)
    if hair.any():
        around = kernel_box(hair, sigma_px)
        near = masked_blur(image[around], skin[around], sigma_px)
        cover = cv2.GaussianBlur(skin[around].astype(np.float32), (0, 0), sigma_px)
        np.copyto(out[around], near, where=hair[around] & (cover > 0.05))
    np.copyto(out, image, where=skin)
    return out


def fill_off_skin(image: NDArray[np.float32], skin: Mask, sigma_px: float) -> NDArray[np.float32]:
    """``fill_hair`` with every pixel off the skin as the fringe: ``image`` on the skin; off it
    the skin's local mean nearby (a Gaussian of ``sigma_px`` over the skin) where the skin holds
    more than 5% of the Gaussian's weight, elsewhere the skin's median.

    The skin's share (cover) comes from the weight the masked blur has already blurred
    (``masked_blur_and_cover``), on its reduced image above ``MAX_SIGMA_PX``, instead of a blur
    of the skin of its own at full resolution (13 ms on the 12 MP photo's face). The two covers
    differ by under 0.01, which moves the 5% limit by a fraction of a pixel some 10 px off the
    skin, where lines are not sought (tests/analysis/test_speed_equivalence.py).
    """
    if not skin.any():
        return image
    out, cover = masked_blur_and_cover(image, skin, sigma_px)  # the mean, written over
    np.copyto(out, np.float32(median(image[skin])), where=cover <= 0.05)
    np.copyto(out, image, where=skin)
    return out


def skin_means(p: PreparedPhoto) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """The skin's large-scale Gaussian means (``illumination_sigma_mm``, over the skin without
    the fringe) of L* + 16 and of b*: one masked blur for both (``masked_blurs``)."""

    def compute() -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        sigma = p.settings.metrics.illumination_sigma_mm.value / p.mm_per_px
        cube = np.add(p.lab[..., 0], np.float32(16.0), dtype=np.float32)  # one pass
        # reduced less than the default: the texture band reads the reduction's grid otherwise
        shading, b_mean = masked_blurs(
            [cube, p.lab[..., 2]], bare_skin(p), sigma, reduced_sigma_px=SHADING_REDUCED_SIGMA_PX
        )
        return shading, b_mean

    return p.cached("skin_means", compute)


def flat_lightness(p: PreparedPhoto) -> NDArray[np.float32]:
    """Illumination-normalised L* over the skin (the fringe left out); off the skin the skin's
    median, and over the fringe the skin's local mean (``fill_hair``)."""

    def compute() -> NDArray[np.float32]:
        reach = p.settings.metrics.skin_edge_mm.value / p.mm_per_px
        return fill_hair(flat_field(p), bare_skin(p), hair(p), reach)

    return p.cached("flat_lightness", compute)


def flat_field(p: PreparedPhoto) -> NDArray[np.float32]:
    """The photo's L* flat-fielded by the bare skin's shading (``flat_field_lightness``) at every
    pixel, before any fill: ``flat_lightness`` keeps it on the bare skin, ``ridge_lightness``
    also at the shadow specks the zones leave out."""

    def compute() -> NDArray[np.float32]:
        return flat_field_lightness(
            p.lab[..., 0],
            bare_skin(p),
            p.mm_per_px,
            sigma_mm=p.settings.metrics.illumination_sigma_mm.value,
            shading=skin_means(p)[0],
            # the fills overwrite the pixels off the skin without reading them
            fill_off_skin=REFERENCE_L + 16.0,
        )

    return p.cached("flat_field", compute)


def skin_b_star(p: PreparedPhoto) -> NDArray[np.float32]:
    """b* over the skin; off the skin its local mean over the skin (no edges at hair or lips)."""

    def compute() -> NDArray[np.float32]:
        out = skin_means(p)[1].copy()
        np.copyto(out, p.lab[..., 2], where=bare_skin(p))
        return out

    return p.cached("skin_b_star", compute)


def texture_band(p: PreparedPhoto) -> NDArray[np.float32]:
    """The microrelief band that the local texture (``texture_noise``: the floor that pores,
    lines and scars must stand out from) is measured in, down to half a pixel."""
    m = p.settings.metrics
    return p.cached(
        "texture_band",
        lambda: texture.bandpass(
            flat_lightness(p),
            p.mm_per_px,
            fine_mm=m.texture_sigma_mm.value,
            shading_mm=m.texture_coarse_mm.value,
            min_fine_px=0.5,
        ),
    )


def roughness_band(p: PreparedPhoto) -> NDArray[np.float32]:
    """The roughness band: ``texture_band``'s, its fine end never under ``texture_min_fine_px``
    pixels, so resampling (a nearer camera) does not change what it keeps. At the working
    resolution (0.15 mm/px) both bands are the same, and ``texture_band`` is reused."""
    m = p.settings.metrics
    limits = {"fine_mm": m.texture_sigma_mm.value, "shading_mm": m.texture_coarse_mm.value}

    def compute() -> NDArray[np.float32]:
        own = texture.band_sigmas_px(p.mm_per_px, **limits)
        if own == texture.band_sigmas_px(p.mm_per_px, **limits, min_fine_px=0.5):
            return texture_band(p)
        return texture.bandpass(flat_lightness(p), p.mm_per_px, **limits)

    return p.cached("roughness_band", compute)


def inner_skin(p: PreparedPhoto) -> NDArray[np.bool_]:
    """The skin at least ``skin_edge_mm`` from its edge (hair, brows, eyes, lips, the outline),
    where band-passes see the edge's step rather than skin."""

    def compute() -> NDArray[np.bool_]:
        reach = p.settings.metrics.skin_edge_mm.value / p.mm_per_px
        size = 2 * int(np.ceil(reach)) + 1
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
        return eroded(bare_skin(p), kernel)

    return p.cached("inner_skin", compute)


def texture_noise(p: PreparedPhoto) -> NDArray[np.float32]:
    """The local texture's robust SD (L*), against which pores, lines and scars must stand out."""
    m = p.settings.metrics
    return p.cached(
        "texture_noise",
        lambda: local_contrast(
            texture_band(p), inner_skin(p), p.mm_per_px, window_mm=m.contrast_window_mm.value
        ),
    )


def pore_spots(p: PreparedPhoto) -> pores.Spots:
    """Pores over the whole face: dark round spots of ``pore_radius_mm`` (refined radius inside
    the range) on the flat-fielded L*, sought on ``inner_skin``, at least ``skin_edge_mm`` inside
    the skin's edge, as the local texture they must stand out from is measured.

    Why inside: the skin darkens towards its outline (the cheek's side, the jaw) and the fill
    off it is the skin's median, so the band along the outline reads as dark spots 7-16 L* deep
    1.4-2.8 px from the edge; sought on the whole skin they came and went as the outline moved
    by 1-3 px with the landmarks (the sample face's left cheek read 3-5 pores over the landmark
    moves of tests/analysis/test_pores_landmark_jitter.py, 0 now; the right 1-3, 1 now), and a
    planted line ending at the outline was one of them.
    """
    m = p.settings.metrics
    return p.cached(
        "pores",
        lambda: pores.dark_blobs(
            flat_lightness(p),
            inner_skin(p),
            p.mm_per_px,
            radius_mm=(m.pore_radius_mm.min, m.pore_radius_mm.max),
            min_contrast=m.pore_min_contrast_l.value,
            min_snr=m.pore_min_snr.value,
            min_roundness=m.blob_min_roundness.value,
            noise=texture_noise(p),
            max_sigma_px=pores.PORE_MAX_SIGMA_PX,
            in_range=True,
            exact_reduction=True,
        ),
    )


def inset_disk(p: PreparedPhoto) -> NDArray[np.uint8]:
    """The disk of radius ``skin_edge_mm`` (at least one pixel) that the skin is inset by."""
    reach = p.settings.metrics.skin_edge_mm.value / p.mm_per_px
    size = 2 * int(np.ceil(reach)) + 1
    return np.asarray(cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size)), np.uint8)


def ridge_skin(p: PreparedPhoto) -> NDArray[np.bool_]:
    """The skin the lines are sought on: the zones' skin closed by the ``skin_edge_mm`` disk
    (specks and notches narrower than the inset are skin), without the fringe.

    Why: the zones leave out every pixel darker than the face's median by 30 L* (deep shadow,
    ``zones.zone_map``), pixel by pixel, so where the cheek's side or the jaw is in shade the
    skin is speckled with holes of a few pixels, which come and go with the exposure, with the
    landmarks (the median is taken inside their outline) and with features planted anywhere
    on the face. The ``skin_edge_mm`` inset turns each speck into a hole 2 mm wide, cutting a
    line through the shade into pieces, and a piece is kept or dropped whole by the length
    test: a 10 mm line came and went in 4-6 mm pieces as the landmarks moved by a pixel or two.
    A speck narrower than the inset is not an edge whose step the inset must keep lines away
    from; closing by the same disk makes the inset follow the skin's outline, not its specks.
    """

    def compute() -> NDArray[np.bool_]:
        disk = inset_disk(p)
        return eroded(dilated(p.skin, disk), disk) & ~hair(p)  # closed

    return p.cached("ridge_skin", compute)


def ridge_inner_skin(p: PreparedPhoto) -> NDArray[np.bool_]:
    """``ridge_skin`` at least ``skin_edge_mm`` from its edge: where lines are sought."""

    def compute() -> NDArray[np.bool_]:
        return eroded(ridge_skin(p), inset_disk(p))

    return p.cached("ridge_inner_skin", compute)


def ridge_lightness(p: PreparedPhoto) -> NDArray[np.float32]:
    """The flat-fielded L* (``flat_lightness``) on ``ridge_skin``, including the specks the
    zones leave out, and off it the skin's local mean nearby (``fill_hair``): what the ridge
    filter reads.

    Why: off the skin ``flat_lightness`` is the skin's median, brighter than the skin where the
    skin darkens towards its edge (the cheek's side, the jaw, around the nostrils), so the band
    of skin along the outline is a valley whose outer wall is the outline itself. The ridge
    filter reaches further than the ``skin_edge_mm`` inset, so it took that band for a line,
    which came and went as the outline moved by a pixel or two (wrinkle length of the bare
    cheek 46-71 mm under landmark moves of up to 3 px). Continuing the skin's own level
    outward, as over the fringe, leaves no wall at the outline.
    """

    def compute() -> NDArray[np.float32]:
        skin = ridge_skin(p)
        flat = flat_lightness(p)
        specks = skin & ~bare_skin(p)
        if specks.any():  # their own flat-fielded L*
            flat = flat.copy()
            np.copyto(flat, flat_field(p), where=specks)
        reach = p.settings.metrics.skin_edge_mm.value / p.mm_per_px
        return fill_off_skin(flat, skin, reach)

    return p.cached("ridge_lightness", compute)


def ridge_map(p: PreparedPhoto) -> wrinkles.RidgeMap:
    """The face's lines, selected against the local texture measured without them
    (``wrinkles.ridge_map``)."""
    m = p.settings.metrics
    return p.cached(
        "ridges",
        lambda: wrinkles.ridge_map(
            ridge_lightness(p),
            ridge_inner_skin(p),
            p.mm_per_px,
            sigmas_mm=m.wrinkle_sigmas_mm.values,
            min_contrast=m.wrinkle_min_contrast_l.value,
            min_snr=m.wrinkle_min_snr.value,
            min_length_mm=m.wrinkle_min_length_mm.value,
            min_elongation=m.wrinkle_min_elongation.value,
            beta=m.wrinkle_anisotropy_beta.value,
            noise=texture_noise(p),
            texture=texture_band(p),
            window_mm=m.contrast_window_mm.value,
            signal_reach_mm=wrinkles.line_reach_mm(m.texture_coarse_mm.value),
            noise_skin=inner_skin(p),
        ),
    )


def scar_spots(p: PreparedPhoto) -> pores.Spots:
    """Large round shaded dips: without pigment's colour (b* rise / L* dip below a limit) and
    dark over most of their core (a depression, not a cluster of pores)."""

    def compute() -> pores.Spots:
        m = p.settings.metrics
        flat = flat_lightness(p)
        found = pores.dark_blobs(
            flat,
            bare_skin(p),
            p.mm_per_px,
            radius_mm=(m.scar_radius_mm.min, m.scar_radius_mm.max),
            min_contrast=m.scar_min_contrast_l.value,
            min_snr=m.scar_min_snr.value,
            min_roundness=m.blob_min_roundness.value,
            noise=texture_noise(p),
        )
        dip = pores.blob_response(flat, found)
        rise_b = -pores.blob_response(skin_b_star(p), found)
        fill = pores.core_fill(flat, found, dip)
        shading = (rise_b <= m.scar_max_b_per_l.value * dip) & (fill >= m.scar_min_fill.value)
        return found.subset(shading)

    return p.cached("scars", compute)


def pigment_spots(p: PreparedPhoto) -> pores.Spots:
    """Round spots of raised b* that are yellower than shading makes them: b* rise over L* dip
    at least ``pigment_min_b_per_l`` (melanin browns skin; a pore or a scar only darkens it)."""

    def compute() -> pores.Spots:
        m = p.settings.metrics
        found = pores.pigment_blobs(
            skin_b_star(p),
            bare_skin(p),
            p.mm_per_px,
            radius_mm=(m.pigment_radius_mm.min, m.pigment_radius_mm.max),
            min_delta_b=m.pigment_min_delta_b.value,
            min_snr=m.pigment_min_snr.value,
            min_roundness=m.pigment_min_roundness.value,
        )
        if found.contrast is None or len(found.radii_px) == 0:
            return found
        dip = pores.blob_response(flat_lightness(p), found)
        return found.subset(found.contrast >= m.pigment_min_b_per_l.value * dip)

    return p.cached("pigment", compute)


def red_threshold(p: PreparedPhoto) -> float:
    """a* of a red pixel: the face's median skin a* plus ``red_delta_a``."""
    delta = p.settings.metrics.red_delta_a.value
    return p.cached(
        "red_threshold",
        lambda: median(p.lab[..., 1][bare_skin(p)]) + delta if bare_skin(p).any() else delta,
    )


DERIVED: dict[str, Callable[[PreparedPhoto], object]] = {
    "hair": hair,
    "illumination": flat_lightness,
    "texture": texture_noise,
    "pores": pore_spots,
    "wrinkles": ridge_map,
    "scars": scar_spots,
    "pigment": pigment_spots,
}


def derive_all(p: PreparedPhoto) -> None:
    """Compute every shared map now, each timed under its own stage (as the benchmark shows)."""
    for name, derive in DERIVED.items():
        with p.timings.stage(name):
            derive(p)


_BOXES: dict[Any, Any] = {}


def box(mask: Mask) -> tuple[slice, slice]:
    """The rows and columns spanned by ``mask`` (zone metrics read only that part of a map),
    found once per mask (``per_mask``: a zone's box is read by several metrics)."""

    def compute() -> tuple[slice, slice]:
        x, y, w, h = cv2.boundingRect(mask.view(np.uint8))
        return slice(y, y + h), slice(x, x + w)

    return per_mask(_BOXES, "box", mask, compute)


def zone_means(p: PreparedPhoto, mask: Mask) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The per-channel means of CIELAB and of reflectance over ``mask`` (over its box), taken
    once per mask: redness and tone both read them (``erythema.masked_means``)."""

    def compute() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        b = box(mask)
        inside = mask[b]
        return erythema.masked_means(p.lab[b], inside), erythema.masked_means(
            p.reflectance[b], inside
        )

    return per_mask(p._cache, "zone_means", mask, compute)


# ---- the metrics --------------------------------------------------------------------------


@register("redness")
def redness_row(p: PreparedPhoto, mask: Mask) -> Row:
    """Mean a*, erythema index (Dawson 1980) and red area fraction, over the zone's skin."""
    mask = skin_part(p, mask)
    b = box(mask)
    red = erythema.redness(
        p.lab[b], p.reflectance[b], mask[b], red_threshold(p), means=zone_means(p, mask)
    )
    return {
        "a_star": red.a_star,
        "erythema_index": red.erythema_index,
        "red_area_fraction": red.red_area_fraction,
    }


@register("tone")
def tone_row(p: PreparedPhoto, mask: Mask) -> Row:
    """ITA° (Chardon 1991) and melanin index (Dawson 1980), with their spreads, over the zone's
    skin (a fringe's colour is not the skin's tone), under the exposure set by the photo's
    reference (``WhiteBalance.exposure``), so a brighter take gives the same tone."""
    mask = skin_part(p, mask)
    b = box(mask)
    pigment = tone.tone(
        p.lab[b],
        p.reflectance[b],
        mask[b],
        p.white_balance.exposure,
        means=zone_means(p, mask),
        red_codes=(p.balanced.codes[b][..., 0], p.balanced.reflectance_table[:, 0]),
    )
    return {
        "ita_deg": pigment.ita_deg,
        "ita_spread_deg": pigment.ita_spread_deg,
        "melanin_index": pigment.melanin_index,
        "melanin_spread": pigment.melanin_spread,
    }


@register("texture")
def texture_row(p: PreparedPhoto, mask: Mask) -> Row:
    """Robust SD of the microrelief band of the flat-fielded L*, over the zone's skin."""
    mask = skin_part(p, mask)
    b = box(mask)
    return {"roughness_l": texture.roughness(roughness_band(p)[b], mask[b])}


@register("pores")
def pores_row(p: PreparedPhoto, mask: Mask) -> Row:
    """Pores centred in the zone, per cm2 of the zone's skin they were sought on (``pore_spots``:
    ``inner_skin``): a pore is not sought within ``skin_edge_mm`` of the skin's edge, so that band
    is not counted in the density's area either (a narrow zone's density would read low)."""
    count, density, area = pore_spots(p).in_zone(mask & inner_skin(p), p.mm_per_px)
    return {"pores_per_cm2": density, "pore_count": count, "pore_mean_area_mm2": area}


@register("wrinkles")
def wrinkles_row(p: PreparedPhoto, mask: Mask) -> Row:
    lines = wrinkles.zone_lines(
        ridge_map(p), mask, p.mm_per_px, eye_line_deg=p.eye_line_deg, box=box(mask)
    )
    return {
        "wrinkle_length_mm_per_cm2": lines.length_mm_per_cm2,
        "wrinkle_depth": lines.depth_proxy,
        "wrinkle_orientation_deg": lines.orientation_deg,
    }


@register("scars")
def scars_row(p: PreparedPhoto, mask: Mask) -> Row:
    count, _, area = scar_spots(p).in_zone(mask, p.mm_per_px)
    return {"scar_count": count, "scar_area_mm2": area * count}


@register("pigment")
def pigment_row(p: PreparedPhoto, mask: Mask) -> Row:
    count, _, area = pigment_spots(p).in_zone(mask, p.mm_per_px)
    return {"pigment_spot_count": count, "pigment_spot_area_mm2": area * count}
