"""The cross-talk matrix: ladders of planted features, and how every metric responds to each.

A ladder plants one kind of feature (redness, pigment spots, pores, wrinkles, texture, scars) at
rising levels, each level a different size and contrast, inside a region given as a mask on the
photo (the tests draw it by hand, independently of the landmark and zone code). Every registered
metric is measured on that region at every level, and on a control region where nothing was
planted. A good metric rises with its own feature and stays put under the others.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from numpy.typing import NDArray

from microneedling.analysis.landmarks import Landmarks, detect_landmarks
from microneedling.analysis.metrics import derive_all, measure
from microneedling.analysis.planting import Feature, plant_region
from microneedling.analysis.prepare import prepare
from microneedling.analysis.synthetic import base_face
from microneedling.analysis.zones import ADULT_IPD_MM

# The metrics in the matrix, and how each is shown (absolute change, or relative for ratios).
COLUMNS: tuple[str, ...] = (
    "a_star",
    "erythema_index",
    "ita_deg",
    "melanin_index",
    "pigment_spot_count",
    "pore_count",
    "wrinkle_length_mm_per_cm2",
    "roughness_l",
    "scar_count",
)
SHORT = {
    "a_star": "a*",
    "erythema_index": "EI",
    "ita_deg": "ITA",
    "melanin_index": "MI",
    "pigment_spot_count": "pigm",
    "pore_count": "pores",
    "wrinkle_length_mm_per_cm2": "lines",
    "roughness_l": "rough",
    "scar_count": "scars",
}


@dataclass(frozen=True)
class Ladder:
    """A feature planted at rising levels; ``own`` is the metric that must follow it."""

    name: str
    own: str
    levels: tuple[tuple[Feature, ...], ...]  # level 0 is the bare photo: ()
    seeds: tuple[int, ...] = ()  # per level; by default the level's index in the full ladder

    def seed(self, level: int) -> int:
        return self.seeds[level] if self.seeds else level


def hand_regions(path: Path, shape: tuple[int, ...]) -> tuple[dict[str, NDArray[np.bool_]], float]:
    """Rectangles [row0, row1, col0, col1] of a regions file as masks over an enlargement of the
    annotated image, and the scale from its hand-marked pupils (adult mean distance 63.36 mm)."""
    spec: dict[str, Any] = yaml.safe_load(path.read_text())
    enlarge = shape[0] / spec["image_shape"][0]
    masks = {}
    for name, region in spec["regions"].items():
        r0, r1, c0, c1 = (round(v * enlarge) for v in region["rectangle"])
        mask = np.zeros(shape[:2], dtype=bool)
        mask[r0:r1, c0:c1] = True
        masks[name] = mask
    pupils = np.subtract(spec["pupils"]["left"], spec["pupils"]["right"])
    return masks, ADULT_IPD_MM / (float(np.hypot(*pupils)) * enlarge)


def _f(kind: str, count: int, size: float, contrast: float, extra: float = 0.0) -> Feature:
    return Feature(kind, count, size, contrast, extra)


# Full grid (make bench): five levels; sizes and contrasts rise together, never one setting.
LADDERS: tuple[Ladder, ...] = (
    Ladder(
        "redness",
        "a_star",
        ((), *((_f("redness", 0, 0, d),) for d in (3.0, 6.0, 9.0, 12.0))),
    ),
    Ladder(
        "pigment",
        "pigment_spot_count",
        (
            (),
            (_f("pigment", 2, 1.2, 4.0, 3.0),),
            (_f("pigment", 4, 1.6, 6.0, 4.0),),
            (_f("pigment", 6, 2.0, 8.0, 6.0),),
            (_f("pigment", 8, 2.0, 10.0, 8.0),),
        ),
    ),
    Ladder(
        "pores",
        "pore_count",
        (
            (),
            (_f("pores", 8, 0.6, 4.0),),
            (_f("pores", 16, 0.7, 8.0),),
            (_f("pores", 24, 0.8, 12.0),),
            (_f("pores", 32, 1.0, 16.0),),
        ),
    ),
    Ladder(
        "wrinkles",
        "wrinkle_length_mm_per_cm2",
        (
            (),
            (_f("wrinkles", 1, 0.5, 4.0, 10.0),),
            (_f("wrinkles", 2, 0.6, 6.0, 12.0),),
            (_f("wrinkles", 3, 0.6, 8.0, 12.0),),
            (_f("wrinkles", 4, 0.7, 10.0, 14.0),),
        ),
    ),
    Ladder(
        "texture",
        "roughness_l",
        ((), *((_f("texture", 0, 0.3, a),) for a in (1.5, 3.0, 4.5, 6.0))),
    ),
    Ladder(
        "scars",
        "scar_count",
        (
            (),
            (_f("scars", 1, 1.5, 5.0),),
            (_f("scars", 2, 2.0, 6.0),),
            (_f("scars", 3, 2.5, 8.0),),
            (_f("scars", 4, 3.0, 10.0),),
        ),
    ),
)


def reduced(ladders: Sequence[Ladder], keep: Sequence[int] = (0, 2, 4)) -> tuple[Ladder, ...]:
    """The same ladders at fewer levels (CI: bare, middle, top)."""
    return tuple(
        Ladder(x.name, x.own, tuple(x.levels[i] for i in keep), tuple(x.seed(i) for i in keep))
        for x in ladders
    )


@dataclass(frozen=True)
class Response:
    """Each metric's value per level of one ladder, on the planted and on the control region."""

    ladder: Ladder
    region: tuple[dict[str, float], ...]
    control: tuple[dict[str, float], ...]

    def values(self, metric: str, *, control: bool = False) -> list[float]:
        rows = self.control if control else self.region
        return [float("nan") if r[metric] is None else float(r[metric]) for r in rows]


