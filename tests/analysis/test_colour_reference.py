"""Colour against an independent implementation: colour-science (``import colour``).

Tolerances, stated before measuring: L*, a*, b* within 0.1 of colour-science's float64 sRGB -> XYZ
-> CIELAB (D65) on every patch and pixel; ITA° within 0.1° and the erythema and melanin indices
within 0.1 when computed by their published formulas from colour-science's values. The skin boxes
on the astronaut were drawn by hand on the image (row0, row1, col0, col1), independently of the
project's landmarks and zones.
"""

import colour
import numpy as np
import pytest
from numpy.typing import NDArray
from skimage import data

from microneedling.analysis.colour import (
    WhiteBalance,
    balance_codes,
    linear_reflectance,
    to_lab_fast,
)
from microneedling.analysis.erythema import redness
from microneedling.analysis.stats import linear_quantiles, median
from microneedling.analysis.tone import ita_deg, ita_quantiles, tone

LAB_TOLERANCE = 0.1
ITA_TOLERANCE_DEG = 0.1
INDEX_TOLERANCE = 0.1
SKIN_BOXES = {  # skimage.data.astronaut(), 512 x 512: skin only, by eye
    "forehead": (82, 92, 195, 245),
    "cheek_image_left": (112, 132, 182, 200),
    "cheek_image_right": (112, 130, 250, 266),
    "chin": (150, 158, 208, 232),
}


def reference_lab(rgb01: NDArray[np.floating]) -> NDArray[np.float64]:
    return np.asarray(colour.XYZ_to_Lab(colour.sRGB_to_XYZ(rgb01.astype(np.float64))))


def reference_linear(rgb01: NDArray[np.floating]) -> NDArray[np.float64]:
    return np.asarray(colour.cctf_decoding(rgb01.astype(np.float64), function="sRGB"))


def patch_grid() -> NDArray[np.float32]:
    """17^3 colours on 0..1 (8-bit codes and the values between), plus gained (balanced) skin."""
    steps = np.linspace(0.0, 1.0, 17)
    grid = np.stack(np.meshgrid(steps, steps, steps, indexing="ij"), axis=-1).reshape(-1, 1, 3)
    rng = np.random.default_rng(0)
    skin = rng.uniform([0.45, 0.3, 0.2], [0.95, 0.8, 0.7], (2000, 1, 3))
    gained = skin * rng.uniform(0.85, 1.15, (2000, 1, 3))  # as white balance leaves them
    return np.clip(np.concatenate([grid, skin, gained]), 0.0, 1.0).astype(np.float32)


def test_lab_matches_colour_science_on_a_grid_of_patches() -> None:
    patches = patch_grid()
    error = np.abs(to_lab_fast(patches) - reference_lab(patches)).reshape(-1, 3).max(axis=0)
    assert (error < LAB_TOLERANCE).all(), error


def test_lab_matches_colour_science_on_every_8_bit_colour_of_the_astronaut() -> None:
    rgb01 = data.astronaut().astype(np.float32) / 255.0
    error = np.abs(to_lab_fast(rgb01) - reference_lab(rgb01)).reshape(-1, 3).max(axis=0)
    assert (error < LAB_TOLERANCE).all(), error


@pytest.mark.parametrize("box", SKIN_BOXES.values(), ids=list(SKIN_BOXES))
def test_skin_ita_and_indices_match_the_published_formulas(
    box: tuple[int, int, int, int],
) -> None:
    r0, r1, c0, c1 = box
    rgb01 = data.astronaut()[r0:r1, c0:c1].astype(np.float32) / 255.0
    mask = np.ones(rgb01.shape[:2], bool)
    lab, ref_lab = to_lab_fast(rgb01), reference_lab(rgb01)
    assert np.abs(lab - ref_lab).max() < LAB_TOLERANCE
    mean_l, mean_a, mean_b = ref_lab.reshape(-1, 3).mean(axis=0)
    assert 5 < mean_a < 20 and mean_b > 5  # skin, not hair or suit
    reflectance = linear_reflectance(rgb01)
    measured = tone(lab, reflectance, mask)
    expected_ita = np.degrees(np.arctan((mean_l - 50.0) / mean_b))  # Chardon 1991
    assert measured.ita_deg == pytest.approx(expected_ita, abs=ITA_TOLERANCE_DEG)
    red, green, _ = reference_linear(rgb01).reshape(-1, 3).mean(axis=0)
    assert measured.melanin_index == pytest.approx(
        100 * np.log10(1 / red), abs=INDEX_TOLERANCE
    )  # Diffey 1984
    erythema = redness(lab, reflectance, mask, red_threshold_a=mean_a + 5).erythema_index
    expected_ei = 100 * (np.log10(1 / green) - np.log10(1 / red))  # Dawson 1980, Diffey 1984
    assert erythema == pytest.approx(expected_ei, abs=INDEX_TOLERANCE)
    assert redness(lab, reflectance, mask, 0.0).a_star == pytest.approx(mean_a, abs=0.05)


