"""Before/after: alignment, and changes judged against the measurement's repeatability."""

import cv2
import numpy as np
import pytest

from microneedling.analysis.compare import compare, perturbations
from microneedling.analysis.synthetic import Plan, make_photo


@pytest.fixture(scope="module")
def redder_and_moved() -> object:
    before = make_photo(Plan(seed=3)).rgb
    after = make_photo(Plan(redness_delta_a=12.0, seed=3)).rgb
    matrix = cv2.getRotationMatrix2D((1024, 1024), 2.0, 1.03)
    matrix[:, 2] += (25, -15)
    moved = cv2.warpAffine(after, matrix, (2048, 2048), borderMode=cv2.BORDER_REFLECT)
    return compare(before, moved, repeat_runs=4)


def test_alignment_undoes_the_camera_move(redder_and_moved: object) -> None:
    summary = redder_and_moved.summary()  # type: ignore[attr-defined]
    assert summary["alignment"]["scale"] == pytest.approx(1 / 1.03, abs=0.01)
    assert summary["alignment"]["rotation_deg"] == pytest.approx(2.0, abs=0.5)


def test_planted_redness_is_a_real_change(redder_and_moved: object) -> None:
    rows = {(r["zone"], r["metric"]): r for r in redder_and_moved.changes()}  # type: ignore[attr-defined]
    red = rows[("cheek_left", "a_star")]
    assert red["change"] > 2 and red["beyond_noise"]
    assert rows[("cheek_left", "red_area_fraction")]["beyond_noise"]
    untouched = rows[("cheek_right", "a_star")]
    assert abs(untouched["change"]) < red["change"] / 4


def test_unchanged_photo_stays_inside_the_noise_band() -> None:
    rgb = make_photo(Plan(pore_count=20, wrinkle_count=2, seed=5)).rgb
    dx, dy, angle, scale, gain = perturbations(1, seed=99)[0]
    matrix = cv2.getRotationMatrix2D((1024, 1024), angle, scale)
    matrix[:, 2] += (dx, dy)
    retake = cv2.warpAffine(rgb, matrix, (2048, 2048), borderMode=cv2.BORDER_REFLECT)
    retake = np.clip(retake.astype(np.float32) * gain, 0, 255).astype(np.uint8)
    result = compare(rgb, retake, repeat_runs=6)
    for metric in ("a_star", "red_area_fraction", "roughness_l", "ita_deg"):
        rows = [r for r in result.changes() if r["metric"] == metric]
        inside = sum(not r["beyond_noise"] for r in rows)
        assert inside >= 0.8 * len(rows), (metric, rows)
