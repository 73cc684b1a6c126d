"""White balance checks its reference, and falls back with the reason when it fails.

Synthetic cases on the astronaut portrait enlarged 4x (its eyes are open): a colour cast either
way, the eyes covered with skin-coloured patches (closed eyes), one eye tinted, and a grey card.
The portrait is exposed at 85% so that a 15% cast clips no channel. Tolerances stated in
advance: balanced gains (green = 1) reproduce the cast-free gains within 2% per channel; cheek
a* within 1 of the cast-free balance; a refused reference gives gains of exactly 1, ``fallback``
True and a reason naming the failed check.
"""

from functools import cache

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from skimage import data

from microneedling.analysis.colour import (
    WhiteBalance,
    balance_from_grey_card,
    to_lab_fast,
    white_balance,
)
from microneedling.analysis.landmarks import detect_landmarks
from microneedling.analysis.zones import feature_indices, hull_mask

Float = NDArray[np.float32]
WARM = (1.15, 1.0, 0.85)
COOL = (0.85, 1.0, 1.15)
CHEEK = (448, 528, 728, 800)  # rows, cols of skin on the enlarged astronaut, drawn by hand


@cache
def face() -> tuple[Float, NDArray[np.bool_], NDArray[np.bool_]]:
    """The enlarged astronaut (0..0.85), both eye outlines as one mask, the eyes grown 6 px."""
    small = data.astronaut()
    rgb = cv2.resize(small, (2048, 2048), interpolation=cv2.INTER_CUBIC)
    marks = detect_landmarks(rgb)
    eyes = feature_indices()
    outline = np.zeros(rgb.shape[:2], bool)
    grown = np.zeros(rgb.shape[:2], bool)
    for side in ("left_eye", "right_eye"):
        points = marks.xy[list(eyes[side])]
        outline |= hull_mask(rgb.shape, points)
        grown |= hull_mask(rgb.shape, points, dilate_px=6)
    return rgb.astype(np.float32) * np.float32(0.85 / 255.0), outline, grown


def cast(rgb01: Float, gains: tuple[float, float, float]) -> Float:
    return np.clip(rgb01 * np.asarray(gains, np.float32), 0.0, 1.0)


def cheek_a(rgb01: Float, balance: WhiteBalance) -> float:
    r0, r1, c0, c1 = CHEEK
    return float(to_lab_fast(balance.apply(rgb01[r0:r1, c0:c1]))[..., 1].mean())


def closed_eyes(rgb01: Float, grown: NDArray[np.bool_]) -> Float:
    """Each eye covered by a smooth skin-coloured patch (the cheek's median colour, with 1.5%
    brightness and 0.5% per-channel noise): an eyelid."""
    r0, r1, c0, c1 = CHEEK
    skin = np.median(rgb01[r0:r1, c0:c1].reshape(-1, 3), axis=0)
    rng = np.random.default_rng(1)
    n = int(grown.sum())
    out = rgb01.copy()
    lid = skin * (1 + rng.normal(0, 0.015, (n, 1))) + rng.normal(0, 0.005, (n, 3))
    out[grown] = np.clip(lid, 0, 1)
    return out


def test_open_eyes_balance_and_undo_a_cast_either_way() -> None:
    rgb01, sclera, _ = face()
    plain = white_balance(rgb01, sclera=sclera)
    assert plain.method == "eye whites (sclera)" and not plain.fallback and plain.reason == ""
    for tint in (WARM, COOL):
        tinted = cast(rgb01, tint)
        balance = white_balance(tinted, sclera=sclera)
        assert balance.method == "eye whites (sclera)", balance.reason
        undone = np.asarray(balance.gains) * np.asarray(tint)  # the cast times its correction
        expected = np.asarray(plain.gains)
        assert undone / undone[1] == pytest.approx(expected / expected[1], rel=0.02)
        assert cheek_a(tinted, balance) == pytest.approx(cheek_a(rgb01, plain), abs=1.0)
        assert cheek_a(rgb01, plain) > 2  # skin stays reddish


@pytest.mark.parametrize("tint", [(1.0, 1.0, 1.0), WARM, COOL], ids=["none", "warm", "cool"])
def test_closed_eyes_are_refused_and_the_skin_is_not_turned_blue(
    tint: tuple[float, float, float],
) -> None:
    rgb01, sclera, grown = face()
    closed = cast(closed_eyes(rgb01, grown), tint)
    balance = white_balance(closed, sclera=sclera)
    assert balance.fallback and balance.method == "none"
    assert balance.gains == (1.0, 1.0, 1.0)
    assert "eye whites (sclera) refused" in balance.reason
    assert "eyelids" in balance.reason or "closed" in balance.reason
    assert balance.as_dict()["reason"] == balance.reason


