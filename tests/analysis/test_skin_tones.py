"""Every skin tone: the metrics recover planted features on faces re-toned across the ITA° range.

Stated in advance, the same tolerance in every one of the six ITA° categories (Chardon 1991,
Del Bino 2006: very light > 55°, light 41-55°, intermediate 28-41°, tan 10-28°, brown -30-10°,
dark < -30°); each is the tolerance the project already holds the light sample face to
(test_planted_truth.py), since a darker face must not be measured less well:

    feature (zone)            planted, at that tone (from the pixels)        tolerance
    redness a* (left cheek)   patch's a* rise x its share of the zone        ±20% relative
    redness EI (left cheek)   patch's erythema-index rise x its share         ±20% relative
    pores (right cheek)       number planted                                  ±20% relative
    wrinkles (forehead)       total length planted                            ±15% relative
    texture (chin)            Sq of the planted L* change in the roughness    ±30% relative
                              band (benchmarks/bench_skin_tones.py:
                              planted_relief_sq; measured in quadrature)
    tone                      bare face inside its category, by the direct formula (on the
                              skin balanced by the photo's eye whites: ITA° is a colour
                              under neutral light) and by the analysis's own zone ITA°
                              (area-weighted)

The face is re-toned by melanin optical density (analysis/skin_tone.py), keeping each feature's
reflectance contrast; measured is the change from the bare face of the same tone. Reduced grid
for CI: very light, intermediate and dark x levels 1, 2 and 4 of the cross-talk ladders (all
features on one face per level); the tone test runs all six categories. `make bench` runs the
full grid (benchmarks/bench_skin_tones.py: six tones x four levels) and prints it.

Each tolerance is an accuracy goal held over the count's measuring interval (after CLSI
EP17-A2, decided 2026-12-02 after the tolerances; benchmarks/bench_skin_tones.py says how): from
its limit of quantitation (LoQ) up, a bias-only estimate read per tone off the detection-limit
curves of one probe face with pores and lines of level 1's size and zone. A level under the
tone's LoQ is held to no over-count (the planted number plus the tolerance at most) and to the
error the probe's curve predicts at its depth (within two binomial SDs of the two samples); the
LoQ itself must be reached within the depth grid and lie within 1 L* of the very light face's
on every tone. Level 1's pores (4 L*) lie under it on every tone (``_FAINT_PORES`` says why, to
the detection floor); its lines (4 L*) lie over it.

A case that misses its tolerance because of the metric code is marked xfail (strict), with what
was measured, for the lead to decide; the tolerances are not loosened.
"""

import itertools
import math
from dataclasses import replace
from functools import cache

import numpy as np
import pytest
from benchmarks.bench_skin_tones import (
    FEATURES,
    LEVELS,
    TOLERANCES,
    Recovery,
    ToneResult,
    detail_table,
    loq_table,
    loq_verdicts,
    probe_depth_l,
    recovery_table,
    run_tone,
    tone_table,
)
from numpy.typing import NDArray

from microneedling.analysis import skin_tone
from microneedling.analysis.skin_tone import ITA_CATEGORIES, category
from microneedling.analysis.synthetic import base_face
from microneedling.analysis.zones import feature_indices, hull_mask
from microneedling.core.errors import ValidationError
from microneedling.core.zones import FacialZone

CI_TONES = ("very light", "intermediate", "dark")
CI_LEVELS = (1, 2, 4)

