"""Order statistics (``analysis.stats``) equal a full sort's, whatever the values' distribution.

The large-input path bounds each rank by a strided subsample and partitions only the values
between the bounds; it must give a full sort's value even where the subsample misleads it
(sorted or periodic values, heavy ties, NaN), by falling back to partitioning the whole.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.typing import NDArray

from microneedling.analysis import stats


def _values(kind: str, n: int, rng: np.random.Generator) -> NDArray[np.float32]:
    if kind == "normal":
        return rng.standard_normal(n).astype(np.float32)
    if kind == "ties":  # six distinct values: bounds fall on runs of equal values
        return rng.integers(0, 6, n).astype(np.float32)
    if kind == "sorted":  # the strided subsample is evenly spread but exact at its points
        return np.sort(rng.exponential(size=n)).astype(np.float32)
    if kind == "periodic":  # a period that shares factors with the stride
        return np.tile(rng.standard_normal(64).astype(np.float32), n // 64 + 1)[:n]
    if kind == "skewed":  # a lump of outliers far above
        values = rng.standard_normal(n).astype(np.float32)
        values[: n // 10] = 1e6
        return values
    if kind == "nan":  # NaN sorts last, as in np.sort
        values = rng.standard_normal(n).astype(np.float32)
        values[rng.integers(0, n, n // 3)] = np.nan
        return values
    raise AssertionError(kind)


KINDS = ("normal", "ties", "sorted", "periodic", "skewed", "nan")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n", [10, 16_383, 16_384, 100_003])
def test_order_statistics_equal_a_full_sort(kind: str, n: int) -> None:
    rng = np.random.default_rng(n)
    values = _values(kind, n, rng)
    ranks = sorted({0, n - 1, n // 2, n // 2 + 1, n // 20, n - n // 20, *rng.integers(0, n, 6)})
    ranks = [int(r) for r in ranks if r < n]
    ordered = np.sort(values)
    got = stats.order_statistics(values.copy(), ranks)
    for rank in ranks:
        np.testing.assert_array_equal(got[rank], ordered[rank], err_msg=f"rank {rank}")


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "nan"])
def test_quantiles_and_median_equal_numpy(kind: str) -> None:
    rng = np.random.default_rng(7)
    for n in (16_384, 65_537, 250_000):
        values = _values(kind, n, rng)
        quantiles = (0.05, 0.25, 0.5, 0.75, 0.95)
        got = stats.linear_quantiles(values, quantiles)
        assert got == list(np.percentile(values, [100 * q for q in quantiles]))
        # np.median of float32 rounds the middle values' mean to float32; here it stays float64
        assert stats.median(values) == float(np.median(values.astype(np.float64)))


def test_the_bounded_path_is_taken_and_reads_few_values() -> None:
    """On a large, ordinary input the ranks fall between the subsample's bounds (so the whole is
    not partitioned) and the values between them are a small share of the whole."""
    values = np.random.default_rng(3).standard_normal(1_000_000).astype(np.float32)
    picked = stats._bracketed(values, [500_000, 500_001])
    assert picked is not None
    ordered = np.sort(values)
    assert picked == {500_000: float(ordered[500_000]), 500_001: float(ordered[500_001])}
