"""Colour: CIELAB, reflectance, and white balance from a grey reference or the eye whites.

The conversions follow IEC 61966-2-1 (sRGB) and CIE 15:2004 (CIELAB, D65, 2° observer); the white
balance is a von Kries (per-channel) correction that is used only when its reference passes checks,
and says why not when it does not.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from skimage.color import rgb2lab

from microneedling.analysis.stats import below_in_every_channel, masked_pixels

Float = NDArray[np.float32]
MIN_REFERENCE_PIXELS = 40

# --- sRGB -> CIELAB ------------------------------------------------------------------------------

_PRIMARIES_XY = np.array([[0.64, 0.33], [0.30, 0.60], [0.15, 0.06]])  # IEC 61966-2-1 R, G, B
_D65_XY = np.array([0.3127, 0.3290])  # CIE 15:2004, 2° observer


def _xy_to_xyz(xy: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.array([xy[0] / xy[1], 1.0, (1.0 - xy[0] - xy[1]) / xy[1]])


def _srgb_to_xyz_matrix() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The linear-sRGB -> XYZ matrix from the primaries and D65 (SMPTE RP 177), and D65's XYZ."""
    white = _xy_to_xyz(_D65_XY)
    primaries = np.stack([_xy_to_xyz(p) for p in _PRIMARIES_XY], axis=1)
    return primaries * np.linalg.solve(primaries, white), white


_M, _WHITE = _srgb_to_xyz_matrix()
_M_OVER_WHITE = (_M / _WHITE[:, None]).astype(np.float32)  # rows scaled by Xn, Yn, Zn
_LUT_SIZE = 65536  # linearisation table: 16-bit steps, error < 2e-5 in linear value
_CODES = np.arange(_LUT_SIZE, dtype=np.float64) / (_LUT_SIZE - 1)
_DECODED = np.where(_CODES <= 0.04045, _CODES / 12.92, ((_CODES + 0.055) / 1.055) ** 2.4)
_LINEAR16 = _DECODED.astype(np.float32)
_EPSILON = 216.0 / 24389.0  # CIE's exact constants for the linear segment of f(t)
_KAPPA = 24389.0 / 27.0
_EPSILON32 = np.float32(_EPSILON)
# (L*, a*, b*) from (f'(X), f'(Y), f'(Z), 1), CIE 15:2004 eq. 8.3, where f' = f + 8/116 (the
# branch-free form of ``lab_from_linear``): L* = 116 f'(Y) - 24
_F_PRIME_TO_LAB = np.array(
    [[0.0, 116.0, 0.0, -24.0], [500.0, -500.0, 0.0, 0.0], [0.0, 200.0, -200.0, 0.0]], np.float32
)


def srgb_to_linear(rgb01: Float) -> Float:
    """Undo the sRGB transfer curve (IEC 61966-2-1) through a 65,536-entry table.

    Values are clipped to 0..1 first; the table's step keeps the error below 2e-5, far below an
    8-bit code.
    """
    index = (np.clip(rgb01, 0.0, 1.0) * (_LUT_SIZE - 1) + 0.5).astype(np.uint16)
    return _LINEAR16[index]


def to_lab(rgb01: Float) -> Float:
    """sRGB in 0..1 to CIELAB (D65), in float64 (scikit-image); slow, for small arrays."""
    return rgb2lab(rgb01).astype(np.float32)


def to_lab_fast(rgb01: Float) -> Float:
    """sRGB in 0..1 (any float values, not only 8-bit codes) to CIELAB (D65, 2°).

    Linearised through a 16-bit table, then XYZ by the sRGB matrix and CIELAB by CIE 15:2004's
    formula with its exact constants (epsilon = 216/24389, kappa = 24389/27), in float32. Within
    0.03 of colour-science's float64 conversion in L*, a* and b* on a grid of patches and on every
    pixel of the astronaut (tests/analysis/test_colour_reference.py); OpenCV's 8-bit path, used
    before, was off there by up to 0.6 L*, 2.4 a* and 1.5 b*. As fast as that path (about
    50 ms per megapixel).

    References
    ----------
    IEC 61966-2-1:1999, Multimedia systems and equipment - Colour measurement and management -
    Default RGB colour space - sRGB.
    CIE 15:2004, Colorimetry, 3rd edition, section 8.2.1.
    """
    return lab_from_linear(srgb_to_linear(rgb01))


