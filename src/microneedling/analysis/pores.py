"""Round spots: pores, atrophic scar candidates and pigment spots, as scale-space blobs.

A spot is a local maximum, in space and in scale, of the scale-normalised Laplacian of Gaussian
(Lindeberg 1998) whose scale lies inside the feature's radius range (levels one step finer and one
step coarser than the range are computed too, so a finer grain or a larger patch peaks outside it
and is not taken), whose strength exceeds both a contrast floor and a multiple of the filter's own
noise over the skin (so thresholds follow the photo's local contrast), and which is round: the
ratio of the Hessian's eigenvalues at its scale (Lindeberg's shape-adapted blobs; Frangi 1998's
R_B) is above a limit, so a short piece of a line is not a spot. Each maximum is refined to
sub-pixel position and scale by a quadratic fit (Lowe 2004) and the Laplacian is taken by the
five-point difference, so a dip reads its depth wherever its centre falls in the pixel: a pore
just over the floor is found at every position, and a moved photo finds the same pores. A spot
is taken only where its radius lies inside the mask (at the skin's edge the filter reads the
edge, which moves with the outline from photo to photo). The scale levels reach up to a step
past the range's ends and the refinement half a step further, so a maximum may refine to a
radius outside the range; with ``in_range`` such a spot is not taken (pores: the sample face's
own faint spots of 1.2-1.5 mm radius were counted as pores of a 0.45-1.1 mm range).

The floors are what separates a spot from the skin's own texture, and they are met by the
texture too: what the filter reads at a pore is the pore's response plus the skin's at the same
place and scale, and real skin has round dark maxima of its own at the pores' scale, 4-5 times
the response's robust SD there (heavy-tailed, not Gaussian). On the sample face they reach the
pore floor, so a pore only just over it (the skin-tone suite's faintest, 3.2-3.6 L* deep at the
reference lightness) is found about 6 times in 10, and a lower floor would count the face's own
maxima as often as the pores it gains (tests/analysis/test_pores_texture.py, with the other
noise statistics tried). Those pores are 4 L* deep on skin of L* 74-94: on the photo's own L*
the filter at their centres and scale reads that depth (3.87-4.08), and the flat-fielded L* the
detector runs on holds it relative to the skin's lightness, 4 x (65 + 16) / (L* + 16), as the
floor is meant.

Pores are small dark spots (about 0.2-1 mm), scar candidates larger shaded depressions (1.2-4 mm)
without the colour of pigment, pigment spots raised b* (melanin) over 0.5-4 mm. Each is found
over the whole face once, then counted per zone.

References
----------
Lindeberg T. Feature detection with automatic scale selection. Int J Comput Vis 1998;30:79-116.
Frangi AF, Niessen WJ, Vincken KL, Viergever MA. Multiscale vessel enhancement filtering.
MICCAI 1998, LNCS 1496:130-7.
Lowe DG. Distinctive image features from scale-invariant keypoints. Int J Comput Vis
2004;60:91-110 (section 4, accurate keypoint localization).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from microneedling.analysis.illumination import robust_sigma

Float = NDArray[np.float32]
SCALE_STEP = 1.3  # ratio of successive sigmas in the scale space
# Pores are searched with the largest pore radius (1.1 mm) at 4 px x sqrt 2 / 1.3, so that the
# search's top sigma (a scale step past the range) lies within a step of 4 px: a photo finer than
# 0.253 mm/px is reduced to exactly that scale first (``metrics.pore_spots``: ``exact_reduction``,
# an area resize of the whole image), near the scale the detector is tested at on the synthetic
# faces (0.37 mm/px); a coarser one is searched at its own. Measured on the benchmark's astronaut
# at 3 and 12 MP: with 6 px the 3 MP photo (0.19 mm/px, not reduced) found 15 pores of which 9
# are the 12 MP photo's, halved it found 9 of which 8 are, in a sixth of the time (67 -> 11 ms
# CPU). A whole-number reduction (halving) searched a 3 MP photo at 0.38 mm/px and a 12 MP one at
# 0.30: 20 pores of 0.6 mm and 6 L* planted in the hand-drawn cheek were counted 15, 19 and 19
# times on the 3 MP, 12 MP and face-filling 12 MP photos; at 0.253 mm/px 18, 19 and 19
# (tests/analysis/test_working_scale_truth.py). It costs 11 -> 17 ms CPU at 3 MP, 12 -> 19 ms
# at 12 MP (benchmarks/bench_analysis.py).
PORE_MAX_SIGMA_PX = 4.0


@dataclass(frozen=True)
class Spots:
    """Spot centres (row, col), radii and strength, in pixels of the image they were found in."""

    centres_px: NDArray[np.float64]
    radii_px: NDArray[np.float64]
    contrast: NDArray[np.float64] | None = None

    def inside(self, mask: NDArray[np.bool_]) -> NDArray[np.bool_]:
        rows = np.clip(np.rint(self.centres_px[:, 0]).astype(int), 0, mask.shape[0] - 1)
        cols = np.clip(np.rint(self.centres_px[:, 1]).astype(int), 0, mask.shape[1] - 1)
        return np.asarray(mask[rows, cols], dtype=bool)

    def subset(self, keep: NDArray[np.bool_]) -> Spots:
        contrast = None if self.contrast is None else self.contrast[keep]
        return Spots(self.centres_px[keep], self.radii_px[keep], contrast)

    def in_zone(self, mask: NDArray[np.bool_], mm_per_px: float) -> tuple[int, float, float]:
        """Count, count per cm2 and mean area (mm2) of the spots centred inside ``mask``."""
        if len(self.radii_px) == 0 or not mask.any():
            return 0, 0.0, 0.0
        inside = self.inside(mask)
        count = int(inside.sum())
        area_cm2 = np.count_nonzero(mask) * mm_per_px**2 / 100.0
        mean_area = (
            float(np.mean(np.pi * (self.radii_px[inside] * mm_per_px) ** 2)) if count else 0.0
        )
        return count, count / area_cm2, mean_area


NO_SPOTS = Spots(np.empty((0, 2)), np.empty(0), np.empty(0))


def scale_levels(r_min_px: float, r_max_px: float) -> NDArray[np.float64]:
    """Sigmas from one step below r_min / sqrt 2 to one step above r_max / sqrt 2."""
    low = max(r_min_px / np.sqrt(2), 0.5)
    high = max(r_max_px / np.sqrt(2), low * SCALE_STEP)
    n = int(np.ceil(np.log(high / low) / np.log(SCALE_STEP))) + 1
    inner = low * SCALE_STEP ** np.arange(n)
    return np.concatenate([[low / SCALE_STEP], inner, [inner[-1] * SCALE_STEP]])


def eigenvalues(
    drr: Float, dcc: Float, drc: Float
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """The Hessian's larger and smaller eigenvalue at each pixel."""
    half_trace, root = eigenvalue_terms(drr, dcc, drc)
    return half_trace + root, half_trace - root