def test_ita_is_the_angle_of_the_mean_not_the_median_of_pixel_angles() -> None:
    lab = np.zeros((1, 3, 3), np.float32)
    lab[0, :, 0] = (60.0, 60.0, 90.0)
    lab[0, :, 2] = (10.0, 10.0, 20.0)
    result = tone(lab, np.full((1, 3, 3), 0.5, np.float32), np.ones((1, 3), bool))
    mean_l, mean_b = 70.0, 40.0 / 3.0
    assert result.ita_deg == pytest.approx(np.degrees(np.arctan((mean_l - 50) / mean_b)))
    assert result.ita_deg != pytest.approx(45.0, abs=1)  # the median pixel's angle


def test_ita_for_small_and_negative_b() -> None:
    assert ita_deg(70.0, 0.5) is None
    assert ita_deg(70.0, -0.99) is None
    above = ita_deg(70.0, 1.0)
    assert above == pytest.approx(np.degrees(np.arctan(20.0)))
    below = ita_deg(70.0, -5.0)  # blue-ish: beyond 90°, continuous, not clamped at +90
    assert below == pytest.approx(180.0 - np.degrees(np.arctan(4.0)))
    assert ita_deg(40.0, -5.0) == pytest.approx(-180.0 + np.degrees(np.arctan(2.0)))
    lab = np.zeros((1, 2, 3), np.float32)
    lab[..., 0], lab[..., 2] = 70.0, 0.2
    undefined = tone(lab, np.full((1, 2, 3), 0.5, np.float32), np.ones((1, 2), bool))
    assert undefined.ita_deg is None


def test_code_tables_give_the_per_pixel_conversion() -> None:
    """``balance_codes`` (white balance, sRGB decoding and CIELAB looked up per 8-bit code) gives
    the values of balancing ``codes / 255`` and converting every pixel, on every code of each
    channel and under a cast."""
    rng = np.random.default_rng(7)
    rgb8 = rng.integers(0, 256, size=(64, 256, 3), dtype=np.uint8)
    rgb8[0] = np.arange(256, dtype=np.uint8)[:, None]  # every code in every channel
    balance = WhiteBalance("test", (1.12, 1.0, 0.87), 100)
    fast = balance_codes(rgb8, balance)
    rgb01 = balance.apply(rgb8.astype(np.float32) / 255.0)
    assert np.array_equal(fast.rgb01, rgb01)
    assert np.array_equal(fast.rgb8, (rgb01 * 255).astype(np.uint8))
    assert np.abs(fast.lab - to_lab_fast(rgb01)).max() < 1e-4
    assert np.array_equal(fast.reflectance, linear_reflectance(rgb01))


def test_quartiles_without_a_per_pixel_arctangent_match_numpy() -> None:
    """ITA° quartiles ordered by the angle's monotonic stand-in, and quartiles by one partition,
    equal ``np.percentile`` (and medians ``np.median``) of the per-pixel values, b* of either
    sign, few or many pixels."""
    rng = np.random.default_rng(3)
    for n in (1, 2, 3, 4, 5, 9, 1000, 20001):
        lightness = rng.normal(60, 15, n).astype(np.float32)
        b_star = rng.normal(4, 10, n).astype(np.float32)  # a third of them below zero
        angles = np.degrees(np.arctan2(lightness - 50.0, b_star))
        expected = np.percentile(angles, [25, 75])
        assert ita_quantiles(lightness, b_star, (0.25, 0.75)) == pytest.approx(expected, abs=1e-4)
        assert linear_quantiles(b_star, (0.25, 0.75)) == pytest.approx(
            np.percentile(b_star, [25, 75]), abs=1e-5
        )
        assert median(b_star) == pytest.approx(float(np.median(b_star)), abs=1e-5)