def lab_from_linear(linear: Float) -> Float:
    """Linear sRGB (IEC 61966-2-1, already decoded) to CIELAB (D65, 2°), as ``to_lab_fast``.

    XYZ by the sRGB matrix, then CIE 15:2004's f(t) with its exact constants, in float32,
    without a branch: f(t) = max(t, eps)^(1/3) + kappa / 116 (min(t, eps) - eps), which is t^(1/3)
    above eps and (kappa t + 16) / 116 below it, because eps^(1/3) = (kappa eps + 16) / 116 = 6/29
    exactly; the constant -kappa eps / 116 = -8/116 cancels in a* and b* and is folded into L*.
    """
    xyz = cv2.transform(np.asarray(linear, np.float32), _M_OVER_WHITE)  # every entry > 0
    f = np.maximum(xyz, _EPSILON32)
    cv2.pow(f, 1.0 / 3.0, dst=f)  # in place: fewer fresh pages per megapixel
    cv2.scaleAdd(np.minimum(xyz, _EPSILON32, out=xyz), _KAPPA / 116.0, f, dst=f)
    # L* = 116 f(Y) - 16, a* = 500 (f(X) - f(Y)), b* = 200 (f(Y) - f(Z)): one affine map
    lab = cv2.transform(f.reshape(-1, 1, 3), _F_PRIME_TO_LAB, dst=xyz.reshape(-1, 1, 3))
    return np.asarray(lab, dtype=np.float32).reshape(f.shape)  # in xyz's pages, no fresh ones


@dataclass(frozen=True)
class BalancedImage:
    """An 8-bit photo after white balance: display values, CIELAB and linear reflectance.

    ``rgb01`` equals ``WhiteBalance.apply`` of the codes / 255, and ``lab`` and ``reflectance``
    equal ``to_lab_fast`` and ``linear_reflectance`` of it, value for value. ``rgb01`` (a float
    copy of the whole image that no metric reads) is looked up on first use only.
    """

    codes: NDArray[np.uint8]  # the photo's 8-bit codes, before balancing
    table: Float  # (256, 3): each code's balanced value per channel
    reflectance_table: Float  # (256, 3): each code's reflectance per channel (never falls)
    lab: Float
    reflectance: Float
    rgb8: NDArray[np.uint8]  # rgb01 x 255, truncated (what the overlay shows)

    @cached_property
    def rgb01(self) -> Float:
        return np.asarray(cv2.LUT(self.codes, self.table.reshape(256, 1, 3)), np.float32)

    def clipped_fraction(self, mask: NDArray[np.bool_], limit: float = 250 / 255) -> float:
        """The share of ``mask``'s pixels with a balanced channel at ``limit`` or above, as
        ``quality.clipped_fraction`` of ``rgb01`` counts them, read from the codes.

        A channel's balanced value never falls as its code rises (a gain, then a clip), so the
        codes that reach the limit are those from the first that does: a threshold per
        channel, tested on the 8-bit image.
        """
        count = int(np.count_nonzero(mask))
        if count == 0:
            return 0.0
        first = [int(np.searchsorted(column, np.float32(limit))) for column in self.table.T]
        if min(first) == 0:  # every code of a channel reaches the limit
            return 1.0
        upper = tuple(float(code - 1) for code in first)
        dark = cv2.inRange(self.codes, (0.0, 0.0, 0.0), upper)
        dark_inside = cv2.countNonZero(cv2.bitwise_and(dark, dark, mask=mask.view(np.uint8)))
        return (count - dark_inside) / count


