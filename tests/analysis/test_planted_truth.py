"""Each metric recovers what was planted on a real face, and grows with what was planted."""

from collections.abc import Callable

import pytest

from microneedling.analysis.synthetic import Plan
from microneedling.core.zones import FacialZone as Z
from tests.analysis.conftest import Analysed

Planted = Callable[[Plan], Analysed]


def test_redness_patch_raises_a_star_by_the_planted_amount(
    planted: Planted, base: Analysed
) -> None:
    photo, result = planted(Plan(redness_delta_a=12.0))
    truth = photo.truth["redness"]
    before, after = base[1].metric(Z.CHEEK_LEFT), result.metric(Z.CHEEK_LEFT)
    share = truth["area_cm2"] / after.area_cm2
    # The zone mean moves by delta x the patch's share of the zone.
    assert after.a_star - before.a_star == pytest.approx(12.0 * share, rel=0.2)
    assert after.red_area_fraction - before.red_area_fraction == pytest.approx(share, abs=0.05)
    assert after.erythema_index > before.erythema_index
    other = result.metric(Z.CHEEK_RIGHT).a_star - base[1].metric(Z.CHEEK_RIGHT).a_star
    assert abs(other) < 0.3


def test_more_redness_more_metric(planted: Planted) -> None:
    values = [planted(Plan(redness_delta_a=d))[1].metric(Z.CHEEK_LEFT) for d in (0.0, 6.0, 12.0)]
    assert [v.a_star for v in values] == sorted(v.a_star for v in values)
    assert values[0].red_area_fraction < values[2].red_area_fraction


def test_planted_pores_are_counted(planted: Planted, base: Analysed) -> None:
    photo, result = planted(Plan(pore_count=40, pore_depth_l=8.0))
    found = result.metric(Z.CHEEK_RIGHT).pore_count - base[1].metric(Z.CHEEK_RIGHT).pore_count
    assert found == pytest.approx(40, rel=0.2)
    assert photo.truth["pores"]["count"] == 40


def test_more_pores_more_count(planted: Planted) -> None:
    counts = [
        planted(Plan(pore_count=n, pore_depth_l=8.0))[1].metric(Z.CHEEK_RIGHT).pore_count
        for n in (0, 20, 40)
    ]
    assert counts[0] < counts[1] < counts[2]


def test_planted_wrinkles_are_measured(planted: Planted, base: Analysed) -> None:
    photo, result = planted(Plan(wrinkle_count=4))
    total = photo.truth["wrinkles"]["total_length_mm"]
    before, after = base[1].metric(Z.FOREHEAD), result.metric(Z.FOREHEAD)
    measured = (
        after.wrinkle_length_mm_per_cm2 * after.area_cm2
        - before.wrinkle_length_mm_per_cm2 * before.area_cm2
    )
    assert measured == pytest.approx(total, rel=0.15)
    assert after.wrinkle_orientation_deg is not None
    assert abs(after.wrinkle_orientation_deg) < 12  # horizontal lines, relative to the eye line


def test_wrinkle_orientation_follows_the_lines(planted: Planted) -> None:
    _, result = planted(Plan(wrinkle_count=3, wrinkle_angle_deg=40.0, wrinkle_length_mm=12.0))
    angle = result.metric(Z.FOREHEAD).wrinkle_orientation_deg
    assert angle is not None and abs(abs(angle) - 40) < 12


def test_more_lines_more_length(planted: Planted) -> None:
    lengths = [
        planted(Plan(wrinkle_count=n))[1].metric(Z.FOREHEAD).wrinkle_length_mm_per_cm2
        for n in (0, 2, 4)
    ]
    assert lengths[0] < lengths[1] < lengths[2]


def test_texture_noise_raises_roughness(planted: Planted) -> None:
    rough = [planted(Plan(texture_l=a))[1].metric(Z.CHIN).roughness_l for a in (0.0, 2.0, 4.0)]
    assert rough[0] < rough[1] < rough[2]
    # independent noise adds in quadrature; the band-pass keeps most of it
    expected = (rough[0] ** 2 + 4.0**2) ** 0.5
    assert rough[2] == pytest.approx(expected, rel=0.3)
    untouched = planted(Plan(texture_l=4.0))[1].metric(Z.FOREHEAD).roughness_l
    assert untouched == pytest.approx(planted(Plan())[1].metric(Z.FOREHEAD).roughness_l, rel=0.03)


def test_every_zone_is_measured_with_a_plausible_scale(base: Analysed) -> None:
    photo, result = base
    assert {m.zone for m in result.metrics} == {z for z in Z if z is not Z.NECK}
    assert result.mm_per_px == pytest.approx(photo.mm_per_px, rel=0.05)
    face = sum(m.area_cm2 for m in result.metrics)
    assert 60 < face < 250
    assert result.white_balance.method == "eye whites (sclera)"


def test_pores_are_not_taken_for_scars(planted: Planted, base: Analysed) -> None:
    _, pores_only = planted(Plan(pore_count=40, pore_depth_l=8.0))
    extra = pores_only.metric(Z.CHEEK_RIGHT).scar_count - base[1].metric(Z.CHEEK_RIGHT).scar_count
    assert extra <= 4  # 40 planted pores do not turn into scar candidates
