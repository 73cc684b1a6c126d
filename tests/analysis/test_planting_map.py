"""The synthetic face's frozen planting map (analysis/data/base_face_planting.*).

Features are planted in a map of the base face's zones that was drawn once by the landmark and
zone code and then frozen, so that planting no longer follows the code. These tests check the
map against what does not move with the code (the hand-annotated skin regions), show how far the
live code has drifted from it (a tolerance, not an equality pin: the landmarks will move), and
check that planting reads the frozen map.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from numpy.typing import NDArray

from microneedling.analysis.crosstalk import hand_regions
from microneedling.analysis.synthetic import (
    Plan,
    base_hair,
    base_rgb,
    draw_planting_map,
    make_photo,
    plantable,
    planting_zones,
)
from microneedling.analysis.zones import ANALYSED_ZONES, NONE, ZoneMap
from microneedling.core.zones import FacialZone

HAND = Path(__file__).parent / "data" / "hand_regions.yaml"
# Of the frozen face box's pixels, live labels against frozen ones. Moving the whole frozen map
# by 1 px (0.37 mm) down leaves 97.8% agreeing, by 3 px (1.1 mm) 93.5%, by 5 px (1.8 mm) 89.4%:
# 0.90 lets the zones move by up to ~1.5 mm, less than the margins features keep from a zone's
# edge (lines 3 widths + 2 px, ~2.5 mm), so a planted feature stays in the zone the analysis reads.
MIN_LABEL_AGREEMENT = 0.90
MAX_SCALE_DRIFT = 0.03  # relative, the live pupils' scale against the frozen one


def full_labels(zones: ZoneMap, shape: tuple[int, ...]) -> NDArray[np.int8]:
    """A zone map's labels over the whole image (NONE outside its box)."""
    out = np.full(shape[:2], NONE, dtype=np.int8)
    x0, y0 = zones.origin
    h, w = zones.labels.shape
    out[y0 : y0 + h, x0 : x0 + w] = zones.labels
    return out


def test_frozen_map_is_the_face_it_claims() -> None:
    """Every analysed zone is in it, the fringe lies on the forehead only, the scale is a face's."""
    zones = planting_zones()
    assert set(zones.zones_present()) == set(ANALYSED_ZONES)
    hair = base_hair()
    assert hair.shape == zones.labels.shape
    assert 0 < hair.sum() < zones.mask(FacialZone.FOREHEAD).sum()
    assert not (hair & (zones.labels >= 0) & ~zones.mask(FacialZone.FOREHEAD)).any()
    assert 0.3 < zones.mm_per_px < 0.45  # a 2048 px portrait of a ~15 cm wide head


def test_hand_regions_lie_on_the_frozen_skin() -> None:
    """The hand-annotated cheeks (drawn by eye on the portrait, independent of any landmark or zone
    code) lie on the frozen map's skin, each mostly in the cheek of its side (their upper rows
    are the periorbital band, which reaches 0.3 pupil distances below the pupils), and the
    hand-marked pupils give the frozen scale."""
    rgb = base_rgb()
    zones = planting_zones()
    labels = full_labels(zones, rgb.shape)
    regions, mm_per_px = hand_regions(HAND, rgb.shape)
    for name in ("cheek_right", "cheek_left"):
        on_skin = labels[regions[name]] >= 0
        in_cheek = labels[regions[name]] == ANALYSED_ZONES.index(FacialZone(name))
        assert on_skin.mean() >= 0.95, (name, float(on_skin.mean()))
        assert in_cheek.mean() >= 0.45, (name, float(in_cheek.mean()))
    assert mm_per_px == pytest.approx(zones.mm_per_px, rel=0.06)


def test_live_code_has_not_drifted_far_from_the_frozen_map() -> None:
    """The zones the live code draws today agree with the frozen ones on at least
    MIN_LABEL_AGREEMENT of the frozen face box; per-zone areas are printed, so drift is visible."""
    frozen = planting_zones()
    live, live_hair = draw_planting_map()
    shape = base_rgb().shape
    x0, y0 = frozen.origin
    h, w = frozen.labels.shape
    box = (slice(y0, y0 + h), slice(x0, x0 + w))
    live_labels = full_labels(live, shape)[box]
    agreement = float(np.mean(live_labels == frozen.labels))
    print(
        f"\nlabel agreement {agreement:.4f} of {h * w} px; scale {live.mm_per_px:.4f} "
        f"(frozen {frozen.mm_per_px:.4f}) mm/px"
    )
    for zone in ANALYSED_ZONES:
        print(
            f"  {zone.value:18s} frozen {frozen.area_cm2(zone):6.2f} cm2  "
            f"live {live.area_cm2(zone):6.2f} cm2"
        )
    assert agreement >= MIN_LABEL_AGREEMENT
    assert live.mm_per_px == pytest.approx(frozen.mm_per_px, rel=MAX_SCALE_DRIFT)
    hair_full = np.zeros(shape[:2], dtype=bool)
    lx, ly = live.origin
    lh, lw = live_hair.shape
    hair_full[ly : ly + lh, lx : lx + lw] = live_hair
    frozen_hair = base_hair()
    overlap = (hair_full[box] & frozen_hair).sum() / max((hair_full[box] | frozen_hair).sum(), 1)
    print(f"  fringe overlap (IoU) {overlap:.3f}")


def test_features_are_planted_in_the_frozen_zones() -> None:
    """Pore centres and redness disks fall on the frozen map's plantable skin of their zone."""
    zones = planting_zones()
    photo = make_photo(Plan(redness_delta_a=8, pore_count=30, seed=5))
    ox, oy = zones.origin
    pores = plantable(zones, FacialZone.CHEEK_RIGHT)
    for x, y in photo.truth["pores"]["centres_px"]:
        assert pores[round(y) - oy, round(x) - ox]
    cx, cy = photo.truth["redness"]["centre_px"]
    assert zones.mask(FacialZone.CHEEK_LEFT)[round(cy) - oy, round(cx) - ox]
    assert photo.mm_per_px == zones.mm_per_px
