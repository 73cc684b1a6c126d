"""Repeatability: the metrics give the same numbers when the same face is photographed again.

Stated in advance (issue 8; the commercial systems' published repositioning figures):

    metric            spread                     target   where
    roughness         CV = SD / mean             <= 3%    zone with planted texture (chin)
    pores per cm2     CV                         <= 5%    zone with planted pores (right cheek)
    wrinkle length    CV                         <= 6%    zone with planted lines (forehead)
    a*                SD                         <= 0.3   every zone
    erythema index    SD (100 log10 R/G units)   <= 1.5   every zone
    ITA°              SD                         <= 1.5°  every zone

The spread is taken per perturbation kind over the unperturbed photo and its perturbed versions,
each analysed from scratch (landmarks found again). The face carries every feature at the middle
level of the cross-talk ladders (benchmarks/bench_repeatability.py: MID_LADDER). A CV outside
the planted zone divides by a near-zero mean and is reported, not tested.

Reduced grid for CI (13 analyses): shift (+5, -5) and (-5, +5) px, rotation -2° and +2°, scale
-3% and +3%, exposure -5% and +5%, one JPEG round trip at quality 85 (4:2:0), white balance -8
and +8 mired. `make bench` runs the full grid (27 versions) and prints every zone.

A case that misses its target because of the metric code is marked xfail (strict), with what
was measured, for the lead to decide; the targets are not loosened.
"""

import math

import numpy as np
import pytest
from benchmarks.bench_repeatability import (
    CI_GRID,
    KINDS,
    METRICS,
    Metric,
    Repeatability,
    run,
    summary_table,
    zone_table,
)
from numpy.typing import NDArray

from microneedling.analysis import perturb
from microneedling.core.errors import ValidationError

# (kind, metric label) -> what the reduced grid measured when the case was marked.
KNOWN_MISSES: dict[tuple[str, str], str] = {}


def _cases() -> list[object]:
    cases: list[object] = []
    for kind in KINDS:
        for metric in METRICS:
            miss = KNOWN_MISSES.get((kind, metric.label))
            marks = [pytest.mark.xfail(strict=True, reason=miss)] if miss else []
            cases.append(pytest.param(kind, metric, marks=marks, id=f"{kind}-{metric.attr}"))
    return cases


@pytest.fixture(scope="module")
def repeatability() -> Repeatability:
    return run(CI_GRID)


@pytest.mark.parametrize(("kind", "metric"), _cases())
def test_spread_within_target(repeatability: Repeatability, kind: str, metric: Metric) -> None:
    worst, zone = repeatability.worst(metric, kind)
    assert not math.isnan(worst), f"{metric.label} missing in {zone}"
    shown = f"{worst:.2%}" if metric.kind == "cv" else f"{worst:.3f}"
    assert worst <= metric.target, f"{metric.label} {metric.kind} {shown} in {zone} under {kind}"


def test_print_tables(repeatability: Repeatability, capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print("\nRepeatability, reduced grid (issue 8)")
        print(summary_table(repeatability))
        print(zone_table(repeatability))
    assert {p.kind for p, _ in repeatability.perturbed} == set(KINDS)


# The perturbations themselves, on small images of known content.

RNG = np.random.default_rng(8)
IMAGE = (RNG.random((64, 80, 3)) * 255).astype(np.uint8)


def test_whole_pixel_shift_is_an_exact_copy() -> None:
    moved = perturb.shift(IMAGE, (5, -3))
    assert moved.shape == IMAGE.shape and moved.dtype == np.uint8
    np.testing.assert_array_equal(moved[5:, :-3], IMAGE[:-5, 3:])


def test_identity_parameters_change_nothing() -> None:
    for out in (
        perturb.rotate(IMAGE, 0.0),
        perturb.scale(IMAGE, 1.0),
        perturb.brightness(IMAGE, 1.0),
        perturb.white_balance_shift(IMAGE, 0.0),
    ):
        np.testing.assert_array_equal(out, IMAGE)


def _brightest(rgb: NDArray[np.uint8]) -> tuple[int, int]:
    row, col = np.unravel_index(int(rgb[..., 0].argmax()), rgb.shape[:2])
    return int(row), int(col)


def test_rotation_and_scale_move_a_dot_where_geometry_says() -> None:
    canvas = np.zeros((101, 101, 3), np.uint8)
    canvas[50, 90] = 255  # 40 px right of the centre (50, 50)
    turned = perturb.rotate(canvas, 90.0)  # counter-clockwise: right goes up
    assert _brightest(turned) == (10, 50)
    grown = perturb.scale(canvas, 1.1)
    assert _brightest(grown) == (50, 94)


def test_brightness_scales_linear_light() -> None:
    grey = np.full((2, 2, 3), 128, np.uint8)  # linear 0.2158
    brighter = perturb.brightness(grey, 1.05)
    expected = 1.055 * (0.21586 * 1.05) ** (1 / 2.4) - 0.055
    assert brighter[0, 0, 0] == round(expected * 255)
    assert (perturb.brightness(np.full((1, 1, 3), 250, np.uint8), 1.05) == 255).all()


def test_white_balance_shift_warms_and_cools() -> None:
    warm = perturb.white_balance_gains(8.0)
    assert warm[1] == 1.0 and warm[0] > 1.0 > warm[2]
    np.testing.assert_allclose(perturb.white_balance_gains(-8.0), 1.0 / warm)
    # 8 mired is about a 250 K change near 5500 K: red/blue ratio moves by about 6%
    assert warm[0] / warm[2] == pytest.approx(1.06, abs=0.01)


def test_jpeg_round_trip_is_close_but_not_exact() -> None:
    smooth = np.asarray(
        np.clip(np.linspace(40, 220, 64 * 80 * 3).reshape(64, 80, 3), 0, 255), np.uint8
    )
    out = perturb.jpeg_recompress(smooth, 85)
    error = out.astype(float) - smooth
    assert out.shape == smooth.shape and 0 < np.abs(error).mean() < 3
    assert perturb.jpeg_recompress(smooth, 85, subsampling="4:4:4").shape == smooth.shape


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValidationError):
        perturb.shift(IMAGE[..., 0], (1, 1))
    with pytest.raises(ValidationError):
        perturb.jpeg_recompress(IMAGE, 0)
    with pytest.raises(ValidationError):
        perturb.jpeg_recompress(IMAGE, 85, subsampling="4:1:1")
    with pytest.raises(ValidationError):
        perturb.scale(IMAGE, 0.0)
