"""Before/after: alignment, and changes judged against the measurement's repeatability."""

from dataclasses import replace
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

from microneedling.analysis.colour import WhiteBalance
from microneedling.analysis.compare import (
    NOISE_RULE,
    NOISE_SD,
    NOT_COMPARABLE,
    Comparison,
    compare,
    noise_band,
    perturbations,
)
from microneedling.analysis.pipeline import ZoneMetrics
from microneedling.analysis.quality import Check, QualityReport
from microneedling.analysis.synthetic import Plan, make_photo
from microneedling.core.zones import FacialZone


@pytest.fixture(scope="module")
def redder_and_moved() -> object:
    before = make_photo(Plan(seed=3)).rgb
    after = make_photo(Plan(redness_delta_a=12.0, seed=3)).rgb
    matrix = cv2.getRotationMatrix2D((1024, 1024), 2.0, 1.03)
    matrix[:, 2] += (25, -15)
    moved = cv2.warpAffine(after, matrix, (2048, 2048), borderMode=cv2.BORDER_REFLECT)
    return compare(before, moved, repeat_runs=4)


def test_alignment_undoes_the_camera_move(redder_and_moved: object) -> None:
    summary = redder_and_moved.summary()  # type: ignore[attr-defined]
    assert summary["alignment"]["scale"] == pytest.approx(1 / 1.03, abs=0.01)
    assert summary["alignment"]["rotation_deg"] == pytest.approx(2.0, abs=0.5)


def test_planted_redness_is_a_real_change(redder_and_moved: object) -> None:
    rows = {(r["zone"], r["metric"]): r for r in redder_and_moved.changes()}  # type: ignore[attr-defined]
    red = rows[("cheek_left", "a_star")]
    assert red["change"] > 2 and red["beyond_noise"]
    assert rows[("cheek_left", "red_area_fraction")]["beyond_noise"]
    untouched = rows[("cheek_right", "a_star")]
    assert abs(untouched["change"]) < red["change"] / 4


def test_unchanged_photo_stays_inside_the_noise_band() -> None:
    rgb = make_photo(Plan(pore_count=20, wrinkle_count=2, seed=5)).rgb
    dx, dy, angle, scale, gain = perturbations(1, seed=99)[0]
    matrix = cv2.getRotationMatrix2D((1024, 1024), angle, scale)
    matrix[:, 2] += (dx, dy)
    retake = cv2.warpAffine(rgb, matrix, (2048, 2048), borderMode=cv2.BORDER_REFLECT)
    retake = np.clip(retake.astype(np.float32) * gain, 0, 255).astype(np.uint8)
    result = compare(rgb, retake, repeat_runs=6)
    for metric in ("a_star", "red_area_fraction", "roughness_l", "ita_deg"):
        rows = [r for r in result.changes() if r["metric"] == metric]
        inside = sum(not r["beyond_noise"] for r in rows)
        assert inside >= 0.8 * len(rows), (metric, rows)


# --- The rule printed is the rule applied: numbers planted by hand --------------------------------


def zone_row(zone: FacialZone, a_star: float) -> ZoneMetrics:
    fields = {
        name: (0 if f.type in ("int", int) else 0.0)
        for name, f in ZoneMetrics.__dataclass_fields__.items()
        if name != "zone"
    }
    return ZoneMetrics(**(fields | {"zone": zone, "a_star": a_star}))  # type: ignore[arg-type]


def stub(
    a_star: float, checks: tuple[Check, ...] = (), balance: WhiteBalance | None = None
) -> SimpleNamespace:
    return SimpleNamespace(
        metrics=(zone_row(FacialZone.CHEEK_LEFT, a_star),),
        quality=QualityReport(checks),
        white_balance=balance or WhiteBalance("eye whites (sclera)", (1.0, 1.0, 1.0), 500),
    )


# repeated a* values 1, 2, 3 (SD 1, mean 2) around a direct measurement of 1.5 (offset 0.5):
# the printed rule, 2 SD + offset, gives a half-width of 2.5; the old code applied 5.0.
BAND = noise_band([1.0, 2.0, 3.0], 1.5)


def rows_for(after_a: float, **kwargs: object) -> dict[str, object]:
    comparison = Comparison(stub(10.0), stub(after_a), np.eye(3), {"cheek_left": {"a_star": BAND}})
    for key, value in kwargs.items():
        comparison = replace(comparison, **{key: value})
    return next(r for r in comparison.changes() if r["metric"] == "a_star")


