"""Wrinkles and fine lines: elongated dark ridges, their skeleton length, depth and orientation.

The ridge filter is the multiscale Hessian line measure (Sato 1998), scale-normalised (sigma^2)
and weighted by Frangi's anisotropy term exp(-R_B^2 / 2 beta^2), R_B = |l_small| / l_large,
so a round dark spot (a pore, R_B near 1) is not a line. The response is scaled so that a dark line
of Gaussian cross-section and depth c (L*) gives c at its matching scale, at any angle and wherever
it falls on the pixel grid: the Hessian is read with moment-normalised Gaussian derivative kernels
(Lindeberg 1994), each scale on pixels of its own size, and across a line at its sub-pixel floor
(Steger 1998). A line's length then holds when the face turns by a degree or two, where a response
that depended on the line's angle and phase cut a line near the floor into pieces that came and
went (wrinkle length CV 16% under +-2 deg of rotation, under 2% now). Ridge pixels above a floor
and above a multiple of the response's robust SD over the skin form connected pieces; a piece is a
line when its skeleton is long enough (length measured along the skeleton, not as an area) and it
is elongated: skeleton length over mean width (area / length) above a limit. Elongated pieces
whose facing ends lie within a gap the finest scale cannot resolve (2.5 sigma) and whose
directions agree (within 30 degrees) are one line, and pass or fail that test together
(``join_across_gaps``; Steger 1998's line extension and linking angle). The local texture
SD that lines must exceed is measured again with the lines found left out, and the lines selected
again against it (``signal_free_noise``): lines are signal, not texture (Bertin & Arnouts 1996).

References
----------
Sato Y, Nakajima S, Shiraga N, et al. Three-dimensional multi-scale line filter for segmentation
and visualization of curvilinear structures in medical images. Med Image Anal 1998;2:143-68.
Frangi AF, Niessen WJ, Vincken KL, Viergever MA. Multiscale vessel enhancement filtering.
MICCAI 1998, LNCS 1496:130-7.
Steger C. An unbiased detector of curvilinear structures. IEEE Trans Pattern Anal Mach Intell
1998;20:113-25.
Lindeberg T. Edge detection and ridge detection with automatic scale selection. Int J Comput Vis
1998;30:117-56.
Lindeberg T. Scale-space theory in computer vision. Kluwer 1994 (ch. 5, sampled Gaussian
derivatives).
Cula GO, Bargo PR, Nkengne A, Kollias N. Assessing facial wrinkles: automatic detection and
quantification. Skin Res Technol 2013;19:e243-51.
Zhang TY, Suen CY. A fast parallel algorithm for thinning digital patterns. Commun ACM
1984;27:236-9.
Bertin E, Arnouts S. SExtractor: software for source extraction. Astron Astrophys Suppl Ser
1996;117:393-404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree
from skimage.morphology import skeletonize

from microneedling.analysis.illumination import CODES_PER_L, robust_sigma
from microneedling.analysis.pores import eigenvalue_terms
from microneedling.analysis.stats import median

RIDGE_MM_PER_PX = 0.2  # the finest pixel the ridge filter runs at
SIGMA_PX = 2.0  # each scale runs on pixels of sigma / SIGMA_PX (or finer, as the image allows)
MIN_SIGMA_PX = 0.7  # a scale finer than this is read at this (the image's own sampling)
LINE_GAIN = 2.0 * np.sqrt(2.0)  # a Gaussian line of depth c gives c / (2 sqrt 2) at its scale
FLOOR_IN_PIXEL_PX = 0.5 * np.sqrt(2.0)  # a valley floor this near a pixel's centre is in it
REMAP_WIDTH = 1024
NOISE_TILE_PX = 48  # the signal-free noise is recomputed in tiles this wide holding a pixel in need
MAX_LEFT_OUT = 0.5  # a noise window with more signal than this takes the skin's typical texture
BACKGROUND_SCALES = 4.0  # the centre-line test reads the slope left after a Gaussian this wide
GAP_SIGMAS = 2.5  # a line's free end is searched along its tangent this many sigmas (Steger 1998)
GAP_MAX_ANGLE_DEG = 30.0  # the largest turn between joined ends (Steger 1998's linking angle)
# An end's tangent: the principal axis of its skeleton within this many pixels. A pixel skeleton's
# direction over n pixels is quantised to about atan(1 / n): over 5 px 11 degrees, a third of
# the 30 degrees allowed (over 3 px a staircase of slope 1/3 reads 35 degrees off).
_END_TANGENT_PX = 5.0


@dataclass(frozen=True)
class Lines:
    length_mm_per_cm2: float
    total_length_mm: float
    depth_proxy: float
    orientation_deg: float | None


@dataclass(frozen=True)
class RidgeMap:
    """Ridge strength, and the skeleton and pixels of every line kept, over the whole face."""

    response: NDArray[np.float32]
    skeleton: NDArray[np.bool_]
    lines: NDArray[np.bool_]


@dataclass(frozen=True)
class ThinnedPieces:
    """What ``lines_of`` found of a ridge mask's pieces, for ``join_across_gaps`` to read instead
    of labelling and thinning the same mask again (about 3 ms on the 12 MP photo).

    ``skeleton`` holds the skeleton (``piece_skeletons``) of every piece of 2 px or more (and of
    any smaller one that could pass the length test); ``count``, ``labels`` and ``stats`` are
    the pieces as ``label_pieces`` numbers them. Once the mask has gained pixels
    (``_add_to_lines``) the pieces a gained pixel joins carry new labels from the old count on,
    their old labels left without a pixel (area 0), and ``opencv_order`` is False: the labels
    are no longer OpenCV's numbering of the mask, in whose order the join sums the lengths of a
    group of pieces (``join_across_gaps`` labels the mask again where a group has three pieces
    or more, whose sum that order can round differently; two add up alike either way).
    """

    skeleton: NDArray[np.bool_]
    count: int
    labels: NDArray[np.int32]
    stats: NDArray[np.int32]
    opencv_order: bool = True


def _steps(s: NDArray[np.bool_]) -> tuple[NDArray[np.bool_], ...]:
    """Per-pair indicators of an 8-connected skeleton: straight, diagonal and corner steps."""
    straight_h = s[:, 1:] & s[:, :-1]
    straight_v = s[1:, :] & s[:-1, :]
    diag_a = s[1:, 1:] & s[:-1, :-1]
    diag_b = s[1:, :-1] & s[:-1, 1:]
    corner_a = s[1:, 1:] & s[:-1, 1:] & s[1:, :-1]
    corner_b = s[:-1, :-1] & s[:-1, 1:] & s[1:, :-1]
    return straight_h, straight_v, diag_a, diag_b, corner_a, corner_b


def skeleton_length_px(skeleton: NDArray[np.bool_]) -> float:
    """Length of an 8-connected skeleton: 1 per straight step, sqrt(2) per diagonal step."""
    sh, sv, da, db, ca, cb = _steps(skeleton.astype(bool))
    straight = sh.sum() + sv.sum()
    diagonal = da.sum() + db.sum()
    # In an L-shaped corner the diagonal duplicates two straight steps: do not count it.
    corners = ca.sum() + cb.sum()
    return float(straight + np.sqrt(2) * max(diagonal - corners, 0))


def pixels_of(
    mask: NDArray[np.bool_],
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp]]:
    """Flat indices, rows and columns of ``mask``'s pixels in raster order: ``np.nonzero``'s
    rows and columns, found as flat indices (several times faster on a 2-D mask) so that values
    can be read with ``take`` on the flattened image."""
    flat = np.flatnonzero(mask)
    rows, cols = np.divmod(flat, mask.shape[1])
    return flat, rows, cols


def skeleton_lengths_px(labels: NDArray[np.int32], n: int) -> NDArray[np.float64]:
    """Skeleton length of each labelled piece (labels 1..n of an 8-connected skeleton)."""
    x, y, w, h = cv2.boundingRect((labels > 0).astype(np.uint8))
    if w == 0 or h == 0:
        return np.zeros(n + 1)
    part = labels[y : y + h, x : x + w]  # only the skeleton's box
    flat, rows, cols = pixels_of(part > 0)
    return skeleton_lengths_at(rows, cols, np.ascontiguousarray(part).ravel().take(flat), n)


def skeleton_lengths_at(
    rows: NDArray[np.intp], cols: NDArray[np.intp], owner: NDArray[np.integer[Any]], n: int
) -> NDArray[np.float64]:
    """``skeleton_lengths_px`` of a skeleton given as its pixels and their labels (1..n).

    The steps (``_steps``) are counted at the skeleton's own pixels, each with the pixel that
    owns it (two pixels of a step are neighbours, so of one piece): the same counts as over
    every pixel of the skeleton's box, summed the same way, at the cost of the skeleton only.
    """
    lengths = np.zeros(n + 1)
    if rows.size == 0:
        return lengths
    occupied, at, width = _occupancy(rows, cols)
    right, below = occupied[at + 1], occupied[at + width]
    counts = (
        (right, 1.0),  # straight, horizontal
        (below, 1.0),  # straight, vertical
        (occupied[at + width + 1], np.sqrt(2)),  # diagonal, down-right
        (occupied[at + width - 1], np.sqrt(2)),  # diagonal, down-left
        (occupied[at - width] & occupied[at - 1], -np.sqrt(2)),  # L-corner, owned bottom-right
        (right & below, -np.sqrt(2)),  # L-corner, owned top-left
    )
    for pairs, weight in counts:
        lengths += weight * np.bincount(owner[pairs], minlength=n + 1)[: n + 1]
    return np.maximum(lengths, 0.0)


def _occupancy(
    rows: NDArray[np.intp], cols: NDArray[np.intp]
) -> tuple[NDArray[np.bool_], NDArray[np.intp], int]:
    """The pixels (rows, cols) as a flat occupancy over their box with one empty pixel either side
    (and one more at the end): the array, each pixel's flat index in it, and the box's row
    width, so a neighbour of pixel ``i`` is ``occupied[at[i] + step]``."""
    top, left = int(rows.min()), int(cols.min())
    width = int(cols.max()) - left + 3
    occupied = np.zeros((int(rows.max()) - top + 3) * width + 1, dtype=bool)
    at = (rows - top + 1) * width + (cols - left + 1)
    occupied[at] = True
    return occupied, at, width


def label_pieces(mask: NDArray[np.bool_]) -> tuple[int, NDArray[np.int32], NDArray[np.int32]]:
    """The 8-connected pieces of ``mask``: their number (with the background, label 0), the
    label image, and OpenCV's statistics table (left, top, width, height, area) per label, as
    ``cv2.connectedComponentsWithStats`` gives it except the background's row (left at 0).

    Why: OpenCV's statistics pass reads every pixel of the image (about 7 ms a megapixel, twice
    the labelling itself); here they come from the pieces' own pixels.
    """
    count, pieces = cv2.connectedComponents(mask.view(np.uint8), connectivity=8)
    stats = np.zeros((count, 5), dtype=np.int32)
    if count <= 1:
        return count, pieces, stats
    flat, rows, cols = pixels_of(mask)
    owner = pieces.ravel().take(flat)
    order = np.argsort(owner, kind="stable")
    starts = np.searchsorted(owner[order], np.arange(1, count))
    by_row, by_col = rows[order], cols[order]
    top, left = np.minimum.reduceat(by_row, starts), np.minimum.reduceat(by_col, starts)
    stats[1:, cv2.CC_STAT_LEFT] = left
    stats[1:, cv2.CC_STAT_TOP] = top
    stats[1:, cv2.CC_STAT_WIDTH] = np.maximum.reduceat(by_col, starts) - left + 1
    stats[1:, cv2.CC_STAT_HEIGHT] = np.maximum.reduceat(by_row, starts) - top + 1
    stats[1:, cv2.CC_STAT_AREA] = np.bincount(owner, minlength=count)[1:]
    return count, pieces, stats


def sample_at(
    image: NDArray[np.float32],
    rows: NDArray[np.floating[Any]] | NDArray[np.intp],
    cols: NDArray[np.floating[Any]] | NDArray[np.intp],
) -> NDArray[np.float32]:
    """``image`` read bilinearly at the given (fractional) pixel positions."""
    n = len(rows)
    block = (-(-n // REMAP_WIDTH), REMAP_WIDTH)  # remap takes at most 32767 points a side
    map_c = np.zeros(block, np.float32)
    map_r = np.zeros(block, np.float32)
    map_c.ravel()[:n] = cols
    map_r.ravel()[:n] = rows
    out = cv2.remap(image, map_c, map_r, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return np.asarray(out.ravel()[:n], dtype=np.float32)


def background_gradient(
    image: NDArray[np.float32], sigma_px: float, rows: NDArray[np.intp], cols: NDArray[np.intp]
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """The gradient (per pixel, along columns and rows) of ``image`` smoothed by a Gaussian of
    ``sigma_px``, at the given pixels. The smooth field is computed on an image reduced so the
    Gaussian is 4 px there, and read back bilinearly: exact enough for shading, and cheap."""
    height, width = image.shape
    factor = max(1.0, sigma_px / 4.0)
    small = image
    if factor > 1.0:
        size = (max(round(width / factor), 1), max(round(height / factor), 1))
        small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    scale_c = small.shape[1] / width
    scale_r = small.shape[0] / height
    smooth = cv2.GaussianBlur(small, (0, 0), sigma_px * scale_c, borderType=cv2.BORDER_REFLECT)
    g_col = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3) / 8.0 * scale_c
    g_row = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3) / 8.0 * scale_r
    at_r = (rows + 0.5) * scale_r - 0.5
    at_c = (cols + 0.5) * scale_c - 0.5
    return sample_at(g_col, at_r, at_c), sample_at(g_row, at_r, at_c)


def gaussian_derivative_kernels(
    sigma_px: float,
) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.float32]]:
    """Sampled Gaussian of ``sigma_px`` and its first and second derivative, as 1-D correlation
    kernels for ``cv2.sepFilter2D``, each normalised on the polynomials it must read exactly
    (the smoothing sums to 1; the first derivative reads 1 on x; the second sums to 0 and reads 2
    on x^2).

    Why: a Gaussian blur followed by 3x3 Sobel differences adds its own blur (variance 1/2 px^2
    across the other axis, 1/6 along its own), so at the fine scales a line of 0.5 mm needs (under
    one pixel at 0.37 mm/px) it read 10-25% low and by orientation; moment-normalised sampled
    derivatives (Lindeberg 1994, ch. 5) read a line of Gaussian section within a few percent at
    any angle.
    """
    radius = max(int(np.ceil(4.0 * sigma_px)), 2)
    x = np.arange(-radius, radius + 1, dtype=np.float64)
    smooth = np.exp(-(x**2) / (2.0 * sigma_px**2))
    smooth /= smooth.sum()
    first = x * smooth  # correlation with it is d/dx of the smoothed image
    first /= np.sum(first * x)
    second = (x**2 / sigma_px**4 - 1.0 / sigma_px**2) * smooth
    second -= smooth * second.sum()
    second *= 2.0 / np.sum(second * x**2)
    return smooth.astype(np.float32), first.astype(np.float32), second.astype(np.float32)


def peak_across(
    large: NDArray[np.float32],
    rows: NDArray[np.intp],
    cols: NDArray[np.intp],
    normal_r: NDArray[np.float64],
    normal_c: NDArray[np.float64],
    here: NDArray[np.float32] | None = None,
) -> NDArray[np.float32]:
    """The line's curvature at its own floor: a parabola through ``large`` (the Hessian's larger
    eigenvalue) one pixel either side across the line, its vertex where the pixel is the highest
    of the three, the pixel's own value elsewhere.

    Why: a line whose floor falls between two pixel centres reads lower at both (at 0.37 mm/px a
    0.5 mm line loses up to 10% half a pixel off), so a line's depth and whether it passes the
    floor would depend on where it falls on the pixel grid (Steger 1998 locates the floor to
    sub-pixel precision the same way, from the profile across the line).
    """
    here = large[rows, cols] if here is None else here
    before = sample_at(large, rows - normal_r, cols - normal_c)
    after = sample_at(large, rows + normal_r, cols + normal_c)
    bend = before - 2.0 * here + after
    top = (bend < 0) & (here >= before) & (here >= after)
    lift = (before - after) ** 2 / (8.0 * np.where(top, -bend, 1.0))
    return np.asarray(np.where(top, here + lift, here), dtype=np.float32)


def dark_ridge_response(
    image: NDArray[np.float32],
    sigmas: list[float],
    *,
    beta: float = 0.5,
    gamma: float = 0.5,
    floor: float = 0.0,
    where: NDArray[np.bool_] | None = None,
) -> NDArray[np.float32]:
    """Anisotropic dark-line measure (see the module), maximised over ``sigmas`` (pixels), read
    only ``where`` given (elsewhere 0).

    The Hessian is read with moment-normalised Gaussian derivative kernels
    (``gaussian_derivative_kernels``) and the curvature across a line at its sub-pixel floor
    (``peak_across``), so a line reads its depth at any angle and wherever it falls on the grid.
    Two weights keep only the centre lines of elongated valleys: Frangi's anisotropy
    exp(-R_B^2 / 2 beta^2), and a centre-line weight exp(-F^2 / 2 gamma^2) with
    F = max(d - 1/sqrt 2, 0) / sigma, where d = |gradient| / lambda_large (pixels) is the Newton
    step from the pixel to the nearest valley floor (Steger 1998). F is 0 on a valley's floor
    (Lindeberg 1998's ridge condition, the first derivative across the line vanishes), also
    where the floor passes through the pixel off its centre, so a line keeps its full response
    wherever it falls on the pixel grid; on the flank of a round spot d is about the radius and
    F about 1, where the curvature along the rim would otherwise look like a line around every
    pore. The gradient is read after the background's shading (a Gaussian of
    ``BACKGROUND_SCALES`` sigma) is taken off: a line across a slope (under a fringe, on the
    forehead's curve) is still a line.
    Responses that cannot reach ``floor`` (the weights are at most 1) are left at 0 unweighted.
    """
    response = np.zeros(image.shape, dtype=np.float32)
    border = cv2.BORDER_REFLECT
    for sigma in sigmas:
        smooth, first, second = gaussian_derivative_kernels(float(sigma))
        drr = cv2.sepFilter2D(image, cv2.CV_32F, smooth, second, borderType=border)
        dcc = cv2.sepFilter2D(image, cv2.CV_32F, second, smooth, borderType=border)
        drc = cv2.sepFilter2D(image, cv2.CV_32F, first, first, borderType=border)
        half_trace, root = eigenvalue_terms(drr, dcc, drc)
        large = np.add(half_trace, root)  # the smaller eigenvalue only where it is read
        scale = float(sigma**2 * LINE_GAIN)
        # the sub-pixel peak lifts a pixel by at most about a third: candidates from 0.7 floor
        above = large * scale > 0.7 * floor
        flat, rows, cols = pixels_of(above if where is None else above & where)
        if rows.size == 0:
            continue
        # across the line: the eigenvector of the larger eigenvalue, (row, col)
        rc, rr, cc = (d.ravel().take(flat) for d in (drc, drr, dcc))
        theta = 0.5 * np.arctan2(2.0 * rc, rr - cc)
        here = large.ravel().take(flat)
        peak = peak_across(large, rows, cols, np.cos(theta), np.sin(theta), here)
        kept = peak * scale > floor
        flat, rows, cols, peak = flat[kept], rows[kept], cols[kept], peak[kept]
        if rows.size == 0:
            continue
        big = here[kept]
        little = half_trace.ravel().take(flat) - root.ravel().take(flat)
        ratio = np.abs(little) / big
        # the slope at the line's own scale: the background's shading, smooth over
        # BACKGROUND_SCALES sigmas, is taken off first (a line on a slope is still a line)
        bg_col, bg_row = background_gradient(image, BACKGROUND_SCALES * sigma, rows, cols)
        box = _box(rows, cols, len(first) // 2, image.shape)
        part = image[box]
        g_col = cv2.sepFilter2D(part, cv2.CV_32F, first, smooth, borderType=border)
        g_row = cv2.sepFilter2D(part, cv2.CV_32F, smooth, first, borderType=border)
        at = (rows - box[0].start) * g_col.shape[1] + (cols - box[1].start)
        gradient = np.hypot(g_col.ravel().take(at) - bg_col, g_row.ravel().take(at) - bg_row)
        # the valley floor's distance |gradient| / lambda (px; Steger 1998's Newton step): a
        # pixel the floor passes through (within half its diagonal) is on the centre line
        offset_px = np.maximum(gradient / big - FLOOR_IN_PIXEL_PX, 0.0)
        flank = offset_px / sigma
        weight = np.exp(-(ratio**2) / (2 * beta**2) - flank**2 / (2 * gamma**2))
        line = (peak * weight * scale).astype(np.float32)
        out = response.ravel()  # a view: written in place
        out[flat] = np.maximum(out.take(flat), line)
    return response


def _box(
    rows: NDArray[np.intp], cols: NDArray[np.intp], reach: int, shape: tuple[int, ...]
) -> tuple[slice, slice]:
    """The box around the given pixels widened by a kernel's ``reach``, inside the image: a
    filter over it reads, at those pixels, the same pixels as the filter over the whole image
    (where the box meets the image's edge both reflect the same way). The sums may differ in
    the last bit: OpenCV's separable filters vectorise a row by its width, and on a box of
    another width a few columns near a row's end were measured 1e-7 apart."""
    return (
        slice(max(int(rows.min()) - reach, 0), min(int(rows.max()) + reach + 1, shape[0])),
        slice(max(int(cols.min()) - reach, 0), min(int(cols.max()) + reach + 1, shape[1])),
    )


def piece_skeletons(
    pieces: NDArray[np.int32], stats: NDArray[np.int32], wanted: NDArray[np.bool_]
) -> NDArray[np.bool_]:
    """Skeleton (Zhang & Suen 1984) of the ``wanted`` labelled 8-connected pieces, each thinned
    in its own box: a pixel's thinning reads only its 8 neighbours, which belong to its own piece
    or are background, so this equals thinning the whole image, at the cost of the boxes only.
    """
    out = np.zeros(pieces.shape, dtype=bool)
    for label in np.nonzero(wanted)[0]:
        if label == 0:
            continue
        x, y, w, h = (int(v) for v in stats[label, :4])
        # no padding needed: the thinning reads pixels beyond the box as background
        out[y : y + h, x : x + w] |= skeletonize(pieces[y : y + h, x : x + w] == label)
    return out


def ridge_response(
    image: NDArray[np.float32],
    skin: NDArray[np.bool_],
    mm_per_px: float,
    sigmas_mm: tuple[float, ...],
    *,
    beta: float = 0.5,
    floor: float = 0.0,
) -> NDArray[np.float32]:
    """``dark_ridge_response`` over the skin at each scale of ``sigmas_mm``, each on the image
    reduced to the pixel that scale needs: ``SIGMA_PX`` pixels a sigma, never finer than
    ``RIDGE_MM_PER_PX`` (lines are wider than that) nor than the image; the maximum over the
    scales, at the image's resolution.

    Why: a Gaussian of a few pixels is sampled well enough for its derivatives (the kernels are
    moment-normalised), so a wide scale gains nothing from fine pixels but their cost: at
    0.2 mm/px the 0.5 and 0.8 mm scales run on 0.64 and 0.25 of the pixels.
    """
    height, width = image.shape
    if not skin.any():
        return np.zeros(image.shape, dtype=np.float32)
    response: NDArray[np.float32] | None = None
    # the reduced skin: a pixel any part of which is skin (nearest of the skin grown by one)
    cover = cv2.dilate(skin.view(np.uint8), np.ones((3, 3), np.uint8))
    for sigma_mm in sigmas_mm:
        pixel_mm = max(mm_per_px, RIDGE_MM_PER_PX, sigma_mm / SIGMA_PX)
        factor = pixel_mm / mm_per_px
        small, where = image, skin
        if factor > 1.0:
            size = (max(round(width / factor), 1), max(round(height / factor), 1))
            small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
            where = cv2.resize(cover, size, interpolation=cv2.INTER_NEAREST) > 0
        sigma_px = max(sigma_mm / (mm_per_px * factor), MIN_SIGMA_PX)
        scale = dark_ridge_response(small, [sigma_px], beta=beta, floor=floor, where=where)
        if factor > 1.0:
            scale = cv2.resize(scale, (width, height), interpolation=cv2.INTER_LINEAR)
        if response is None:  # the first scale's own array (every response is >= 0)
            response = np.asarray(scale, np.float32)
        else:
            np.maximum(response, scale, out=response)
    return np.zeros(image.shape, np.float32) if response is None else response


def ridge_map(
    image: NDArray[np.float32],
    skin: NDArray[np.bool_],
    mm_per_px: float,
    *,
    sigmas_mm: tuple[float, ...],
    min_contrast: float,
    min_snr: float,
    min_length_mm: float,
    min_elongation: float,
    beta: float = 0.5,
    noise: NDArray[np.float32] | None = None,
    texture: NDArray[np.float32] | None = None,
    window_mm: float = 3.0,
    signal_reach_mm: float = 1.2,
    noise_skin: NDArray[np.bool_] | None = None,
    gap_sigmas: float = GAP_SIGMAS,
    gap_max_angle_deg: float = GAP_MAX_ANGLE_DEG,
) -> RidgeMap:
    """Dark elongated lines over the skin, each at least ``min_length_mm`` along its skeleton.

    A ridge pixel's response exceeds ``min_contrast`` and ``min_snr`` times ``noise``, the local
    texture's SD (or, without it, the response's robust spread over the skin).
    The filter runs per scale on a reduced image (``ridge_response``); response, lines and
    skeleton are given back at the image's resolution.

    Given ``texture``, the band-passed image ``noise`` was measured from (robust SD over windows
    of ``window_mm`` over ``noise_skin``, by default ``skin``), the noise is measured again with
    the lines found, grown by ``signal_reach_mm`` (``line_reach_mm``), left out
    (``signal_free_noise``), and the lines are selected again against it. Why: the lines are
    signal, not texture; where they fill much of a window (a thin strip of skin, lines close
    together) they raised the floor they must stand out from, up to twice the bare skin's, so a
    line near the floor broke into pieces that came and went as the face turned (planted
    forehead lines: wrinkle length CV 7.7% under +-2 deg of rotation, 1.2% with the lines left
    out). The response does not depend on the noise: it is computed once, and only the
    selection runs again. The noise only falls, so only pixels between the floor and the first
    threshold can change: the noise is measured again there (within reach of the lines), and
    the selection runs again only if one of them passes, and then only over the pieces such a
    pixel joins (``add_to_lines``). Where the first selection keeps no line, it is the result.
    Last, pieces of a line broken by a gap the finest scale cannot resolve are joined
    (``join_across_gaps``).
    """
    response = ridge_response(
        image, skin, mm_per_px, sigmas_mm, beta=beta, floor=0.5 * min_contrast
    )
    limits = {"min_length_mm": min_length_mm, "min_elongation": min_elongation}
    # the finest scale's reach: a gap it cannot resolve is one no coarser scale resolves either
    joining = {"gap_mm": gap_sigmas * min(sigmas_mm), "max_angle_deg": gap_max_angle_deg}
    if noise is None:  # no local texture map: the response's own spread over the skin
        spread = robust_sigma(response[skin]) if skin.any() else 0.0
        base = float(np.median(response[skin])) if skin.any() else 0.0
        threshold: float | NDArray[np.float32] = max(min_contrast, base + min_snr * spread)
    else:
        threshold = np.maximum(min_contrast, min_snr * noise)
    ridges = response > threshold
    ridges &= skin
    found, first = _lines_and_pieces(response, ridges, mm_per_px, **limits)
    thinned: ThinnedPieces | None = first
    if noise is not None and texture is not None and found.lines.any():
        # the noise only falls, so only pixels between the floor and the threshold can change
        unsure = response > min_contrast
        unsure &= response <= threshold
        unsure &= skin
        signal = grown(found.lines, signal_reach_mm / mm_per_px)
        measured_on = skin if noise_skin is None else noise_skin
        clean = signal_free_noise(
            texture, measured_on, signal, mm_per_px, window_mm=window_mm, noise=noise, where=unsure
        )
        at = np.flatnonzero(unsure)
        lowered = np.maximum(min_contrast, min_snr * clean.ravel()[at])
        gained = at[response.ravel()[at] > lowered]
        if gained.size:  # else no pixel gained: the same lines
            # elsewhere a pixel passes with either noise or with neither: the lines grow by these
            found, thinned = _add_to_lines(found, thinned, ridges, gained, mm_per_px, **limits)
            ridges.ravel()[gained] = True
    return join_across_gaps(found, ridges, mm_per_px, **joining, **limits, thinned=thinned)


def select_lines(
    response: NDArray[np.float32],
    skin: NDArray[np.bool_],
    mm_per_px: float,
    threshold: float | NDArray[np.float32],
    *,
    min_length_mm: float,
    min_elongation: float,
) -> RidgeMap:
    """The lines of a ridge ``response``: its pieces above ``threshold`` (L*, one value or one
    per pixel) on the skin whose skeleton is at least ``min_length_mm`` long and
    ``min_elongation`` times its mean width (area / length)."""
    ridges = response > threshold
    ridges &= skin
    return lines_of(
        response, ridges, mm_per_px, min_length_mm=min_length_mm, min_elongation=min_elongation
    )


def lines_of(
    response: NDArray[np.float32],
    ridges: NDArray[np.bool_],
    mm_per_px: float,
    *,
    min_length_mm: float,
    min_elongation: float,
) -> RidgeMap:
    """``select_lines`` of the pixels ``ridges`` (above the threshold, on the skin): the pieces
    whose skeleton is long and elongated enough, each judged on its own pixels only."""
    found, _ = _lines_and_pieces(
        response, ridges, mm_per_px, min_length_mm=min_length_mm, min_elongation=min_elongation
    )
    return found


def _lines_and_pieces(
    response: NDArray[np.float32],
    ridges: NDArray[np.bool_],
    mm_per_px: float,
    *,
    min_length_mm: float,
    min_elongation: float,
) -> tuple[RidgeMap, ThinnedPieces]:
    """``lines_of``, and the pieces it labelled and thinned (``ThinnedPieces``)."""
    count, pieces, stats = label_pieces(ridges)
    # A piece of N pixels has a skeleton at most (2 + 2 sqrt 2) N long (each pixel adds at most
    # two straight and two diagonal steps): smaller pieces are left out anyway. They are thinned
    # all the same from 2 px, as ``join_across_gaps`` reads every skeleton with a length.
    min_length_px = min_length_mm / mm_per_px
    area = stats[:, cv2.CC_STAT_AREA].astype(np.float64)
    could_pass = stats[:, cv2.CC_STAT_AREA] * (2 + 2 * np.sqrt(2)) >= min_length_px
    skeleton = piece_skeletons(pieces, stats, could_pass | (area >= 2))
    flat, rows, cols = pixels_of(skeleton)
    owner = pieces.ravel().take(flat)
    length = skeleton_lengths_at(rows, cols, owner, count - 1)
    width = area / np.maximum(length, 1.0)
    keep = could_pass & (length * mm_per_px >= min_length_mm) & (length >= min_elongation * width)
    keep[0] = False
    lines = np.zeros(pieces.shape, dtype=bool)
    for label in np.flatnonzero(keep):  # a few pieces: each set over its own box
        x, y, w, h = (int(v) for v in stats[label, :4])
        lines[y : y + h, x : x + w] |= pieces[y : y + h, x : x + w] == label
    kept_skeleton = np.zeros(pieces.shape, dtype=bool)
    on_line = keep[owner]
    kept_skeleton.ravel()[flat[on_line]] = True
    thinned = ThinnedPieces(skeleton, count, pieces, stats)
    return RidgeMap(response, kept_skeleton, lines), thinned


def add_to_lines(
    found: RidgeMap,
    ridges: NDArray[np.bool_],
    gained: NDArray[np.intp],
    mm_per_px: float,
    *,
    min_length_mm: float,
    min_elongation: float,
) -> RidgeMap:
    """``select_lines`` again after the pixels ``gained`` (flat indices) pass the threshold too,
    ``found`` being the lines of ``ridges`` (``lines_of``): the pieces of both holding a gained
    pixel are judged again, over their own box; every other piece is as it was, and so is its
    verdict.

    Why: a piece is kept or left out on its own pixels alone (its skeleton, length and area), so
    only the pieces that a gained pixel joins or grows can change; selecting over the whole face
    again cost 11 ms on the 12 MP photo (labelling and thinning every piece once more).
    """
    if gained.size == 0:
        return found
    return _add_to_lines(
        found,
        None,
        ridges,
        gained,
        mm_per_px,
        min_length_mm=min_length_mm,
        min_elongation=min_elongation,
    )[0]


def _add_to_lines(
    found: RidgeMap,
    thinned: ThinnedPieces | None,
    ridges: NDArray[np.bool_],
    gained: NDArray[np.intp],
    mm_per_px: float,
    *,
    min_length_mm: float,
    min_elongation: float,
) -> tuple[RidgeMap, ThinnedPieces | None]:
    """``add_to_lines``, and ``thinned`` (the pieces of ``ridges``, if given) for the ridges with
    the ``gained`` pixels: the pieces judged again replace theirs, with new labels, and so do
    their skeletons. ``thinned``'s label image is taken over, written in place."""
    if gained.size == 0:
        return found, thinned
    # the pieces holding a gained pixel: each flooded (8-connected) from its first gained pixel
    marks = ridges.view(np.uint8).copy()
    marks.ravel()[gained] = 1
    top, left, bottom, right = marks.shape[0], marks.shape[1], 0, 0  # the flooded pixels' box
    for seed in gained:
        row, col = divmod(int(seed), ridges.shape[1])
        if marks[row, col] == 1:
            x, y, w, h = cv2.floodFill(marks, None, (col, row), 2, flags=8)[3]
            top, left = min(top, y), min(left, x)
            bottom, right = max(bottom, y + h), max(right, x + w)
    box = (slice(top, bottom), slice(left, right))
    changed = marks[box] == 2
    again, again_thinned = _lines_and_pieces(
        found.response[box],
        changed,
        mm_per_px,
        min_length_mm=min_length_mm,
        min_elongation=min_elongation,
    )
    lines, skeleton = found.lines.copy(), found.skeleton.copy()
    for kept, new in ((lines, again.lines), (skeleton, again.skeleton)):
        kept[box] &= ~changed
        kept[box] |= new
    if thinned is None:
        return RidgeMap(found.response, skeleton, lines), None
    # a piece judged again is whole inside ``changed``, and so is its skeleton there
    every = thinned.skeleton.copy()
    every[box] &= ~changed
    every[box] |= again_thinned.skeleton
    labels, stats = thinned.labels[box], thinned.stats.copy()
    stats[labels[changed]] = 0  # the old pieces joined (and the background: never read)
    labels[changed] = again_thinned.labels[changed] + (thinned.count - 1)
    moved = again_thinned.stats[1:].copy()
    moved[:, cv2.CC_STAT_LEFT] += box[1].start
    moved[:, cv2.CC_STAT_TOP] += box[0].start
    count = thinned.count + again_thinned.count - 1
    grown_thinned = ThinnedPieces(
        every, count, thinned.labels, np.vstack([stats, moved]), opencv_order=False
    )
    return RidgeMap(found.response, skeleton, lines), grown_thinned


def grown(mask: NDArray[np.bool_], reach_px: float) -> NDArray[np.bool_]:
    """``mask`` grown by ``reach_px`` (at least one pixel) along rows and columns: a square, which
    OpenCV grows by one pass per axis (a disk's reach costs several times more)."""
    size = 2 * max(int(np.ceil(reach_px)), 1) + 1
    square = np.ones((size, size), np.uint8)
    return np.asarray(cv2.dilate(mask.view(np.uint8), square) > 0)


def signal_free_noise(
    detail: NDArray[np.float32],
    skin: NDArray[np.bool_],
    signal: NDArray[np.bool_],
    mm_per_px: float,
    *,
    window_mm: float,
    noise: NDArray[np.float32],
    where: NDArray[np.bool_] | None = None,
) -> NDArray[np.float32]:
    """``illumination.local_contrast`` of ``detail`` with the ``signal`` pixels left out of each
    window's median; ``noise``, the estimate with them in, is kept wherever it is lower. A window
    more than ``MAX_LEFT_OUT`` signal takes the typical value of the skin without the signal.

    Only values within reach of the signal can change (``size - 1`` pixels: the median's half
    window, then the largest of medians over another half window); they are recomputed in the
    tiles of ``NOISE_TILE_PX`` holding a pixel of ``where`` (default: every tile) with signal in
    reach, each from its own surroundings (neighbours along a row as one run, ``_tile_runs``);
    ``noise`` itself is given back where there is none.

    Why: a noise floor measured over the features it is meant to separate from the background
    rises with them; detectors estimate the background's noise with the detected sources masked
    and detect again, a cell with too many masked pixels taking the wider background's value
    (Bertin & Arnouts 1996: SExtractor's background and RMS maps; photutils' ``Background2D``
    leaves out boxes with more than ``exclude_percentile`` masked). The median leaves the signal
    out exactly: half of its pixels (one colour of a checkerboard) are set under every value and
    half over, which leaves the median of the rest in the middle of the window's ranks (within a
    rank or two where a window's signal pixels are not split evenly between the colours).

    References
    ----------
    Bertin E, Arnouts S. SExtractor: software for source extraction. Astron Astrophys Suppl Ser
    1996;117:393-404.
    """
    size = max(2 * round(window_mm / mm_per_px / 2) + 1, 3)  # local_contrast's window
    height, width = signal.shape
    if where is None:  # every tile
        grid = np.meshgrid(
            np.arange(0, height, NOISE_TILE_PX), np.arange(0, width, NOISE_TILE_PX), indexing="ij"
        )
        rows, cols = grid[0].ravel(), grid[1].ravel()
    else:
        _, rows, cols = pixels_of(where)
    tiles = np.unique((rows // NOISE_TILE_PX) * width + cols // NOISE_TILE_PX)
    if tiles.size == 0 or not signal.any():
        return noise
    # off the skin |detail| takes the skin's median, as in local_contrast (so nothing changes out
    # of reach of the signal); a window mostly of signal, the median of the skin without it
    on_skin = np.abs(detail[skin])
    fill = median(on_skin) if on_skin.size else 0.0
    background = on_skin[~signal[skin]]
    typical = median(background) if background.size else fill
    codes_of = _codes(np.array([fill, typical], dtype=np.float32))
    table = (1.4826 * (np.arange(256, dtype=np.float32) / CODES_PER_L)).astype(np.float32)
    square = np.ones((size, size), np.uint8)
    # the left-out pixels' codes, 255 and 0 by the parity of row + column (a checkerboard)
    span = NOISE_TILE_PX + 2 * (size - 1)
    odd = np.add.outer(np.arange(span + 1), np.arange(width + 2 * size)) % 2 == 1
    checker = np.where(odd, 255, 0).astype(np.uint8)
    out = noise.copy()
    for top, left, right in _tile_runs(tiles, width, signal, size):
        box = (slice(top, min(top + NOISE_TILE_PX, height)), slice(left, right))
        # the run's values read pixels up to size - 1 away: computed over the run and that
        part = (
            slice(max(top - size + 1, 0), min(box[0].stop + size - 1, height)),
            slice(max(left - size + 1, 0), min(right + size - 1, width)),
        )
        left_out = signal[part]
        codes = _codes(np.abs(detail[part]))  # as local_contrast
        np.copyto(codes, codes_of[0], where=~skin[part])
        rows, cols = left_out.shape
        parity = (part[0].start + part[1].start) % 2
        np.copyto(codes, checker[parity : parity + rows, :cols], where=left_out)
        medians = cv2.medianBlur(codes, size)
        # a window mostly of signal: too little texture left to measure, the typical value
        share = cv2.blur(left_out.astype(np.float32), (size, size), borderType=cv2.BORDER_REPLICATE)
        np.copyto(medians, codes_of[1], where=share > MAX_LEFT_OUT)
        largest = cv2.dilate(medians, square, borderType=cv2.BORDER_REPLICATE)
        inner = (
            slice(box[0].start - part[0].start, box[0].stop - part[0].start),
            slice(box[1].start - part[1].start, box[1].stop - part[1].start),
        )
        np.minimum(noise[box], cv2.LUT(largest[inner], table), out=out[box])
    return out


def _tile_runs(
    tiles: NDArray[np.intp], width: int, signal: NDArray[np.bool_], size: int
) -> list[tuple[int, int, int]]:
    """The ``tiles`` (row-major numbers, ``width`` pixels a row) with ``signal`` within
    ``size - 1`` pixels, joined into runs along their row: (top, left, right) in pixels.

    Why: each tile is computed with a margin of ``size - 1`` on every side, three times its own
    pixels at 48 px; a run of neighbours shares the margins between them. The values are the
    same: every pixel of a run is computed from the same window, at least ``size - 1`` inside
    the run's part or at the image's edge, where both read the same replicated border.
    """
    height = signal.shape[0]
    runs: list[tuple[int, int, int]] = []
    for tile in tiles:
        row, col = divmod(int(tile), width)
        top, left = row * NOISE_TILE_PX, col * NOISE_TILE_PX
        right = min(left + NOISE_TILE_PX, width)
        reach = (
            slice(max(top - size + 1, 0), min(top + NOISE_TILE_PX + size - 1, height)),
            slice(max(left - size + 1, 0), min(right + size - 1, width)),
        )
        if not signal[reach].any():
            continue  # no signal within reach: the values are the noise given
        if runs and runs[-1][0] == top and runs[-1][2] == left:
            runs[-1] = (top, runs[-1][1], right)
        else:
            runs.append((top, left, right))
    return runs


def _codes(magnitude: NDArray[np.float32]) -> NDArray[np.uint8]:
    """|detail| as ``illumination.local_contrast``'s 8-bit codes (1/16 L*, rounded, clipped)."""
    scaled = magnitude.astype(np.float32) * np.float32(CODES_PER_L) + np.float32(0.5)
    return np.clip(scaled, 0, 255).astype(np.uint8)


def line_reach_mm(band_coarse_mm: float) -> float:
    """How far from a line's pixels its section still shows in the texture band: two of the
    band's coarse sigmas. Why: the band (fine minus coarse Gaussian) turns a thin dark line into
    a dip with a bright lobe either side, as wide as the coarse Gaussian; two sigmas out the lobe
    is under a tenth of the line's depth (0.4 L* for a 6 L* line 0.6 mm wide)."""
    return 2.0 * band_coarse_mm


def zone_lines(
    ridges: RidgeMap,
    mask: NDArray[np.bool_],
    mm_per_px: float,
    *,
    eye_line_deg: float = 0.0,
    box: tuple[slice, slice] | None = None,
) -> Lines:
    """Length per cm2, mean ridge strength and dominant orientation of the lines in ``mask``.

    The orientation is in degrees from the eye line, counter-clockwise as seen in the photo
    (a line rising to the right is positive), -90 to 90, weighted by length.

    Lines were kept or left out over the whole face; a line crossing the zone's edge counts with
    the part of its skeleton inside the zone. ``box``, the rows and columns ``mask`` spans, is
    found when not given.
    """
    if box is None:
        x, y, w, h = cv2.boundingRect(mask.view(np.uint8))
        box = (slice(y, y + h), slice(x, x + w))
    if box[0].start == box[0].stop or box[1].start == box[1].stop:
        return Lines(0.0, 0.0, 0.0, None)
    area_cm2 = np.count_nonzero(mask[box]) * mm_per_px**2 / 100.0  # the box holds every pixel
    skeleton = ridges.skeleton[box] & mask[box]
    if not skeleton.any():
        return Lines(0.0, 0.0, 0.0, None)
    count, pieces = cv2.connectedComponents(skeleton.view(np.uint8), connectivity=8)
    flat, rows, cols = pixels_of(skeleton)
    owner = pieces.ravel().take(flat)
    lengths = skeleton_lengths_at(rows, cols, owner, count - 1)
    total_mm = float(lengths.sum()) * mm_per_px
    depth = float(ridges.response[box][skeleton].mean())
    # Each piece's axis from its second central moments (image axes: col right, row down).
    n = np.bincount(owner, minlength=count).astype(np.float64)
    safe = np.maximum(n, 1.0)
    mean_r = np.bincount(owner, rows, minlength=count) / safe
    mean_c = np.bincount(owner, cols, minlength=count) / safe
    dr, dc = rows - mean_r[owner], cols - mean_c[owner]
    mu_rr = np.bincount(owner, dr * dr, minlength=count)
    mu_cc = np.bincount(owner, dc * dc, minlength=count)
    mu_rc = np.bincount(owner, dr * dc, minlength=count)
    doubled = np.arctan2(2 * mu_rc, mu_cc - mu_rr)  # twice the axis angle, clockwise as seen
    weights = np.where(lengths >= 3, lengths, 0.0)
    weights[0] = 0.0
    orientation = None
    if weights.sum() > 0:
        mean = (
            np.degrees(
                np.arctan2(
                    np.average(np.sin(doubled), weights=weights),
                    np.average(np.cos(doubled), weights=weights),
                )
            )
            / 2
        )
        # counter-clockwise as seen in the photo (rows grow downwards), from the eye line
        orientation = float((eye_line_deg - mean + 90) % 180 - 90)
    return Lines(total_mm / area_cm2 if area_cm2 else 0.0, total_mm, depth, orientation)


def _piece_ends(
    rows: NDArray[np.intp], cols: NDArray[np.intp], owner: NDArray[np.int32]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int32]]:
    """The free ends of the pieces' skeletons, given as their pixels and labels (a skeleton pixel
    with one skeleton neighbour): positions (row, col), unit tangents pointing out of the piece
    (the principal axis of its skeleton within ``_END_TANGENT_PX``), and labels."""
    occupied, at, width = _occupancy(rows, cols)
    neighbours = np.zeros(at.size, dtype=np.int8)
    for step in (-width - 1, -width, -width + 1, -1, 1, width - 1, width, width + 1):
        neighbours += occupied[at + step]
    order = np.argsort(owner, kind="stable")
    first = np.searchsorted(owner[order], owner)  # each pixel's piece's pixels: order[first:]
    last = np.searchsorted(owner[order], owner, side="right")
    pos, out, labels = [], [], []
    for i in np.flatnonzero(neighbours == 1).tolist():
        mine = order[first[i] : last[i]]
        dr, dc = rows[mine] - rows[i], cols[mine] - cols[i]
        near = np.hypot(dr, dc) <= _END_TANGENT_PX
        if np.count_nonzero(near) < 2:
            continue
        dr, dc = dr[near] - dr[near].mean(), dc[near] - dc[near].mean()
        doubled = np.arctan2(2.0 * np.sum(dr * dc), np.sum(dc * dc) - np.sum(dr * dr))
        axis = np.array([np.sin(doubled / 2), np.cos(doubled / 2)])  # (row, col)
        back = -np.array([rows[mine][near].mean() - rows[i], cols[mine][near].mean() - cols[i]])
        pos.append((rows[i], cols[i]))
        out.append(axis if axis @ back >= 0 else -axis)  # pointing out of the piece
        labels.append(owner[i])
    return (
        np.asarray(pos, np.float64).reshape(-1, 2),
        np.asarray(out, np.float64).reshape(-1, 2),
        np.asarray(labels, np.int32),
    )


def join_across_gaps(
    found: RidgeMap,
    ridges: NDArray[np.bool_],
    mm_per_px: float,
    *,
    gap_mm: float,
    max_angle_deg: float,
    min_length_mm: float,
    min_elongation: float,
    thinned: ThinnedPieces | None = None,
) -> RidgeMap:
    """``found`` (the lines of ``ridges``) with pieces joined across short gaps: two elongated
    pieces whose facing free ends leave at most ``gap_mm`` of the line uncovered (the distance
    between the end pixels' centres less one pixel: each end pixel covers the line to its own
    edge, half a pixel past its centre), each end's tangent and the
    segment joining them within ``max_angle_deg`` of one another, are one line, kept when the
    joined pieces pass the length and elongation tests together. The joining segment (straight,
    end to end) is drawn into the skeleton and counts in the line's length, as the line runs on
    through the gap; the gap's pixels do not count in its area (they are under the floor).

    Why: the ridge filter averages along a line over its own Gaussian, so where the face's own
    texture crosses a faint line its response dips over about that length, and a line just over
    the floor breaks in two, each piece perhaps too short to keep (issue 8: the dark face's
    faint forehead line). Steger (1998) extends a line's free end along its direction by
    2.5 sigma to find the line it meets, and links line points whose directions differ by less
    than 30 degrees (``GAP_SIGMAS``, ``GAP_MAX_ANGLE_DEG``); ``ridge_map`` takes sigma as the
    finest scale, as a gap it cannot resolve no coarser scale resolves either.

    References
    ----------
    Steger C. An unbiased detector of curvilinear structures. IEEE Trans Pattern Anal Mach Intell
    1998;20:113-25 (and its reference implementation, detect-lines: MAX_LINE_EXTENSION =
    2.5 sigma, MAX_ANGLE_DIFFERENCE = pi / 6).

    ``thinned``, the pieces of ``ridges`` as ``lines_of`` labelled and thinned them, spares
    doing that again (``ThinnedPieces``).
    """
    if thinned is None:
        count, pieces, stats = label_pieces(ridges)
    else:
        count, pieces, stats = thinned.count, thinned.labels, thinned.stats
    area = stats[:, cv2.CC_STAT_AREA].astype(np.float64)
    if np.count_nonzero(area[1:]) < 2:
        return found
    if thinned is None:
        wanted = area >= 2  # a single pixel has no length
        wanted[0] = False
        skeleton = piece_skeletons(pieces, stats, wanted)
    else:
        skeleton = thinned.skeleton
    flat, rows, cols = pixels_of(skeleton)
    if flat.size == 0:
        return found
    owner = pieces.ravel().take(flat)
    length = skeleton_lengths_at(rows, cols, owner, count - 1)
    elongated = (length >= 1.0) & (length >= min_elongation * area / np.maximum(length, 1.0))
    elongated[0] = False
    on = elongated[owner]
    if np.count_nonzero(on) < 2:
        return found
    ends, tangents, labels = _piece_ends(rows[on], cols[on], owner[on])
    if len(ends) < 2:
        return found
    cos_limit = np.cos(np.radians(max_angle_deg))
    parent = np.arange(count)

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = int(parent[i])
        return i

    segments: list[tuple[int, int, int, int]] = []
    bridged = np.zeros(count)  # the joining segments' length, by the group's root
    # a gap of one missing pixel leaves one pixel uncovered at any resolution (end centres 2 px
    # apart): measured between centres it would read 2 px, and at 0.375 mm/px or coarser exceed
    # the 0.75 mm allowed, so whether a pixel's dip breaks a line would depend on the resolution
    reach_px = gap_mm / mm_per_px + 1.0
    for a, b in sorted(cKDTree(ends).query_pairs(reach_px)):
        step = ends[b] - ends[a]
        dist = float(np.hypot(*step))
        if labels[a] == labels[b] or dist == 0.0:
            continue
        unit = step / dist
        facing = (tangents[a] @ unit, -(tangents[b] @ unit), -(tangents[a] @ tangents[b]))
        ra, rb = root(int(labels[a])), root(int(labels[b]))
        if min(facing) < cos_limit or ra == rb:
            continue
        parent[rb] = ra
        bridged[ra] += bridged[rb] + dist
        segments.append((int(ends[a][0]), int(ends[a][1]), int(ends[b][0]), int(ends[b][1])))
    if not segments:
        return found
    roots = np.array([root(i) for i in range(count)])
    size = np.bincount(roots, minlength=count)
    if thinned is not None and not thinned.opencv_order and size.max() >= 3:
        fresh = ThinnedPieces(skeleton, *label_pieces(ridges))  # see ThinnedPieces
        return join_across_gaps(
            found,
            ridges,
            mm_per_px,
            gap_mm=gap_mm,
            max_angle_deg=max_angle_deg,
            min_length_mm=min_length_mm,
            min_elongation=min_elongation,
            thinned=fresh,
        )
    total = np.bincount(roots, length, minlength=count) + bridged
    total_area = np.bincount(roots, np.where(elongated, area, 0.0), minlength=count)
    passes = (
        (size >= 2)
        & (total * mm_per_px >= min_length_mm)
        & (total >= min_elongation * total_area / np.maximum(total, 1.0))
    )
    keep = passes[roots] & elongated
    keep[0] = False
    if not keep.any():
        return found
    lines, kept_skeleton = found.lines.copy(), found.skeleton.copy()
    for label in np.flatnonzero(keep):  # a few pieces: each set over its own box
        x, y, w, h = (int(v) for v in stats[label, :4])
        lines[y : y + h, x : x + w] |= pieces[y : y + h, x : x + w] == label
    kept_skeleton.ravel()[flat[keep[owner]]] = True
    canvas = kept_skeleton.view(np.uint8)
    for r0, c0, r1, c1 in segments:
        if keep[pieces[r0, c0]]:
            cv2.line(canvas, (c0, r0), (c1, r1), 1, 1)
    return RidgeMap(found.response, kept_skeleton, lines)
