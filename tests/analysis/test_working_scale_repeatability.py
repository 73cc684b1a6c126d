"""Repeatability on the real-photo path (issue 8): the 12 MP photo retaken, measured at 0.15 mm/px.

The repeatability suite (test_repeatability.py) retakes the sample face at 0.37 mm/px, where the
working-resolution steps do not run. Here the benchmark's 12 MP photo (the portrait's head,
``benchmarks/bench_analysis.py``; the face at 0.10 mm/px, measured at 0.15) carries features of
the cross-talk ladders' middle level in the hand-drawn cheeks (``data/hand_regions.yaml``): 20
pores of 0.7 mm at 8 L* in the right cheek and 2 lines of 12 x 0.6 mm at 6 L* in the left, on
one photo; texture of 3 L* (0.3 mm grain) in the right cheek, on another. Each photo is
perturbed at full resolution by the reduced grid of the repeatability suite (``CI_GRID``: shift
+-5 px, rotation +-2°, scale +-3%, exposure +-5%, JPEG 85, white balance +-8 mired), encoded as
an upload (JPEG 92), decoded at the working resolution and analysed from scratch (landmarks
found again); the hand region moves with the photo (the same perturbation applied to it, not
found again from the landmarks). A shift of 5 px is 0.46 mm here (1.85 mm on the sample face);
each CV is over three photos (the unperturbed one and the kind's two).

Targets, the issue's (stated before measuring, as in the suite): over the unperturbed photo and
each kind's perturbed ones, the coefficient of variation of roughness <= 3%, pore density <= 5%
and wrinkle length <= 6%, in the region where the feature is planted.
"""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np
import pytest
from benchmarks.bench_repeatability import CI_GRID, KINDS, Perturbation, spread
from numpy.typing import NDArray

from microneedling.analysis.metrics import measure
from microneedling.analysis.planting import Feature, plant_region
from tests.analysis.test_working_scale_truth import (
    _enlarged,
    _hand_mm_per_px,
    _hand_region,
    _uploaded,
)

LABEL = "12 MP head"
PORES = Feature("pores", 20, 0.7, 8.0)
LINES = Feature("wrinkles", 2, 0.6, 6.0, 12.0)
TEXTURE = Feature("texture", 0, 0.3, 3.0)
TARGETS = {"roughness_l": 0.03, "pores_per_cm2": 0.05, "wrinkle_length_mm_per_cm2": 0.06}
WHERE = {"roughness_l": "texture", "pores_per_cm2": "pores", "wrinkle_length_mm_per_cm2": "lines"}
GEOMETRIC = ("shift", "rotate", "scale")


@cache
def _photos() -> dict[str, tuple[NDArray[np.uint8], NDArray[np.bool_]]]:
    """Planted photo and its hand region (full resolution) per feature."""
    rgb, mm = _enlarged(LABEL), _hand_mm_per_px(LABEL)
    right = _hand_region(LABEL, "cheek_right", rgb.shape)
    left = _hand_region(LABEL, "cheek_left", rgb.shape)
    both = plant_region(rgb, right, [PORES], mm, seed=5).rgb
    both = plant_region(both, left, [LINES], mm, seed=6).rgb
    rough = plant_region(rgb, right, [TEXTURE], mm, seed=7).rgb
    return {"pores": (both, right), "lines": (both, left), "texture": (rough, right)}


def _moved(mask: NDArray[np.bool_], p: Perturbation | None) -> NDArray[np.bool_]:
    """The region after ``p``: a geometric perturbation moves it with the photo."""
    if p is None or p.kind not in GEOMETRIC:
        return mask
    image = np.repeat((mask * np.uint8(255))[..., None], 3, axis=2)
    return np.asarray(p.apply(image)[..., 0] >= 128)


@cache
def _value(feature: str, metric: str, index: int) -> float:
    """``metric`` in the feature's region, on the photo perturbed by CI_GRID[index] (-1: none)."""
    rgb, region = _photos()[feature]
    p = None if index < 0 else CI_GRID[index]
    prepared = _uploaded(rgb if p is None else p.apply(rgb))
    mask = _moved(region, p)
    if mask.shape != prepared.image_shape:
        size = (prepared.image_shape[1], prepared.image_shape[0])
        mask = cv2.resize(mask.view(np.uint8), size, interpolation=cv2.INTER_NEAREST) > 0
    row = measure(prepared, prepared.region(mask), ["pores", "wrinkles", "texture"])
    return float(row[metric])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("metric", list(TARGETS))
def test_retakes_of_the_12_mp_photo_agree(metric: str, kind: str) -> None:
    feature = WHERE[metric]
    values = [_value(feature, metric, -1)] + [
        _value(feature, metric, i) for i, p in enumerate(CI_GRID) if p.kind == kind
    ]
    cv = spread(values, "cv")
    assert cv <= TARGETS[metric], (
        f"{metric} ({feature}) under {kind}: CV {cv:.1%} > {TARGETS[metric]:.0%} "
        f"({', '.join(f'{v:.3f}' for v in values)})"
    )
