"""The Latin hypercube and the percentile band against cases of known answer."""

from collections.abc import Mapping

import numpy as np
import pytest

from microneedling.core.errors import ValidationError
from microneedling.simulate.uncertainty import band, latin_hypercube, propagate


def test_each_parameter_is_stratified_once_per_bin() -> None:
    drawn = latin_hypercube({"a": (0.0, 1.0), "b": (10.0, 20.0)}, samples=50, seed=3)
    for name, (low, high) in {"a": (0.0, 1.0), "b": (10.0, 20.0)}.items():
        values = drawn[name].reshape(-1)
        assert values.shape == (50,) and drawn[name].shape == (50, 1)
        bins = np.floor((values - low) / (high - low) * 50).astype(int)
        assert sorted(bins) == list(range(50)), name


def test_log_uniform_sampling_stays_in_range_and_is_seeded() -> None:
    a = latin_hypercube({"k": (0.1, 1000.0)}, samples=40, seed=1, log=["k"])
    b = latin_hypercube({"k": (0.1, 1000.0)}, samples=40, seed=1, log=["k"])
    assert np.array_equal(a["k"], b["k"])
    assert a["k"].min() >= 0.1 and a["k"].max() <= 1000.0
    bins = np.floor((np.log10(a["k"].reshape(-1)) + 1) / 4 * 40).astype(int)
    assert sorted(bins) == list(range(40))


def test_propagate_a_linear_model_gives_the_uniform_percentiles() -> None:
    """y = g t with g uniform on [1, 3]: percentiles 1.1 t, 2 t and 2.9 t."""
    t = np.linspace(0.0, 10.0, 11)

    def model(p: Mapping[str, np.ndarray]) -> np.ndarray:
        return np.asarray(p["g"] * t + p["offset"])

    result = propagate(model, {"g": (1.0, 3.0)}, samples=2000, seed=0, fixed={"offset": 0.0})
    assert result.p5 == pytest.approx(1.1 * t, abs=0.01)
    assert result.p50 == pytest.approx(2.0 * t, abs=0.01)
    assert result.p95 == pytest.approx(2.9 * t, abs=0.01)


def test_band_ignores_nan_samples_and_rounds_to_plain_values() -> None:
    values = np.array([[1.0], [2.0], [np.nan], [3.0]])
    b = band(values)
    assert float(b.p50[0]) == 2.0
    assert b.rounded(1) == {"p5": [1.1], "p50": [2.0], "p95": [2.9]}


@pytest.mark.parametrize(
    ("ranges", "log", "samples"),
    [({"a": (2.0, 1.0)}, (), 10), ({"a": (0.0, 1.0)}, ("a",), 10), ({"a": (0.0, 1.0)}, (), 1)],
)
def test_bad_ranges(
    ranges: dict[str, tuple[float, float]], log: tuple[str, ...], samples: int
) -> None:
    with pytest.raises(ValidationError):
        latin_hypercube(ranges, samples, log=log)