def eigenvalue_terms(drr: Float, dcc: Float, drc: Float) -> tuple[Float, Float]:
    """Half the trace and the root sqrt((drr - dcc)^2 / 4 + drc^2): the Hessian's eigenvalues
    are their sum (larger) and difference (smaller). Computed into the two arrays given back,
    with one temporary (the same float operations as the plain expression): a caller that reads
    the smaller eigenvalue at a few pixels forms it there only."""
    half_trace = np.add(drr, dcc)
    half_trace *= 0.5
    root = np.subtract(drr, dcc)
    np.square(root, out=root)
    root *= 0.25
    root += np.square(drc)
    np.sqrt(root, out=root)
    return half_trace, root


# The Laplacian's five-point second difference, (-1, 16, -30, 16, -1) / 12 along each axis: exact
# to fourth order, so a Gaussian dip a pixel or two wide reads its depth (the three-point stencil
# reads about 0.9 of it at sigma 1.1 px).
_LAPLACIAN_5 = np.zeros((5, 5), np.float32)
_LAPLACIAN_5[2, :] += np.array([-1, 16, -30, 16, -1], np.float32) / 12
_LAPLACIAN_5[:, 2] += np.array([-1, 16, -30, 16, -1], np.float32) / 12


def smoothed_stack(
    image: Float, sigmas: NDArray[np.float64], *, five_point: bool = True
) -> tuple[Float, Float]:
    """The image smoothed at each sigma, and sigma^2 x the Laplacian of each (dark blobs > 0),
    by the five-point second difference (or the three-point one, ``five_point=False``)."""
    smooth = np.empty((len(sigmas), *image.shape), dtype=np.float32)
    log = np.empty_like(smooth)
    for k, sigma in enumerate(sigmas):  # written in place: no temporary images
        cv2.GaussianBlur(image, (0, 0), float(sigma), dst=smooth[k])
        if five_point:
            cv2.filter2D(smooth[k], -1, _LAPLACIAN_5, dst=log[k], borderType=cv2.BORDER_REPLICATE)
        else:
            cv2.Laplacian(smooth[k], cv2.CV_32F, dst=log[k], ksize=1)
        log[k] *= float(sigma) ** 2
    return smooth, log


