"""Planted truth on the real-photo path (issue 8): pores and lines in millimetres at 3 and 12 MP.

The cross-talk, repeatability and skin-tone tables run on the sample face at 0.37 mm/px, coarser
than the analysis's working scale (0.15 mm/px), so the steps a clinic's photo takes run there
only on the benchmark photos, where they were shown equivalent, not validated. Here features of
known size are planted on the benchmark's own photos (``benchmarks/bench_analysis.py``: the
portrait's head enlarged to 3 MP and to 12 MP, and its face filling a 12 MP frame), each
JPEG-encoded as an upload and decoded at the working resolution as the services decode it. The
three take the three paths:

    photo                  face's mm/px   decoded    measured at (pores sought at)
    3 MP, head             0.19           1/1        its own 0.19 (0.253)
    12 MP, head            0.10           1/1        0.15, an area-resized crop (0.253)
    12 MP, face filling    0.06           1/2 (DCT)  0.15 (0.253)

The features go into the regions drawn by hand on the 512 px portrait
(``data/hand_regions.yaml``), carried onto each photo by the benchmark's known crop and
enlargement, with the scale from the hand-marked pupils: where they go is independent of the
landmark and zone code. They are measured in the same regions (``PreparedPhoto.region``), less
the bare photo's reading there. The truth is in the hand-marked pupils' millimetres, the
readings in the analysis's, whose pupils (the landmark model's) read 4.9% more mm per pixel on
all three photos: lines read about 5% long and pores about 5% wide from the scale alone.

Pores and lines both go into the right cheek, as on the cross-talk ladders (each
photo planted with one feature at a time): the hand-drawn forehead is a strip 5 px tall on the
portrait, and enlarged 15 times its corners reach the left brow and the fringe (a line planted
in its lower half ran 18 of its 106 px over the brow, where no line is sought: measured on the
12 MP photo, first run of this test).

Stated before measuring, two settings per feature (not one tuned one), the tolerances the
planted-truth tests hold the sample face to: pore count within 20% of the planted number, and
pores' mean radius (from their mean area) within 20% of the planted radius; line length within
15% of the planted length. Added after those had run, with the skin-tone table's tolerance:
roughness's rise (in quadrature) within 30% of the planted relief's Sq in the roughness band
(``bench_skin_tones.planted_relief_sq``'s definition, band-passed in mm at the full photo's
scale), for texture of 0.3 mm grain at 2 and 4 L*.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
import yaml
from benchmarks.bench_analysis import FACE, HEAD
from benchmarks.bench_skin_tones import relief_sq
from numpy.typing import NDArray
from PIL import Image
from skimage import data

from microneedling.analysis.images import analysis_ipd_px, decode_photo
from microneedling.analysis.metrics import derive_all, measure
from microneedling.analysis.planting import Feature, plant_region
from microneedling.analysis.prepare import PreparedPhoto, prepare
from microneedling.analysis.zones import ADULT_IPD_MM

HAND = Path(__file__).parent / "data" / "hand_regions.yaml"
PHOTOS = {  # label: (width, height, framing), as bench_analysis.CASES
    "3 MP head": (1500, 2000, HEAD),
    "12 MP head": (3000, 4000, HEAD),
    "12 MP face": (3000, 4000, FACE),
}
PORES = (Feature("pores", 20, 0.6, 6.0), Feature("pores", 12, 1.0, 12.0))
LINES = (Feature("wrinkles", 2, 0.5, 5.0, 15.0), Feature("wrinkles", 3, 0.7, 10.0, 12.0))
TEXTURES = (Feature("texture", 0, 0.3, 2.0), Feature("texture", 0, 0.3, 4.0))
COUNT_TOLERANCE = 0.20
ROUGHNESS_TOLERANCE = 0.30
RADIUS_TOLERANCE = 0.20
LENGTH_TOLERANCE = 0.15


@cache
def _enlarged(label: str) -> NDArray[np.uint8]:
    width, height, (r0, r1, c0, c1) = PHOTOS[label]
    head = data.astronaut()[r0:r1, c0:c1]
    return np.asarray(cv2.resize(head, (width, height), interpolation=cv2.INTER_CUBIC))


def _hand_region(label: str, name: str, shape: tuple[int, ...]) -> NDArray[np.bool_]:
    """The hand-drawn region ``name`` as a mask over the photo at ``shape`` (full or decoded)."""
    _, _, (r0, r1, c0, c1) = PHOTOS[label]
    along_r, along_c = shape[0] / (r1 - r0), shape[1] / (c1 - c0)
    a, b, c, d = yaml.safe_load(HAND.read_text())["regions"][name]["rectangle"]
    mask = np.zeros(shape[:2], dtype=bool)
    rows = slice(round((a - r0) * along_r), round((b - r0) * along_r))
    mask[rows, round((c - c0) * along_c) : round((d - c0) * along_c)] = True
    return mask


def _hand_mm_per_px(label: str) -> float:
    """The full photo's scale from the hand-marked pupils."""
    width, height, (r0, r1, c0, c1) = PHOTOS[label]
    pupils = yaml.safe_load(HAND.read_text())["pupils"]
    right, left = np.asarray(pupils["right"], float), np.asarray(pupils["left"], float)
    step = (left - right) * (height / (r1 - r0), width / (c1 - c0))
    return ADULT_IPD_MM / float(np.hypot(*step))


def _uploaded(rgb: NDArray[np.uint8]) -> PreparedPhoto:
    """JPEG at quality 92 (as the benchmark), decoded at the working resolution, prepared."""
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=92)
    photo = decode_photo(buffer.getvalue(), reduce_to_ipd_px=analysis_ipd_px())
    prepared = prepare(photo.rgb)
    derive_all(prepared)
    return prepared