def _row(values: dict[str, object]) -> dict[str, float]:
    return {
        k: (float(v) if isinstance(v, int | float) else float("nan")) for k, v in values.items()
    }


def run_ladder(
    rgb: NDArray[np.uint8],
    region: NDArray[np.bool_],
    control: NDArray[np.bool_],
    ladder: Ladder,
    mm_per_px: float,
    *,
    landmarks: Landmarks | None = None,
    seed: int = 0,
) -> Response:
    """Plant each level of ``ladder`` in ``region`` and measure every metric on both regions.

    ``mm_per_px`` is the photo's scale, used both to size the features and to measure them.
    """
    marks = landmarks or detect_landmarks(rgb)
    region_rows, control_rows = [], []
    for level, features in enumerate(ladder.levels):
        photo = (
            plant_region(rgb, region, features, mm_per_px, seed=seed + ladder.seed(level))
            if features
            else None
        )
        prepared = prepare(photo.rgb if photo else rgb, landmarks=marks, mm_per_px=mm_per_px)
        derive_all(prepared)
        region_rows.append(_row(measure(prepared, prepared.region(region))))
        control_rows.append(_row(measure(prepared, prepared.region(control))))
    return Response(ladder, tuple(region_rows), tuple(control_rows))


# The criteria, stated before the matrix was last measured (tests and `make bench` use them).
# Own metric: never falls from one level to the next, and top / bottom at least this
# ((top + 1) / (bottom + 1) for counts, which may start at 0).
OWN_MIN_RATIO = {
    "a_star": 3.0,
    "pigment_spot_count": 2.0,
    "pore_count": 8.0,
    "wrinkle_length_mm_per_cm2": 2.5,
    "roughness_l": 4.0,
    "scar_count": 1.8,
}
COUNTS = frozenset({"pigment_spot_count", "pore_count", "scar_count"})
# The ladder each metric belongs to (its own feature); colour metrics share a ladder.
OWNER = {
    "a_star": "redness",
    "erythema_index": "redness",
    "ita_deg": "pigment",
    "melanin_index": "pigment",
    "pigment_spot_count": "pigment",
    "pore_count": "pores",
    "wrinkle_length_mm_per_cm2": "wrinkles",
    "roughness_l": "texture",
    "scar_count": "scars",
}
# Under another ladder a metric moves (any level against the bare photo) at most: colour metrics
# an absolute amount; detectors a fraction of their own ladder's full response, or a small floor
# (one spot either way; 1 mm of line per cm2; 0.05 L* of roughness).
ABSOLUTE = {"a_star": 0.6, "erythema_index": 1.0, "ita_deg": 3.0, "melanin_index": 4.0}
RELATIVE = {
    "pigment_spot_count": (0.25, 1.0),
    "pore_count": (0.15, 2.0),
    "wrinkle_length_mm_per_cm2": (0.15, 1.0),
    "roughness_l": (0.25, 0.05),
    "scar_count": (0.25, 1.0),
}
# Physical couplings, not cross-talk: redness raises R and so lowers Dawson's melanin index
# (MI = 100 log10 1/R); a brown spot changes R/G and so the erythema index.
COUPLED = frozenset({("redness", "melanin_index"), ("pigment", "erythema_index")})