def balance_codes(rgb8: NDArray[np.uint8], balance: WhiteBalance) -> BalancedImage:
    """White balance, linearise and convert an 8-bit image through per-channel code tables.

    An 8-bit channel has only 256 values: each is balanced and linearised once, in a 256-entry
    table, and the image is looked up (``cv2.LUT``) instead of computed pixel by pixel; the
    sRGB decoding is done once for CIELAB and reflectance together. Same values as balancing
    ``rgb8 / 255`` with ``balance.apply`` and converting that, several times faster.
    """
    codes = np.arange(256, dtype=np.float32)[:, None] / 255.0
    balanced = balance.apply(np.repeat(codes, 3, axis=1))  # (256, 3) as apply gives per pixel
    linear = srgb_to_linear(balanced)
    image = np.ascontiguousarray(rgb8)
    linear_image = cv2.LUT(image, linear.reshape(256, 1, 3))
    shown = (balanced * 255).astype(np.uint8).reshape(256, 1, 3)
    lab = lab_from_linear(linear_image)
    return BalancedImage(
        codes=image,
        table=np.ascontiguousarray(balanced, np.float32),
        reflectance_table=np.maximum(linear, np.float32(1e-4)).astype(np.float32),
        lab=lab,
        reflectance=np.maximum(linear_image, np.float32(1e-4), out=linear_image),
        rgb8=np.asarray(cv2.LUT(image, shown), np.uint8),
    )


def linear_reflectance(rgb01: Float) -> Float:
    """Channel values as linear reflectance in 1e-4..1: sRGB decoded (IEC 61966-2-1).

    The floor keeps log-reflectance indices finite on black pixels.
    """
    return np.maximum(srgb_to_linear(rgb01), np.float32(1e-4))


# --- White balance -------------------------------------------------------------------------------

# Checks on a white-balance reference (each stated, each reported when it fails).
MAX_GAIN_RATIO = 1.5  # every channel gain within 1/1.5..1.5 of their mean: a plausible cast
EYES_AGREE_WITHIN = 0.06  # the two eyes' gains (green = 1) differ by at most 6% per channel
MAX_WHITE_CHROMA = 4.0  # each eye's whites, balanced by the pooled gains: C*ab at most this
MIN_SKIN_A = 2.0  # skin around the eyes, balanced: still reddish (a*), not grey or blue
MIN_SKIN_CHROMA = 6.0  # ... and still coloured (C*ab)
CLIPPED = 250 / 255  # a channel this bright may have been clipped: no reference
MIN_WHITENESS = 0.15  # whites: log(B/G) - log(R/G) at least this above the skin's (95% of skin
# pixels around the eyes of the sample face lie below 0.14; its whites' median is 0.19-0.27)
MIN_SCLERA_FRACTION = 0.02  # whites at least 2% of each eye's outline (and MIN_REFERENCE_PIXELS)
MAX_CARD_CLIPPED = 0.01  # a grey card with more than 1% of pixels at 250+ in a channel is clipped
NEUTRAL_CHROMA = 2 * MAX_WHITE_CHROMA  # an eye-outline pixel, balanced, this near grey (C*ab) is
# white of the eye, not lid (skin keeps C*ab >= MIN_SKIN_CHROMA) or a coloured iris
SCLERA_BAND = (0.80, 0.95)  # the eye whites' lightness: mean L* of those ranked between these
# fractions by L* (the brightest, directly lit white; the pupil, a grey iris and shaded white
# lie below). Ranks, not a threshold, so a change of exposure moves the value exactly as it moves
# the skin; a band rather than one percentile is steadier under a retake. Clipped pixels rank
# above the band, so it holds while at most 5% of them are clipped; with more, or with fewer
# than MIN_REFERENCE_PIXELS near-neutral pixels, the exposure is left alone.
MAX_SCLERA_CLIPPED = 1.0 - SCLERA_BAND[1]