# Why level 1's pores lie under the LoQ (what was measured when they were a strict xfail).
_FAINT_PORES = (
    "Level 1's 4 L* lies under the pores' limit of detection on every tone: 80% of pores of "
    "this radius are found from 5.0-5.75 L* (benchmarks/bench_detection_limit.py, the same on"
    " all six tones within 1 L*). The face's own texture makes these pores indistinguishable "
    "at their depth (tests/analysis/test_pores_texture.py). Each level-1 pore alone (planted "
    "minus bare) reads 3.2-3.6 L* at the reference lightness the flat field sets, 5-20% over "
    "the 3.0 L* floor (pore_min_contrast_l; the floor is relative to the skin's lightness, so"
    " every tone reads alike): the planted 4 L* on skin of L* 74-94 scaled by 81 / (L* + 16) "
    "to 0.12 L*; the detector's filter reads the dip's depth (3.87-4.08 L* on the photo's own"
    " L*; 0.96-0.98 on a flat image, tests/analysis/test_pores_subpixel.py). The bare face's "
    "response at the same places and scale adds -1.5 to +1.4 L*: the round ones read 2.4-5.2 "
    "L*; two fall under the floor, one reads under 5 x the local texture SD (pore_min_snr; at"
    " a crease's edge, where the texture map takes the rougher side) and one is not round (on"
    " the dark face one more: its maximum falls on the next coarser scale, where the texture "
    "around it reads 0.45 round against the 0.5 limit; 0.57 on the very light face). The bare"
    " right cheek (17.5 cm2) has round dark maxima of its own at the pores' scale: 9 of "
    "2.5-3.2 L* (4-5 x the LoG's robust SD there, 0.6 L*); the floor takes 1, one at the 8th "
    "pore's reading (2.8 L*) 3, at the 9th's (2.4 L*) 9. Tried and not taken: the noise in "
    "the detector's own band (like with like) keeps 3 of the pores ladder's 32 dense pores at"
    " any SNR the texture ladder allows; the texture SD without the pore (the bare photo's "
    "map) finds one pore more (7 of 10); the planted photo's map with the pores left out of "
    "its windows (wrinkles.signal_free_noise) none more (the pore the SNR test loses lies at "
    "a crease, which its windows then hold: 1.1-1.2 L*) and 2-25 more spots elsewhere on the "
    "face; an SNR of 4 finds one more and puts 10 false pores on the texture ladder. No floor"
    " and SNR that keep the texture ladder find 8: the crease's pore needs an SNR of 4.29 or "
    "less, the ladder over 4.4 (its pores rise 1 -> 7 at 4.29, 6 at 4.4, 5 at 4.5, limit "
    "4.65); with no floor at all 7 are found"
)


# (category, level, feature) -> what the reduced grid measured when the case was marked.
# Not a miss, but near its limit: the dark face's level-1 line reads 8.51 of 10 mm (-14.9%,
# tolerance ±15%). Its two pieces are one line across a 1 px dip (wrinkles.join_across_gaps:
# 0.37 mm of the line uncovered, 0.75 mm allowed; the joins are the same for any allowance of
# 0.75-1.5 mm), and the 1.1 mm the skin's edge cuts off its start is not recovered (2026-12-02;
# 4.07 mm, -59%, without the joining).
KNOWN_MISSES: dict[tuple[str, int, str], str] = {}
# category -> why the re-toned face's ITA° as the analysis measures it is outside the category.
KNOWN_TONE_MISSES: dict[str, str] = {}


@cache
def _result(name: str) -> ToneResult:
    return run_tone(category(name), CI_LEVELS if name in CI_TONES else ())


def _recovery_cases() -> list[object]:
    cases: list[object] = []
    for tone in CI_TONES:
        for level in CI_LEVELS:
            for feature in FEATURES:
                miss = KNOWN_MISSES.get((tone, level, feature))
                marks = [pytest.mark.xfail(strict=True, reason=miss)] if miss else []
                name = f"{tone.replace(' ', '_')}-L{level}-{feature.replace(' ', '_')}"
                cases.append(pytest.param(tone, level, feature, marks=marks, id=name))
    return cases


@pytest.mark.parametrize(("tone", "level", "feature"), _recovery_cases())
def test_planted_feature_is_recovered(tone: str, level: int, feature: str) -> None:
    result = _result(tone)
    recs = dict(result.by_level)[level]
    rec = next(r for r in recs if r.feature == feature)
    assert math.isfinite(rec.error), f"{feature}: nothing measured"
    tol = TOLERANCES[feature]
    where = (
        f"under the LoQ ({rec.loq_l:.2f} L*): at most +{tol:.0%} and within "
        f"{rec.band:.0%} of the curve's {rec.expected_error:+.0%}"
        if rec.under_loq
        else f"tolerance ±{tol:.0%}"
    )
    assert rec.holds(), (
        f"{tone} level {level}: {feature} planted {rec.planted:.2f}, measured "
        f"{rec.measured:.2f} ({rec.error:+.0%}; {where})"
    )


