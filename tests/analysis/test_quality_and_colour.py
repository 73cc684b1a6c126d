"""Capture-quality checks and colour consistency on modified copies of the same photo."""

import cv2
import numpy as np
import pytest

from microneedling.analysis.colour import WhiteBalance, gains_from
from microneedling.analysis.erythema import erythema_index
from microneedling.analysis.landmarks import head_pose
from microneedling.analysis.pipeline import analyze
from microneedling.analysis.tone import tone
from microneedling.core.zones import FacialZone as Z
from tests.analysis.conftest import Analysed


def failed(result: object) -> set[str]:
    return {c.name for c in result.quality.checks if not c.ok}  # type: ignore[attr-defined]


def test_blur_is_flagged(base: Analysed) -> None:
    blurred = cv2.GaussianBlur(base[0].rgb, (0, 0), 4)
    assert "sharpness" not in failed(base[1])
    assert "sharpness" in failed(analyze(blurred))


def test_exposure_is_flagged(base: Analysed) -> None:
    dark = (base[0].rgb.astype(np.float32) * 0.3).astype(np.uint8)
    assert "exposure_median_l" in failed(analyze(dark))


def test_uneven_lighting_is_flagged(base: Analysed) -> None:
    rgb = base[0].rgb.astype(np.float32)
    ramp = np.linspace(0.6, 1.2, rgb.shape[1], dtype=np.float32)[None, :, None]
    result = analyze(np.clip(rgb * ramp, 0, 255).astype(np.uint8))
    assert "lighting_difference_l" in failed(result)


def test_roll_is_measured_and_flagged(base: Analysed) -> None:
    rgb = base[0].rgb
    centre = tuple(base[1].landmarks.xy[1])
    tilted = cv2.warpAffine(rgb, cv2.getRotationMatrix2D(centre, 20, 1.0), rgb.shape[1::-1])
    result = analyze(tilted)
    before = head_pose(base[1].landmarks).roll
    assert head_pose(result.landmarks).roll - before == pytest.approx(-20, abs=3)
    assert "head_roll_deg" in failed(result)


def test_white_balance_removes_a_colour_cast(base: Analysed) -> None:
    cast = np.clip(base[0].rgb.astype(np.float32) * [1.15, 1.0, 0.85], 0, 255).astype(np.uint8)
    reference = base[1].metric(Z.CHEEK_RIGHT).a_star
    corrected = analyze(cast).metric(Z.CHEEK_RIGHT).a_star
    uncorrected = analyze(cast, balance=False).metric(Z.CHEEK_RIGHT).a_star
    assert abs(uncorrected - reference) > 5  # the cast moves a* a lot
    assert abs(corrected - reference) < 0.35 * abs(uncorrected - reference)


def test_gains_make_a_grey_patch_neutral() -> None:
    patch = np.full((10, 10, 3), [0.6, 0.5, 0.4], np.float32)
    balanced = WhiteBalance("grey", gains_from(patch), 100).apply(patch)
    assert np.allclose(balanced, 0.5, atol=1e-6)


def test_index_formulas_on_uniform_colours() -> None:
    reflectance = np.array([[[0.5, 0.25, 0.2]]], np.float32)
    assert erythema_index(reflectance)[0, 0] == pytest.approx(100 * np.log10(2))
    lab = np.zeros((1, 4, 3), np.float32)
    lab[..., 0], lab[..., 2] = 60.0, 10.0
    result = tone(lab, np.full((1, 4, 3), 0.5, np.float32), np.ones((1, 4), bool))
    assert result.ita_deg == pytest.approx(45.0)  # atan((60 - 50) / 10)
    assert result.ita_spread_deg == 0.0
    assert result.melanin_index == pytest.approx(100 * np.log10(2))


def test_a_face_turned_away_is_refused(base: Analysed) -> None:
    from microneedling.analysis.landmarks import Landmarks
    from microneedling.core.errors import ValidationError

    points = base[1].landmarks.points
    centre = points.mean(axis=0)
    theta = np.radians(50)
    x, y, z = (points - centre).T
    turned = (
        np.column_stack(
            [x * np.cos(theta) + z * np.sin(theta), y, -x * np.sin(theta) + z * np.cos(theta)]
        )
        + centre
    )
    landmarks = Landmarks(turned)
    assert abs(head_pose(landmarks).yaw - head_pose(base[1].landmarks).yaw) == pytest.approx(
        50, abs=5
    )
    with pytest.raises(ValidationError, match="turned away"):
        analyze(base[0].rgb, landmarks=landmarks)


def test_lateral_views_are_judged_against_their_own_angle(base: Analysed) -> None:
    from microneedling.analysis.landmarks import Landmarks
    from microneedling.core.errors import ValidationError

    points = base[1].landmarks.points
    centre = points.mean(axis=0)
    theta = np.radians(45)
    x, y, z = (points - centre).T
    turned = Landmarks(
        np.column_stack(
            [x * np.cos(theta) + z * np.sin(theta), y, -x * np.sin(theta) + z * np.cos(theta)]
        )
        + centre
    )
    result = analyze(base[0].rgb, landmarks=turned, view="left45")
    yaw = next(c for c in result.quality.checks if c.name == "head_yaw_deg")
    assert abs(yaw.value) < 8  # about 45 degrees turned, as a 45-degree view should be
    with pytest.raises(ValidationError, match="from the left45 view"):
        analyze(base[0].rgb, view="left45")  # a frontal photo is no 45-degree view
    with pytest.raises(ValidationError, match="view"):
        analyze(base[0].rgb, view="top")