def hessian_at(
    smooth: Float, rows: NDArray[np.intp], cols: NDArray[np.intp]
) -> tuple[Float, Float, Float]:
    """Second differences (row-row, col-col, row-col) of a smoothed image at given pixels (the
    image's edge pixels repeated beyond it)."""
    height, width = smooth.shape
    flat = smooth.ravel()  # read at flat indices (``take``: a 2-D index is slower)
    up = np.maximum(rows - 1, 0) * width
    down = np.minimum(rows + 1, height - 1) * width
    here = rows * width
    left, right = np.maximum(cols - 1, 0), np.minimum(cols + 1, width - 1)
    centre = flat.take(here + cols)
    drr = flat.take(up + cols) - 2 * centre + flat.take(down + cols)
    dcc = flat.take(here + left) - 2 * centre + flat.take(here + right)
    drc = (
        flat.take(down + right)
        - flat.take(down + left)
        - flat.take(up + right)
        + flat.take(up + left)
    ) / 4
    f32 = np.float32
    return drr.astype(f32), dcc.astype(f32), drc.astype(f32)


def refine_peaks(
    stack: Float, levels: NDArray[np.intp], rows: NDArray[np.intp], cols: NDArray[np.intp]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Sub-sample offsets (level, row, col) and values of the response's maxima.

    A quadratic fitted to each maximum's 3 x 3 x 3 neighbourhood in (scale, row, col) (Lowe
    2004's keypoint interpolation): its peak, within half a step of the sample in every
    direction, gives the response wherever the blob's centre falls in the pixel and whatever its
    scale between two levels, where the sample alone reads a dip 0.75-1.0 of its depth.
    Maxima on the stack's first or last level or the image's border keep their sample.
    """
    n_levels, height, width = stack.shape
    k = np.clip(levels, 1, n_levels - 2)
    r = np.clip(rows, 1, height - 2)
    c = np.clip(cols, 1, width - 2)
    flat = stack.ravel()  # read at flat indices (``take``: a 3-D index is slower)
    base = (k * height + r) * width + c
    v = flat.take(base).astype(np.float64)

    def at(dk: int, dr: int, dc: int) -> NDArray[np.float64]:
        return np.asarray(flat.take(base + (dk * height + dr) * width + dc), dtype=np.float64)

    grad = np.stack(
        [
            (at(1, 0, 0) - at(-1, 0, 0)) / 2,
            (at(0, 1, 0) - at(0, -1, 0)) / 2,
            (at(0, 0, 1) - at(0, 0, -1)) / 2,
        ],
        axis=-1,
    )
    hess = np.empty((len(v), 3, 3))
    hess[:, 0, 0] = at(1, 0, 0) - 2 * v + at(-1, 0, 0)
    hess[:, 1, 1] = at(0, 1, 0) - 2 * v + at(0, -1, 0)
    hess[:, 2, 2] = at(0, 0, 1) - 2 * v + at(0, 0, -1)
    hess[:, 0, 1] = hess[:, 1, 0] = (at(1, 1, 0) - at(1, -1, 0) - at(-1, 1, 0) + at(-1, -1, 0)) / 4
    hess[:, 0, 2] = hess[:, 2, 0] = (at(1, 0, 1) - at(1, 0, -1) - at(-1, 0, 1) + at(-1, 0, -1)) / 4
    hess[:, 1, 2] = hess[:, 2, 1] = (at(0, 1, 1) - at(0, 1, -1) - at(0, -1, 1) + at(0, -1, -1)) / 4
    offset = np.zeros((len(v), 3))
    inside = (levels == k) & (rows == r) & (cols == c)
    # a maximum has a negative definite Hessian; elsewhere the fit is no better than the sample
    ok = inside & (np.linalg.eigvalsh(hess)[:, -1] < 0)
    if ok.any():
        offset[ok] = -np.linalg.solve(hess[ok], grad[ok][..., None])[..., 0]
    offset = np.clip(offset, -0.5, 0.5)
    value = (
        v
        + (grad * offset).sum(axis=1)
        + 0.5 * (offset[:, :, None] * hess * offset[:, None, :]).sum(axis=(1, 2))
    )
    return offset, np.maximum(value, v)


def search_box(
    mask: NDArray[np.bool_], reach_px: int, factor: int = 1
) -> tuple[tuple[int, int], tuple[int, int]]:
    """(first, stop) rows and columns of ``mask``'s bounding box widened by ``reach_px``, inside
    the image, starting on a multiple of ``factor`` and a whole number of ``factor`` blocks long
    (so a block-mean reduction of the box is the whole image's, cut)."""
    x, y, w, h = cv2.boundingRect(np.ascontiguousarray(mask).view(np.uint8))
    if w == 0 or h == 0:
        return (0, 0), (0, 0)
    out = []
    for first, span, size in ((y, h, mask.shape[0]), (x, w, mask.shape[1])):
        start = max(first - reach_px, 0) // factor * factor
        stop = min(first + span + reach_px, size)
        stop = start + (stop - start) // factor * factor
        out.append((start, stop))
    return out[0], out[1]


def level_maxima(
    stack: Float,
    peaks: Float,
    depth_px: Float,
    k: int,
    floor: float,
    min_depth_px: float,
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """(rows, cols) of level ``k``'s maxima in space and scale: over ``floor``, at least their
    3 x 3 maximum (``peaks``) on their own level and on both neighbouring levels, and at least
    ``min_depth_px`` inside the mask (``depth_px``, its distance transform); in row-major order.

    The level's own maxima over the floor are few: the other tests read those pixels only, at
    flat indices (``take``: a 2-D index is about four times slower).
    """
    level = stack[k]
    maxima = cv2.compare(level, peaks[k], cv2.CMP_GE)
    cv2.bitwise_and(maxima, cv2.compare(level, float(floor), cv2.CMP_GT), dst=maxima)
    points = cv2.findNonZero(maxima)  # (col, row), in row-major order; None if none
    if points is None:
        return np.empty(0, np.intp), np.empty(0, np.intp)
    points = points.reshape(-1, 2)
    rows, cols = points[:, 1].astype(np.intp), points[:, 0].astype(np.intp)
    at = rows * level.shape[1] + cols
    value = level.ravel().take(at)
    top = (
        (value >= peaks[k - 1].ravel().take(at))
        & (value >= peaks[k + 1].ravel().take(at))
        & (depth_px.ravel().take(at) >= min_depth_px)
    )
    return rows[top], cols[top]


def dark_blobs(
    image: Float,
    mask: NDArray[np.bool_],
    mm_per_px: float,
    *,
    radius_mm: tuple[float, float],
    min_contrast: float,
    min_snr: float,
    min_roundness: float,
    noise: Float | None = None,
    max_sigma_px: float = 6.0,
    subpixel: bool = True,
    in_range: bool = False,
    exact_reduction: bool = False,
) -> Spots:
    """Dark round blobs with radius in ``radius_mm`` centred on ``mask`` (see the module).

    ``min_contrast``: depth floor in the image's units (a Gaussian dip of this depth passes);
    ``min_snr``: the blob's contrast over ``noise`` (a map of the local texture's SD, in the
    image's units, at the blob's centre), or without a map over the robust SD of the
    response over ``mask`` per scale;
    ``min_roundness``: smaller over larger Hessian eigenvalue (1 a disk, 0 a straight line);
    ``in_range``: take only spots whose refined radius lies inside ``radius_mm`` (the levels
    searched reach up to a scale step past either end, the refinement half a step more).
    A blob is taken only where its own radius lies inside ``mask`` (at the mask's edge the filter
    reads the edge). Large radii are searched on a reduced image so that no sigma exceeds
    ``max_sigma_px``: by a whole factor (block means), or with ``exact_reduction`` by the exact
    one (an area resize), so that every photo finer than that scale is searched at the same mm
    per pixel. Each maximum is refined to sub-pixel position and scale
    (``refine_peaks``; ``subpixel=False``: the sampled maximum and the three-point Laplacian);
    the spot's contrast is reported as twice its response (the depth of the matching dip), and
    the floors apply to that.
    """
    r_min = radius_mm[0] / mm_per_px
    r_max = max(radius_mm[1] / mm_per_px, r_min * SCALE_STEP)
    reduction = r_max / np.sqrt(2) * SCALE_STEP / max_sigma_px
    if exact_reduction and reduction > 1.0:
        return _blobs_reduced(
            image,
            mask,
            mm_per_px,
            reduction,
            radius_mm=radius_mm,
            min_contrast=min_contrast,
            min_snr=min_snr,
            min_roundness=min_roundness,
            noise=noise,
            subpixel=subpixel,
            in_range=in_range,
        )
    factor = max(1, int(np.ceil(reduction)))
    sigmas = scale_levels(r_min / factor, r_max / factor)
    # Only the mask's box widened by the filters' reach (Gaussian 4 sigma, Laplacian 2, maxima
    # and the peak fit 1 each) is read: on the mask the stack is the whole image's.
    (row0, row1), (col0, col1) = search_box(
        mask, (int(np.ceil(4 * sigmas[-1])) + 5) * factor, factor
    )
    if row1 <= row0 or col1 <= col0:
        return NO_SPOTS
    work, work_mask = image[row0:row1, col0:col1], mask[row0:row1, col0:col1]
    if factor > 1:  # block means (the box is a whole number of blocks); a block's first pixel
        size = ((col1 - col0) // factor, (row1 - row0) // factor)
        work = cv2.resize(work, size, interpolation=cv2.INTER_AREA)
        work_mask = work_mask[::factor, ::factor][: size[1], : size[0]]
    smooths, stack = smoothed_stack(work, sigmas, five_point=subpixel)
    depth_px = cv2.distanceTransform(work_mask.astype(np.uint8), cv2.DIST_L2, 3)
    kernel = np.ones((3, 3), np.uint8)
    peaks = np.empty_like(stack)  # each level's 3 x 3 maximum, written in place (no copies)
    for k, level in enumerate(stack):
        cv2.dilate(level, kernel, dst=peaks[k])
    rows_all, cols_all, levels_all = [], [], []
    # a sample may read down to 0.75 of the refined peak: candidates from there
    floors = np.full(len(sigmas), min_contrast / 2.0)
    for k in range(1, len(sigmas) - 1):
        level = stack[k]
        if noise is None and work_mask.any():
            floors[k] = max(floors[k], min_snr * robust_sigma(level[work_mask]))
        rows, cols = level_maxima(
            stack, peaks, depth_px, k, 0.75 * floors[k], sigmas[k] * np.sqrt(2)
        )
        rows_all.append(rows)
        cols_all.append(cols)
        levels_all.append(np.full(rows.size, k))
    if sum(r.size for r in rows_all) == 0:
        return NO_SPOTS
    rows, cols, ks = np.concatenate(rows_all), np.concatenate(cols_all), np.concatenate(levels_all)
    if subpixel:
        offset, value = refine_peaks(stack, ks, rows, cols)
    else:
        offset, value = np.zeros((rows.size, 3)), stack[ks, rows, cols].astype(np.float64)
    keep = value > floors[ks]
    if noise is not None:
        local = noise[
            np.minimum(rows * factor + row0, noise.shape[0] - 1),
            np.minimum(cols * factor + col0, noise.shape[1] - 1),
        ]
        keep &= 2.0 * value >= min_snr * local
    rows, cols, ks, offset, value = rows[keep], cols[keep], ks[keep], offset[keep], value[keep]
    if rows.size == 0:
        return NO_SPOTS
    round_ = np.zeros(rows.size, dtype=bool)
    for k in np.unique(ks):
        at = ks == k
        large, small = eigenvalues(*hessian_at(smooths[k], rows[at], cols[at]))
        round_[at] = small >= min_roundness * np.maximum(large, 1e-6)
    rows_f = rows[round_] + offset[round_, 1]
    cols_f = cols[round_] + offset[round_, 2]
    sig = sigmas[ks[round_]] * SCALE_STEP ** offset[round_, 0]
    value = value[round_]
    if in_range:
        radius_px = sig * np.sqrt(2) * factor
        inside = (radius_px >= r_min) & (radius_px <= r_max)
        rows_f, cols_f, sig, value = rows_f[inside], cols_f[inside], sig[inside], value[inside]
    if value.size == 0:
        return NO_SPOTS
    # One spot per place: the strongest of maxima closer than the larger one's radius.
    order = np.argsort(-value)
    rows_f, cols_f, sig, value = rows_f[order], cols_f[order], sig[order], value[order]
    keep = np.ones(len(value), dtype=bool)
    radius = sig * np.sqrt(2)
    for i in range(len(value)):
        if not keep[i]:
            continue
        near = np.hypot(rows_f[i + 1 :] - rows_f[i], cols_f[i + 1 :] - cols_f[i])
        keep[i + 1 :] &= near >= np.maximum(radius[i + 1 :], radius[i])
    centres = np.column_stack([rows_f[keep], cols_f[keep]]) * factor + (factor - 1) / 2.0
    centres += (row0, col0)
    return Spots(centres, radius[keep] * factor, 2.0 * value[keep])


def _blobs_reduced(
    image: Float,
    mask: NDArray[np.bool_],
    mm_per_px: float,
    reduction: float,
    *,
    noise: Float | None,
    **floors: Any,
) -> Spots:
    """``dark_blobs`` on the whole ``image`` reduced by ``reduction`` (> 1, any real number) by
    an area resize, its spots mapped back to ``image``'s pixels: centres through the pixel
    edges' scale, radii by the mean factor. The mask and the noise map are read at the reduced
    pixels' centres. The reduced grid is the image's, whatever the mask: a spot does not move
    when the mask's box does (as the whole-number path aligns its box to its blocks)."""
    height, width = image.shape
    size = (max(round(width / reduction), 1), max(round(height / reduction), 1))
    scale_r, scale_c = height / size[1], width / size[0]
    at_r = np.floor((np.arange(size[1]) + 0.5) * scale_r).astype(np.intp)
    at_c = np.floor((np.arange(size[0]) + 0.5) * scale_c).astype(np.intp)
    spots = dark_blobs(  # already at its scale: no further reduction (no sigma limit)
        np.asarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA), np.float32),
        np.ascontiguousarray(mask[np.ix_(at_r, at_c)]),
        mm_per_px * float(np.sqrt(scale_r * scale_c)),
        noise=None if noise is None else np.ascontiguousarray(noise[np.ix_(at_r, at_c)]),
        max_sigma_px=np.inf,
        **floors,
    )
    if len(spots.radii_px) == 0:
        return NO_SPOTS
    centres = (spots.centres_px + 0.5) * (scale_r, scale_c) - 0.5
    return Spots(centres, spots.radii_px * np.sqrt(scale_r * scale_c), spots.contrast)


def pigment_blobs(
    b_star: Float,
    mask: NDArray[np.bool_],
    mm_per_px: float,
    *,
    radius_mm: tuple[float, float],
    min_delta_b: float,
    min_snr: float,
    min_roundness: float,
) -> Spots:
    """Round spots of raised b* (melanin makes skin yellower-browner): dark blobs of -b*.

    Read at the sampled maximum (``subpixel=False``): without a noise map the floor is a multiple
    of the response's own SD over the skin, so the sampling's bias falls on both sides of the
    test. Refined, pigment spots rose 2 -> 5 on the cross-talk matrix's pores ladder (limit 1.25:
    spots the refinement lifts over a floor that stays where it was).
    """
    return dark_blobs(
        -b_star,
        mask,
        mm_per_px,
        radius_mm=radius_mm,
        min_contrast=min_delta_b,
        min_snr=min_snr,
        min_roundness=min_roundness,
        subpixel=False,
    )


def core_fill(
    image: Float, spots: Spots, depth: NDArray[np.float64], *, core: float = 0.6
) -> NDArray[np.float64]:
    """Fraction of each spot's core (``core`` x its radius) lying at least half its ``depth``
    below the median of the ring at 1.6-2.4 radii: about 1 for a depression, low for a cluster of
    small spots with skin between them. Read on a view of each spot's window (no copies), the
    distances from two 1-D offsets."""
    height, width = image.shape
    out = np.zeros(len(spots.radii_px))
    for i, ((r, c), radius) in enumerate(zip(spots.centres_px, spots.radii_px, strict=True)):
        reach = int(np.ceil(2.4 * radius)) + 1
        r0, r1 = max(int(r) - reach, 0), min(int(r) + reach + 1, height)
        c0, c1 = max(int(c) - reach, 0), min(int(c) + reach + 1, width)
        d = np.hypot((np.arange(r0, r1) - r)[:, None], (np.arange(c0, c1) - c)[None, :])
        d /= max(radius, 1.0)
        patch = image[r0:r1, c0:c1]
        inner, ring = patch[d <= core], patch[(d >= 1.6) & (d <= 2.4)]
        if inner.size and ring.size:
            out[i] = float(np.mean(inner <= np.median(ring) - depth[i] / 2.0))
    return out


def blob_response(image: Float, spots: Spots) -> NDArray[np.float64]:
    """Twice the scale-normalised LoG of ``image`` at each spot's centre and own scale: the depth
    of a matching Gaussian dip (positive) or bump (negative). A linear gradient gives 0, so the
    surroundings' shading does not count. Evaluated with a sampled LoG kernel on a window around
    each spot (a whole-image filter per scale would cost far more for a few spots), as two
    separable terms: sigma^2 x LoG = [(r^2/s^2 - 1) + (c^2/s^2 - 1)] G(r) G(c) / (2 pi s^2), so
    the window is summed along its rows, then its columns."""
    out = np.zeros(len(spots.radii_px))
    height, width = image.shape
    sigmas = np.maximum(spots.radii_px / np.sqrt(2), 0.5)
    centres = np.rint(spots.centres_px).astype(np.intp)
    for i, ((rc, cc), sigma) in enumerate(zip(centres, sigmas, strict=True)):
        reach = int(np.ceil(4 * sigma))
        r0, r1 = max(rc - reach, 0), min(rc + reach + 1, height)
        c0, c1 = max(cc - reach, 0), min(cc + reach + 1, width)
        dr, dc = np.arange(r0, r1) - rc, np.arange(c0, c1) - cc
        g_r, g_c = np.exp(-(dr**2) / (2 * sigma**2)), np.exp(-(dc**2) / (2 * sigma**2))
        q_r, q_c = (dr**2 / sigma**2 - 1) * g_r, (dc**2 / sigma**2 - 1) * g_c
        patch = image[r0:r1, c0:c1].astype(np.float64)
        weighted = q_r @ (patch @ g_c) + g_r @ (patch @ q_c)
        # the kernel less its mean: a flat patch gives 0 however the window is cut
        mean = (q_r.sum() * g_c.sum() + g_r.sum() * q_c.sum()) / patch.size
        out[i] = 2.0 * (weighted - mean * patch.sum()) / (2 * np.pi * sigma**2)
    return out