@dataclass(frozen=True)
class WhiteBalance:
    """Per-channel gains applied before measuring, the exposure of the colour, where they came
    from, and why.

    ``fallback`` is True when the requested reference (grey card or eye whites) was refused;
    ``reason`` then says which check it failed, and ``gains`` are 1 (no correction).

    ``exposure`` is a factor on linear light (reflectance) that brings the reference to its
    stated lightness (``exposure_reference`` says which); the skin's tone (ITA°, melanin index)
    is read under it, so a brighter or darker take of the same face gives the same tone. It is 1
    when there is no usable reference, and ``exposure_reason`` then says why. The image itself
    (what the quality checks, the overlay and the relief metrics read) keeps its exposure.
    """

    method: str
    gains: tuple[float, float, float]
    reference_pixels: int
    reason: str = ""
    fallback: bool = False
    exposure: float = 1.0
    exposure_reference: str = ""
    exposure_reason: str = ""

    def apply(self, rgb01: Float) -> Float:
        return np.clip(rgb01 * np.asarray(self.gains, np.float32), 0.0, 1.0)

    @property
    def lightness_scale(self) -> float:
        """The factor on (L* + 16), a* and b* that ``exposure`` amounts to: CIELAB's f(t) is a
        cube root, so scaling linear light by k scales them by k^(1/3) (exact above L* 8)."""
        return float(self.exposure ** (1.0 / 3.0))

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "gains": [round(g, 4) for g in self.gains],
            "reference_pixels": self.reference_pixels,
            "reason": self.reason,
            "fallback": self.fallback,
            "exposure": round(self.exposure, 4),
            "exposure_reference": self.exposure_reference,
            "exposure_reason": self.exposure_reason,
        }


def gains_from(reference: Float) -> tuple[float, float, float]:
    """Gains that make the mean of ``reference`` (n, 3) neutral grey, keeping its brightness."""
    mean = reference.reshape(-1, 3).mean(axis=0)
    target = float(mean.mean())
    g = target / np.maximum(mean, 1e-4)
    return (float(g[0]), float(g[1]), float(g[2]))


def _implausible(gains: tuple[float, float, float]) -> str:
    g = np.asarray(gains)
    ratio = g / g.mean()
    if (ratio > MAX_GAIN_RATIO).any() or (ratio < 1.0 / MAX_GAIN_RATIO).any():
        shown = ", ".join(f"{v:.2f}" for v in g)
        return (
            f"gains ({shown}) imply a colour cast beyond ×{MAX_GAIN_RATIO:g} per channel; "
            "the reference is not neutral"
        )
    return ""


def _lab_of(rgb: Float) -> Float:
    return to_lab_fast(rgb.reshape(-1, 1, 3)).reshape(-1, 3)


def _log_chromaticity(rgb: Float) -> NDArray[np.float64]:
    """(log R/G, log B/G) of (n, 3) values: a diagonal colour cast only shifts these."""
    safe = np.maximum(rgb.reshape(-1, 3).astype(np.float64), 1e-4)
    return np.log(safe[:, [0, 2]] / safe[:, 1:2])


def _eye_whites(rgb01: Float, eye: NDArray[np.bool_], skin: NDArray[np.float64]) -> Float:
    """The candidate whites of one eye: its bright (L* > 50), unclipped pixels, the half that
    lies furthest from the skin's chromaticity ``skin`` towards less red and more blue, and at
    least ``MIN_WHITENESS`` from it (an eyelid's pixels are not).

    Ranked against the skin rather than by their own chroma, the choice does not depend on the
    cast: a cool cast makes skin look neutral, but not less red than the skin.
    """
    pixels = masked_pixels(rgb01, eye)
    usable = (_lab_of(pixels)[:, 0] > 50) & below_in_every_channel(pixels, CLIPPED)
    if not usable.any():
        return pixels[:0]
    offset = _log_chromaticity(pixels) - skin
    whiteness = offset[:, 1] - offset[:, 0]  # bluer and less red than the skin
    floor = max(float(np.percentile(whiteness[usable], 50)), MIN_WHITENESS)
    return pixels[usable & (whiteness >= floor)]


def _split_eyes(sclera: NDArray[np.bool_]) -> list[NDArray[np.bool_]]:
    """The two eye regions of a mask (its two largest connected parts, image left first).

    Areas and mean columns from the parts' own pixels (OpenCV's statistics pass reads every
    pixel of the image, several times the labelling's cost)."""
    count, labels = cv2.connectedComponents(np.ascontiguousarray(sclera).view(np.uint8), 8)
    owner = labels[labels > 0]
    area = np.bincount(owner, minlength=count)
    columns = np.flatnonzero(labels > 0) % labels.shape[1]
    column = np.bincount(owner, columns, minlength=count) / np.maximum(area, 1)
    parts = sorted(range(1, count), key=lambda i: -int(area[i]))[:2]
    return [labels == i for i in sorted(parts, key=lambda i: float(column[i]))]


