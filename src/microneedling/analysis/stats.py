"""Order statistics without sorting twice: quantiles and medians as NumPy gives them, faster.

``np.percentile`` and ``np.median`` partition the data once for each of the two neighbouring
order statistics they interpolate between; here the upper neighbour is the minimum of the part
above the lower one, found in one more linear pass, and on large inputs only the few values between
two bounds from a subsample are partitioned. The results are NumPy's, to float rounding.
Values that come from an 8-bit code through a table that never falls have their quantiles read
from the codes' histogram (``table_quantiles``). Also: a multichannel image's pixels under a
mask (``masked_pixels``) and a per-pixel test on every channel, as faster equals of NumPy's.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray


def order_statistics(values: NDArray[np.float32], ranks: list[int]) -> dict[int, float]:
    """The values of rank ``ranks`` (0-based, ascending) in ``values``, as a full sort would give.

    Large inputs go through ``_bracketed`` (the few values between two bounds read from a
    subsample); the rest, and any rank a bracket misses, through ``_partitioned``.
    """
    if len(values) < BRACKET_MIN_VALUES:
        return _partitioned(values, ranks)
    out: dict[int, float] = {}
    missed: list[int] = []
    for group in _runs(sorted(set(ranks))):
        found = _bracketed(values, group)
        if found is None:
            missed.extend(group)
        else:
            out.update(found)
    if missed:
        out.update(_partitioned(values, missed))
    return out


BRACKET_MIN_VALUES = 16_384  # below this one partition costs less than a subsample's sort
SUBSAMPLE_VALUES = 2_048  # about this many values, evenly strided, bound each rank
BRACKET_SDS = 5.0  # bounds this many binomial SDs of the subsample's rank either side


def _runs(ranks: list[int]) -> list[list[int]]:
    """Sorted ranks in runs of neighbours (a quantile's two order statistics stay together)."""
    runs: list[list[int]] = []
    for rank in ranks:
        if runs and rank - runs[-1][-1] <= 1:
            runs[-1].append(rank)
        else:
            runs.append([rank])
    return runs


def _bracketed(values: NDArray[np.float32], ranks: list[int]) -> dict[int, float] | None:
    """Neighbouring ranks' values from the values between two bounds, or None if they missed.

    The bounds are order statistics of an evenly strided subsample a few binomial SDs below and
    above the ranks' share of it (Floyd & Rivest 1975 choose their sample's bounds the same
    way); the values below the lower bound are counted, those between the bounds (a few
    thousandths of a large input) partitioned. The result is exact whatever the bounds: when
    the ranks do not fall between them (a subsample unlike the whole, or NaN, which compares
    false and sorts last) the caller partitions the whole instead.

    Why: a median of a million values by ``np.partition`` takes 8 ms; two comparisons, a count
    and a compaction take about a third of that.

    References
    ----------
    Floyd, R. W. and Rivest, R. L. (1975). Expected time bounds for selection. Communications
    of the ACM 18(3), 165-172.
    """
    n = len(values)
    step = max(n // SUBSAMPLE_VALUES, 1)
    sample = np.sort(values[::step])
    m = len(sample)
    share = (ranks[0] + 0.5) / n
    pad = BRACKET_SDS * np.sqrt(m * share * (1.0 - share)) + len(ranks) + 1
    low = sample[max(int(share * m - pad), 0)]
    high = sample[min(int(share * m + pad), m - 1)]
    below = int(np.count_nonzero(values < low))
    between = values >= low
    between &= values <= high
    inside = np.compress(between, values)
    first, last = ranks[0] - below, ranks[-1] - below
    if first < 0 or last >= len(inside):
        return None
    picked = _partitioned(inside, [r - below for r in ranks])
    return {rank: picked[rank - below] for rank in ranks}


def _partitioned(values: NDArray[np.float32], ranks: list[int]) -> dict[int, float]:
    """``order_statistics`` by one partition at every other rank of a run of neighbours; the
    rank just above a partition rank is the smallest value of the partition's next part, found
    by a minimum instead."""
    pivots: list[int] = []
    followers: list[int] = []
    for rank in sorted(set(ranks)):
        if rank - 1 in pivots and rank - 1 not in followers:
            followers.append(rank)
        else:
            pivots.append(rank)
    picked = np.partition(values, pivots)
    out = {rank: float(picked[rank]) for rank in pivots}
    for rank in followers:
        above = [p for p in pivots if p > rank]
        out[rank] = float(picked[rank : above[0] if above else len(values)].min())
    return out


def linear_quantiles(values: NDArray[np.float32], quantiles: tuple[float, ...]) -> list[float]:
    """``np.percentile(values, 100 * q)`` (linear interpolation) for each q, by ``order_statistics``
    (one partition per quantile instead of two)."""
    n = len(values)
    if n == 0:
        return [float("nan")] * len(quantiles)
    spots = [(n - 1) * q for q in quantiles]
    ranks = sorted({min(int(np.floor(s)) + step, n - 1) for s in spots for step in (0, 1)})
    at = order_statistics(values, ranks)
    return [lerp(at[int(np.floor(s))], at[min(int(np.floor(s)) + 1, n - 1)], s % 1) for s in spots]


def table_quantiles(
    codes: NDArray[np.uint8], table: NDArray[np.float32], quantiles: tuple[float, ...]
) -> list[float]:
    """``linear_quantiles(table[codes], quantiles)`` read from the codes' histogram, for a
    ``table`` that never falls as the code rises (an 8-bit channel's values after white balance
    and sRGB decoding): the value of rank k is the table's value at the first code whose
    cumulative count exceeds k. The same values, without sorting a value per pixel."""
    n = len(codes)
    if n == 0:
        return [float("nan")] * len(quantiles)
    cumulative = np.cumsum(np.bincount(codes, minlength=256))
    spots = [(n - 1) * q for q in quantiles]

    def at(rank: int) -> float:
        return float(table[int(np.searchsorted(cumulative, rank, side="right"))])

    return [lerp(at(int(np.floor(s))), at(min(int(np.floor(s)) + 1, n - 1)), s % 1) for s in spots]


def lerp(a: float, b: float, t: float) -> float:
    """numpy's interpolation between neighbouring order statistics (exact at both ends)."""
    return a + (b - a) * t if t < 0.5 else b - (b - a) * (1 - t)


def median(values: NDArray[np.float32]) -> float:
    """``np.median(values)`` (the mean of the two middle values when their number is even)."""
    return linear_quantiles(values, (0.5,))[0]


def masked_pixels(image: NDArray[np.floating[Any]], mask: NDArray[np.bool_]) -> NDArray[Any]:
    """``image[mask]`` of an (h, w, c) image and an (h, w) mask: the (n, c) pixels in raster order.

    The same array, taken as a 1-D selection of the image's rows of c values (``np.compress``):
    NumPy's 2-D boolean index on a multichannel image is several times slower.
    """
    channels = image.shape[-1]
    return np.compress(mask.ravel(), image.reshape(-1, channels), axis=0)


def below_in_every_channel(pixels: NDArray[np.floating[Any]], limit: float) -> NDArray[np.bool_]:
    """``(pixels < limit).all(axis=1)`` of (n, 3) pixels, channel by channel (a reduction over
    a last axis of three is ten times slower than two element-wise ands)."""
    red, green, blue = pixels[:, 0], pixels[:, 1], pixels[:, 2]
    return np.asarray((red < limit) & (green < limit) & (blue < limit))
