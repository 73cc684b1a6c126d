"""Re-tone a face photo across the six ITA° skin-colour categories by melanin and haemoglobin.

What: a two-chromophore model in optical-density space. Each pixel's linear sRGB reflectance R_c
becomes an optical density OD_c = -log10 R_c; melanin and haemoglobin each add their own
absorbance spectrum, sampled at the sRGB primaries, scaled by a concentration:
``OD'_c = OD_c + w (m eps_mel,c + h eps_hb,c)``, with ``w`` a soft skin weight (the face oval
without the eyes). The melanin amount that brings the face's ITA° (Chardon 1991, from the mean
L* and mean b* of its skin) to a chosen value is found by bisection.

Why: the measurements must hold on every skin, not only on the light one of the sample photos.
Adding absorbance multiplies every pixel's reflectance by the same factor, so features planted on
the face keep their relative (reflectance) contrast, as pores, lines and redness do on real darker
skin, while their contrast in L* shrinks with the skin's lightness, as it does in real photos. The
eye whites are left alone, so a white balance from the sclera sees the same reference.

References
----------
Chardon A, Cretois I, Hourseau C. Skin colour typology and suntanning pathways. Int J Cosmet Sci
1991;13:191-208 (ITA° = atan((L* - 50) / b*)).
Del Bino S, Sok J, Bessac E, Bernerd F. Relationship between skin response to ultraviolet exposure
and skin color type. Pigment Cell Res 2006;19:606-614 (the six categories: very light > 55°,
light 41-55°, intermediate 28-41°, tan 10-28°, brown -30-10°, dark < -30°).
Jacques SL. Skin optics. Oregon Medical Laser Center News, 1998 (melanin absorption
mu_a ~ lambda^-3.33).
Prahl S. Tabulated molar extinction coefficient for hemoglobin in water. OMLC, 1999.
Tsumura N, Haneishi H, Miyake Y. Independent-component analysis of skin color image. JOSA A
1999;16:2169-2176 (melanin and haemoglobin as additive densities in -log RGB).
IEC 61966-2-1:1999, the sRGB transfer curve.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

import cv2
import numpy as np
from numpy.typing import NDArray
from skimage.color import rgb2lab

from microneedling.analysis.colour import white_balance
from microneedling.analysis.landmarks import Landmarks
from microneedling.analysis.synthetic import SyntheticPhoto, base_face
from microneedling.analysis.zones import feature_indices, hull_mask
from microneedling.core.errors import ValidationError

# Dominant wavelengths of the sRGB primaries (nm), where the spectra below are sampled.
PRIMARY_NM = (611.3, 549.1, 464.3)
# Apparent melanin absorbance of skin in the camera's channels ~ lambda^-k, relative to green.
# Pure melanin has k = 3.33 (Jacques 1998); seen through the scattering dermis in a photo it is
# flatter. k = 1.5 (source: estimate) puts the dark category (ITA° -45) at L* 30, b* 20 and the
# brown one (-10) at L* 46, b* 21, near the colorimetry of dark skin; k = 3.33 would make it an
# implausible L* 22, b* 28 (darker, so harder to measure, than real skin).
MELANIN_EXPONENT = 1.5
MELANIN_OD: NDArray[np.float64] = (np.asarray(PRIMARY_NM) / PRIMARY_NM[1]) ** -MELANIN_EXPONENT
# Oxy-haemoglobin molar extinction (Prahl 1999; ~1400, 44000, 40000 cm^-1/M), relative to green.
HAEMOGLOBIN_OD: NDArray[np.float64] = np.array([1400.0, 44000.0, 40000.0]) / 44000.0
MIN_REFLECTANCE = 1e-4


@dataclass(frozen=True)
class ItaCategory:
    """One skin-colour category: ``low < ITA° <= high``, and the ITA° used to re-tone to it."""

    name: str
    low: float
    high: float
    target: float

    def holds(self, ita_deg: float) -> bool:
        return self.low < ita_deg <= self.high


# Del Bino 2006 (after Chardon 1991). The targets are the category mid-points (the open ends:
# 7° above and 15° below the last limits), which also split each category as Kinyanjui 2020 did.
ITA_CATEGORIES: tuple[ItaCategory, ...] = (
    ItaCategory("very light", 55.0, 90.0, 62.0),
    ItaCategory("light", 41.0, 55.0, 48.0),
    ItaCategory("intermediate", 28.0, 41.0, 34.5),
    ItaCategory("tan", 10.0, 28.0, 19.0),
    ItaCategory("brown", -30.0, 10.0, -10.0),
    ItaCategory("dark", -90.0, -30.0, -45.0),
)


def category(name: str) -> ItaCategory:
    """The ITA° category of that name (``very light`` ... ``dark``)."""
    for c in ITA_CATEGORIES:
        if c.name == name:
            return c
    known = ", ".join(c.name for c in ITA_CATEGORIES)
    raise ValidationError("category", f"unknown ITA category {name!r}; known: {known}")


def ita_category(ita_deg: float) -> ItaCategory:
    """The category an ITA° falls in (Del Bino 2006)."""
    for c in ITA_CATEGORIES:
        if c.holds(ita_deg):
            return c
    return ITA_CATEGORIES[0] if ita_deg > 0 else ITA_CATEGORIES[-1]


def ita_deg(lightness: float, b_star: float) -> float:
    """ITA° = atan((L* - 50) / b*) in degrees (Chardon 1991), continued through b* <= 0."""
    return float(np.degrees(np.arctan2(lightness - 50.0, b_star)))


def skin_ita(
    rgb: NDArray[np.uint8],
    mask: NDArray[np.bool_],
    gains: tuple[float, float, float] | None = None,
) -> float:
    """ITA° of the pixels under ``mask``: exact sRGB to CIELAB (D65), then the mean L* and b*.

    This is the published definition (a colorimeter averages the colour, then takes the angle),
    computed directly. ``gains`` (per channel, on the sRGB codes, as the analysis applies its
    white balance) first take the photo's light to neutral: ITA° is a colour under neutral light.
    """
    pixels = rgb[mask].reshape(-1, 1, 3)
    if pixels.size == 0:
        raise ValidationError("mask", "no pixels to measure")
    if gains is not None:
        pixels = np.clip(pixels / 255.0 * np.asarray(gains), 0.0, 1.0)
    lab = rgb2lab(pixels).reshape(-1, 3)
    return ita_deg(float(lab[:, 0].mean()), float(lab[:, 2].mean()))


def srgb_to_linear(rgb: NDArray[np.uint8]) -> NDArray[np.float64]:
    """8-bit sRGB codes to linear reflectance 0..1 (IEC 61966-2-1)."""
    c = rgb.astype(np.float64) / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(linear: NDArray[np.float64]) -> NDArray[np.uint8]:
    """Linear reflectance to 8-bit sRGB codes, clipped to 0..1 and rounded."""
    c = np.clip(linear, 0.0, 1.0)
    v = np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055)
    return (v * 255.0 + 0.5).astype(np.uint8)


def skin_weight(
    landmarks: Landmarks, shape: tuple[int, ...], *, feather: float = 0.04
) -> NDArray[np.float32]:
    """Soft weight 0..1 of the skin to re-tone: the face oval without the eyes and the mouth.

    The oval is grown by twice ``feather`` x the inter-pupillary distance and its edge feathered
    by a Gaussian of that, so the whole oval is re-toned and no seam is drawn. The eyes and the
    lips are grown by twice a quarter of that and feathered by a quarter, so the sclera (weight
    below 0.1 at its rim, near 0 inside) and the teeth keep their colour while the lids are
    re-toned. The ears and neck, outside the oval, keep their tone.
    """
    idx = feature_indices()
    d = landmarks.interpupillary_px
    sigma, sigma_part = max(feather * d, 1.0), max(feather * d / 4, 1.0)
    oval = hull_mask(shape, landmarks.xy[list(idx["oval"])], round(2 * sigma))
    kept = np.zeros(shape[:2], bool)
    for part in ("left_eye", "right_eye", "lips"):
        kept |= hull_mask(shape, landmarks.xy[list(idx[part])], round(2 * sigma_part))
    face = cv2.GaussianBlur(oval.astype(np.float32), (0, 0), sigma)
    untouched = cv2.GaussianBlur(kept.astype(np.float32), (0, 0), sigma_part)
    return np.asarray(face * (1.0 - untouched), dtype=np.float32)


def retone(
    rgb: NDArray[np.uint8],
    weight: NDArray[np.float32],
    *,
    melanin: float,
    haemoglobin: float = 0.0,
) -> NDArray[np.uint8]:
    """Add melanin and haemoglobin absorbance (optical density, log10 units) where ``weight`` > 0.

    ``melanin`` and ``haemoglobin`` scale MELANIN_OD and HAEMOGLOBIN_OD (1.0 is an optical
    density of 1 in the green channel); negative values remove absorbance (lighter skin).
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValidationError("rgb", "expects an 8-bit (rows, cols, 3) sRGB image")
    if weight.shape != rgb.shape[:2]:
        raise ValidationError("weight", "must have the image's rows and columns")
    rows, cols = np.nonzero(weight > 1e-3)
    out = rgb.copy()
    if rows.size == 0:
        return out
    r0, r1, c0, c1 = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    delta = melanin * MELANIN_OD + haemoglobin * HAEMOGLOBIN_OD
    linear = np.maximum(srgb_to_linear(rgb[r0:r1, c0:c1]), MIN_REFLECTANCE)
    w = weight[r0:r1, c0:c1, None].astype(np.float64)
    out[r0:r1, c0:c1] = linear_to_srgb(linear * 10.0 ** (-w * delta))
    return out


