"""The clinical data files: complete, consistent, and every number sourced."""

from pathlib import Path

import pytest

from microneedling.core.clinical import Indication
from microneedling.core.errors import ValidationError
from microneedling.core.zones import FacialZone
from microneedling.protocol import knowledge as knowledge_module
from microneedling.protocol.knowledge import Knowledge, load_knowledge


def test_every_zone_has_thickness_and_limit(knowledge: Knowledge) -> None:
    for zone in FacialZone:
        info = knowledge.zones[zone]
        assert 20 <= info.epidermis_um.value <= 200
        assert 400 <= info.dermis_um.value <= 2500
        assert 0 < info.max_depth_mm.value <= 3.0


def test_published_thickness_figures_are_carried_over(knowledge: Knowledge) -> None:
    # Chopra 2015: thickest facial epidermis at the upper lip, 62.6 um.
    assert knowledge.zones[FacialZone.PERIORAL].epidermis_um.value == pytest.approx(62.6)
    # BMC Med Imaging 2022: forehead dermis 1.17 mm (m) / 0.86 mm (f).
    assert knowledge.zones[FacialZone.FOREHEAD].dermis_um.value == pytest.approx(1015)
    thinnest = min(FacialZone, key=lambda z: knowledge.zones[z].dermis_um.value)
    assert thinnest in (FacialZone.PERIORBITAL_LEFT, FacialZone.PERIORBITAL_RIGHT)


def test_depth_ranges_stay_inside_zone_limits(knowledge: Knowledge) -> None:
    for indication in Indication:
        for zone, (low, high) in knowledge.depths[indication].zones.items():
            assert 0 < low <= high <= knowledge.zones[zone].max_depth_mm.value


def test_scars_are_needled_deeper_on_cheeks_than_fine_lines_near_the_eyes(
    knowledge: Knowledge,
) -> None:
    scars = knowledge.depths[Indication.ACNE_SCARS].zones[FacialZone.CHEEK_LEFT]
    lines = knowledge.depths[Indication.FINE_LINES].zones[FacialZone.PERIORBITAL_LEFT]
    assert scars[0] > lines[1]


def test_every_cited_source_exists(knowledge: Knowledge) -> None:
    cited = knowledge.cited_sources()
    assert cited <= set(knowledge.sources)
    assert {"chopra2015", "bmc2022", "drpen_chart", "soltani2014"} <= cited


def test_contraindications_cover_the_required_ones(knowledge: Knowledge) -> None:
    kinds = {c.code: knowledge.contraindication_kind(c).value for c in knowledge.contraindications}
    for code in ("active_infection", "herpes_outbreak", "isotretinoin", "open_wounds", "pregnancy"):
        assert kinds[code] == "absolute"
    for code in ("keloid_tendency", "anticoagulants", "autoimmune_disease", "recent_retinoids"):
        assert kinds[code] == "relative"


def test_isotretinoin_question_uses_clinic_washout(knowledge: Knowledge) -> None:
    item = next(c for c in knowledge.contraindications if c.code == "isotretinoin")
    assert "last 6 months" in knowledge.question(item)


def test_policy_override_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "isotretinoin_washout_months: 3\npregnancy_kind: relative\nscreening_valid_days: 14\n"
    )
    monkeypatch.setenv(knowledge_module.POLICY_ENV, str(policy))
    load_knowledge.cache_clear()
    try:
        custom = load_knowledge()
        item = next(c for c in custom.contraindications if c.code == "pregnancy")
        assert custom.contraindication_kind(item).value == "relative"
        assert custom.policy.screening_valid_days == 14
    finally:
        load_knowledge.cache_clear()


def test_bad_policy_file_names_the_field(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "isotretinoin_washout_months: 1\npregnancy_kind: absolute\nscreening_valid_days: 30\n"
    )
    monkeypatch.setenv(knowledge_module.POLICY_ENV, str(policy))
    load_knowledge.cache_clear()
    try:
        with pytest.raises(ValidationError) as err:
            load_knowledge()
        assert err.value.field == "policy.isotretinoin_washout_months"
    finally:
        load_knowledge.cache_clear()


def test_scale_severity_direction(knowledge: Knowledge) -> None:
    gb = knowledge.scale("goodman_baron_qualitative")
    assert gb.severity(1) == 0.0
    assert gb.severity(4) == 1.0
    with pytest.raises(ValidationError, match="unknown scale 'vas'"):
        knowledge.scale("vas")


def test_figures_corrected_against_their_sources(knowledge: Knowledge) -> None:
    """Issue 9's "Sources checked": each correction stays made."""
    from microneedling.core.anatomy import papillary_dermis
    from microneedling.simulate.devices import find_device

    neck = knowledge.zones[FacialZone.NECK].dermis_um
    assert (neck.value, neck.source) == (985, "bmc2022")  # Meng 2022: 0.98 / 0.99 mm
    papillary = papillary_dermis()
    assert (papillary.low, papillary.high, papillary.source) == (300, 400, "sorrell_caplan2004")
    for cheek in (FacialZone.CHEEK_LEFT, FacialZone.CHEEK_RIGHT):
        assert knowledge.zones[cheek].max_depth_mm.value == 1.0  # the cheekbone, drpen_chart
    isotretinoin = next(c for c in knowledge.contraindications if c.code == "isotretinoin")
    assert isotretinoin.source == "clinic_policy"
    assert "graham2016" not in knowledge.sources and "graham2016" not in knowledge.cited_sources()
    for schedule in knowledge.schedules.values():
        assert schedule.interval_days.source in ("ablon2018", "eldomyati2015", "estimate")
    lmx4 = knowledge.anaesthetic("lmx4")
    assert lmx4 is not None and lmx4.dwell_max == 60 and "estimate" not in lmx4.note
    skinpen = find_device("SkinPen Precision")
    assert skinpen.frequency_hz.min == skinpen.frequency_hz.max == 117  # type: ignore[union-attr]
    assert "systematic review" in knowledge.sources["friedmann2024"]
    assert "100[log10(1/G) - log10(1/R)]" in knowledge.sources["dawson1980"]
    assert "Meng Y" in knowledge.sources["bmc2022"]
