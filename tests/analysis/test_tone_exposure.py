"""The skin's tone does not follow the exposure: the photo's reference sets it (issue 8).

ITA° reads absolute L* (Chardon 1991), so without a reference a 5% brighter take of the same face
read about 2.5° higher. The reference that sets the white also sets the exposure: a grey card at
its stated reflectance (18%), else the eye whites at a stated lightness (``analysis.yaml``:
``sclera_reference_l``). Stated in advance, on the astronaut portrait (exposed at 85%, so that
nothing clips) and on small known patches:

- light scaled by 0.9 and 1.1 in linear terms: the exposure found times that scale stays within
  1%, and the cheek's ITA° under it within 0.6° (it moves by more than 3° without; what is left,
  about 0.3° per 5% of light, comes from the white-balance gains, which act on the sRGB-coded
  values and so weigh a little differently at another exposure);
- the exposure in the tone equals measuring linear light scaled by it (L* + 16 and b* by its
  cube root): ITA° within 0.01°, MI within 0.01;
- a grey card brings its own luminance to 18% (1%), whatever the light;
- clipped eye whites, or no eye-white balance, leave the exposure at 1 and say why;
- the quality checks still see the raw exposure: an underexposed photo is flagged while its
  tone is read at the reference.
"""

from functools import cache

import numpy as np
import pytest
from numpy.typing import NDArray

from microneedling.analysis import tone
from microneedling.analysis.colour import (
    WhiteBalance,
    lightness_to_luminance,
    srgb_to_linear,
    to_lab_fast,
    white_balance,
)
from microneedling.analysis.settings import analysis_settings
from tests.analysis.test_white_balance import CHEEK, face

Float = NDArray[np.float32]


def relit(rgb01: Float, scale: float) -> Float:
    """The same scene with ``scale`` times the light (linear), re-encoded as sRGB."""
    linear = srgb_to_linear(rgb01).astype(np.float64) * scale
    encoded = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)
    return np.clip(encoded, 0.0, 1.0).astype(np.float32)


@cache
def cheek_ita(scale: float) -> tuple[float, WhiteBalance]:
    rgb01, sclera, _ = face()
    image = relit(rgb01, scale)
    balance = white_balance(image, sclera=sclera)
    r0, r1, c0, c1 = CHEEK
    skin = balance.apply(image[r0:r1, c0:c1])
    lab = to_lab_fast(skin)
    mask = np.ones(lab.shape[:2], bool)
    found = tone.tone(lab, srgb_to_linear(skin), mask, balance.exposure)
    assert found.ita_deg is not None
    return found.ita_deg, balance


def test_the_eye_whites_set_the_exposure() -> None:
    _, balance = cheek_ita(1.0)
    assert balance.method == "eye whites (sclera)" and balance.exposure_reason == ""
    reference = analysis_settings().metrics.sclera_reference_l.value
    assert f"L* {reference:g}" in balance.exposure_reference
    record = balance.as_dict()
    assert record["exposure"] == round(balance.exposure, 4)
    assert record["exposure_reference"] == balance.exposure_reference


@pytest.mark.parametrize("scale", [0.9, 1.1])
def test_brighter_or_darker_light_gives_the_same_tone(scale: float) -> None:
    ita, balance = cheek_ita(1.0)
    moved_ita, moved = cheek_ita(scale)
    assert moved.exposure * scale == pytest.approx(balance.exposure, rel=0.01)
    assert moved_ita == pytest.approx(ita, abs=0.6)
    r0, r1, c0, c1 = CHEEK
    raw = to_lab_fast(balance.apply(relit(face()[0], scale)[r0:r1, c0:c1]))
    unnormalised = tone.tone(raw, srgb_to_linear(raw), np.ones(raw.shape[:2], bool))
    assert unnormalised.ita_deg is not None and abs(unnormalised.ita_deg - ita) > 3.0


def test_exposure_in_the_tone_equals_scaling_the_light() -> None:
    rng = np.random.default_rng(3)
    skin = rng.uniform([0.55, 0.35, 0.25], [0.8, 0.6, 0.5], (40, 40, 3)).astype(np.float32)
    mask = np.ones((40, 40), bool)
    for k in (0.7, 1.3):
        linear = srgb_to_linear(skin)
        direct = tone.tone(to_lab_fast(relit(skin, k)), linear * np.float32(k), mask)
        applied = tone.tone(to_lab_fast(skin), linear, mask, k)
        assert applied.ita_deg == pytest.approx(direct.ita_deg, abs=0.01)
        assert applied.melanin_index == pytest.approx(direct.melanin_index, abs=0.01)
        assert applied.ita_spread_deg == pytest.approx(direct.ita_spread_deg, abs=0.02)


@pytest.mark.parametrize("scale", [0.7, 1.2])
def test_a_grey_card_is_brought_to_its_reflectance(scale: float) -> None:
    card = relit(np.full((20, 30, 3), 0.47, np.float32), scale)
    balance = white_balance(card, grey_box=(0, 0, 30, 20))
    assert balance.method == "grey reference" and "18%" in balance.exposure_reference
    luminance = float(srgb_to_linear(balance.apply(card))[..., 1].mean()) * balance.exposure
    assert luminance == pytest.approx(0.18, rel=0.01)


def test_clipped_eye_whites_leave_the_exposure_alone_and_say_so() -> None:
    rgb01, sclera, _ = face()
    glaring = rgb01.copy()
    glaring[sclera] = np.clip(glaring[sclera] * 1.5, 0.0, 1.0)  # the whites blown out
    balance = white_balance(glaring, sclera=sclera)
    assert balance.method == "eye whites (sclera)"  # the white is still found, unclipped
    assert balance.exposure == 1.0 and balance.exposure_reference == ""
    assert "clipped" in balance.exposure_reason and "not normalised" in balance.exposure_reason


def test_no_eye_white_balance_means_no_exposure() -> None:
    rgb01, sclera, grown = face()
    closed = rgb01.copy()
    r0, r1, c0, c1 = CHEEK
    closed[grown] = np.median(rgb01[r0:r1, c0:c1].reshape(-1, 3), axis=0)
    balance = white_balance(closed, sclera=sclera)
    assert balance.fallback and balance.exposure == 1.0
    assert "exposure not normalised" in balance.exposure_reason


def test_the_reference_luminance_inverts_lightness() -> None:
    assert lightness_to_luminance(100.0) == pytest.approx(1.0)
    assert lightness_to_luminance(50.0) == pytest.approx(0.1842, abs=1e-4)
    assert lightness_to_luminance(5.0) == pytest.approx(5.0 * 27 / 24389, rel=1e-6)


def test_quality_still_sees_the_raw_exposure() -> None:
    from microneedling.analysis.pipeline import analyze

    rgb01, _, _ = face()
    median_l = {}
    for scale in (1.0, 0.5, 0.25):
        result = analyze((relit(rgb01, scale) * 255 + 0.5).astype(np.uint8))
        check = next(c for c in result.quality.checks if c.name == "exposure_median_l")
        median_l[scale] = check.value
        if scale == 0.5:  # whites still usable: the tone is read at the reference
            assert result.white_balance.exposure > 1.5
        if scale == 0.25:  # too dark: flagged, and the whites (L* under 50) are not used
            assert not check.ok and result.white_balance.exposure == 1.0
    # the check reads the photo's own lightness: L* + 16 follows the light's cube root
    expected = (median_l[1.0] + 16) * 0.5 ** (1 / 3) - 16
    assert median_l[0.5] == pytest.approx(expected, abs=1.5)
