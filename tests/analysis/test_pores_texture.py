"""Faint pores against the face's own texture (issue 8): why level 1 of the skin-tone suite's
pores lies under the pores' limit of quantitation (it was a strict xfail until the skin-tone
table held counts over their measuring interval), measured here so the reason is checked, not
only written down.

Level 1 plants 10 pores of 0.6 mm radius and 4 L* on the right cheek of the sample face
(benchmarks/bench_skin_tones.py LEVELS[0]). What the detector reads at a pore is linear: the
pore's own response plus the bare face's response at the same place and scale. Measured on the
sample face as generated (the flat field makes every tone read alike; the skin-tone suite's
faces miss the same pores):

- each pore alone (planted minus bare photo, the detector's scale-normalised LoG at the pore's
  centre and planted scale) reads 3.2-3.6 L* at the reference lightness the flat field sets, 5-20%
  over the 3.0 L* floor (pore_min_contrast_l). That is the flat field, not the detector: on the
  photo's own L* the same reading is 3.87-4.08 (the planted 4 L*), and the flat field, which keeps
  a feature's contrast relative to the skin's lightness (as a shadow's contrast is, so every
  tone reads alike), scales it by (65 + 16) / (L* + 16) of the skin around it (L* 74-94 here):
  4 x 81 / 90-100 = 3.2-3.6, the readings to 0.1 L*. On a flat image at the reference lightness
  the detector reads a 4 L* dip of this size at 3.82-3.92 wherever it falls in the pixel
  (tests/analysis/test_pores_subpixel.py); the floor is 3.5 L* on skin of L* 80;
- the bare face's response at the same places adds -1.5 to +1.4 L*, so the round ones read
  2.4-5.2 L*: two fall under the floor, one under 5 x the local texture SD (pore_min_snr, at a
  crease's edge) and one, on the crease, is not round: 6 of 10 are found;
- the bare face has round dark maxima of its own at the pores' scale: on the 17.5 cm2 right
  cheek 9 read 2.5-3.2 L*, 4-5 x the LoG's robust SD there (0.6 L*: real skin's texture is
  heavy-tailed). The floor takes one of them; a floor at the 8th planted pore's reading (2.8 L*)
  takes 3, at the 9th's (2.4 L*) 9: as many of the face's own as pores gained, or more.

Also tried on these photos (the skin-tone faces and the cross-talk ladders), none separating the
pores from the texture: the noise measured in the detector's own band (the local robust SD of
its response at the blob's scale, like with like) lets almost none of the bare face's maxima
through, but at every SNR the texture ladder allows (4 and over; at 3, 7 and 13 false pores on
its levels 2 and 4 against a limit of about 5) it keeps 3 of the pores ladder's 32 dense pores
(their rings fill the window) and finds 3-6 of the 10 faint ones; the texture SD with the pores
left out (the bare photo's own map, an oracle) finds one pore more (7 of 10). The pores do raise
the texture map at their places (by 0.09-0.28 L* at 8 of 10), and that loses one: at a crease's
edge, 5.2 L* deep against 1.2 L* planted, 0.93 bare. No map from the planted photo gets it back:
with the pores left out of its windows (wrinkles.signal_free_noise; disks of the round blobs over
the floor, or grown by one or two of the band's coarse sigmas) the windows lose the quiet skin the
pore covers and hold the crease: 1.11-1.2 L*, no pore more, while 2, 6 and 25 more spots are
found over the rest of the face (23 at level 1); an SNR of 4
instead of 5 finds one more and puts 10 false pores on the texture ladder; a floor relative to
the local lightness (Weber) is what the flat field already applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pytest
from benchmarks.bench_skin_tones import BARE, LEVELS
from numpy.typing import NDArray

from microneedling.analysis import metrics, pores
from microneedling.analysis.illumination import REFERENCE_L
from microneedling.analysis.prepare import PreparedPhoto, prepare
from microneedling.analysis.synthetic import SyntheticPhoto, base_face, make_photo, planting_zones
from microneedling.core.zones import FacialZone


@dataclass(frozen=True)
class Level1:
    bare: PreparedPhoto
    planted: PreparedPhoto
    centres: NDArray[np.float64]  # planted pores (row, col), working pixels
    radius_px: float  # planted radius, working pixels
    cheek: NDArray[np.bool_]  # the frozen planting zone, working pixels


def _working(photo: SyntheticPhoto, p: PreparedPhoto) -> NDArray[np.float64]:
    xy = np.asarray(photo.truth["pores"]["centres_px"], dtype=np.float64)
    return (xy[:, ::-1] - p.origin) * p.factor


@cache
def level1() -> Level1:
    _, landmarks, _ = base_face()
    photo = make_photo(LEVELS[0])
    bare = prepare(make_photo(BARE).rgb, landmarks=landmarks)
    planted = prepare(photo.rgb, landmarks=landmarks)
    zones = planting_zones()
    full = np.zeros(photo.rgb.shape[:2], dtype=bool)
    x0, y0 = zones.origin
    height, width = zones.labels.shape
    full[y0 : y0 + height, x0 : x0 + width] = zones.mask(FacialZone(photo.truth["pores"]["zone"]))
    radius = photo.truth["pores"]["radius_mm"] / planted.mm_per_px
    return Level1(bare, planted, _working(photo, planted), radius, planted.region(full))


def _response(p: PreparedPhoto, centres: NDArray[np.float64], radius_px: float) -> np.ndarray:
    spots = pores.Spots(centres, np.full(len(centres), radius_px))
    return pores.blob_response(metrics.flat_lightness(p), spots)


def _round_maxima(p: PreparedPhoto, floor_l: float) -> pores.Spots:
    """The pore detector with its radius range and roundness, without the SNR test."""
    m = p.settings.metrics
    flat = metrics.flat_lightness(p)
    return pores.dark_blobs(
        flat,
        metrics.bare_skin(p),
        p.mm_per_px,
        radius_mm=(m.pore_radius_mm.min, m.pore_radius_mm.max),
        min_contrast=floor_l,
        min_snr=0.0,
        min_roundness=m.blob_min_roundness.value,
        noise=np.zeros_like(flat),
        max_sigma_px=pores.PORE_MAX_SIGMA_PX,
    )


def _readings(spots: pores.Spots, centres: NDArray[np.float64]) -> NDArray[np.float64]:
    """The contrast of the spot within a pixel of each centre (0 where none is)."""
    assert spots.contrast is not None
    if len(spots.radii_px) == 0:
        return np.zeros(len(centres))
    apart = np.hypot(*(spots.centres_px[None, :, :] - centres[:, None, :]).transpose(2, 0, 1))
    nearest = apart.argmin(axis=1)
    return np.where(apart.min(axis=1) <= 1.0, spots.contrast[nearest], 0.0)


def test_each_faint_pore_alone_reads_just_over_the_floor() -> None:
    """Planted minus bare at each pore: 0-25% over the floor (measured 3.0-3.7 L*)."""
    case = level1()
    floor = case.planted.settings.metrics.pore_min_contrast_l.value
    alone = _response(case.planted, case.centres, case.radius_px) - _response(
        case.bare, case.centres, case.radius_px
    )
    assert len(alone) == 10
    assert alone.min() >= 0.95 * floor
    assert alone.max() <= 1.3 * floor


def test_a_faint_pore_reads_its_depth_relative_to_the_skin_lightness() -> None:
    """Why a 4 L* pore reads 3.2-3.6 L*: the detector's filter on the photo's own L* reads the
    planted depth (measured 3.87-4.08), and on the flat field that depth scaled by
    (reference + 16) / (L* + 16) of the skin around the pore (the bare face's shading: predicted
    3.23-3.62, read 3.24-3.55, within 0.12 L*)."""
    case = level1()
    spots = pores.Spots(case.centres, np.full(len(case.centres), case.radius_px))

    def raw(p: PreparedPhoto) -> NDArray[np.float64]:
        return pores.blob_response(np.ascontiguousarray(p.lab[..., 0], np.float32), spots)

    depth = LEVELS[0].pore_depth_l
    raw_alone = raw(case.planted) - raw(case.bare)
    assert np.all(np.abs(raw_alone - depth) <= 0.05 * depth)
    alone = _response(case.planted, case.centres, case.radius_px) - _response(
        case.bare, case.centres, case.radius_px
    )
    rows, cols = np.rint(case.centres).astype(np.intp).T
    shading = metrics.skin_means(case.bare)[0][rows, cols]  # local mean of L* + 16
    predicted = depth * (REFERENCE_L + 16.0) / shading
    assert np.all(np.abs(alone - predicted) <= 0.15)


def test_the_pore_free_texture_map_finds_no_eighth_pore() -> None:
    """The pores raise the texture map (pore_min_snr's denominator) at their own places
    (measured at 8 of 10, by 0.09-0.28 L*), but the map without them, the bare photo's own (an
    oracle: no estimate of the texture with the pores left out does better), with the floor
    finds 7 of 10 (6 with the planted photo's map, whose SNR test loses one at a crease's edge):
    the other three are lost to the floor (read 2.82 and 2.43 L*) and the roundness test."""
    case = level1()
    rows, cols = np.rint(case.centres).astype(np.intp).T
    bare_noise = metrics.texture_noise(case.bare)
    raised = metrics.texture_noise(case.planted)[rows, cols] - bare_noise[rows, cols]
    assert np.all(raised >= 0.0)
    assert np.count_nonzero(raised > 0.05) >= 6
    m = case.planted.settings.metrics
    spots = pores.dark_blobs(
        metrics.flat_lightness(case.planted),
        metrics.bare_skin(case.planted),
        case.planted.mm_per_px,
        radius_mm=(m.pore_radius_mm.min, m.pore_radius_mm.max),
        min_contrast=m.pore_min_contrast_l.value,
        min_snr=m.pore_min_snr.value,
        min_roundness=m.blob_min_roundness.value,
        noise=bare_noise,
        max_sigma_px=pores.PORE_MAX_SIGMA_PX,
    )
    assert np.count_nonzero(_readings(spots, case.centres)) < 8


def test_the_face_texture_moves_a_faint_pore_by_more_than_its_margin() -> None:
    """The bare face's response at the pores' places and scale spans more than the pores'
    margin over the floor both ways (measured -1.5 to +2.0 L*, margins 0-0.7 L*)."""
    case = level1()
    floor = case.planted.settings.metrics.pore_min_contrast_l.value
    texture = _response(case.bare, case.centres, case.radius_px)
    alone = _response(case.planted, case.centres, case.radius_px) - texture
    margin = alone - floor
    assert np.count_nonzero(texture < -margin) >= 2  # pulled under the floor
    assert texture.max() > 1.0 and texture.min() < -1.0


def test_the_missed_faint_pores_read_within_the_face_texture() -> None:
    """Each planted pore read under the floor reads no more than at least two of the bare face's
    own round dark maxima in the same zone (measured: 2.8 and 2.4 L*, under 3 and 9 of them),
    while the floor itself takes at most two of them (measured one, 3.2 L*)."""
    case = level1()
    floor = case.planted.settings.metrics.pore_min_contrast_l.value
    readings = _readings(_round_maxima(case.planted, 1.0), case.centres)
    missed = readings[(readings > 0) & (readings < floor)]
    assert missed.size >= 1
    face = _round_maxima(case.bare, 1.0)
    assert face.contrast is not None
    own = face.contrast[face.inside(case.cheek)]
    assert np.count_nonzero(own >= floor) <= 2
    for reading in missed:
        assert np.count_nonzero(own >= reading) >= 2


# The lowest pore_min_snr measured that the cross-talk texture ladder keeps: pores on its top level
# rise from 1 bare to 5 at 4.5, 6 at 4.4 and 7 at 4.29, against a limit of 4.65 (benchmarks/
# bench_crosstalk.py); the crease's pore reads 4.29 x the local texture SD.
LOWEST_TEXTURE_SNR = 4.5


@pytest.mark.parametrize("snr", [None, LOWEST_TEXTURE_SNR], ids=["setting", "lowest_allowed"])
def test_no_floor_finds_eight_with_the_texture_snr(snr: float | None) -> None:
    """With the texture SNR test kept (pore_min_snr, or the lowest the texture ladder allows) no
    floor at all finds 8 of the 10 planted pores (measured 7 with either; 6 at the 3.0 L*
    floor): one reads under 4.5 x the local texture SD (4.29, at a crease's edge, where the
    texture map takes the rougher side), one is not round, one reads 3.75 x. So no pair of floor
    and SNR that keeps the texture ladder finds 8."""
    case = level1()
    m = case.planted.settings.metrics
    flat = metrics.flat_lightness(case.planted)
    spots = pores.dark_blobs(
        flat,
        metrics.bare_skin(case.planted),
        case.planted.mm_per_px,
        radius_mm=(m.pore_radius_mm.min, m.pore_radius_mm.max),
        min_contrast=0.5,
        min_snr=m.pore_min_snr.value if snr is None else snr,
        min_roundness=m.blob_min_roundness.value,
        noise=metrics.texture_noise(case.planted),
        max_sigma_px=pores.PORE_MAX_SIGMA_PX,
    )
    assert np.count_nonzero(_readings(spots, case.centres)) < 8
