"""A synthetic cohort with a planted effect of known size, and bad photos, for tests and benchmarks.

Built from the analysis part's synthetic photos (analysis/synthetic.py: the astronaut portrait with
planted features, analysis/skin_tone.py: re-toned by melanin to an ITA° category). Each patient
gets a skin tone, a Fitzpatrick type that goes with it, a birth year, an indication and a number of
sessions, and one photo per visit. Redness planted on the left cheek falls by a known amount from
the baseline to the last visit (the planted improvement); the pores planted in the right cheek
stay as they were (no effect). Every photo is repositioned by a few pixels and
its exposure changed by a few percent, as between real visits. A share of the photos are bad:
blurred, turned (the head rolled beyond the capture limit) or unreadable (a cut-off file).

The base face's cheeks differ by about 13 L* (it is lit from one side), which the capture-quality
check refuses; a horizontal L* ramp over the face evens them first, so that good photos pass.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from microneedling.cohort.manifest import ManifestRow, write_manifest
from microneedling.core.errors import ValidationError
from microneedling.core.zones import FacialZone

__all__ = ["CohortPlan", "SyntheticCohort", "make_cohort", "tone_fitzpatrick"]

EFFECT_ZONE = FacialZone.CHEEK_LEFT
NULL_ZONES = (FacialZone.CHEEK_RIGHT, FacialZone.FOREHEAD, FacialZone.CHIN)
BAD_KINDS = ("blurred", "turned", "unreadable")
# ITA° category -> the Fitzpatrick type usually reported with it (Del Bino 2006, approximate)
FITZPATRICK_BY_CATEGORY = {
    "very light": "I",
    "light": "II",
    "intermediate": "III",
    "tan": "IV",
    "brown": "V",
    "dark": "VI",
}
MAX_PATIENTS = 5000
REFERENCE_L = 70.0
BASE_WIDTH_PX = 2048


@dataclass(frozen=True)
class CohortPlan:
    """What to generate. ``redness_change_a`` is the planted change of a* in the left cheek's
    redness disk from the baseline to the last visit (negative: an improvement)."""

    patients: int = 12
    visits: int = 2
    interval_days: int = 42
    redness_baseline_a: float = 12.0
    redness_change_a: float = -8.0
    redness_jitter_a: float = 1.0
    tones_ita_deg: tuple[float, ...] = (48.0, 34.5, 19.0, -10.0)
    bad_share: float = 0.1
    size_px: int = 1024
    shift_px: float = 4.0
    brightness_pct: float = 2.0
    seed: int = 0

    def check(self) -> None:
        if not 2 <= self.patients <= MAX_PATIENTS:
            raise ValidationError("patients", f"{self.patients} is outside 2-{MAX_PATIENTS}")
        if not 2 <= self.visits <= 20:
            raise ValidationError("visits", f"{self.visits} is outside 2-20")
        if not 0 <= self.bad_share <= 0.5:
            raise ValidationError("bad_share", f"{self.bad_share:g} is outside 0-0.5")
        if not 512 <= self.size_px <= 4096:
            raise ValidationError("size_px", f"{self.size_px} is outside 512-4096")


@dataclass(frozen=True)
class SyntheticCohort:
    manifest: Path
    rows: tuple[ManifestRow, ...]
    truth: dict[str, Any]


def tone_fitzpatrick(ita_deg: float) -> str:
    from microneedling.analysis.skin_tone import ita_category

    return FITZPATRICK_BY_CATEGORY[ita_category(ita_deg).name]


def even_lighting(rgb: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """The base face with its cheeks' median L* made about equal by a horizontal ramp (±10 L* at
    most), found on the bare base face; applied as a gain on linear light (the ramp in L* at a
    skin lightness of REFERENCE_L), so colours keep their chromaticity."""
    from microneedling.analysis.skin_tone import linear_to_srgb, srgb_to_linear

    slope, centre = _lighting_ramp()
    factor = rgb.shape[1] / BASE_WIDTH_PX  # the ramp was found on the full-size base face
    cols = (np.arange(rgb.shape[1], dtype=np.float64) + 0.5) / factor
    delta_l = np.clip(slope * (cols - centre), -10.0, 10.0)
    gain = ((REFERENCE_L + 16 + delta_l) / (REFERENCE_L + 16)) ** 3  # Y ~ ((L* + 16) / 116)^3
    return linear_to_srgb(srgb_to_linear(rgb) * gain[None, :, None])


_RAMP: list[tuple[float, float]] = []


def _lighting_ramp() -> tuple[float, float]:
    """(slope in L* per column, centre column) that evens the bare base face's cheeks."""
    if _RAMP:
        return _RAMP[0]
    from skimage.color import rgb2lab

    from microneedling.analysis.synthetic import base_rgb, planting_zones

    rgb, zones = base_rgb(), planting_zones()  # the frozen zones: the ramp is part of the photo
    ox, oy = zones.origin
    h, w = zones.labels.shape
    lightness = rgb2lab(rgb[oy : oy + h, ox : ox + w])[..., 0]
    sides = []
    for zone in (FacialZone.CHEEK_LEFT, FacialZone.CHEEK_RIGHT):
        mask = zones.mask(zone)
        sides.append((float(np.median(lightness[mask])), float(np.nonzero(mask)[1].mean() + ox)))
    (l_left, x_left), (l_right, x_right) = sides
    slope = (l_right - l_left) / (x_left - x_right)  # brighten the darker side
    _RAMP.append((slope, (x_left + x_right) / 2))
    return _RAMP[0]