@pytest.mark.parametrize("tone", CI_TONES)
def test_only_features_shallower_than_the_loq_are_under_it(tone: str) -> None:
    """The exemption is mechanical: exactly the levels whose count feature is the LoQ's size
    and shallower than the tone's LoQ; level 1's pores on every tone, level 1's lines on none."""
    result = _result(tone)
    loq = dict(result.loq_l)
    for level, recs in result.by_level:
        for rec in recs:
            depth = probe_depth_l(rec.feature, LEVELS[level - 1])
            expected = depth is not None and depth < loq[rec.feature]
            assert rec.under_loq == expected, (tone, level, rec.feature)
    under = {(level, r.feature) for level, recs in result.by_level for r in recs if r.under_loq}
    assert under == {(1, "pores")}, under


def test_loq_is_reached_and_within_a_step_of_the_very_light_faces_on_every_tone() -> None:
    results = [_result(name) for name in CI_TONES]
    assert loq_verdicts(results) == []


def test_under_the_loq_a_count_may_read_low_where_the_curve_puts_it_never_high() -> None:
    def rec(measured: float) -> Recovery:
        return Recovery("pores", 10.0, measured, loq_l=6.0, expected_error=-0.55, band=0.39)

    assert rec(6.0).holds() and rec(4.5).holds()  # -40%, -55%: where the curve puts them
    assert rec(12.0).holds() is False  # +20%: within the tolerance, off the curve
    assert rec(0.0).holds() is False  # nothing found: -100%, 0.45 off the curve
    assert rec(13.0).holds() is False  # +30%: over the tolerance
    assert rec(math.nan).holds() is False
    inside = Recovery("pores", 10.0, 12.0)
    assert inside.holds() and not Recovery("pores", 10.0, 7.0).holds()  # ±20% in the interval


def test_the_loq_applies_only_to_the_probes_size_and_zone() -> None:
    level_1, level_2 = LEVELS[0], LEVELS[1]
    assert probe_depth_l("pores", level_1) == level_1.pore_depth_l
    assert probe_depth_l("wrinkles", level_1) == level_1.wrinkle_depth_l
    assert probe_depth_l("pores", level_2) is None  # 0.7 mm pores: the full tolerance
    assert probe_depth_l("wrinkles", replace(level_1, wrinkle_length_mm=12.0)) is None
    assert probe_depth_l("pores", replace(level_1, pore_zone=FacialZone.CHIN)) is None
    assert probe_depth_l("redness a*", level_1) is None


def test_loq_verdicts_name_every_miss() -> None:
    def tone(name: str, pores: float) -> ToneResult:
        return ToneResult(category(name), 0.0, 0.0, (), loq_l=(("pores", pores),))

    assert loq_verdicts([tone("very light", 6.0), tone("dark", 7.0)]) == []
    assert loq_verdicts([tone("very light", 6.0), tone("dark", 7.5)]) == [
        "dark pores: LoQ 7.50 L* > very light's 6.00 + 1"
    ]
    assert loq_verdicts([tone("very light", 6.0), tone("dark", math.inf)]) == [
        "dark pores: no LoQ up to 8 L*"
    ]
    assert loq_verdicts([tone("dark", 6.0)]) == [
        "very light: not measured, so no tone's LoQ can be compared with it"
    ]


def _tone_cases() -> list[object]:
    cases: list[object] = []
    for c in ITA_CATEGORIES:
        miss = KNOWN_TONE_MISSES.get(c.name)
        marks = [pytest.mark.xfail(strict=True, reason=miss)] if miss else []
        cases.append(pytest.param(c.name, marks=marks, id=c.name.replace(" ", "_")))
    return cases


@pytest.mark.parametrize("name", [c.name for c in ITA_CATEGORIES])
def test_retoned_face_lands_in_its_category_by_the_direct_formula(name: str) -> None:
    result = _result(name)
    assert skin_tone.ita_category(result.direct_ita).name == name
    assert result.direct_ita == pytest.approx(category(name).target, abs=0.5)


@pytest.mark.parametrize("name", _tone_cases())
def test_retoned_face_lands_in_its_category_by_the_analysis(name: str) -> None:
    result = _result(name)
    assert skin_tone.ita_category(result.pipeline_ita).name == name, (
        f"analysis ITA° {result.pipeline_ita:.1f}, direct {result.direct_ita:.1f}"
    )