def melanin_for_ita(
    rgb: NDArray[np.uint8],
    weight: NDArray[np.float32],
    mask: NDArray[np.bool_],
    target_ita_deg: float,
    *,
    bounds: tuple[float, float] = (-1.0, 3.0),
    tolerance_deg: float = 0.05,
    gains: tuple[float, float, float] | None = None,
) -> float:
    """The melanin density that brings the ITA° of the pixels under ``mask`` to the target.

    ITA° falls monotonically as melanin is added (L* falls, b* first rises), so a bisection finds
    it. Raises if the target lies outside what ``bounds`` can reach. ``gains``: as in
    ``skin_ita``.
    """
    linear = np.maximum(srgb_to_linear(rgb[mask]), MIN_REFLECTANCE)
    w = weight[mask].astype(np.float64)[:, None]

    def ita_at(m: float) -> float:
        toned = linear * 10.0 ** (-w * m * MELANIN_OD)
        codes = linear_to_srgb(toned)[:, None, :]
        return skin_ita(codes, np.ones((len(toned), 1), bool), gains)

    lo, hi = bounds
    if not ita_at(hi) <= target_ita_deg <= ita_at(lo):
        raise ValidationError("target_ita_deg", f"{target_ita_deg}° is out of reach")
    while True:
        mid = (lo + hi) / 2
        value = ita_at(mid)
        if abs(value - target_ita_deg) <= tolerance_deg or hi - lo < 1e-5:
            return mid
        lo, hi = (mid, hi) if value > target_ita_deg else (lo, mid)