def run_ladders(hand_path: Path, ladders: Sequence[Ladder] = LADDERS) -> dict[str, Response]:
    """Every ladder on the sample face, planted in the hand-marked right cheek of ``hand_path``
    and measured there, the hand-marked left cheek as the control."""
    rgb, landmarks, _ = base_face()
    regions, mm_per_px = hand_regions(hand_path, rgb.shape)
    return {
        ladder.name: run_ladder(
            rgb,
            regions["cheek_right"],
            regions["cheek_left"],
            ladder,
            mm_per_px,
            landmarks=landmarks,
        )
        for ladder in ladders
    }


def own_ratio(metric: str, values: Sequence[float]) -> float:
    if metric in COUNTS:
        return (values[-1] + 1) / (values[0] + 1)
    return values[-1] / max(values[0], 1e-6)


def limit(metric: str, responses: dict[str, Response]) -> float:
    """How far ``metric`` may move under a ladder that is not its own."""
    if metric in ABSOLUTE:
        return ABSOLUTE[metric]
    fraction, floor = RELATIVE[metric]
    own = responses[OWNER[metric]].values(metric)
    return max(fraction * abs(own[-1] - own[0]), floor)


def own_failures(response: Response) -> list[str]:
    own = response.ladder.own
    values = response.values(own)
    out = []
    if any(b < a for a, b in itertools.pairwise(values)):
        out.append(f"{own} falls somewhere: {[round(v, 2) for v in values]}")
    if own_ratio(own, values) < OWN_MIN_RATIO[own]:
        out.append(f"{own} top/bottom {own_ratio(own, values):.2f} < {OWN_MIN_RATIO[own]}")
    return out


def other_failures(response: Response, responses: dict[str, Response]) -> list[str]:
    out = []
    ladder = response.ladder.name
    for metric, owner in OWNER.items():
        if owner == ladder or (ladder, metric) in COUPLED:
            continue
        values = response.values(metric)
        change = max(abs(v - values[0]) for v in values)
        allowed = limit(metric, responses)
        if not change <= allowed:
            out.append(f"{metric} moved {change:.2f} > {allowed:.2f}")
    return out


def format_matrix(responses: Sequence[Response]) -> str:
    """One line per ladder: each metric's value at the bottom and top level (own metric starred),
    then the values of the own metric at every level."""
    head = f"{'ladder':<10}" + "".join(f"{SHORT[c]:>15}" for c in COLUMNS)
    lines = ["cross-talk matrix: bottom -> top of each ladder, planted region", head]
    for response in responses:
        cells = []
        for column in COLUMNS:
            values = response.values(column)
            mark = "*" if column == response.ladder.own else " "
            cells.append(f"{values[0]:>6.2f}->{values[-1]:>6.2f}{mark}")
        lines.append(f"{response.ladder.name:<10}" + "".join(f"{c:>15}" for c in cells))
    lines.append("own metric at every level (min top/bottom ratio):")
    for response in responses:
        own = response.ladder.own
        shown = ", ".join(f"{v:.2f}" for v in response.values(own))
        lines.append(
            f"  {response.ladder.name:<10} {SHORT[own]:<6} {shown}   "
            f"ratio {own_ratio(own, response.values(own)):.2f} (>= {OWN_MIN_RATIO[own]})"
        )
    by_name = {r.ladder.name: r for r in responses}
    if set(by_name) >= set(OWNER.values()):
        lines.append("others may move (any level vs bare):")
        lines.append(
            "  " + ", ".join(f"{SHORT[m]} {limit(m, by_name):.2f}" for m in COLUMNS if m in OWNER)
        )
        verdicts = []
        for response in responses:
            failed = own_failures(response) + other_failures(response, by_name)
            verdicts.append(f"  {response.ladder.name:<10} " + ("; ".join(failed) or "pass"))
        lines += ["verdict:", *verdicts]
    return "\n".join(lines)
