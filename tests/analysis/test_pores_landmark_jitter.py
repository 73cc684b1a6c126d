"""Pore counts hold when the landmarks move by a pixel or two and the photo does not.

The wrinkle jitter test's moves (``perturbations``: rigid 1-3 px shifts, +-1% scale, 1 px
Gaussian jitter per point, and none): the zones and the skin's outline move with the landmarks,
the photo stays, as between two landmark model versions or two crops of the same photo. A
clinician's pore count must not depend on where the landmark model put the face's outline.

Limits, stated before measuring:

- lines are not taken for pores (the planted-truth test's check, here in every move): four lines
  of 10 L* planted in the left cheek change its pore count by at most 2;
- 20 pores of 12 L* planted in a cheek are found within 20% (the planted-truth test's limit) of
  those planted where the unmoved analysis seeks them (in the zone, ``skin_edge_mm`` inside the
  skin: 15 of 20 in the left cheek, whose frozen planting zone reaches past the outline; this
  truth was corrected after the first measurement, which held the left cheek to all 20), in
  every move, and the found count's SD over the moves is at most 5% of 20 (issue 8's
  repeatability target for pores);
- on the bare photo each cheek's pore count varies by at most 1 over the moves (a move of 1-3 px
  may carry one spot across the zone's edge).

Measured before the fix (pores sought on the whole skin, refined radii up to 1.5 mm taken): the
lines changed the left cheek's count by -3 to 0 (|extra| > 2 in 6 of 14 moves), the bare cheeks
read 3-5 and 1-3 pores, 20 planted in the left cheek 12-17 (SD 1.24): the outline's own dark
band (spots 1.4-2.8 px inside the skin's edge, 7-16 L* deep) came and went with the outline, and
three of the face's faint spots (1.2-1.4 mm radius, above the stated 0.45-1.1 mm range) lay under
the planted lines. After: lines 0 in every move, bare cheeks 0 and 1, planted 14-16 (SD 0.53) in
the left cheek and 19 in every move in the right.
"""

from __future__ import annotations

import numpy as np
import pytest
from benchmarks.bench_detection_limit import sought_centres
from numpy.typing import NDArray

from microneedling.analysis.landmarks import Landmarks
from microneedling.analysis.metrics import inner_skin, measure
from microneedling.analysis.prepare import prepare
from microneedling.analysis.synthetic import Plan, base_face, make_photo
from microneedling.analysis.zones import ANALYSED_ZONES
from microneedling.core.zones import FacialZone as Z
from tests.analysis.test_wrinkles_landmark_jitter import perturbations

PLANTED_PORES = 20
CHEEKS = (Z.CHEEK_LEFT, Z.CHEEK_RIGHT)
PLANS = {
    "bare": Plan(),
    "lines": Plan(wrinkle_zone=Z.CHEEK_LEFT, wrinkle_count=4, wrinkle_depth_l=10.0),
    **{
        f"pores {zone.value}": Plan(pore_zone=zone, pore_count=PLANTED_PORES, pore_depth_l=12.0)
        for zone in CHEEKS
    },
}

Counts = dict[str, dict[str, dict[Z, int]]]  # move -> photo -> zone -> pore count


def pore_counts(rgb: NDArray[np.uint8], marks: Landmarks) -> dict[Z, int]:
    """Each cheek's pore count on ``rgb`` measured with ``marks``."""
    prepared = prepare(rgb, landmarks=marks)
    zones = {zone: prepared.labels == ANALYSED_ZONES.index(zone) for zone in CHEEKS}
    return {
        zone: int(measure(prepared, mask, ["pores"])["pore_count"]) for zone, mask in zones.items()
    }


def all_counts() -> Counts:
    """Each cheek's pore count on each photo, per move."""
    _, marks, _ = base_face()
    photos = {name: make_photo(plan).rgb for name, plan in PLANS.items()}
    return {
        move: {name: pore_counts(rgb, moved) for name, rgb in photos.items()}
        for move, moved in perturbations(marks)
    }


@pytest.fixture(scope="module")
def counts() -> Counts:
    return all_counts()


def test_lines_are_not_taken_for_pores_when_the_landmarks_move(counts: Counts) -> None:
    extra = {m: c["lines"][Z.CHEEK_LEFT] - c["bare"][Z.CHEEK_LEFT] for m, c in counts.items()}
    assert all(abs(e) <= 2 for e in extra.values()), extra


def planted_found(counts: Counts, zone: Z) -> dict[str, int]:
    """Pores found in ``zone`` with 20 planted there, less the bare photo's, per move."""
    return {m: c[f"pores {zone.value}"][zone] - c["bare"][zone] for m, c in counts.items()}


def planted_inside(zone: Z) -> int:
    """The pores planted in ``zone`` whose centres lie where the unmoved analysis seeks them: in
    the zone and on its skin at least ``skin_edge_mm`` inside the edge (``metrics.inner_skin``).

    Why not all 20: the planting map is frozen (``synthetic.planting_zones``) and reaches past
    the analysed skin's outline at the left cheek's side; 5 of the 20 are planted there, off the
    skin the analysis measures. A pore there is not one the zone holds.
    """
    _, marks, _ = base_face()
    photo = make_photo(PLANS[f"pores {zone.value}"])
    return len(sought_centres(prepare(photo.rgb, landmarks=marks), photo, zone))


@pytest.mark.parametrize("zone", CHEEKS, ids=lambda z: z.value)
def test_planted_pores_are_found_in_every_move(counts: Counts, zone: Z) -> None:
    found = planted_found(counts, zone)
    truth = planted_inside(zone)
    assert truth >= 0.7 * PLANTED_PORES, f"only {truth} of {PLANTED_PORES} planted where sought"
    for n in found.values():
        assert n == pytest.approx(truth, rel=0.2), (truth, found)


@pytest.mark.parametrize("zone", CHEEKS, ids=lambda z: z.value)
def test_planted_pore_count_spread_under_landmark_moves(counts: Counts, zone: Z) -> None:
    found = planted_found(counts, zone)
    assert np.std(list(found.values()), ddof=1) <= 0.05 * PLANTED_PORES, found


@pytest.mark.parametrize("zone", CHEEKS, ids=lambda z: z.value)
def test_bare_cheek_pore_count_holds_when_the_landmarks_move(counts: Counts, zone: Z) -> None:
    bare = {m: c["bare"][zone] for m, c in counts.items()}
    assert max(bare.values()) - min(bare.values()) <= 1, bare


def test_pore_density_is_per_cm2_of_the_skin_searched() -> None:
    """Pores are sought ``skin_edge_mm`` inside the skin, so their density divides by that skin
    in the zone, not by the whole zone (the right cheek reaches the face's outline)."""
    _, marks, _ = base_face()
    prepared = prepare(make_photo(PLANS[f"pores {Z.CHEEK_RIGHT.value}"]).rgb, landmarks=marks)
    zone = prepared.labels == ANALYSED_ZONES.index(Z.CHEEK_RIGHT)
    searched = zone & inner_skin(prepared)
    row = measure(prepared, zone, ["pores"])
    assert 0 < np.count_nonzero(searched) < 0.98 * np.count_nonzero(zone)
    area_cm2 = np.count_nonzero(searched) * prepared.mm_per_px**2 / 100.0
    assert row["pore_count"] >= 15
    assert row["pores_per_cm2"] == pytest.approx(row["pore_count"] / area_cm2, rel=1e-9)