def test_print_tables(capsys: pytest.CaptureFixture[str]) -> None:
    results = [_result(c.name) for c in ITA_CATEGORIES]
    recovered = [r for r in results if r.by_level]
    with capsys.disabled():
        print("\nEvery skin tone, reduced grid (issue 8)")
        print(tone_table(results))
        print(loq_table(recovered))
        print(recovery_table(recovered))
        print(detail_table(recovered))
    assert len(recovered) == len(CI_TONES)


# The re-toning itself.


def test_categories_tile_the_ita_range() -> None:
    for upper, lower in itertools.pairwise(ITA_CATEGORIES):
        assert upper.low == lower.high
    assert [skin_tone.ita_category(x).name for x in (60, 55, 41.5, 30, 10, -29, -31)] == [
        "very light",
        "light",
        "light",
        "intermediate",
        "brown",
        "brown",
        "dark",
    ]
    assert all(c.holds(c.target) for c in ITA_CATEGORIES)


def test_ita_formula() -> None:
    assert skin_tone.ita_deg(50.0, 20.0) == 0.0
    assert skin_tone.ita_deg(70.0, 20.0) == pytest.approx(45.0)
    assert skin_tone.ita_deg(30.0, 20.0) == pytest.approx(-45.0)


def test_melanin_multiplies_reflectance_and_keeps_contrast() -> None:
    rgb = np.array([[[200, 150, 120], [180, 135, 108]]], np.uint8)  # skin and a darker spot
    toned = skin_tone.retone(rgb, np.ones((1, 2), np.float32), melanin=0.5)
    before = skin_tone.srgb_to_linear(rgb)
    after = skin_tone.srgb_to_linear(toned)
    expected = 10.0 ** (-0.5 * skin_tone.MELANIN_OD)
    np.testing.assert_allclose(after[0, 0] / before[0, 0], expected, rtol=0.03)
    # the spot's reflectance ratio to the skin is kept (to 8-bit rounding)
    np.testing.assert_allclose(after[0, 1] / after[0, 0], before[0, 1] / before[0, 0], rtol=0.03)
    assert (toned[..., 2] < rgb[..., 2]).all() and toned[0, 0, 2] / rgb[0, 0, 2] < (
        toned[0, 0, 0] / rgb[0, 0, 0]
    )  # melanin absorbs blue more than red


def test_weight_zero_leaves_pixels_and_eyes_alone() -> None:
    rgb = np.full((4, 4, 3), 180, np.uint8)
    np.testing.assert_array_equal(
        skin_tone.retone(rgb, np.zeros((4, 4), np.float32), melanin=1.0), rgb
    )
    weight = skin_tone.base_weight()
    face, landmarks, _ = base_face()
    eye = hull_mask(face.shape, landmarks.xy[list(feature_indices()["left_eye"])])
    assert float(weight[eye].mean()) < 0.02  # the sclera, the white balance's reference, is kept
    assert float(weight[skin_tone.base_skin_mask()].min()) > 0.9  # every measured pixel re-toned


def test_haemoglobin_raises_the_erythema_index_on_any_tone() -> None:
    skin = np.full((1, 1, 3), (200, 150, 120), np.uint8)
    ones = np.ones((1, 1), np.float32)

    def ei(rgb: NDArray[np.uint8]) -> float:
        r, g, _ = skin_tone.srgb_to_linear(rgb)[0, 0]
        return float(100 * np.log10(r / g))

    # EI = 100 log10(R / G): an added density h x eps rises it by 100 h (eps_G - eps_R)
    rise = 100 * 0.5 * (skin_tone.HAEMOGLOBIN_OD[1] - skin_tone.HAEMOGLOBIN_OD[0])
    for melanin in (0.0, 0.5):
        toned = skin_tone.retone(skin, ones, melanin=melanin)
        red = skin_tone.retone(skin, ones, melanin=melanin, haemoglobin=0.5)
        assert ei(red) - ei(toned) == pytest.approx(rise, rel=0.03)  # 8-bit rounding


def test_a_target_out_of_reach_is_refused() -> None:
    rgb = np.full((2, 2, 3), (200, 150, 120), np.uint8)
    ones = np.ones((2, 2), np.float32)
    with pytest.raises(ValidationError):
        skin_tone.melanin_for_ita(rgb, ones, ones > 0, -45.0, bounds=(0.0, 0.1))
