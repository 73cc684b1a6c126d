"""The local texture noise map holds at points well inside the skin when only the landmarks move.

Pores, lines and scars must stand out of ``min_snr`` x the local texture SD
(``metrics.texture_noise``). The photo stays and only the landmarks move (the perturbations of
tests/analysis/test_wrinkles_landmark_jitter.py: rigid shifts of up to 3 px, +-1% scale, 1 px
jitter); the zones, the skin's outline and the working crop move with them. A point at least one
contrast window inside the inner skin reads, in its window, only skin pixels whatever the
outline does, so its value should stay.

Limits, stated before measuring (the lead's brief): at the points at least one window
(``contrast_window_mm``) inside the inner skin in the unmoved and in every moved analysis, the
moved map within 5% of the unmoved map's value at the 95th percentile of the points, (a) of all
13 moves together and (b) of each move.

Measured on the sample face: before, (a) 16.7% (p99 33%, largest 100%), (b) 6-17% for the shifts,
0-11% for three jitters, 17-25% for the scale moves and the jitter of seed 2. Two causes. The flat
field's shading was reduced to 4 px sigmas over a grid laid from the crop's corner, which moves with
the landmarks: the band-pass read the moved sampling (0.014-0.024 L* at the 95th percentile under
the shifts; 0.002-0.004 reduced to 8 px sigmas, as at full resolution:
``illumination.SHADING_REDUCED_SIGMA_PX``). Now (a) 0.0%, p99 25%; (b) 0% for the shifts and 3 of 4
jitters, 17% at -1% and at +1% scale, 25% for the jitter of seed 2, whose scale (mm per pixel, from
the landmarks) is 2.4% finer, so the window and the band's Gaussians (in mm) span other pixel
counts. The second cause is the 1/16 L* coding of ``local_contrast``: 1-6 steps on this face, so a
change of 1-2% of the band flips a code worth 17-100%. Finer codes bring the other 12 moves to
0.8-4.4% (1/32 octave, log, 1 L* or the skin's median |detail| at code 128: (a) 4.4% and 4.1%,
(b) 2.1-4.4% and 1.6-4.1%), but no coding brings the jitter of seed 2 under the limit: 6.2-6.7%
at 1/32 octave and finer (6.2% with steps of 1/128 of the skin's median |detail|, 8.8% at 1/16).
That part is the band, not the codes: on the unmoved photo with float medians the band taken at
seed 2's scale moves the map by 5.9% at the 95th percentile (+4.2% at the median;
2.4% at +-1% scale; 5.4% with the fine Gaussian also in mm, without its 0.5 px floor), as its
coarse Gaussian (``texture_coarse_mm``) spans 2.5% more pixels. (b) fails on the landmarks'
scale (mm per pixel), whatever the coding. Finer codes also cost 5-14 ms more of the median
filter on the 12 MP benchmark photo (13.9 ms now, best CPU; its histograms' coarse bins change
more often), and codes scaled to the skin's median clip on rough skin (at 4 x and 8 x that
median the cross-talk texture ladder's top level read 36 and 12 pores, limit 4.65). A median on
a 2x reduced grid (a quarter of the cost) moves by 10-12% between the grid's phases there.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from microneedling.analysis.metrics import inner_skin, texture_noise
from microneedling.analysis.prepare import prepare
from microneedling.analysis.synthetic import Plan, base_face, make_photo
from tests.analysis.test_wrinkles_landmark_jitter import perturbations

LIMIT = 0.05  # relative change at the 95th percentile of the points


def _onto(
    values: NDArray[np.float32], shift: tuple[int, int], shape: tuple[int, int]
) -> NDArray[np.float32]:
    """``values`` of a crop whose corner is ``shift`` (rows, cols) from the unmoved crop's,
    on the unmoved crop's pixels (NaN where the moved crop has none)."""
    out = np.full(shape, np.nan, np.float32)
    rows = np.arange(shape[0]) - shift[0]
    cols = np.arange(shape[1]) - shift[1]
    ok_r = (rows >= 0) & (rows < values.shape[0])
    ok_c = (cols >= 0) & (cols < values.shape[1])
    out[np.ix_(ok_r, ok_c)] = values[np.ix_(rows[ok_r], cols[ok_c])]
    return out


def _changes() -> dict[str, NDArray[np.float32]]:
    """By move, the relative change of the map at the points deep in the skin in every move."""
    _, marks, _ = base_face()
    rgb = make_photo(Plan()).rgb
    moves = perturbations(marks)
    base = prepare(rgb, landmarks=moves[0][1])
    window_px = base.settings.metrics.contrast_window_mm.value / base.mm_per_px

    def deep(inner: NDArray[np.bool_]) -> NDArray[np.bool_]:
        depth = cv2.distanceTransform(inner.astype(np.uint8), cv2.DIST_L2, 5)
        return np.asarray(depth >= window_px)

    shape = base.lab.shape[:2]
    points = deep(inner_skin(base))
    reference = texture_noise(base)
    moved_maps = []
    for name, moved in moves[1:]:
        p = prepare(rgb, landmarks=moved)
        assert p.factor == base.factor, name  # the same pixels: only the crop's corner moves
        shift = (p.origin[0] - base.origin[0], p.origin[1] - base.origin[1])
        points &= _onto(deep(inner_skin(p)).astype(np.float32), shift, shape) == 1
        moved_maps.append((name, _onto(texture_noise(p), shift, shape)))
    assert points.sum() > 20000  # most of the cheeks, forehead and chin
    return {name: np.abs(values[points] / reference[points] - 1.0) for name, values in moved_maps}


@pytest.fixture(scope="module")
def changes() -> dict[str, NDArray[np.float32]]:
    return _changes()


def test_texture_noise_holds_inside_the_skin_over_the_moves(
    changes: dict[str, NDArray[np.float32]],
) -> None:
    pooled = float(np.percentile(np.concatenate(list(changes.values())), 95))
    by_move = {name: round(float(np.percentile(c, 95)), 3) for name, c in changes.items()}
    assert pooled <= LIMIT, (pooled, by_move)


@pytest.mark.xfail(
    strict=True,
    reason="1/16 L* codes: one code is 17-100% of this face's texture SD; the +-1% scale moves "
    "read 17% and the jitter of seed 2 (2.4% finer scale) 25% at the 95th percentile. With any "
    "finer code seed 2 still reads 6.2-6.7%: the band at its scale moves the float map by 5.9%",
)
def test_texture_noise_holds_inside_the_skin_in_each_move(
    changes: dict[str, NDArray[np.float32]],
) -> None:
    by_move = {name: float(np.percentile(c, 95)) for name, c in changes.items()}
    assert max(by_move.values()) <= LIMIT, by_move