def test_one_tinted_eye_makes_the_eyes_disagree() -> None:
    rgb01, sclera, _ = face()
    image_right = rgb01.copy()
    half = np.zeros_like(sclera)
    half[:, int(np.nonzero(sclera)[1].mean()) :] = True  # the image-right eye
    image_right[sclera & half] *= np.asarray([0.9, 1.0, 1.08], np.float32)  # a blue-lit eye
    balance = white_balance(image_right, sclera=sclera)
    assert balance.fallback and balance.gains == (1.0, 1.0, 1.0)
    assert "disagree" in balance.reason


def test_a_good_grey_card_is_used_and_undoes_the_cast() -> None:
    rgb01, sclera, _ = face()
    card = rgb01.copy()
    card[1800:1900, 100:300] = 0.5  # a mid-grey card in the corner
    tinted = cast(card, WARM)
    balance = white_balance(tinted, grey_box=(100, 1800, 200, 100), sclera=sclera)
    assert balance.method == "grey reference" and not balance.fallback
    assert np.asarray(balance.gains) * np.asarray(WARM) == pytest.approx(1.0, rel=0.01)
    assert cheek_a(tinted, balance) == pytest.approx(
        cheek_a(card, WhiteBalance("-", (1, 1, 1), 0)), abs=0.3
    )


def test_a_bad_grey_card_falls_back_with_its_reason() -> None:
    clipped = np.full((20, 20, 3), 1.0, np.float32)
    refused = balance_from_grey_card(clipped)
    assert refused.fallback and "clipped" in refused.reason
    coloured = np.full((20, 20, 3), [0.8, 0.4, 0.2], np.float32)  # not grey: a brown folder
    refused = balance_from_grey_card(coloured)
    assert refused.fallback and "cast beyond" in refused.reason
    tiny = balance_from_grey_card(np.full((3, 3, 3), 0.5, np.float32))
    assert tiny.fallback and "fewer than 40" in tiny.reason


def test_the_analysis_records_the_fallback() -> None:
    from microneedling.analysis.pipeline import analyze

    rgb01, _, grown = face()
    closed = (closed_eyes(rgb01, grown) * 255 + 0.5).astype(np.uint8)
    result = analyze(closed)
    record = result.summary()["white_balance"]
    assert record["method"] == "none" and record["fallback"] is True
    assert "eye whites (sclera) refused" in record["reason"]
    assert record["gains"] == [1.0, 1.0, 1.0]


def test_downcast_eyes_with_little_white_showing_are_refused() -> None:
    rgb01, sclera, grown = face()
    r0, r1, c0, c1 = CHEEK
    skin = np.median(rgb01[r0:r1, c0:c1].reshape(-1, 3), axis=0)
    count, labels = cv2.connectedComponents(grown.astype(np.uint8))
    lidded = rgb01.copy()
    for index in range(1, count):
        eye = labels == index
        rows = np.flatnonzero(eye.any(axis=1))
        lid = eye.copy()
        lid[rows[0] + int(0.85 * (rows[-1] - rows[0])) :] = False  # lid over the upper 85%
        lidded[lid] = skin
    balance = white_balance(lidded, sclera=sclera)
    assert balance.fallback and "closed or downcast eyes" in balance.reason


def test_prepare_balances_on_the_eyes_surroundings_as_on_the_whole_face() -> None:
    """``prepare`` reads only the region around the eyes for the eye-white balance: the gains
    are those of the same checks run on its whole face crop, and the cast is found."""
    from microneedling.analysis.prepare import prepare

    rgb01, _, _ = face()
    warm = (cast(rgb01, WARM) * 255 + 0.5).astype(np.uint8)
    marks = detect_landmarks(warm)
    balanced = prepare(warm, landmarks=marks)
    raw = prepare(warm, landmarks=marks, balance=False)  # the crop's codes / 255, unbalanced
    row, col = raw.origin
    scaled = (marks.xy - (col, row)) * raw.factor
    eyes = feature_indices()
    sclera = hull_mask(raw.rgb01.shape, scaled[list(eyes["left_eye"])]) | hull_mask(
        raw.rgb01.shape, scaled[list(eyes["right_eye"])]
    )
    whole = white_balance(raw.rgb01, sclera=sclera)
    assert not whole.fallback and balanced.white_balance == whole
    relative = np.asarray(whole.gains) / whole.gains[1]
    assert relative[0] < 0.95 and relative[2] > 1.05  # the warm cast, undone