@cache
def base_weight() -> NDArray[np.float32]:
    """The skin weight of the synthetic base face (computed once)."""
    rgb, landmarks, _ = base_face()
    return skin_weight(landmarks, rgb.shape)


def base_skin_mask() -> NDArray[np.bool_]:
    """The analysed zones of the synthetic base face, as a full-image mask."""
    rgb, _, zones = base_face()
    mask = np.zeros(rgb.shape[:2], bool)
    x0, y0 = zones.origin
    h, w = zones.labels.shape
    mask[y0 : y0 + h, x0 : x0 + w] = zones.labels >= 0
    return mask


@cache
def base_white_gains() -> tuple[float, float, float]:
    """The base photo's white balance from its eye whites (``colour.white_balance``): its light
    is warm (the sclera reads red and yellow), so a skin category is that of the balanced skin,
    the colour the analysis measures; (1, 1, 1) where the eye whites fail their checks."""
    rgb, landmarks, _ = base_face()
    eyes = feature_indices()
    sclera = hull_mask(rgb.shape, landmarks.xy[list(eyes["left_eye"])]) | hull_mask(
        rgb.shape, landmarks.xy[list(eyes["right_eye"])]
    )
    balance = white_balance(rgb.astype(np.float32) / 255.0, sclera=sclera)
    r, g, b = balance.gains
    return (float(r), float(g), float(b))


@cache
def base_melanin(target_ita_deg: float) -> float:
    """Melanin density that brings the bare synthetic face's skin, under neutral light
    (``base_white_gains``), to ``target_ita_deg``."""
    rgb, _, _ = base_face()
    return melanin_for_ita(
        rgb, base_weight(), base_skin_mask(), target_ita_deg, gains=base_white_gains()
    )


def tone_photo(photo: SyntheticPhoto, target_ita_deg: float) -> SyntheticPhoto:
    """The synthetic photo re-toned so its bare face has ``target_ita_deg``; features kept.

    The melanin density is solved once on the bare face and then added to every photo of that
    tone, so a planted photo and the bare one differ only by what was planted. The truth gains a
    ``tone`` entry: the target, its category and the melanin density added.
    """
    melanin = base_melanin(float(target_ita_deg))
    rgb = retone(photo.rgb, base_weight(), melanin=melanin)
    truth = dict(photo.truth)
    truth["tone"] = {
        "target_ita_deg": float(target_ita_deg),
        "category": ita_category(float(target_ita_deg)).name,
        "melanin_od": melanin,
    }
    return replace(photo, rgb=rgb, truth=truth)