def _ring(eye: NDArray[np.bool_], all_eyes: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Skin around an eye: a band about half the eye's height wide, outside both eye outlines."""
    rows = np.flatnonzero(eye.any(axis=1))
    width = max(int(0.5 * (rows[-1] - rows[0] + 1)), 2) if rows.size else 2
    square = np.ones((2 * width + 1, 2 * width + 1), np.uint8)
    grown = cv2.dilate(np.ascontiguousarray(eye).view(np.uint8), square)  # 0/1, no copy
    return (grown > 0) & ~all_eyes


def _skin_around(rgb01: Float, sclera: NDArray[np.bool_], eyes: list[NDArray[np.bool_]]) -> Float:
    """The unclipped skin pixels (L* > 25: lashes and brows left out) around the eyes."""
    around = np.zeros_like(sclera)
    for eye in eyes:
        around |= _ring(eye, sclera)
    pixels = masked_pixels(rgb01, around)
    return pixels[(_lab_of(pixels)[:, 0] > 25) & below_in_every_channel(pixels, CLIPPED)]


def balance_from_eye_whites(rgb01: Float, sclera: NDArray[np.bool_]) -> WhiteBalance:
    """Gains from the whites of both eyes, or no correction with the reason.

    The whites of each eye are its bright pixels least like the skin around the eyes (less red,
    more blue; at least ``MIN_WHITENESS`` from it). They are used only when

    - each eye shows at least ``MIN_REFERENCE_PIXELS`` and ``MIN_SCLERA_FRACTION`` of its outline
      as whites (closed or downcast eyes do not);
    - the two eyes agree: gains (green = 1) within ``EYES_AGREE_WITHIN`` per channel, and each
      eye's whites balanced by the pooled gains within ``MAX_WHITE_CHROMA`` of neutral;
    - the gains are plausible (``MAX_GAIN_RATIO``);
    - the skin around the eyes, balanced, keeps a* >= ``MIN_SKIN_A`` and C*ab >=
      ``MIN_SKIN_CHROMA``: a correction that greys or blues the skin took eyelids for sclera.

    Under a von Kries (diagonal) cast the ratio of sclera to skin chromaticity is unchanged, so
    the last check holds whatever the cast; only the reference's mistakes fail it.

    References
    ----------
    von Kries J (1902), Chromatic adaptation. Festschrift der Albrecht-Ludwigs-Universität.
    """
    eyes = _split_eyes(sclera)
    if len(eyes) < 2:
        return _refused("eye whites (sclera)", "only one eye outline was found in the photo")
    skin_pixels = _skin_around(rgb01, sclera, eyes)
    if len(skin_pixels) < MIN_REFERENCE_PIXELS:
        return _refused("eye whites (sclera)", "too little unclipped skin around the eyes")
    # each channel contiguous: the same medians as over the columns, several times faster
    skin_chromaticity = np.median(np.ascontiguousarray(_log_chromaticity(skin_pixels).T), axis=1)
    whites = []
    for side, eye in zip(("image-left", "image-right"), eyes, strict=True):
        found = _eye_whites(rgb01, eye, skin_chromaticity)
        needed = max(MIN_REFERENCE_PIXELS, int(MIN_SCLERA_FRACTION * eye.sum()))
        if len(found) < needed:
            return _refused(
                "eye whites (sclera)",
                f"the {side} eye shows {len(found)} white pixels, fewer than {needed}; "
                "closed or downcast eyes",
            )
        whites.append(found)
    per_eye = [np.asarray(gains_from(w)) for w in whites]
    relative = [g / g[1] for g in per_eye]
    disagreement = float(np.abs(relative[0] / relative[1] - 1.0).max())
    if disagreement > EYES_AGREE_WITHIN:
        return _refused(
            "eye whites (sclera)",
            f"the two eyes' whites disagree by {100 * disagreement:.0f}% in a channel gain "
            f"(at most {100 * EYES_AGREE_WITHIN:.0f}%)",
        )
    pooled = np.concatenate(whites)
    gains = gains_from(pooled)
    balance = WhiteBalance("eye whites (sclera)", gains, len(pooled))
    for side, w in zip(("image-left", "image-right"), whites, strict=True):
        lab = _lab_of(balance.apply(w)).mean(axis=0)
        chroma = float(np.hypot(lab[1], lab[2]))
        if chroma > MAX_WHITE_CHROMA:
            return _refused(
                "eye whites (sclera)",
                f"the {side} eye's whites stay coloured after balancing (C*ab {chroma:.1f}, "
                f"at most {MAX_WHITE_CHROMA:g})",
            )
    problem = _implausible(gains)
    if problem:
        return _refused("eye whites (sclera)", problem)
    skin = _lab_of(balance.apply(skin_pixels))  # lashes and brows (L* <= 25) left out
    a, b = float(np.median(skin[:, 1])), float(np.median(skin[:, 2]))
    if a < MIN_SKIN_A or np.hypot(a, b) < MIN_SKIN_CHROMA:
        return _refused(
            "eye whites (sclera)",
            f"balancing on the eye whites would turn the skin around the eyes grey or blue "
            f"(a* {a:+.1f}, b* {b:+.1f}, at least a* {MIN_SKIN_A:+g} and C*ab "
            f"{MIN_SKIN_CHROMA:g}); eyelids were taken for sclera",
        )
    return balance


def balance_from_grey_card(patch: Float) -> WhiteBalance:
    """Gains from a grey card, when it is large enough, not clipped and plausibly grey."""
    method = "grey reference"
    pixels = patch.reshape(-1, 3)
    if len(pixels) < MIN_REFERENCE_PIXELS:
        return _refused(method, f"the grey box holds {len(pixels)} pixels, fewer than 40")
    clipped = float((pixels >= CLIPPED).any(axis=1).mean())
    if clipped > MAX_CARD_CLIPPED:
        return _refused(method, f"{100 * clipped:.0f}% of the grey box is clipped (overexposed)")
    gains = gains_from(pixels)
    problem = _implausible(gains)
    if problem:
        return _refused(method, problem)
    return WhiteBalance(method, gains, len(pixels))


def _reference_levels() -> tuple[float, float]:
    """(sclera L*, grey-card reflectance) from ``analysis.yaml`` (sourced there)."""
    from microneedling.analysis.settings import analysis_settings

    colour_settings = analysis_settings().metrics
    return colour_settings.sclera_reference_l.value, colour_settings.grey_card_reflectance.value


def lightness_to_luminance(lightness: float) -> float:
    """Relative luminance Y/Yn of a CIELAB L* (CIE 15:2004, the inverse of f)."""
    f = (lightness + 16.0) / 116.0
    return float(f**3 if f**3 > _EPSILON else lightness / _KAPPA)


def exposure_from_sclera(
    rgb01: Float, sclera: NDArray[np.bool_], balance: WhiteBalance, reference_l: float
) -> WhiteBalance:
    """``balance`` with the exposure that brings the eye whites to ``reference_l`` (L*).

    The whites' lightness is the mean balanced L* of the near-neutral pixels of both eye outlines
    (C*ab <= ``NEUTRAL_CHROMA``: lids and skin are coloured, whatever the skin's tone) ranked in
    ``SCLERA_BAND``: ranks, so a change of exposure moves it exactly as it moves the skin. Pixels
    with a channel at 250/255 or above are clipped (their value is not their lightness): they
    are never read, only ranked above every other. The exposure is a factor on linear light,
    reference Y / whites Y. It is left at 1, with the reason, when the white balance did not
    use the eyes (closed or downcast eyes, eyes that disagree: its own checks), or when more than
    ``MAX_SCLERA_CLIPPED`` of the near-neutral pixels are clipped or they number fewer than
    ``MIN_REFERENCE_PIXELS``.

    References
    ----------
    CIE 15:2004, Colorimetry, 3rd edition (L* and relative luminance).
    """
    label = f"eye whites (sclera) at L* {reference_l:g}"
    if balance.method != "eye whites (sclera)":
        return replace(balance, exposure_reason="no eye-white reference: exposure not normalised")
    outline = masked_pixels(rgb01, sclera)
    lab = _lab_of(balance.apply(outline))
    red, green, blue = outline[:, 0], outline[:, 1], outline[:, 2]
    clipped = (red >= CLIPPED) | (green >= CLIPPED) | (blue >= CLIPPED)  # channel by channel
    neutral = np.hypot(lab[:, 1], lab[:, 2]) <= NEUTRAL_CHROMA
    candidates = int(np.count_nonzero(neutral | clipped))
    share = float(clipped.sum()) / max(candidates, 1)
    if candidates < MIN_REFERENCE_PIXELS or share > MAX_SCLERA_CLIPPED:
        return replace(
            balance,
            exposure_reason=(
                f"{100 * share:.0f}% of the eye whites' {candidates} pixels are clipped (at most "
                f"{100 * MAX_SCLERA_CLIPPED:.0f}% of at least {MIN_REFERENCE_PIXELS}): exposure "
                "not normalised"
            ),
        )
    lightness = np.sort(lab[neutral & ~clipped, 0])
    # ranks among the candidates, the clipped ones above every unclipped one
    last = candidates - 1
    low, high = int(np.ceil(SCLERA_BAND[0] * last)), int(np.floor(SCLERA_BAND[1] * last))
    whites_l = float(lightness[low : min(high, len(lightness) - 1) + 1].mean())
    exposure = lightness_to_luminance(reference_l) / lightness_to_luminance(whites_l)
    return replace(balance, exposure=exposure, exposure_reference=label)


def exposure_from_grey_card(
    patch: Float, balance: WhiteBalance, reflectance: float
) -> WhiteBalance:
    """``balance`` (from that card) with the exposure that brings the card to ``reflectance``:
    the mean relative luminance of the balanced card's linear light (IEC 61966-2-1, the sRGB
    matrix's Y row)."""
    linear = srgb_to_linear(balance.apply(patch.reshape(-1, 1, 3))).reshape(-1, 3)
    luminance = float((linear.astype(np.float64) @ _M[1]).mean())
    return replace(
        balance,
        exposure=reflectance / max(luminance, 1e-4),
        exposure_reference=f"grey card at {100 * reflectance:g}% reflectance",
    )


def _refused(method: str, reason: str) -> WhiteBalance:
    return WhiteBalance("none", (1.0, 1.0, 1.0), 0, f"{method} refused: {reason}", True)


def white_balance(
    rgb01: Float,
    *,
    grey_box: tuple[int, int, int, int] | None = None,
    sclera: NDArray[np.bool_] | None = None,
) -> WhiteBalance:
    """From a grey card (x, y, w, h) when the photo has one, else from the eye whites.

    ``sclera`` is the outline of both eyes (one mask, two parts). A reference that fails its
    checks gives no correction (gains 1, ``fallback`` True) and the reason: grey-world would
    take the skin's own colour for a cast. The reference that sets the white also sets the
    exposure of the colour (``exposure_from_grey_card``, ``exposure_from_sclera``).
    """
    sclera_l, card_reflectance = _reference_levels()
    if grey_box is not None:
        x, y, w, h = grey_box
        patch = rgb01[y : y + h, x : x + w]
        card = balance_from_grey_card(patch)
        if not card.fallback:
            return exposure_from_grey_card(patch, card, card_reflectance)
        if sclera is None:
            return replace(card, exposure_reason="the grey card was refused")
        eyes = balance_from_eye_whites(rgb01, sclera)
        if eyes.fallback:
            return replace(_combine(card, eyes), exposure_reason="no reference was usable")
        return exposure_from_sclera(rgb01, sclera, eyes, sclera_l)
    if sclera is not None:
        eyes = balance_from_eye_whites(rgb01, sclera)
        return exposure_from_sclera(rgb01, sclera, eyes, sclera_l)
    return WhiteBalance(
        "none",
        (1.0, 1.0, 1.0),
        0,
        "no grey card and no eyes given",
        exposure_reason="no grey card and no eyes given",
    )


def _combine(first: WhiteBalance, second: WhiteBalance) -> WhiteBalance:
    return WhiteBalance("none", (1.0, 1.0, 1.0), 0, f"{first.reason}; {second.reason}", True)