def _photo(
    plan: CohortPlan, patient_seed: int, redness_a: float, ita_deg: float, rng: np.random.Generator
) -> NDArray[np.uint8]:
    from microneedling.analysis import perturb
    from microneedling.analysis.skin_tone import tone_photo
    from microneedling.analysis.synthetic import Plan, make_photo

    planted = make_photo(
        Plan(
            redness_zone=EFFECT_ZONE,
            redness_delta_a=redness_a,
            pore_zone=FacialZone.CHEEK_RIGHT,
            pore_count=30,
            seed=patient_seed,
        )
    )
    toned = tone_photo(planted, ita_deg).rgb
    size = (plan.size_px, plan.size_px)
    small: NDArray[np.uint8] = cv2.resize(toned, size, interpolation=cv2.INTER_AREA)
    small = even_lighting(small)
    offset = tuple(float(v) for v in rng.uniform(-plan.shift_px, plan.shift_px, 2))
    small = perturb.shift(small, (offset[0], offset[1]))
    small = perturb.brightness(small, 1 + rng.uniform(-1, 1) * plan.brightness_pct / 100)
    return small


def _spoil(rgb: NDArray[np.uint8], kind: str) -> NDArray[np.uint8]:
    from microneedling.analysis import perturb

    if kind == "blurred":
        blurred: NDArray[np.uint8] = cv2.GaussianBlur(rgb, (0, 0), rgb.shape[1] / 110)
        return blurred
    return perturb.rotate(rgb, 25.0)  # head rolled 25°, beyond the 10° capture limit


def _write_jpeg(rgb: NDArray[np.uint8], path: Path, *, cut: bool = False) -> None:
    ok, encoded = cv2.imencode(".jpg", rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 92])
    if not ok:
        raise ValidationError("photo", f"cannot encode {path.name}")
    data = encoded.tobytes()
    path.write_bytes(data[: len(data) // 20] if cut else data)  # a cut-off file: header only


def make_cohort(plan: CohortPlan, folder: Path) -> SyntheticCohort:
    """Write the cohort's photos as JPEGs and its manifest (``manifest.csv``) into ``folder``."""
    plan.check()
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(plan.seed)
    start = date(2026, 1, 5)
    total = plan.patients * plan.visits
    n_bad = round(plan.bad_share * total)
    # bad photos: spread over patients, never two for one patient
    bad_patients = rng.choice(plan.patients, size=min(n_bad, plan.patients), replace=False)
    bad: dict[tuple[int, int], str] = {
        (int(p), int(rng.integers(plan.visits))): BAD_KINDS[i % len(BAD_KINDS)]
        for i, p in enumerate(bad_patients)
    }
    rows: list[ManifestRow] = []
    truth_patients = []
    for p in range(plan.patients):
        code = f"SYN-{p + 1:04d}"
        ita = plan.tones_ita_deg[p % len(plan.tones_ita_deg)]
        baseline_a = plan.redness_baseline_a + rng.uniform(-1, 1) * plan.redness_jitter_a
        indication = ("rejuvenation", "acne_scars")[p % 2]
        sessions = 3 + p % 2
        birth_year = int(rng.integers(1960, 2002))
        first = start + timedelta(days=int(rng.integers(0, 60)))
        for v in range(plan.visits):
            fraction = v / (plan.visits - 1)
            redness = baseline_a + plan.redness_change_a * fraction
            redness += rng.uniform(-1, 1) * plan.redness_jitter_a * (v > 0)
            rgb = _photo(plan, 1000 + p, max(redness, 0.0), ita, rng)
            kind = bad.get((p, v))
            path = folder / f"{code}-v{v}.jpg"
            if kind in ("blurred", "turned"):
                rgb = _spoil(rgb, kind)
            _write_jpeg(rgb, path, cut=kind == "unreadable")
            rows.append(
                ManifestRow(
                    row=len(rows) + 2,
                    patient=code,
                    visit=v,
                    date=first + timedelta(days=v * plan.interval_days),
                    view="front",
                    photo=path,
                    session=sessions if v == plan.visits - 1 else None,
                    indication=indication,
                    fitzpatrick=tone_fitzpatrick(ita),
                    birth_year=birth_year,
                )
            )
        truth_patients.append({"patient": code, "ita_deg": ita, "baseline_redness_a": baseline_a})
    manifest = folder / "manifest.csv"
    write_manifest(rows, manifest)
    truth = {
        "effect": {
            "zone": EFFECT_ZONE.value,
            "metric": "a_star",
            "planted_change_a_in_disk": plan.redness_change_a,
        },
        "null_zones": [z.value for z in NULL_ZONES],
        "bad": {f"SYN-{p + 1:04d}-v{v}": kind for (p, v), kind in bad.items()},
        "patients": truth_patients,
    }
    return SyntheticCohort(manifest, tuple(rows), truth)
