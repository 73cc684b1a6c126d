"""The roughness band's limits against the photo's sampling (issue 8, roughness under ±3% scale).

Stated in advance: the band's fine Gaussian is ``texture_sigma_mm`` in pixels but never under
``texture_min_fine_px`` (0.7 px, under 10% passed at the Nyquist frequency); its coarse one is
``texture_coarse_mm`` and at least twice the fine one; at the working resolution (0.15 mm/px) the
floor does nothing, so roughness and the local texture that pores, lines and scars are judged
against read the same band there.
"""

import cv2
import numpy as np
import pytest

from microneedling.analysis import texture
from microneedling.analysis.settings import analysis_settings

M = analysis_settings().metrics
LIMITS = {"fine_mm": M.texture_sigma_mm.value, "shading_mm": M.texture_coarse_mm.value}


def test_the_fine_end_stops_at_the_pixel_floor() -> None:
    fine, coarse = texture.band_sigmas_px(0.37, **LIMITS)
    assert fine == pytest.approx(M.texture_min_fine_px.value)
    assert coarse == pytest.approx(LIMITS["shading_mm"] / 0.37)
    # the floor passes under 10% at the Nyquist frequency (half a cycle per pixel)
    assert np.exp(-2 * np.pi**2 * fine**2 * 0.5**2) < 0.10


def test_at_the_working_resolution_the_floor_does_nothing() -> None:
    working = analysis_settings().working_mm_per_px.value
    own = texture.band_sigmas_px(working, **LIMITS)
    assert own == texture.band_sigmas_px(working, **LIMITS, min_fine_px=0.5)
    assert own[0] == pytest.approx(LIMITS["fine_mm"] / working)


def test_the_band_is_that_difference_of_gaussians() -> None:
    rng = np.random.default_rng(2)
    lightness = (60 + 3 * rng.normal(0, 1, (80, 90))).astype(np.float32)
    fine, coarse = texture.band_sigmas_px(0.37, **LIMITS)
    expected = cv2.GaussianBlur(lightness, (0, 0), fine) - cv2.GaussianBlur(
        lightness, (0, 0), coarse
    )
    np.testing.assert_allclose(texture.bandpass(lightness, 0.37, **LIMITS), expected, atol=1e-5)
    # a flat image has no relief
    flat = np.full((40, 40), 65.0, np.float32)
    assert np.abs(texture.bandpass(flat, 0.37, **LIMITS)).max() < 1e-4
