"""The fast paths of the prepare stage and the shared maps give the values of the plain code.

Each test writes the plain computation out (what the function did before it was made faster) and
compares, on random images that cover the edge cases (a sigma below and above the reduced-image
threshold, values exactly at a limit and one float below it). Equal means bit for bit, except
where a sum or a median is taken in a different precision: there within float rounding, stated.
No timing is asserted here; ``benchmarks/bench_analysis.py`` prints the times.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray

from microneedling.analysis.illumination import (
    CODES_PER_L,
    MAX_SIGMA_PX,
    flat_field_lightness,
    local_contrast,
    masked_blur,
    masked_blurs,
    robust_sigma,
)
from microneedling.analysis.images import is_greyscale
from microneedling.analysis.landmarks import (
    LEFT_IRIS,
    NOSE_TIP,
    RIGHT_IRIS,
    Landmarks,
    Pyramid,
    _crop,
    _crop_from,
    _Rect,
    shrink_area,
)
from microneedling.analysis.metrics import fill_hair, skin_part
from microneedling.analysis.quality import clipped_fraction, sharpness

Float = NDArray[np.float32]
Mask = NDArray[np.bool_]


def _images(seed: int, shape: tuple[int, int] = (241, 187)) -> tuple[Float, Float, Mask]:
    """Two smooth-plus-noise images and a blob-shaped mask with holes (a face's skin, roughly)."""
    rng = np.random.default_rng(seed)
    height, width = shape
    yy, xx = np.mgrid[0:height, 0:width]
    shading = 60 + 10 * np.sin(xx / 40.0) * np.cos(yy / 55.0)
    first = (shading + rng.normal(0, 3, shape)).astype(np.float32)
    second = (15 + 4 * np.cos(yy / 30.0) + rng.normal(0, 2, shape)).astype(np.float32)
    oval = ((yy - height / 2) / (0.45 * height)) ** 2 + ((xx - width / 2) / (0.4 * width)) ** 2 < 1
    holes = rng.random(shape) < 0.05
    return first, second, oval & ~holes


def _plain_masked_blur(image: Float, mask: Mask, sigma_px: float) -> Float:
    """The normalised convolution as first written: one image, its own weight pass."""
    weight = mask.astype(np.float32)
    values = image.astype(np.float32) * weight
    height, width = image.shape[:2]
    factor = max(1.0, sigma_px / MAX_SIGMA_PX)
    if factor > 1.0:
        size = (max(round(width / factor), 1), max(round(height / factor), 1))
        values = cv2.resize(values, size, interpolation=cv2.INTER_AREA)
        weight = cv2.resize(weight, size, interpolation=cv2.INTER_AREA)
    sigma = sigma_px / factor
    num = cv2.GaussianBlur(values, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    den = cv2.GaussianBlur(weight, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    mean = num / np.maximum(den, 1e-3)
    if factor > 1.0:
        mean = cv2.resize(mean, (width, height), interpolation=cv2.INTER_LINEAR)
    return np.asarray(mean, np.float32)


@pytest.mark.parametrize("sigma_px", [2.5, 4.0, 6.67, 53.3])
def test_masked_blurs_equal_one_blur_per_image(sigma_px: float) -> None:
    first, second, mask = _images(1)
    together = masked_blurs([first, second], mask, sigma_px)
    assert np.array_equal(together[0], _plain_masked_blur(first, mask, sigma_px))
    assert np.array_equal(together[1], _plain_masked_blur(second, mask, sigma_px))
    assert np.array_equal(masked_blur(first, mask, sigma_px), together[0])


def test_masked_blurs_reduced_less_move_less_with_the_crop() -> None:
    """Two crops of one scene, 3 and 2 px apart: their means differ by the reduction's grid,
    laid from each crop's corner; with ``reduced_sigma_px`` 8 (the flat field's shading) far
    less than with the default 4, and 8 is within 0.5% of the full-resolution blur."""
    image, _, mask = _images(31, shape=(480, 400))
    sigma = 20.0
    (r1, c1), (r2, c2) = (10, 12), (13, 14)

    def at(r: int, c: int, reduced: float) -> Float:
        part = (slice(r, r + 400), slice(c, c + 320))
        mean = masked_blurs([image[part]], mask[part], sigma, reduced_sigma_px=reduced)
        return mean[0][r2 - r : r2 - r + 300, c2 - c : c2 - c + 220][80:-80, 80:-80]

    moved = {s: float(np.abs(at(r1, c1, s) - at(r2, c2, s)).max()) for s in (4.0, 8.0)}
    assert moved[8.0] < moved[4.0] / 2, moved
    weight = mask.astype(np.float32)
    num = cv2.GaussianBlur(image * weight, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    den = cv2.GaussianBlur(weight, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)
    full = (num / np.maximum(den, 1e-3))[r2 : r2 + 300, c2 : c2 + 220][80:-80, 80:-80]
    assert np.abs(at(r2, c2, 8.0) / full - 1).max() < 0.005


def test_masked_blur_reads_a_strided_channel() -> None:
    """A channel of a CIELAB image (a strided view) gives what its copy gives."""
    first, second, mask = _images(2)
    lab = np.dstack([first, second, first]).astype(np.float32)
    assert np.array_equal(
        masked_blurs([lab[..., 1]], mask, 20.0)[0], _plain_masked_blur(second.copy(), mask, 20.0)
    )


def test_flat_field_with_shading_given_equals_computing_it() -> None:
    lightness, _, mask = _images(3)
    sigma_mm, mm_per_px = 8.0, 0.15
    shading = masked_blur(lightness + np.float32(16.0), mask, sigma_mm / mm_per_px)
    given = flat_field_lightness(lightness, mask, mm_per_px, sigma_mm=sigma_mm, shading=shading)
    computed = flat_field_lightness(lightness, mask, mm_per_px, sigma_mm=sigma_mm)
    assert np.array_equal(given, computed)


def _plain_local_contrast(detail: Float, skin: Mask, mm_per_px: float, window_mm: float) -> Float:
    """The robust local SD as first written: float median map, float dilation, np.median."""
    magnitude = np.abs(detail)
    typical = float(np.median(magnitude[skin])) if skin.any() else 0.0
    magnitude = np.where(skin, magnitude, typical)
    codes = np.clip(magnitude * CODES_PER_L + 0.5, 0, 255).astype(np.uint8)
    size = max(2 * round(window_mm / mm_per_px / 2) + 1, 3)
    median = cv2.medianBlur(codes, size).astype(np.float32) / CODES_PER_L
    kernel = np.ones((size, size), np.uint8)
    dilated = cv2.dilate(median, kernel, borderType=cv2.BORDER_REPLICATE)
    return np.asarray(1.4826 * dilated, np.float32)


@pytest.mark.parametrize("seed", [4, 5])
def test_local_contrast_equals_float_filters(seed: int) -> None:
    first, _, mask = _images(seed)
    detail = (first - first.mean()).astype(np.float32) / 4  # |detail| up to ~8 L*: codes to 128
    fast = local_contrast(detail, mask, 0.15, window_mm=1.5)
    plain = _plain_local_contrast(detail, mask, 0.15, 1.5)
    assert fast.dtype == np.float32
    assert np.array_equal(fast, plain)


def test_robust_sigma_equals_numpy_medians() -> None:
    rng = np.random.default_rng(6)
    for n in (1, 2, 7, 1000, 1001):
        values = rng.normal(0, 2, n).astype(np.float32)
        plain = 1.4826 * float(np.median(np.abs(values - float(np.median(values)))))
        assert robust_sigma(values) == pytest.approx(plain, rel=1e-6, abs=1e-9)
    assert np.isnan(robust_sigma(np.zeros(0, np.float32)))


def _plain_fill_hair(image: Float, skin: Mask, hair: Mask, sigma_px: float) -> Float:
    far = float(np.median(image[skin]))
    off = np.full(image.shape, far, dtype=np.float32)
    near = _plain_masked_blur(image, skin, sigma_px)
    cover = cv2.GaussianBlur(skin.astype(np.float32), (0, 0), sigma_px)
    off = np.where(hair & (cover > 0.05), near, off)
    return np.where(skin, image, off).astype(np.float32)


@pytest.mark.parametrize("sigma_px", [2.5, 6.67, 9.0])
def test_fill_hair_over_the_fringe_box_matches_the_whole_image(sigma_px: float) -> None:
    """The fringe's fill taken over the fringe's box: equal to the whole image's where the
    Gaussian runs at full resolution (sigma up to 4 px); above it, where the reduction's grid
    starts at the box, within 0.1 L* here (noise of SD 3 L*: measured 0.05) and 0.04 L* on the
    12 MP benchmark photos, whose forehead roughness moved 0.06%, lines and pores not at all
    (roughness's target is a 3% CV, a line's contrast floor 3 L*)."""
    image, _, skin = _images(27, shape=(480, 400))
    hair = np.zeros_like(skin)
    hair[60:70, 80:330] = True  # a fringe over the top of the "face"
    skin &= ~hair
    fast = fill_hair(image, skin, hair, sigma_px)
    plain = _plain_fill_hair(image, skin, hair, sigma_px)
    assert np.array_equal(fast[skin], image[skin])
    off = ~skin & ~hair
    assert np.allclose(fast[off], plain[off], rtol=0, atol=1e-5)  # the skin's median
    on_hair = hair & (fast != fast[off][0])
    assert on_hair.sum() > 0.5 * hair.sum()  # most of the fringe is filled from the skin nearby
    error = np.abs(fast[hair] - plain[hair])
    if sigma_px <= MAX_SIGMA_PX:
        assert error.max() <= 1e-5
    else:
        assert 0 < error.max() <= 0.1


def test_fill_hair_equals_nested_where() -> None:
    image, _, skin = _images(7)
    hair = np.zeros_like(skin)
    hair[10:40, 30:150] = True  # a fringe over the top of the "face"
    skin &= ~hair
    fast = fill_hair(image, skin, hair, 4.0)  # full resolution (above: the test before)
    plain = _plain_fill_hair(image, skin, hair, 4.0)
    # the fill value is a median: NumPy's mean of the two middle values, or the same in float64
    assert np.allclose(fast, plain, rtol=0, atol=1e-5)
    assert np.array_equal(fast[skin], image[skin])


def test_clipped_fraction_counts_the_limit_and_not_below() -> None:
    rng = np.random.default_rng(8)
    rgb01 = (rng.integers(230, 256, (97, 83, 3)) / 255).astype(np.float32)
    limit = np.float32(250 / 255)
    rgb01[0, 0] = np.array([0.5, limit, 0.5], np.float32)  # at the limit: clipped
    rgb01[0, 1] = np.nextafter(limit, np.float32(0))  # one float below on every channel: not
    mask = rng.random((97, 83)) < 0.7
    mask[0, :2] = True
    bright = (rgb01 >= limit).any(axis=2)
    assert clipped_fraction(rgb01, mask) == np.count_nonzero(bright & mask) / np.count_nonzero(mask)
    assert clipped_fraction(rgb01, np.zeros_like(mask)) == 0.0


def test_sharpness_equals_laplacian_variance() -> None:
    lightness, _, mask = _images(9)
    plain = float(cv2.Laplacian(lightness, cv2.CV_32F, ksize=3)[mask].var())
    assert sharpness(lightness, mask) == pytest.approx(plain, rel=1e-5)
    assert sharpness(lightness, np.zeros_like(mask)) == 0.0


def test_pyramid_crop_matches_the_direct_crop() -> None:
    """A crop read from the pyramid's 2^k level equals the crop averaged over its own box, up to
    the 8-bit rounding of the halvings (mean 0.48 codes on six seeds) and the phase of the
    averaging blocks on steep edges (worst 4-6 codes)."""
    rng = np.random.default_rng(10)
    coarse = rng.integers(0, 256, (60, 60, 3)).astype(np.uint8)
    image = cv2.resize(coarse, (1600, 1600), interpolation=cv2.INTER_CUBIC)  # smooth, like a face
    rect = _Rect(801.0, 777.0, 1200.0, 0.3)  # shrink 6.25 for 192 px: read from level 2
    direct = _crop(image, rect, 192).astype(float)
    pyramid = _crop_from(Pyramid(image), rect, 192).astype(float)
    assert np.abs(pyramid - direct).mean() < 0.6
    assert np.abs(pyramid - direct).max() <= 8


def test_shrink_area_is_the_pyramid_shrink() -> None:
    rng = np.random.default_rng(11)
    image = rng.integers(0, 256, (1001, 777, 3)).astype(np.uint8)
    alone, w1, h1 = shrink_area(image, (90, 117))
    pyramid = Pyramid(image)
    pyramid.level(1)  # levels made earlier for another reader are the same levels
    shared, w2, h2 = pyramid.shrink_area((90, 117))
    assert np.array_equal(alone, shared) and (w1, h1) == (w2, h2)


def test_landmarks_from_the_pyramid_match_direct_crops(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a 3072 px face (the mesh crop read from level 2, the eyes from level 1), the points move
    by at most 0.25 mm from those of crops averaged over their own boxes (measured: 0.12 mm;
    the reference tolerances of test_landmarks_reference.py are 1 mm and more)."""
    from skimage import data

    from microneedling.analysis import landmarks

    image = cv2.resize(data.astronaut(), (3072, 3072), interpolation=cv2.INTER_CUBIC)
    fast = landmarks.detect_landmarks(image)
    monkeypatch.setattr(landmarks, "_crop_from", lambda p, rect, size: _crop(p.image, rect, size))
    plain = landmarks.detect_landmarks(image)
    mm_per_px = 63.36 / plain.interpupillary_px
    assert np.abs(fast.xy - plain.xy).max() * mm_per_px <= 0.25


def test_is_greyscale_equals_the_int16_spread() -> None:
    rng = np.random.default_rng(12)
    for tint in (0, 3, 4, 5, 40):
        grey = rng.integers(0, 250, (700, 900, 1))
        rgb = np.repeat(grey, 3, axis=2).astype(np.uint8)
        rgb[rng.random((700, 900)) < 0.2, 1] += np.uint8(tint)  # a fifth of pixels tinted
        step = max(1, int(np.sqrt(700 * 900 / 65_536)))
        sample = rgb[::step, ::step].astype(np.int16)
        plain = bool((sample.max(axis=2) - sample.min(axis=2)).max() <= 4)
        assert is_greyscale(rgb) == plain == (tint <= 4)


def test_skin_part_over_the_box_equals_the_whole_mask() -> None:
    """``skin_part`` reads only the zone's bounding box: on every zone of the sample face (the
    forehead holds the fringe) the same mask as over the whole image."""
    from microneedling.analysis.metrics import box, hair
    from microneedling.analysis.prepare import prepare
    from microneedling.analysis.synthetic import base_face
    from microneedling.analysis.zones import ANALYSED_ZONES

    rgb, landmarks, _ = base_face()
    prepared = prepare(rgb, landmarks=landmarks)
    fringe = hair(prepared)
    assert fringe.any()
    for index in range(len(ANALYSED_ZONES)):
        mask = prepared.labels == index
        part = mask & ~fringe
        plain = part if part.any() else mask
        assert np.array_equal(skin_part(prepared, mask), plain)
        x, y, w, h = cv2.boundingRect(plain.view(np.uint8))  # its box, set from the zone's
        assert box(skin_part(prepared, mask)) == (slice(y, y + h), slice(x, x + w))


def test_flat_field_fills_where_no_skin_is_within_reach() -> None:
    """Where the masked mean has no skin to average (far from any), the skin's median lightness
    stands in, as the plain code's ``np.where`` did; elsewhere nothing is filled."""
    lightness, _, mask = _images(13)
    mask[:, 100:] = False  # no skin on the right: beyond the blur's reach the mean is 0
    sigma_mm, mm_per_px = 1.0, 0.15
    cube = lightness + np.float32(16.0)
    shading = masked_blur(cube, mask, sigma_mm / mm_per_px)
    assert not (shading > 1.0).all()
    fill = np.float32(np.median(cube[mask]))
    plain = cube / np.where(shading > 1.0, shading, fill) * np.float32(81.0) - np.float32(16.0)
    flat = flat_field_lightness(lightness, mask, mm_per_px, sigma_mm=sigma_mm)
    assert np.allclose(flat, plain, rtol=1e-6, atol=1e-4)


def test_box_is_found_once_per_mask_and_never_reused_for_another() -> None:
    """``metrics.box`` is remembered per mask object: the same mask gives the same box without a
    new scan, and a new mask (even one made at a dead mask's address) gets its own box."""
    from microneedling.analysis.metrics import box

    rng = np.random.default_rng(14)
    for _ in range(50):  # dropped masks free their address for the next one
        mask = np.zeros((120, 90), dtype=bool)
        r, c = rng.integers(0, 100), rng.integers(0, 70)
        mask[r : r + 7, c : c + 11] = True
        x, y, w, h = cv2.boundingRect(mask.view(np.uint8))
        assert (
            box(mask)
            == (slice(y, y + h), slice(x, x + w))
            == (
                slice(r, r + 7),
                slice(c, c + 11),
            )
        )
        assert box(mask) == box(mask)
        del mask


def test_per_mask_entries_go_with_their_mask() -> None:
    from microneedling.analysis.metrics import per_mask

    cache: dict[object, object] = {}
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    mask = np.ones((4, 4), dtype=bool)
    for _ in range(3):
        assert per_mask(cache, "n", mask, compute) == 1
    assert len(calls) == 1 and len(cache) == 1
    del mask
    assert cache == {}  # the entry left with the mask


def test_lab_from_linear_writes_over_its_own_buffer_only() -> None:
    """CIELAB is written into the XYZ buffer: the values of the three-array version, and the
    caller's linear image untouched."""
    from microneedling.analysis import colour

    rng = np.random.default_rng(17)
    linear = rng.random((37, 29, 3), dtype=np.float32)
    kept = linear.copy()
    xyz = cv2.transform(linear, colour._M_OVER_WHITE)
    f = np.maximum(xyz, colour._EPSILON32)
    cv2.pow(f, 1.0 / 3.0, dst=f)
    cv2.scaleAdd(np.minimum(xyz, colour._EPSILON32), colour._KAPPA / 116.0, f, dst=f)
    plain = cv2.transform(f.reshape(-1, 1, 3), colour._F_PRIME_TO_LAB).reshape(f.shape)
    assert np.array_equal(colour.lab_from_linear(linear), plain)
    assert np.array_equal(linear, kept)


def test_angle_order_equals_the_nested_where() -> None:
    """The in-place diamond angle gives the plain expression's values, at x = 0, -0 and y = 0."""
    from microneedling.analysis.tone import _angle_order

    rng = np.random.default_rng(18)
    y = rng.normal(0, 20, 5000).astype(np.float32)
    x = rng.normal(10, 15, 5000).astype(np.float32)
    x[:4], y[4:8] = np.float32([0.0, -0.0, 0.0, -0.0]), 0.0
    y[8] = x[8] = 0.0
    keep_x, keep_y = x.copy(), y.copy()
    r = y / np.maximum(np.abs(x) + np.abs(y), np.float32(1e-30))
    plain = np.where(x >= 0, r, np.copysign(np.float32(2.0), y) - r).astype(np.float32)
    assert np.array_equal(_angle_order(y, x), plain)
    assert np.array_equal(x, keep_x) and np.array_equal(y, keep_y)


def test_zone_means_shared_by_tone_and_redness_equal_their_own() -> None:
    """Tone and redness given a zone's means (taken once, ``metrics.zone_means``) give what they
    give taking them themselves, on every zone of the sample face; the lab and reflectance they
    read are left untouched."""
    from microneedling.analysis import erythema, tone
    from microneedling.analysis.metrics import box, zone_means
    from microneedling.analysis.prepare import prepare
    from microneedling.analysis.synthetic import base_face

    rgb, landmarks, _ = base_face()
    p = prepare(rgb, landmarks=landmarks)
    lab, reflectance = p.lab.copy(), p.reflectance.copy()
    for index in range(int(p.labels.max()) + 1):
        mask = skin_part(p, p.labels == index)
        means = zone_means(p, mask)
        b = box(mask)  # as the metrics read a zone: over its box
        zone_lab, zone_reflectance, inside = p.lab[b], p.reflectance[b], mask[b]
        exposure = 1.3
        assert tone.tone(zone_lab, zone_reflectance, inside, exposure, means=means) == (
            tone.tone(zone_lab, zone_reflectance, inside, exposure)
        )
        assert erythema.redness(zone_lab, zone_reflectance, inside, 12.0, means=means) == (
            erythema.redness(zone_lab, zone_reflectance, inside, 12.0)
        )
    assert np.array_equal(p.lab, lab) and np.array_equal(p.reflectance, reflectance)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_flat_field_in_place_equals_the_expression(dtype: type) -> None:
    """The flat field computed in one buffer is the one-line expression's, bit for bit (float32
    or float64 L* given), and the caller's L* is left as it was."""
    lightness, _, mask = _images(19)
    lightness = lightness.astype(dtype)
    kept = lightness.copy()
    cube = lightness.astype(np.float32) + np.float32(16.0)
    shading = masked_blur(cube, mask, 8.0 / 0.15)
    plain = (cube / shading * (65.0 + 16.0) - 16.0).astype(np.float32)
    flat = flat_field_lightness(lightness, mask, 0.15, sigma_mm=8.0)
    assert flat.dtype == np.float32
    assert np.array_equal(flat, plain)
    assert np.array_equal(lightness, kept)


def test_local_contrast_equals_float_filters_where_codes_clip() -> None:
    """|detail| beyond 16 L* (codes past 255, clipped) and the code table read by ``cv2.LUT``:
    the plain float filters' values still."""
    first, _, mask = _images(20)
    detail = (first - first.mean()).astype(np.float32) * 2  # up to ~40 L*: codes clip at 255
    fast = local_contrast(detail, mask, 0.15, window_mm=1.5)
    assert fast.dtype == np.float32 and fast.shape == detail.shape
    assert np.array_equal(fast, _plain_local_contrast(detail, mask, 0.15, 1.5))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bandpass_in_place_equals_the_difference(dtype: type) -> None:
    from microneedling.analysis.texture import bandpass

    lightness = _images(21)[0].astype(dtype)
    fast = bandpass(lightness, 0.15, fine_mm=0.15, shading_mm=0.6)
    low = cv2.GaussianBlur(lightness, (0, 0), 0.6 / 0.15)
    high = cv2.GaussianBlur(lightness, (0, 0), 1.0)
    assert fast.dtype == np.float32
    assert np.array_equal(fast, (high - low).astype(np.float32))


def _random_pieces(seed: int, shape: tuple[int, int] = (211, 173)) -> Mask:
    """Thresholded smooth noise: pieces of every size and shape, some touching the border."""
    rng = np.random.default_rng(seed)
    noise = cv2.GaussianBlur(rng.normal(0, 1, shape).astype(np.float32), (0, 0), 2.0)
    return np.asarray(noise > 0.25)


@pytest.mark.parametrize("seed", [22, 23, 24])
def test_label_pieces_equals_opencv_with_stats(seed: int) -> None:
    """Labels and each piece's box and area as ``cv2.connectedComponentsWithStats`` gives them
    (the background's row, never read, is left out)."""
    from microneedling.analysis.wrinkles import label_pieces

    mask = _random_pieces(seed)
    count, pieces, stats = label_pieces(mask)
    plain_count, plain_pieces, plain_stats, _ = cv2.connectedComponentsWithStats(
        mask.astype(np.uint8), connectivity=8
    )
    assert count == plain_count > 10
    assert np.array_equal(pieces, plain_pieces)
    assert np.array_equal(stats[1:], plain_stats[1:])
    empty = label_pieces(np.zeros((5, 7), dtype=bool))
    assert empty[0] == 1 and empty[2].shape == (1, 5)


def _plain_skeleton_lengths(labels: NDArray[np.int32], n: int) -> NDArray[np.float64]:
    """Skeleton lengths as first written: step indicators over the whole image, by owner."""
    s = labels > 0
    steps = (
        (s[:, 1:] & s[:, :-1], labels[:, 1:], 1.0),
        (s[1:, :] & s[:-1, :], labels[1:, :], 1.0),
        (s[1:, 1:] & s[:-1, :-1], labels[1:, 1:], np.sqrt(2)),
        (s[1:, :-1] & s[:-1, 1:], labels[1:, :-1], np.sqrt(2)),
        (s[1:, 1:] & s[:-1, 1:] & s[1:, :-1], labels[1:, 1:], -np.sqrt(2)),
        (s[:-1, :-1] & s[:-1, 1:] & s[1:, :-1], labels[:-1, :-1], -np.sqrt(2)),
    )
    lengths = np.zeros(n + 1)
    for pairs, owner, weight in steps:
        lengths += weight * np.bincount(owner[pairs], minlength=n + 1)[: n + 1]
    return np.maximum(lengths, 0.0)


@pytest.mark.parametrize("seed", [25, 26])
def test_skeleton_lengths_at_the_skeleton_equal_the_whole_image_counts(seed: int) -> None:
    """Lengths counted at the skeleton's own pixels equal the whole-image step counts bit for
    bit, for skeletons of random pieces touching the image's edge."""
    from skimage.morphology import skeletonize

    from microneedling.analysis.wrinkles import skeleton_lengths_at, skeleton_lengths_px

    skeleton = skeletonize(_random_pieces(seed))
    skeleton[0, 5:40] = True  # a straight run along the top edge
    count, labels = cv2.connectedComponents(skeleton.view(np.uint8), connectivity=8)
    plain = _plain_skeleton_lengths(labels, count - 1)
    rows, cols = np.nonzero(skeleton)
    assert count > 10
    assert np.array_equal(skeleton_lengths_at(rows, cols, labels[rows, cols], count - 1), plain)
    assert np.array_equal(skeleton_lengths_px(labels, count - 1), plain)


def test_ridge_map_keeps_the_lines_of_the_plain_selection() -> None:
    """On the sample face (its fringe and planted lines), the lines and skeleton kept equal the
    plain selection: OpenCV's statistics, whole-image lengths, ``keep[pieces]``."""
    from microneedling.analysis import metrics, wrinkles
    from microneedling.analysis.prepare import prepare
    from microneedling.analysis.synthetic import base_face

    rgb, landmarks, _ = base_face()
    p = prepare(rgb, landmarks=landmarks)
    m = p.settings.metrics
    ridges = metrics.ridge_map(p)
    skin, noise = metrics.ridge_inner_skin(p), metrics.texture_noise(p)
    # the selection runs against the noise measured without the first selection's lines
    first = wrinkles.select_lines(
        ridges.response,
        skin,
        p.mm_per_px,
        np.maximum(m.wrinkle_min_contrast_l.value, m.wrinkle_min_snr.value * noise),
        min_length_mm=m.wrinkle_min_length_mm.value,
        min_elongation=m.wrinkle_min_elongation.value,
    )
    reach_px = wrinkles.line_reach_mm(m.texture_coarse_mm.value) / p.mm_per_px
    noise = wrinkles.signal_free_noise(
        metrics.texture_band(p),
        metrics.inner_skin(p),  # the skin the texture noise is measured on
        wrinkles.grown(first.lines, reach_px),
        p.mm_per_px,
        window_mm=m.contrast_window_mm.value,
        noise=noise,
    )
    candidates = ridges.response > np.maximum(
        m.wrinkle_min_contrast_l.value, m.wrinkle_min_snr.value * noise
    )
    candidates &= skin
    count, pieces, stats, _ = cv2.connectedComponentsWithStats(
        candidates.astype(np.uint8), connectivity=8
    )
    min_length_px = m.wrinkle_min_length_mm.value / p.mm_per_px
    could_pass = stats[:, cv2.CC_STAT_AREA] * (2 + 2 * np.sqrt(2)) >= min_length_px
    skeleton = wrinkles.piece_skeletons(pieces, stats, could_pass)
    length = _plain_skeleton_lengths(np.where(skeleton, pieces, 0).astype(np.int32), count - 1)
    width = stats[:, cv2.CC_STAT_AREA] / np.maximum(length, 1.0)
    keep = (length * p.mm_per_px >= m.wrinkle_min_length_mm.value) & (
        length >= m.wrinkle_min_elongation.value * width
    )
    keep[0] = False
    assert keep.sum() >= 3  # several lines kept, several pieces left out
    assert np.array_equal(ridges.lines, keep[pieces])
    assert np.array_equal(ridges.skeleton, skeleton & keep[pieces])
    for index in range(int(p.labels.max()) + 1):  # a zone's box given equals it found
        zone = p.labels == index
        given = wrinkles.zone_lines(ridges, zone, p.mm_per_px, box=metrics.box(zone))
        assert given == wrinkles.zone_lines(ridges, zone, p.mm_per_px)


@pytest.mark.parametrize("gains", [(1.0, 1.0, 1.0), (1.12, 0.97, 1.31), (0.8, 1.0, 300.0)])
def test_clipped_fraction_from_the_codes_equals_the_float_image(
    gains: tuple[float, float, float],
) -> None:
    """The clipped share read from the 8-bit codes (a code threshold per channel) is the float
    image's count, bit for bit: every code of every channel, a gain that clips a channel
    outright, and a limit set exactly at a balanced value."""
    from microneedling.analysis.colour import WhiteBalance, balance_codes

    rng = np.random.default_rng(28)
    rgb8 = rng.integers(0, 256, size=(90, 256, 3), dtype=np.uint8)
    rgb8[0] = np.arange(256, dtype=np.uint8)[:, None]
    mask = rng.random((90, 256)) < 0.6
    balanced = balance_codes(rgb8, WhiteBalance("test", gains, 100))
    rgb01 = balanced.rgb01
    assert np.array_equal(rgb01, WhiteBalance("test", gains, 100).apply(rgb8 / np.float32(255)))
    assert balanced.clipped_fraction(mask) == clipped_fraction(rgb01, mask)
    assert balanced.clipped_fraction(np.zeros_like(mask)) == 0.0
    at_a_value = float(balanced.table[241, 1])
    bright = (rgb01 >= np.float32(at_a_value)).any(axis=2)
    expected = np.count_nonzero(bright & mask) / np.count_nonzero(mask)
    assert balanced.clipped_fraction(mask, at_a_value) == expected


def test_masked_pixels_and_channel_tests_equal_numpy_indexing() -> None:
    """``stats.masked_pixels`` is ``image[mask]`` (contiguous or strided image) and
    ``below_in_every_channel`` is ``(pixels < limit).all(axis=1)``, at the limit and below it."""
    from microneedling.analysis.stats import below_in_every_channel, masked_pixels

    rng = np.random.default_rng(29)
    image = rng.random((61, 47, 3), dtype=np.float32)
    mask = rng.random((61, 47)) < 0.4
    assert np.array_equal(masked_pixels(image, mask), image[mask])
    strided = image[::3, ::2]
    assert np.array_equal(masked_pixels(strided, mask[::3, ::2]), strided[mask[::3, ::2]])
    pixels = image[mask]
    limit = float(pixels[5, 1])  # one channel exactly at the limit
    assert np.array_equal(below_in_every_channel(pixels, limit), (pixels < limit).all(axis=1))
    assert not below_in_every_channel(pixels, limit)[5]


def test_split_eyes_equals_opencv_statistics() -> None:
    """The two largest parts, image left first, as chosen from OpenCV's areas and centroids:
    three parts (a speck between two eyes), and the larger part on the right."""
    from microneedling.analysis.colour import _split_eyes

    sclera = np.zeros((40, 120), dtype=bool)
    sclera[10:20, 70:110] = True  # the larger eye, on the right
    sclera[12:20, 10:40] = True
    sclera[15:17, 55:57] = True  # a speck
    count, labels, stats, centroids = cv2.connectedComponentsWithStats(sclera.astype(np.uint8), 8)
    parts = sorted(range(1, count), key=lambda i: -int(stats[i, cv2.CC_STAT_AREA]))[:2]
    plain = [labels == i for i in sorted(parts, key=lambda i: float(centroids[i, 0]))]
    eyes = _split_eyes(sclera)
    assert len(eyes) == len(plain) == 2
    assert all(np.array_equal(a, b) for a, b in zip(eyes, plain, strict=True))
    assert eyes[0][15, 20] and eyes[1][15, 90]


def test_freed_memory_is_kept_for_the_next_photo_on_glibc() -> None:
    """Decoding sets glibc's thresholds once (``images.reuse_freed_memory``); a second decode of
    the same photo gives the same pixels."""
    import io
    import platform
    import sys

    from PIL import Image

    from microneedling.analysis.images import decode_photo, reuse_freed_memory

    rng = np.random.default_rng(30)
    buffer = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (600, 500, 3), dtype=np.uint8)).save(buffer, "JPEG")
    first = decode_photo(buffer.getvalue()).rgb
    glibc = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert reuse_freed_memory() is glibc
    assert reuse_freed_memory.cache_info().currsize == 1  # set once per process
    assert np.array_equal(decode_photo(buffer.getvalue()).rgb, first)


@pytest.mark.parametrize("gains", [(1.0, 1.0, 1.0), (1.35, 1.0, 0.8), (0.7, 1.0, 1.2)])
def test_red_quartiles_from_the_code_histogram_equal_the_per_pixel_ones(
    gains: tuple[float, float, float],
) -> None:
    """The reflectance table never falls as the code rises, whatever the gains (a clip at 1
    included), and the quartiles read from the codes' histogram are the per-pixel ones, bit
    for bit: so is the tone of every zone of the sample face under that cast."""
    from microneedling.analysis import tone
    from microneedling.analysis.colour import WhiteBalance, balance_codes
    from microneedling.analysis.metrics import box, zone_means
    from microneedling.analysis.prepare import prepare
    from microneedling.analysis.stats import linear_quantiles, table_quantiles
    from microneedling.analysis.synthetic import base_face

    rng = np.random.default_rng(31)
    rgb8 = rng.integers(0, 256, size=(80, 90, 3), dtype=np.uint8)
    balanced = balance_codes(rgb8, WhiteBalance("test", gains, 100))
    assert (np.diff(balanced.reflectance_table, axis=0) >= 0).all()
    for n in (1, 2, 5, 7200):
        codes = rgb8[..., 0].ravel()[:n]
        plain = linear_quantiles(balanced.reflectance[..., 0].ravel()[:n], (0.25, 0.5, 0.75))
        fast = table_quantiles(codes, balanced.reflectance_table[:, 0], (0.25, 0.5, 0.75))
        assert fast == plain
    rgb, landmarks, _ = base_face()
    cast = np.clip(rgb * np.asarray(gains), 0, 255).astype(np.uint8)
    p = prepare(cast, landmarks=landmarks)
    for index in range(int(p.labels.max()) + 1):
        mask = skin_part(p, p.labels == index)
        b = box(mask)
        args = (p.lab[b], p.reflectance[b], mask[b], p.white_balance.exposure)
        red = (p.balanced.codes[b][..., 0], p.balanced.reflectance_table[:, 0])
        means = zone_means(p, mask)
        assert tone.tone(*args, means=means, red_codes=red) == tone.tone(*args, means=means)


@pytest.mark.parametrize("case", ["odd", "even", "straddle"])
def test_local_contrast_takes_the_median_code_from_the_codes(case: str) -> None:
    """The skin's median |detail| enters as its code, read from the skin's codes: the values of
    the float median's code with an odd and an even number of skin pixels, and where the two
    middle values straddle a code (the median itself is then read)."""
    first, _, mask = _images(32)
    detail = (first - first.mean()).astype(np.float32) / 4
    if np.count_nonzero(mask) % 2 != (1 if case == "odd" else 0):
        row, col = np.argwhere(mask)[0]
        mask[row, col] = False  # one skin pixel fewer: the parity wanted
    n = np.count_nonzero(mask)
    assert n % 2 == (1 if case == "odd" else 0)
    if case == "straddle":  # the two middle values 0.03 L* either side of a code's edge
        order = np.argsort(np.abs(detail[mask]), kind="stable")
        values = np.abs(detail[mask])
        values[order[n // 2 - 1]], values[order[n // 2]] = 2.5 / 16 - 0.03, 2.5 / 16 + 0.03
        values[order[: n // 2 - 1]] = 0.01
        values[order[n // 2 + 1 :]] = 0.5
        detail[mask] = values
    fast = local_contrast(detail, mask, 0.15, window_mm=1.5)
    assert np.array_equal(fast, _plain_local_contrast(detail, mask, 0.15, 1.5))


def test_flat_field_fill_off_the_skin_leaves_the_filled_lightness_unchanged() -> None:
    """``fill_off_skin`` changes the flat field only off the skin, where no skin is within
    reach; after ``fill_hair`` (which overwrites those pixels without reading them) the
    flat-fielded L* is the one with the skin's median fill, bit for bit. With unlit pixels on
    the skin the median is still taken."""
    lightness, _, mask = _images(33)
    mask[:, 100:] = False  # no skin on the right: beyond the blur's reach the mean is 0
    hair = np.zeros_like(mask)
    hair[5:12, 20:90] = True
    skin = mask & ~hair
    kwargs = {"sigma_mm": 1.0}
    plain = flat_field_lightness(lightness, skin, 0.15, **kwargs)
    fast = flat_field_lightness(lightness, skin, 0.15, fill_off_skin=81.0, **kwargs)
    unlit = masked_blur(lightness + np.float32(16.0), skin, 1.0 / 0.15) <= 1.0
    assert unlit.any() and not (unlit & skin).any()
    assert np.array_equal(fast[~unlit], plain[~unlit]) and not np.array_equal(fast, plain)
    assert np.array_equal(fill_hair(fast, skin, hair, 6.67), fill_hair(plain, skin, hair, 6.67))
    shading = masked_blur(lightness + np.float32(16.0), skin, 1.0 / 0.15)
    row, col = np.argwhere(skin)[0]
    shading[row, col] = 0.5  # a skin pixel with no mean: the skin's median stands in there
    assert np.array_equal(
        flat_field_lightness(lightness, skin, 0.15, fill_off_skin=81.0, shading=shading, **kwargs),
        flat_field_lightness(lightness, skin, 0.15, shading=shading, **kwargs),
    )


@pytest.mark.parametrize("sigma_px", [2.5, 6.67, 9.0])
def test_masked_blur_and_cover_give_the_blur_and_the_masks_own_blur(sigma_px: float) -> None:
    """The mean is ``masked_blur``'s bit for bit; the cover, the mask's own Gaussian, equals a
    full-resolution blur of the mask up to 4 px and, above, from the reduced image, is within
    0.01 of it (measured 0.004 here)."""
    from microneedling.analysis.illumination import masked_blur_and_cover

    image, _, skin = _images(31, shape=(300, 260))
    mean, cover = masked_blur_and_cover(image, skin, sigma_px)
    assert np.array_equal(mean, masked_blur(image, skin, sigma_px))
    plain = cv2.GaussianBlur(skin.astype(np.float32), (0, 0), sigma_px)
    error = np.abs(cover - plain)
    if sigma_px <= MAX_SIGMA_PX:
        assert error.max() <= 1e-6
    else:
        assert 0 < error.max() <= 0.01
    assert cover.dtype == np.float32 and cover.shape == skin.shape


@pytest.mark.parametrize("sigma_px", [2.5, 6.67])
def test_fill_off_skin_is_fill_hair_with_every_pixel_off_the_skin_as_fringe(
    sigma_px: float,
) -> None:
    """``fill_off_skin`` (the ridge image's fill, ``metrics.ridge_lightness``) against the plain
    ``fill_hair(image, skin, ~skin)``: the same on the skin; off it the same mean wherever both
    fill from the skin; only pixels at the 5% cover limit can change between the skin's mean and
    its median, where the cover is taken from the reduced blur (above 4 px): under 1% of the
    filled pixels here. On the 12 MP benchmark photos 603 and 609 pixels changed (some 10 px off
    the skin), the ridge response by at most 0.12 L* and 1-2 line pixels, the skeletons and every
    zone's wrinkle length not at all (the metric's repeatability target: 0.5%)."""
    from microneedling.analysis.metrics import fill_off_skin

    image, _, skin = _images(32, shape=(360, 300))
    fast = fill_off_skin(image, skin, sigma_px)
    plain = _plain_fill_hair(image, skin, ~skin, sigma_px)
    assert np.array_equal(fast[skin], image[skin])
    differ = fast != plain
    if sigma_px <= MAX_SIGMA_PX:
        assert np.allclose(fast, plain, rtol=0, atol=1e-5)
    else:
        far = float(np.median(image[skin]))
        filled = ~skin & (np.abs(plain - far) > 1e-4)
        assert filled.sum() > 1000
        assert differ.sum() <= 0.01 * filled.sum()
        # a changed pixel took the median instead of the mean or the other way round
        moved = differ & ~(np.isclose(fast, far, atol=1e-4) | np.isclose(plain, far, atol=1e-4))
        assert not moved.any()


def _ridge_response(
    seed: int,
) -> tuple[np.random.Generator, NDArray[np.float32], NDArray[np.bool_]]:
    """A smooth random ridge response (211 x 173) and its skin (all but a 12 px strip), with the
    generator that drew it, for the line-selection equivalence tests."""
    rng = np.random.default_rng(seed)
    shape = (211, 173)
    response = cv2.GaussianBlur(rng.normal(0, 1, shape).astype(np.float32), (0, 0), 1.5)
    response = (response * 8).astype(np.float32)
    skin = np.ones(shape, dtype=bool)
    skin[:, :12] = False
    return rng, response, skin


@pytest.mark.parametrize("seed", [33, 34, 35])
def test_lines_grown_by_gained_pixels_equal_selecting_again(seed: int) -> None:
    """``add_to_lines`` (the second selection of ``ridge_map``: only the pieces a gained pixel
    joins are judged again) equals ``select_lines`` against the lowered threshold, bit for bit:
    pieces merged, grown, newly long enough, and untouched."""
    from microneedling.analysis import wrinkles

    rng, response, skin = _ridge_response(seed)
    threshold = np.full(response.shape, 1.0, np.float32)
    limits = {"min_length_mm": 3.0, "min_elongation": 3.0}
    ridges = (response > threshold) & skin
    found = wrinkles.lines_of(response, ridges, 0.15, **limits)
    unsure = (response > 0.6) & (response <= threshold) & skin
    at = np.flatnonzero(unsure)
    lowered = threshold.copy()
    picked = at[rng.random(at.size) < 0.3]
    lowered.ravel()[picked] = 0.6
    gained = picked[response.ravel()[picked] > 0.6]
    plain = wrinkles.select_lines(response, skin, 0.15, lowered, **limits)
    fast = wrinkles.add_to_lines(found, ridges, gained, 0.15, **limits)
    assert gained.size > 50 and found.lines.any()
    assert not np.array_equal(plain.lines, found.lines)  # the gained pixels change some lines
    assert np.array_equal(fast.lines, plain.lines)
    assert np.array_equal(fast.skeleton, plain.skeleton)
    none = wrinkles.add_to_lines(found, ridges, gained[:0], 0.15, **limits)
    assert none is found


@pytest.mark.parametrize("seed", [33, 34, 35])
def test_joining_with_the_pieces_lines_of_thinned_equals_thinning_again(seed: int) -> None:
    """``join_across_gaps`` given the pieces ``lines_of`` labelled and thinned (grown by
    ``add_to_lines``' gained pixels, or not) equals it labelling and thinning them itself, bit
    for bit; the skeletons handed on are every piece's of 2 px or more, and the labels handed on
    after the gain are OpenCV's pieces of the grown mask, with their boxes and areas."""
    from microneedling.analysis import wrinkles

    rng, response, skin = _ridge_response(seed)
    limits = {"min_length_mm": 3.0, "min_elongation": 3.0}
    joining = {"gap_mm": 1.5, "max_angle_deg": 30.0}
    ridges = (response > 1.0) & skin
    at = np.flatnonzero((response > 0.6) & (response <= 1.0) & skin)
    gained = at[rng.random(at.size) < 0.3]
    after = ridges.copy()
    after.ravel()[gained] = True
    found, thinned = wrinkles._lines_and_pieces(response, ridges, 0.15, **limits)
    cases = [(found, ridges, thinned)]
    found, thinned = wrinkles._lines_and_pieces(response, ridges, 0.15, **limits)
    grown, grown_thinned = wrinkles._add_to_lines(found, thinned, ridges, gained, 0.15, **limits)
    assert grown_thinned is not None and not grown_thinned.opencv_order
    cases.append((grown, after, grown_thinned))
    _, pieces, stats, _ = cv2.connectedComponentsWithStats(after.view(np.uint8), connectivity=8)
    wanted = stats[:, cv2.CC_STAT_AREA] >= 2
    wanted[0] = False
    assert np.array_equal(grown_thinned.skeleton, wrinkles.piece_skeletons(pieces, stats, wanted))
    pairs = np.unique(np.stack([grown_thinned.labels.ravel(), pieces.ravel()]), axis=1)
    assert len(np.unique(pairs[0])) == len(np.unique(pairs[1])) == pairs.shape[1]  # one to one
    live = grown_thinned.stats[pairs[0]]
    assert np.array_equal(live[1:], stats[pairs[1]][1:])
    assert grown_thinned.stats[:, cv2.CC_STAT_AREA].sum() == stats[1:, cv2.CC_STAT_AREA].sum()
    for lines, mask, given in cases:
        plain = wrinkles.join_across_gaps(lines, mask, 0.15, **joining, **limits)
        fast = wrinkles.join_across_gaps(lines, mask, 0.15, **joining, **limits, thinned=given)
        assert np.count_nonzero(plain.lines != lines.lines) > 30  # pieces were joined
        assert np.array_equal(fast.lines, plain.lines)
        assert np.array_equal(fast.skeleton, plain.skeleton)


def test_joining_three_pieces_after_a_gain_equals_thinning_again() -> None:
    """Three pieces joined into one line, one of them relabelled by a gained pixel: the join,
    which sums a group's lengths in OpenCV's order of its pieces, labels the mask again and
    gives what labelling and thinning it afresh gives."""
    from microneedling.analysis import wrinkles

    limits = {"min_length_mm": 4.0, "min_elongation": 4.0}
    joining = {"gap_mm": 0.75, "max_angle_deg": 30.0}
    ridges = np.zeros((40, 80), bool)
    for start in (8, 27, 46):  # three pieces of 17 px (3.2 mm), 2 px apart
        ridges[20, start : start + 17] = True
    response = np.where(ridges, 4.0, 0.0).astype(np.float32)
    found, thinned = wrinkles._lines_and_pieces(response, ridges, 0.2, **limits)
    assert not found.lines.any()
    gained = np.array([19 * 80 + 8])  # grows the first piece: it takes the last label
    grown, grown_thinned = wrinkles._add_to_lines(found, thinned, ridges, gained, 0.2, **limits)
    after = ridges.copy()
    after.ravel()[gained] = True
    plain = wrinkles.join_across_gaps(grown, after, 0.2, **joining, **limits)
    fast = wrinkles.join_across_gaps(grown, after, 0.2, **joining, **limits, thinned=grown_thinned)
    assert plain.lines.sum() == 52  # one line of the three pieces and the gained pixel
    assert np.array_equal(fast.lines, plain.lines)
    assert np.array_equal(fast.skeleton, plain.skeleton)


def _whole_image_signal_free_noise(
    detail: Float, skin: Mask, signal: Mask, noise: Float, mm_per_px: float, window_mm: float
) -> Float:
    """``wrinkles.signal_free_noise`` over the whole image at once: the same 8-bit codes, skin
    fill, checkerboard and filters, with no tiles."""
    from microneedling.analysis import wrinkles

    size = max(2 * round(window_mm / mm_per_px / 2) + 1, 3)
    on_skin = np.abs(detail[skin])
    fill, typical = float(np.median(on_skin)), float(np.median(on_skin[~signal[skin]]))
    fill_code, typical_code = wrinkles._codes(np.array([fill, typical], np.float32))
    codes = wrinkles._codes(np.abs(detail))
    codes[~skin] = fill_code
    odd = np.add.outer(np.arange(skin.shape[0]), np.arange(skin.shape[1])) % 2 == 1
    codes[signal] = np.where(odd[signal], 255, 0)
    medians = cv2.medianBlur(codes, size)
    share = cv2.blur(signal.astype(np.float32), (size, size), borderType=cv2.BORDER_REPLICATE)
    medians[share > wrinkles.MAX_LEFT_OUT] = typical_code
    largest = cv2.dilate(medians, np.ones((size, size), np.uint8), borderType=cv2.BORDER_REPLICATE)
    table = (1.4826 * (np.arange(256, dtype=np.float32) / CODES_PER_L)).astype(np.float32)
    return np.minimum(noise, cv2.LUT(largest, table))


@pytest.mark.parametrize("seed", [36, 37])
def test_signal_free_noise_in_runs_of_tiles_equals_the_whole_image(seed: int) -> None:
    """The signal-free noise computed in runs of neighbouring tiles (each with its margin)
    equals the same 8-bit computation over the whole image bit for bit: at every pixel when
    every tile is asked for, at the tiles asked for otherwise (the noise given elsewhere)."""
    from microneedling.analysis import wrinkles

    mm_per_px, window_mm = 0.15, 3.0
    rng = np.random.default_rng(seed)
    shape = (300, 410)
    detail = (rng.normal(0, 1.0, shape) * (1 + (np.arange(shape[1]) / shape[1]))).astype(np.float32)
    _, _, skin = _images(seed, shape=shape)
    lines = wrinkles.grown(_random_pieces(seed, shape=shape) & (rng.random(shape) < 0.02), 1.0)
    detail[lines] -= 4.0  # dark lines raise the noise measured with them in
    noise = local_contrast(detail, skin, mm_per_px, window_mm=window_mm)
    signal = wrinkles.grown(lines, 4.0)
    plain = _whole_image_signal_free_noise(detail, skin, signal, noise, mm_per_px, window_mm)
    every = wrinkles.signal_free_noise(
        detail, skin, signal, mm_per_px, window_mm=window_mm, noise=noise
    )
    assert np.array_equal(every, plain)
    assert (every < noise).mean() > 0.03  # the lines left out lower the noise (measured 0.05)
    where = rng.random(shape) < 0.0005
    some = wrinkles.signal_free_noise(
        detail, skin, signal, mm_per_px, window_mm=window_mm, noise=noise, where=where
    )
    tiled = np.zeros(shape, dtype=bool)
    for row, col in zip(*np.nonzero(where), strict=True):
        top, left = (v // wrinkles.NOISE_TILE_PX * wrinkles.NOISE_TILE_PX for v in (row, col))
        tiled[top : top + wrinkles.NOISE_TILE_PX, left : left + wrinkles.NOISE_TILE_PX] = True
    assert np.array_equal(some[tiled], plain[tiled])
    assert np.array_equal(some[~tiled], noise[~tiled])


def test_eigenvalue_terms_equal_the_plain_expression() -> None:
    """Half the trace and the root, computed in place, give the plain expression's eigenvalues
    bit for bit (float32 filter outputs, with exact zeros, ties and values far apart)."""
    from microneedling.analysis.pores import eigenvalue_terms, eigenvalues

    rng = np.random.default_rng(38)
    shape = (157, 203)
    drr, dcc, drc = (
        (rng.normal(0, 1, shape) * 10.0 ** rng.integers(-6, 4, shape)).astype(np.float32)
        for _ in range(3)
    )
    drr[:5], dcc[:5], drc[:5] = 0.0, 0.0, 0.0
    dcc[5:10] = drr[5:10]
    half_trace, root = eigenvalue_terms(drr, dcc, drc)
    plain_half = 0.5 * (drr + dcc)
    plain_root = np.sqrt(0.25 * (drr - dcc) ** 2 + drc**2)
    assert half_trace.dtype == root.dtype == np.float32
    assert np.array_equal(half_trace, plain_half) and np.array_equal(root, plain_root)
    large, small = eigenvalues(drr, dcc, drc)
    assert np.array_equal(large, plain_half + plain_root)
    assert np.array_equal(small, plain_half - plain_root)
    flat = np.flatnonzero(rng.random(shape) < 0.01)
    at = half_trace.ravel().take(flat) - root.ravel().take(flat)
    assert np.array_equal(at, (plain_half - plain_root).ravel()[flat])


def _plain_hessian_at(
    smooth: Float, rows: NDArray[np.intp], cols: NDArray[np.intp]
) -> tuple[Float, Float, Float]:
    """``pores.hessian_at`` as written before, with 2-D indices."""
    height, width = smooth.shape
    up, down = np.maximum(rows - 1, 0), np.minimum(rows + 1, height - 1)
    left, right = np.maximum(cols - 1, 0), np.minimum(cols + 1, width - 1)
    centre = smooth[rows, cols]
    drr = smooth[up, cols] - 2 * centre + smooth[down, cols]
    dcc = smooth[rows, left] - 2 * centre + smooth[rows, right]
    drc = (smooth[down, right] - smooth[down, left] - smooth[up, right] + smooth[up, left]) / 4
    f32 = np.float32
    return drr.astype(f32), dcc.astype(f32), drc.astype(f32)


def _plain_refine_peaks(
    stack: Float, levels: NDArray[np.intp], rows: NDArray[np.intp], cols: NDArray[np.intp]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``pores.refine_peaks`` as written before, with 3-D indices."""
    n_levels, height, width = stack.shape
    k = np.clip(levels, 1, n_levels - 2)
    r = np.clip(rows, 1, height - 2)
    c = np.clip(cols, 1, width - 2)
    v = stack[k, r, c].astype(np.float64)

    def at(dk: int, dr: int, dc: int) -> NDArray[np.float64]:
        return np.asarray(stack[k + dk, r + dr, c + dc], dtype=np.float64)

    grad = np.stack(
        [
            (at(1, 0, 0) - at(-1, 0, 0)) / 2,
            (at(0, 1, 0) - at(0, -1, 0)) / 2,
            (at(0, 0, 1) - at(0, 0, -1)) / 2,
        ],
        axis=-1,
    )
    hess = np.empty((len(v), 3, 3))
    hess[:, 0, 0] = at(1, 0, 0) - 2 * v + at(-1, 0, 0)
    hess[:, 1, 1] = at(0, 1, 0) - 2 * v + at(0, -1, 0)
    hess[:, 2, 2] = at(0, 0, 1) - 2 * v + at(0, 0, -1)
    hess[:, 0, 1] = hess[:, 1, 0] = (at(1, 1, 0) - at(1, -1, 0) - at(-1, 1, 0) + at(-1, -1, 0)) / 4
    hess[:, 0, 2] = hess[:, 2, 0] = (at(1, 0, 1) - at(1, 0, -1) - at(-1, 0, 1) + at(-1, 0, -1)) / 4
    hess[:, 1, 2] = hess[:, 2, 1] = (at(0, 1, 1) - at(0, 1, -1) - at(0, -1, 1) + at(0, -1, -1)) / 4
    offset = np.zeros((len(v), 3))
    inside = (levels == k) & (rows == r) & (cols == c)
    ok = inside & (np.linalg.eigvalsh(hess)[:, -1] < 0)
    if ok.any():
        offset[ok] = -np.linalg.solve(hess[ok], grad[ok][..., None])[..., 0]
    offset = np.clip(offset, -0.5, 0.5)
    value = (
        v
        + (grad * offset).sum(axis=1)
        + 0.5 * (offset[:, :, None] * hess * offset[:, None, :]).sum(axis=(1, 2))
    )
    return offset, np.maximum(value, v)


def _plain_level_maxima(
    stack: Float, peaks: Float, depth_px: Float, k: int, floor: float, min_depth_px: float
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """The candidate test of ``pores.dark_blobs`` as written before, with 2-D indices."""
    level = stack[k]
    maxima = cv2.compare(level, peaks[k], cv2.CMP_GE)
    cv2.bitwise_and(maxima, cv2.compare(level, float(floor), cv2.CMP_GT), dst=maxima)
    points = cv2.findNonZero(maxima)
    if points is None:
        return np.empty(0, np.intp), np.empty(0, np.intp)
    points = points.reshape(-1, 2)
    rows, cols = points[:, 1].astype(np.intp), points[:, 0].astype(np.intp)
    value = level[rows, cols]
    top = (
        (value >= peaks[k - 1][rows, cols])
        & (value >= peaks[k + 1][rows, cols])
        & (depth_px[rows, cols] >= min_depth_px)
    )
    return rows[top], cols[top]


@pytest.mark.parametrize("seed", [40, 41])
def test_blob_reads_at_flat_indices_equal_the_2d_and_3d_indices(seed: int) -> None:
    """The blob detector's candidates, sub-pixel fits and Hessians read at flat indices equal
    the 2-D and 3-D indexing they replace, bit for bit, including maxima on the image's border
    and on the stack's first and last levels (clipped there)."""
    from microneedling.analysis import pores

    image, _, mask = _images(seed)
    sigmas = pores.scale_levels(1.5, 5.0)
    smooths, stack = pores.smoothed_stack(image, sigmas)
    peaks = np.empty_like(stack)
    for k, level in enumerate(stack):
        cv2.dilate(level, np.ones((3, 3), np.uint8), dst=peaks[k])
    depth_px = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 3)
    maxima: list[NDArray[np.intp]] = []
    for k in range(1, len(sigmas) - 1):
        for floor, min_depth in ((0.0, 0.0), (0.05, float(sigmas[k] * np.sqrt(2))), (1e9, 0.0)):
            fast = pores.level_maxima(stack, peaks, depth_px, k, floor, min_depth)
            plain = _plain_level_maxima(stack, peaks, depth_px, k, floor, min_depth)
            assert all(np.array_equal(a, b) for a, b in zip(fast, plain, strict=True))
            if floor == 0.0:
                maxima.append(np.stack([np.full(fast[0].size, k), *fast]))
    found = np.concatenate(maxima, axis=1)
    assert found.shape[1] > 20
    rng = np.random.default_rng(seed)
    n = 400  # random pixels (most not maxima, some on the border) and the maxima found
    levels = np.concatenate([rng.integers(0, len(sigmas), n), found[0]])
    rows = np.concatenate([rng.integers(0, image.shape[0], n), found[1]])
    cols = np.concatenate([rng.integers(0, image.shape[1], n), found[2]])
    rows[:10], cols[10:20] = 0, image.shape[1] - 1
    refined = pores.refine_peaks(stack, levels, rows, cols)
    assert np.count_nonzero(refined[0].any(axis=1)) > 20  # maxima fitted off their sample
    for fast_part, plain_part in zip(
        refined,
        _plain_refine_peaks(stack, levels, rows, cols),
        strict=True,
    ):
        assert np.array_equal(fast_part, plain_part)
    for k in range(len(sigmas)):
        at = levels == k
        fast_h = pores.hessian_at(smooths[k], rows[at], cols[at])
        plain_h = _plain_hessian_at(smooths[k], rows[at], cols[at])
        assert all(np.array_equal(a, b) for a, b in zip(fast_h, plain_h, strict=True))


@pytest.mark.parametrize("where", ["inside", "at_edges", "one_pixel", "none"])
def test_local_contrast_over_the_skins_reach_equals_the_whole_image(where: str) -> None:
    """The filters run on the skin's box grown by a window and a pixel (``_skin_reach``); the
    whole image's values everywhere: skin well inside a larger image, skin reaching two of
    its edges, a single skin pixel, and no skin at all (every value the code of 0)."""
    rng = np.random.default_rng(43)
    shape = (301, 257)
    detail = rng.normal(0, 1.5, shape).astype(np.float32)
    skin = np.zeros(shape, dtype=bool)
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    if where == "inside":
        skin = ((yy - 150) / 60.0) ** 2 + ((xx - 120) / 45.0) ** 2 < 1
        skin &= rng.random(shape) > 0.05
    elif where == "at_edges":
        skin = ((yy - 20) / 90.0) ** 2 + ((xx - 240) / 70.0) ** 2 < 1
    elif where == "one_pixel":
        skin[200, 60] = True
    for window_mm in (1.5, 3.0):
        fast = local_contrast(detail.copy(), skin, 0.15, window_mm=window_mm)
        assert fast.dtype == np.float32 and fast.shape == shape
        assert np.array_equal(fast, _plain_local_contrast(detail, skin, 0.15, window_mm))


def test_hair_classes_channel_by_channel_equal_the_column_statistics() -> None:
    """The fringe's colour classes (``skin_mask``): medians of each channel's contiguous row and
    the squared distance summed channel by channel give the column medians and the sum over
    the pixels' last axis, value for value (odd and even counts, L*, a*, b* ranges)."""
    from microneedling.analysis.skin_mask import _centre_and_spread, _channels, _log_likelihood

    rng = np.random.default_rng(44)
    for n in (1, 2, 9, 1000, 40001):
        pixels = np.column_stack(
            [rng.uniform(10, 90, n), rng.normal(12, 6, n), rng.normal(15, 8, n)]
        ).astype(np.float32)
        centre = np.median(pixels, axis=0).astype(np.float64)
        mad = np.median(np.abs(pixels - centre), axis=0)
        spread = max(float(1.4826 * np.sqrt(np.mean(mad**2))), 1.0)
        got_centre, got_spread = _centre_and_spread(pixels)
        assert np.array_equal(got_centre, centre) and got_spread == spread
        reference = centre + rng.normal(0, 10, 3)
        d2 = np.sum((pixels - reference) ** 2, axis=-1) / spread**2
        plain = -0.5 * d2 - 3.0 * np.log(spread)
        assert np.array_equal(_log_likelihood(_channels(pixels), reference, spread), plain)
        chromaticity = np.log(np.maximum(pixels[:, [0, 2]].astype(np.float64), 1e-4))
        assert np.array_equal(
            np.median(np.ascontiguousarray(chromaticity.T), axis=1),
            np.median(chromaticity, axis=0),
        )


def test_ridge_response_takes_the_first_scale_as_it_is() -> None:
    """``ridge_response`` starts from the first scale's response (no zero image and maximum
    first): the values of the maximum over the scales taken from zeros."""
    from microneedling.analysis.wrinkles import (
        MIN_SIGMA_PX,
        RIDGE_MM_PER_PX,
        SIGMA_PX,
        dark_ridge_response,
        ridge_response,
    )

    first, _, mask = _images(45, (263, 219))
    yy, xx = np.mgrid[0:263, 0:219]
    lines = first - 8.0 * np.exp(-(((yy - 0.4 * xx - 60) / 2.0) ** 2)).astype(np.float32)
    image = np.asarray(lines, np.float32)
    sigmas_mm, mm_per_px = (0.3, 0.5, 0.8), 0.15
    plain = np.zeros(image.shape, np.float32)
    cover = cv2.dilate(mask.view(np.uint8), np.ones((3, 3), np.uint8))
    for sigma_mm in sigmas_mm:
        factor = max(mm_per_px, RIDGE_MM_PER_PX, sigma_mm / SIGMA_PX) / mm_per_px
        size = (max(round(219 / factor), 1), max(round(263 / factor), 1))
        small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        where = cv2.resize(cover, size, interpolation=cv2.INTER_NEAREST) > 0
        sigma_px = max(sigma_mm / (mm_per_px * factor), MIN_SIGMA_PX)
        scale = dark_ridge_response(small, [sigma_px], beta=0.5, floor=1.5, where=where)
        scale = cv2.resize(scale, (219, 263), interpolation=cv2.INTER_LINEAR)
        np.maximum(plain, scale, out=plain)
    fast = ridge_response(image, mask, mm_per_px, sigmas_mm, beta=0.5, floor=1.5)
    assert plain.any() and fast.dtype == np.float32
    assert np.array_equal(fast, plain)
    empty = ridge_response(image, np.zeros_like(mask), mm_per_px, sigmas_mm, floor=1.5)
    assert empty.dtype == np.float32 and not empty.any()


def _plain_zone_labels(
    landmarks: Landmarks, image_shape: tuple[int, ...], lab: NDArray[np.floating] | None
) -> NDArray[np.int8]:
    """``zones.zone_map``'s labels as written before: (u, v) over the whole box, the lightness
    and hair tests on whole-box masks, the rules on the remaining skin pixels."""
    from microneedling.analysis.stats import median
    from microneedling.analysis.zones import (
        ANALYSED_ZONES,
        HAIR_DELTA_E,
        MOUTH_CORNERS,
        NONE,
        feature_indices,
        forehead_edge,
        hull_mask,
    )
    from microneedling.core.zones import FacialZone

    idx = feature_indices()
    xy = landmarks.xy
    height, width = image_shape[:2]
    oval = xy[list(idx["oval"])]
    x0, y0 = np.maximum(np.floor(oval.min(axis=0)).astype(int), 0)
    x1 = min(int(np.ceil(oval[:, 0].max())) + 1, width)
    y1 = min(int(np.ceil(oval[:, 1].max())) + 1, height)
    shape = (y1 - y0, x1 - x0)
    local = xy - [x0, y0]
    d = landmarks.interpupillary_px
    right, left = local[RIGHT_IRIS], local[LEFT_IRIS]
    centre = (right + left) / 2
    u_axis = (left - right) / np.linalg.norm(left - right)
    v_axis = np.array([-u_axis[1], u_axis[0]])

    def uv(p: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray((p - centre) @ np.column_stack([u_axis, v_axis]) / d)

    gy = np.arange(shape[0], dtype=np.float32)[:, None] - np.float32(centre[1])
    gx = np.arange(shape[1], dtype=np.float32)[None, :] - np.float32(centre[0])
    u = (gx * np.float32(u_axis[0] / d) + gy * np.float32(u_axis[1] / d)).astype(np.float32)
    v = (gx * np.float32(v_axis[0] / d) + gy * np.float32(v_axis[1] / d)).astype(np.float32)
    face = hull_mask(shape, local[list(idx["oval"])])
    pad = max(int(0.04 * d), 1)
    excluded = np.zeros(shape, dtype=bool)
    for part in ("left_eye", "right_eye", "left_brow", "right_brow", "lips"):
        excluded |= hull_mask(shape, local[list(idx[part])], pad)
    skin = face & ~excluded
    hairline = np.zeros(shape, dtype=bool)
    if lab is not None:
        crop = lab[y0:y1, x0:x1]
        skin &= crop[..., 0] > median(crop[..., 0][skin]) - 30.0
        mid_face = skin & (v > 0.3) & (v < 0.9)
        if mid_face.any():
            above = skin & (v < 0.0)
            squared = np.zeros(int(np.count_nonzero(above)), dtype=crop.dtype)
            for channel in range(3):
                plane = crop[..., channel]
                difference = plane[above] - np.float32(median(plane[mid_face]))
                squared += difference * difference
            hairline[above] = np.sqrt(squared) > HAIR_DELTA_E
    brows = uv(local[list(idx["brows"])])
    forehead_v = forehead_edge(brows[:, 1].min())
    brow_bottom = brows[:, 1].max()
    mouth_v = uv(local[list(MOUTH_CORNERS)])[:, 1].mean()
    nose_v = uv(local[[NOSE_TIP]])[0, 1]
    nose = hull_mask(shape, local[list(idx["nose"])])
    around_lips = hull_mask(shape, local[list(idx["lips"])], int(0.18 * d))
    pixels = np.flatnonzero(skin)
    u_s, v_s = u.ravel()[pixels], v.ravel()[pixels]
    across, side_left = np.abs(u_s), u_s > 0
    in_hair, in_nose = hairline.ravel()[pixels], nose.ravel()[pixels]
    eye_band = (v_s > brow_bottom - 0.05) & (v_s < 0.3) & (across > 0.22) & (across < 0.95)
    cheeks = (v_s >= 0.3) & (v_s < mouth_v + 0.2)
    rules = {
        FacialZone.GLABELLA: (across < 0.22)
        & (v_s > forehead_v - 0.10)
        & (v_s < -0.05)
        & ~in_nose
        & ~in_hair,
        FacialZone.FOREHEAD: (v_s < forehead_v) & ~in_hair,
        FacialZone.NOSE: in_nose,
        FacialZone.PERIORBITAL_LEFT: eye_band & side_left,
        FacialZone.PERIORBITAL_RIGHT: eye_band & ~side_left,
        FacialZone.PERIORAL: around_lips.ravel()[pixels] & (v_s > nose_v + 0.12),
        FacialZone.CHIN: (v_s > mouth_v + 0.2) & (across < 0.5),
        FacialZone.JAWLINE: (v_s > mouth_v + 0.05) & (across >= 0.45),
        FacialZone.CHEEK_LEFT: cheeks & side_left,
        FacialZone.CHEEK_RIGHT: cheeks & ~side_left,
    }
    zone_of = np.full(pixels.size, NONE, dtype=np.int8)
    for zone, rule in reversed(rules.items()):
        np.copyto(zone_of, np.int8(ANALYSED_ZONES.index(zone)), where=rule)
    labels = np.full(shape, NONE, dtype=np.int8)
    labels.ravel()[pixels] = zone_of
    return labels


@pytest.mark.parametrize("case", ["float32", "float64", "no_colour", "dark_fringe", "turned"])
def test_zone_map_on_the_skin_pixels_equals_the_whole_box_masks(case: str) -> None:
    """``zone_map`` gathers the skin's pixels once and labels those too dark NONE at the end:
    the labels of the whole-box computation (CIELAB in float32 and float64, none, a dark
    fringe and deep shade painted over forehead and jaw, the landmarks turned by 7 degrees)."""
    from microneedling.analysis.colour import to_lab_fast
    from microneedling.analysis.synthetic import base_face
    from microneedling.analysis.zones import zone_map

    rgb, landmarks, _ = base_face()
    rgb = rgb.copy()
    if case == "dark_fringe":
        face_top = int(landmarks.xy[:468, 1].min())
        rgb[face_top : face_top + 60, :] = (60, 40, 30)  # hair-coloured band over the forehead
        rgb[int(landmarks.xy[152, 1]) - 40 :, :] //= 4  # deep shade over the chin and jaw
    if case == "turned":
        centre = np.array([rgb.shape[1] / 2, rgb.shape[0] / 2])
        turn = np.deg2rad(7.0)
        rotation = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
        xy = (landmarks.xy - centre) @ rotation.T + centre
        landmarks = Landmarks(np.column_stack([xy, landmarks.points[:, 2]]))
    lab: NDArray[np.floating] | None = to_lab_fast(rgb.astype(np.float32) / 255.0)
    if case == "float64":
        lab = np.asarray(lab, np.float64)
    if case == "no_colour":
        lab = None
    fast = zone_map(landmarks, rgb.shape, lab=lab).labels
    assert (fast >= 0).sum() > 10_000
    assert np.array_equal(fast, _plain_zone_labels(landmarks, rgb.shape, lab))


@pytest.mark.parametrize("size", [3, 5, 9, 15, 21])
def test_disk_morphology_by_rectangles_equals_opencv(size: int) -> None:
    """``metrics.eroded`` and ``dilated`` (the disk as a union of centred rectangles, over the
    mask's box) equal OpenCV's erosion, dilation and closing by the disk with nothing off the
    image, bit for bit: pieces touching the image's edge, and an empty mask."""
    from microneedling.analysis.morphology import dilated, eroded

    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    for seed in (36, 37):
        mask = _random_pieces(seed)
        mask[:, :3] = True  # along the left edge
        plain = mask.astype(np.uint8)
        assert np.array_equal(eroded(mask, disk), cv2.erode(plain, disk, borderValue=0) > 0)
        assert np.array_equal(dilated(mask, disk), cv2.dilate(plain, disk, borderValue=0) > 0)
        closed = cv2.morphologyEx(plain, cv2.MORPH_CLOSE, disk, borderValue=0) > 0
        assert np.array_equal(eroded(dilated(mask, disk), disk), closed)
        inner = np.zeros_like(mask)
        inner[40:-40, 40:-40] = mask[40:-40, 40:-40]  # a box away from the edges
        assert np.array_equal(dilated(inner, disk), cv2.dilate(inner.view(np.uint8), disk) > 0)
    empty = np.zeros((9, 11), dtype=bool)
    assert not eroded(empty, disk).any() and not dilated(empty, disk).any()
