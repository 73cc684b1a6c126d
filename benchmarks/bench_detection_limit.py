"""Limit of detection per skin tone (issue 8): how faint a pore or a line may be and still be
found, on faces re-toned across the six ITA° categories, printed by `make bench`.

Why: the skin-tone table (`bench_skin_tones.py`) holds every tone to the same tolerance at four
planted levels; its faintest level sits at the detection floor on every tone. What a clinician
needs to know there is the floor itself, and that it is the same on every tone: a detector that
is fair to darker skin finds the same planted contrast on it (the re-toning keeps each feature's
reflectance contrast, `analysis/skin_tone.py`).

Planted (one face per depth, seed 2, not a ladder seed; depths in L* on the untoned base face):
- pores: 20 of radius 0.6 mm (the ladders' smallest) on the right cheek;
- lines: 2 of 10 mm, 0.5 mm wide (the ladders' faintest line) on the forehead;
at depths ``DEPTHS_L``. The detected share of pores at a depth is the share of the planted pores
found, each matched to a pore found within its planted radius of its centre (pores planted where
the analysis does not seek them, off the zone's skin 1 mm inside the edge, are not counted: the
planting map is frozen and reaches past the outline); their false finds are the zone's count less
the bare face's of the same tone less the matched ones. The share of lines is the line length
found over the bare face's, over the length planted. The limit of detection LOD_p is the depth
from which the share stays at or above p, interpolated linearly in depth between the last depth
under p and the first at or over it (ISO 11843's minimum detectable value, read off a detection
curve instead of a calibration line).

Targets, stated before measuring:
- fair: on every tone, LOD80 of pores and of lines at most ``FAIR_STEP_L`` (1 L*, a step of the
  depth grid around the floor) above the very light face's;
- defined: every tone reaches a share of 0.8 within the grid (else its LOD is "> 8 L*": fails);
- no invention: pores' false finds at most 0.2 of the planted count at every depth; lines'
  share at most 1.2 (length found beyond the planted is false).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import NDArray

from microneedling.analysis.metrics import inner_skin, pore_spots
from microneedling.analysis.pipeline import PhotoAnalysis, measure_zones
from microneedling.analysis.prepare import PreparedPhoto, prepare
from microneedling.analysis.skin_tone import ITA_CATEGORIES, ItaCategory, category, tone_photo
from microneedling.analysis.synthetic import Plan, SyntheticPhoto, make_photo
from microneedling.analysis.zones import ANALYSED_ZONES
from microneedling.core.zones import FacialZone

DEPTHS_L = (2.0, 3.0, 4.0, 5.0, 6.0, 8.0)
PORES = 20
PORE_RADIUS_MM = 0.6
LINES = 2
LINE_LENGTH_MM = 10.0
LINE_WIDTH_MM = 0.5
SEED = 2
SHARES = (0.5, 0.8)
FAIR_STEP_L = 1.0  # LOD80 at most this much above the very light face's, on every tone
MOST_SHARE = 1.2  # lines: more than this share of the planted length is false
MOST_FALSE = 0.2  # pores: more false finds than this share of the planted count
PORE_ZONE = FacialZone.CHEEK_RIGHT
LINE_ZONE = FacialZone.FOREHEAD


def plan(depth_l: float) -> Plan:
    """Pores and lines at one depth; 0 plants nothing (the bare face of the same seed)."""
    if depth_l == 0.0:
        return Plan(seed=SEED, redness_zone=None)
    return Plan(
        redness_zone=None,
        pore_count=PORES,
        pore_radius_mm=PORE_RADIUS_MM,
        pore_depth_l=depth_l,
        wrinkle_count=LINES,
        wrinkle_length_mm=LINE_LENGTH_MM,
        wrinkle_width_mm=LINE_WIDTH_MM,
        wrinkle_depth_l=depth_l,
        seed=SEED,
    )


@cache
def _planted(depth_l: float) -> SyntheticPhoto:
    return make_photo(plan(depth_l))


def _length_mm(result: PhotoAnalysis) -> float:
    m = result.metric(LINE_ZONE)
    return float(m.wrinkle_length_mm_per_cm2) * m.area_cm2


@dataclass(frozen=True)
class DetectionCurve:
    """Detected share by depth for one feature on one tone (and, for pores, false finds as a
    share of the planted count)."""

    feature: str
    depths_l: tuple[float, ...]
    shares: tuple[float, ...]
    false_shares: tuple[float, ...] = ()

    def limit(self, share: float) -> float:
        """LOD at ``share``: the depth from which the share stays at or above it (linear between
        grid depths); inf when the deepest depth is under it."""
        if self.shares[-1] < share:
            return math.inf
        i = len(self.shares) - 1
        while i > 0 and self.shares[i - 1] >= share:
            i -= 1
        if i == 0:
            return self.depths_l[0]
        d0, d1 = self.depths_l[i - 1], self.depths_l[i]
        s0, s1 = self.shares[i - 1], self.shares[i]
        return d0 + (share - s0) / (s1 - s0) * (d1 - d0)

    @property
    def errors(self) -> tuple[float, ...]:
        """The count's relative error at each depth, as a recovery reads it: what the zone gained
        over the planted amount, less 1 (pores: the matched share plus the false finds)."""
        false = self.false_shares or (0.0,) * len(self.shares)
        return tuple(s + f - 1.0 for s, f in zip(self.shares, false, strict=True))

    def quantitation_limit(self, tolerance: float) -> float:
        """LoQ for an accuracy goal of ``tolerance`` (relative error): the depth from which the
        error stays within it (CLSI EP17-A2's limit of quantitation: the lowest amount measured
        with the stated accuracy), linear in depth between the last depth outside and the first
        inside, by how far each lies from the goal; inf when the deepest depth is outside.
        A share of counts is a ratio of small integers: errors are compared to 1e-9."""
        outside = [abs(e) > tolerance + 1e-9 for e in self.errors]
        if outside[-1]:
            return math.inf
        i = len(outside) - 1
        while i > 0 and not outside[i - 1]:
            i -= 1
        if i == 0:
            return self.depths_l[0]
        d0, d1 = self.depths_l[i - 1], self.depths_l[i]
        e0, e1 = abs(self.errors[i - 1]), abs(self.errors[i])  # e0 > tolerance >~ e1
        return d0 + min((e0 - tolerance) / (e0 - e1), 1.0) * (d1 - d0)

    def at(self, depth_l: float) -> tuple[float, float]:
        """The share and the error at ``depth_l``, linear between grid depths (held at the grid's
        ends)."""
        share = float(np.interp(depth_l, self.depths_l, self.shares))
        return share, float(np.interp(depth_l, self.depths_l, self.errors))


@dataclass(frozen=True)
class ToneLimits:
    tone: ItaCategory
    pores: DetectionCurve
    lines: DetectionCurve
    pores_sought: int  # of the planted pores, those where the analysis seeks pores


def sought_centres(
    prepared: PreparedPhoto, photo: SyntheticPhoto, zone: FacialZone = PORE_ZONE
) -> NDArray[np.float64]:
    """The planted pore centres (row, col; working pixels) in ``zone``, at least
    ``skin_edge_mm`` inside the skin (``metrics.inner_skin``): where pores are sought."""
    searched = (prepared.labels == ANALYSED_ZONES.index(zone)) & inner_skin(prepared)
    xy = np.asarray(photo.truth["pores"]["centres_px"], dtype=np.float64)  # (x, y), full photo
    rows = (xy[:, 1] - prepared.origin[0]) * prepared.factor
    cols = (xy[:, 0] - prepared.origin[1]) * prepared.factor
    r, c = np.rint(rows).astype(int), np.rint(cols).astype(int)
    ok = (r >= 0) & (r < searched.shape[0]) & (c >= 0) & (c < searched.shape[1])
    ok[ok] = searched[r[ok], c[ok]]
    return np.column_stack([rows, cols])[ok]


def matched(found: NDArray[np.float64], planted: NDArray[np.float64], reach_px: float) -> int:
    """Planted centres with a found centre within ``reach_px``, each found one matched once
    (nearest pairs first)."""
    if len(found) == 0 or len(planted) == 0:
        return 0
    distance = np.hypot(*(planted[:, None, :] - found[None, :, :]).transpose(2, 0, 1))
    pairs = 0
    while True:
        i, j = np.unravel_index(int(np.argmin(distance)), distance.shape)
        if distance[i, j] > reach_px:
            return pairs
        pairs += 1
        distance[i, :] = np.inf
        distance[:, j] = np.inf


def run_tone(tone: ItaCategory, depths_l: Sequence[float] = DEPTHS_L) -> ToneLimits:
    """Re-tone the bare face and the face at each depth to ``tone``; the detection curves."""
    before = measure_zones(prepare(tone_photo(_planted(0.0), tone.target).rgb))
    bare_count = before.metric(PORE_ZONE).pore_count
    pores, false, lines = [], [], []
    sought = 0
    for depth in depths_l:
        photo = tone_photo(_planted(depth), tone.target)
        prepared = prepare(photo.rgb)
        after = measure_zones(prepared)
        centres = sought_centres(prepared, photo)
        sought = len(centres)
        spots = pore_spots(prepared)
        in_zone = spots.subset(spots.inside(prepared.labels == ANALYSED_ZONES.index(PORE_ZONE)))
        reach = PORE_RADIUS_MM / prepared.mm_per_px
        hits = matched(in_zone.centres_px, centres, reach)
        pores.append(hits / sought)
        extra = after.metric(PORE_ZONE).pore_count - bare_count - hits
        false.append(extra / sought)
        grown = _length_mm(after) - _length_mm(before)
        lines.append(grown / (LINES * LINE_LENGTH_MM))
    depths = tuple(depths_l)
    return ToneLimits(
        tone,
        DetectionCurve("pores", depths, tuple(pores), tuple(false)),
        DetectionCurve("lines", depths, tuple(lines)),
        sought,
    )


@cache
def tone_limits(name: str) -> ToneLimits:
    """The detection curves of the tone called ``name`` on the full depth grid, measured once
    per process (the skin-tone table reads its limits of quantitation from them too)."""
    return run_tone(category(name))


def run(tones: Sequence[str]) -> list[ToneLimits]:
    return [tone_limits(name) for name in tones]


def verdicts(results: Sequence[ToneLimits]) -> list[str]:
    """Every target the results miss, worded for a reader; empty when all hold."""
    misses: list[str] = []
    reference = next(r for r in results if r.tone.name == "very light")
    for r in results:
        for curve, ref in ((r.pores, reference.pores), (r.lines, reference.lines)):
            lod, ref_lod = curve.limit(0.8), ref.limit(0.8)
            if not math.isfinite(lod):
                misses.append(f"{r.tone.name} {curve.feature}: never 80% detected up to 8 L*")
            elif lod > ref_lod + FAIR_STEP_L:
                misses.append(
                    f"{r.tone.name} {curve.feature}: LOD80 {lod:.2f} L* > very light's "
                    f"{ref_lod:.2f} + {FAIR_STEP_L:g}"
                )
        for depth, share in zip(r.lines.depths_l, r.lines.shares, strict=True):
            if share > MOST_SHARE:
                misses.append(f"{r.tone.name} lines at {depth:g} L*: {share:.2f} of planted")
        for depth, share in zip(r.pores.depths_l, r.pores.false_shares, strict=True):
            if share > MOST_FALSE:
                misses.append(f"{r.tone.name} pores at {depth:g} L*: false finds {share:.2f}")
    return misses


def lod_text(value: float) -> str:
    return "> 8" if not math.isfinite(value) else f"{value:.2f}"


def table(results: Sequence[ToneLimits]) -> str:
    depths = results[0].pores.depths_l
    head = (
        f"{'category':<14}{'feature':<8}"
        + "".join(f"{f'{d:g} L*':>8}" for d in depths)
        + "".join(f"{f'LOD{round(100 * s)}':>8}" for s in SHARES)
    )
    lines = [head, "-" * len(head)]
    for r in results:
        for curve in (r.pores, r.lines):
            lines.append(
                f"{r.tone.name:<14}{curve.feature:<8}"
                + "".join(f"{s:>8.2f}" for s in curve.shares)
                + "".join(f"{lod_text(curve.limit(s)):>8}" for s in SHARES)
            )
        lines.append(
            f"{'':<14}{'false':<8}"
            + "".join(f"{s:>8.2f}" for s in r.pores.false_shares)
            + f"  (pores found less the bare face's less those matched, per planted pore; below 0 "
            f"a spot of the bare face's own is no longer counted; {r.pores_sought} of {PORES} "
            "planted where sought)"
        )
    return "\n".join(lines)


def main() -> None:
    start = time.perf_counter()
    results = run([c.name for c in ITA_CATEGORIES])
    seconds = time.perf_counter() - start
    print(
        f"Limit of detection per skin tone (issue 8): detected share of {PORES} pores "
        f"(r {PORE_RADIUS_MM} mm) and {LINES} lines ({LINE_LENGTH_MM:g} mm, {LINE_WIDTH_MM} mm "
        f"wide) by planted depth; LOD in L* on the untoned face ({seconds:.0f} s)"
    )
    print(table(results))
    misses = verdicts(results)
    print("targets: " + ("all hold" if not misses else "; ".join(misses)))


if __name__ == "__main__":
    main()