def test_the_band_is_two_sd_plus_the_offset() -> None:
    assert BAND.sd == pytest.approx(1.0) and BAND.offset == pytest.approx(0.5)
    assert BAND.half_width == pytest.approx(NOISE_SD * 1.0 + 0.5) == pytest.approx(2.5)
    assert "2 SD of repeatability + the mean offset" in NOISE_RULE


@pytest.mark.parametrize(
    ("after_a", "beyond"), [(12.49, False), (12.51, True), (7.51, False), (7.49, True)]
)
def test_a_change_just_inside_and_just_outside_the_printed_band(
    after_a: float, beyond: bool
) -> None:
    row = rows_for(after_a)
    assert row["noise"] == pytest.approx(2.5)
    assert row["beyond_noise"] is beyond
    assert row["verdict"] == ("real change" if beyond else "within noise")


def test_failed_quality_makes_changes_not_comparable_unless_overridden() -> None:
    blurred = (Check("sharpness", 0.5, ">= 2", False, "photo is blurred (sharpness 0.5)"),)
    comparison = Comparison(
        stub(10.0), stub(14.0, blurred), np.eye(3), {"cheek_left": {"a_star": BAND}}
    )
    row = next(r for r in comparison.changes() if r["metric"] == "a_star")
    assert row["verdict"] == NOT_COMPARABLE and not row["comparable"]
    assert row["beyond_noise"] is True  # the numbers are still shown
    assert all(r["verdict"] == NOT_COMPARABLE for r in comparison.changes())
    summary = replace(comparison, allow_poor_quality=True).summary()
    assert summary["comparable"]["reasons"] == ["after: photo is blurred (sharpness 0.5)"]
    assert summary["comparable"]["overridden"]
    row = next(r for r in summary["changes"] if r["metric"] == "a_star")
    assert row["verdict"] == "real change" and row["comparable"]


def test_a_white_balance_fallback_makes_only_colour_not_comparable() -> None:
    fallback = WhiteBalance("none", (1.0, 1.0, 1.0), 0, "eye whites (sclera) refused: x", True)
    comparison = Comparison(
        stub(10.0), stub(14.0, balance=fallback), np.eye(3), {"cheek_left": {"a_star": BAND}}
    )
    rows = {r["metric"]: r for r in comparison.changes()}
    assert rows["a_star"]["verdict"] == NOT_COMPARABLE
    assert rows["roughness_l"]["verdict"] == "no noise estimate"  # not colour: comparable
    assert comparison.summary()["comparable"]["colour_reasons"] == [
        "after: eye whites (sclera) refused: x"
    ]


def counted(pores: int, area_cm2: float = 4.0) -> SimpleNamespace:
    row = replace(
        zone_row(FacialZone.CHEEK_LEFT, 10.0),
        area_cm2=area_cm2,
        pore_count=pores,
        pores_per_cm2=pores / area_cm2,
    )
    return SimpleNamespace(
        metrics=(row,),
        quality=QualityReport(()),
        white_balance=WhiteBalance("eye whites (sclera)", (1.0, 1.0, 1.0), 500),
    )


@pytest.mark.parametrize(("after_pores", "beyond"), [(9, False), (7, False), (10, True), (6, True)])
def test_one_detection_found_or_missed_is_never_a_change(after_pores: int, beyond: bool) -> None:
    # every repeat found 8 pores: the spread is 0, yet one pore more or less is not a change
    zero = noise_band([8.0, 8.0, 8.0], 8.0)
    density = noise_band([2.0, 2.0, 2.0], 2.0)
    comparison = Comparison(
        counted(8),
        counted(after_pores),
        np.eye(3),
        {"cheek_left": {"pore_count": zero, "pores_per_cm2": density}},
    )
    rows = {r["metric"]: r for r in comparison.changes()}
    assert rows["pore_count"]["noise"] == pytest.approx(1.0)
    assert rows["pores_per_cm2"]["noise"] == pytest.approx(0.25)  # one pore over 4 cm²
    assert rows["pore_count"]["beyond_noise"] is beyond
    assert rows["pores_per_cm2"]["beyond_noise"] is beyond
    assert "more than one detection for counts" in NOISE_RULE