def _reading(label: str, prepared: PreparedPhoto, region: str) -> tuple[dict[str, Any], float]:
    """The pores and lines rows in the hand region, and the region's area (cm2)."""
    mask = prepared.region(_hand_region(label, region, prepared.image_shape))
    area_cm2 = float(np.count_nonzero(mask)) * prepared.mm_per_px**2 / 100.0
    return measure(prepared, mask, ["pores", "wrinkles", "texture"]), area_cm2


@cache
def _bare(label: str) -> PreparedPhoto:
    return _uploaded(_enlarged(label))


def _planted(label: str, feature: Feature, region: str) -> tuple[PreparedPhoto, dict[str, Any]]:
    masks = _hand_region(label, region, _enlarged(label).shape)
    photo = plant_region(_enlarged(label), masks, [feature], _hand_mm_per_px(label), seed=5)
    return _uploaded(photo.rgb), photo.truth[0]


CASES = [(label, i) for label in PHOTOS for i in range(2)]
# (photo, setting) -> what was measured when the case was marked (strict xfail, issue 8).
KNOWN_PORE_MISSES = {
    ("12 MP head", 1): "issue 8: 12 pores of 1.0 mm, 12 L*: 8 counted (-33%). All 12 are found; "
    "3 refine to 1.13 mm, over the pores' range (pore_radius_mm up to 1.1), and are not pores. "
    "They lie in the cheek's darker part (flat-field L* 56-58 against 65): the shading adds to "
    "the filter's response at coarser scales. On a flat image a 1.0 mm dip reads 0.99-1.00 mm "
    "at this scale; the other nine read 0.93-1.07 (net of the bare photo's pore, 3 MP: 10 of 12 "
    "counted, face filling: 11)",
}


def _id(case: tuple[str, int]) -> str:
    return f"{case[0].replace(' ', '_')}-{case[1]}"


def _pore_cases() -> list[object]:
    return [
        pytest.param(
            case,
            id=_id(case),
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_PORE_MISSES[case])]
            if case in KNOWN_PORE_MISSES
            else [],
        )
        for case in CASES
    ]


@pytest.mark.parametrize("case", _pore_cases())
def test_planted_pores_are_counted_at_their_size(case: tuple[str, int]) -> None:
    label, i = case
    feature = PORES[i]
    after, _ = _planted(label, feature, "cheek_right")
    row, _ = _reading(label, after, "cheek_right")
    bare, _ = _reading(label, _bare(label), "cheek_right")
    found = row["pore_count"] - bare["pore_count"]
    assert abs(found / feature.count - 1.0) <= COUNT_TOLERANCE, (
        f"{label}: {feature.count} pores of {feature.size_mm} mm planted, {found} found "
        f"(bare {bare['pore_count']}, at {after.mm_per_px:.3f} mm/px)"
    )
    radius = float(np.sqrt(row["pore_mean_area_mm2"] / np.pi))
    assert abs(radius / feature.size_mm - 1.0) <= RADIUS_TOLERANCE, (
        f"{label}: pores of {feature.size_mm} mm read {radius:.2f} mm"
    )


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_planted_lines_are_measured_at_their_length(case: tuple[str, int]) -> None:
    label, i = case
    feature = LINES[i]
    after, truth = _planted(label, feature, "cheek_right")
    row, area = _reading(label, after, "cheek_right")
    bare_row, bare_area = _reading(label, _bare(label), "cheek_right")
    grown = (
        row["wrinkle_length_mm_per_cm2"] * area - bare_row["wrinkle_length_mm_per_cm2"] * bare_area
    )
    planted = float(truth["total_length_mm"])
    assert abs(grown / planted - 1.0) <= LENGTH_TOLERANCE, (
        f"{label}: {planted:.0f} mm of lines planted, {grown:.1f} mm found "
        f"(at {after.mm_per_px:.3f} mm/px)"
    )


def _relief_sq(label: str, planted: NDArray[np.uint8], region: NDArray[np.bool_]) -> float:
    """``bench_skin_tones.relief_sq`` of the planted photo against the bare one, at the full
    photo's scale, on the region's box and a margin (the change lies within the region)."""
    rows, cols = np.nonzero(region)
    pad = 64
    box = (
        slice(max(rows.min() - pad, 0), rows.max() + pad + 1),
        slice(max(cols.min() - pad, 0), cols.max() + pad + 1),
    )
    return relief_sq(planted[box], _enlarged(label)[box], _hand_mm_per_px(label), region[box])


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_planted_texture_raises_roughness_by_its_relief(case: tuple[str, int]) -> None:
    label, i = case
    region = _hand_region(label, "cheek_right", _enlarged(label).shape)
    photo = plant_region(_enlarged(label), region, [TEXTURES[i]], _hand_mm_per_px(label), seed=5)
    after = _uploaded(photo.rgb)
    r1 = _reading(label, after, "cheek_right")[0]["roughness_l"]
    r0 = _reading(label, _bare(label), "cheek_right")[0]["roughness_l"]
    excess = float(np.sqrt(max(r1**2 - r0**2, 0.0)))
    truth = _relief_sq(label, photo.rgb, region)
    assert abs(excess / truth - 1.0) <= ROUGHNESS_TOLERANCE, (
        f"{label}: relief Sq {truth:.2f} L* planted ({TEXTURES[i].contrast:g} L* of "
        f"{TEXTURES[i].size_mm} mm grain), roughness {r0:.2f} -> {r1:.2f} ({excess:.2f} added)"
    )
