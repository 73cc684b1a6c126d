"""The healing model against published points it was NOT fitted to.

Each validation point carries its tolerance in ``data/healing.yaml``, written before the
comparison; these tests fail when the model leaves it. A point the model misses is listed in
``KNOWN_MISSES`` with the reason and marked ``xfail(strict=True)``, so that it shows in every run
and turns into a failure the day the model meets it without the mark being removed.
"""

import copy
from typing import Any

import numpy as np
import pytest

from microneedling.core.data import sources
from microneedling.simulate.calibration import calibrate, depth_variants
from microneedling.simulate.healing import calibrated_parameters, parameter_specs
from microneedling.simulate.validation import (
    ROLES,
    healing_spec,
    parameter_table,
    points,
    redness_reports,
    validation_table,
)

KNOWN_MISSES: dict[str, str] = {
    "lotfi_trichrome_collagen": (
        "model +119.5% against +53.2% trichrome collagen (tolerance x/÷ 2, up to 106.4%). The "
        "gain is fitted to Kenkel's ultrasound density with the facial needle depth an estimate, "
        "1.5 mm: no facial setting is published. Searched (healing.yaml: literature_search): "
        "kenkel2021 (abstract: none), nct03803059 and alqam2022 ('up to 2.5 mm', the neck), "
        "alqam2023_face (the face 'per manufacturer instructions', no number), skinpen_k202243, "
        "skinpen_den160029 (not evaluated above 1.5 mm), nct02646917 (the sponsor's acne "
        "trial: 0.25-2.0 mm by zone and severity); no ultrasound-versus-histology ratio found "
        "either. The point is met if the facial depth was 1.76 mm or more (2.0 mm: 96.5%, "
        "2.5 mm: 80.7%), deeper than this project's guidance for facial wrinkles, or if "
        "ultrasound density overstates histological collagen by more than the x2 allowed"
    ),
}
"""Validation points the model misses today, each with the reason (see healing.yaml)."""

VALIDATION = points("validation")
ROWS = {row["point"]: row for row in validation_table(role="validation")}


def _param(point: dict[str, Any]) -> Any:
    marks = []
    if point["id"] in KNOWN_MISSES:
        marks.append(pytest.mark.xfail(reason=KNOWN_MISSES[point["id"]], strict=True))
    return pytest.param(point["id"], id=point["id"], marks=marks)


@pytest.mark.parametrize("point_id", [_param(p) for p in VALIDATION])
def test_validation_point_within_its_stated_tolerance(point_id: str) -> None:
    row = ROWS[point_id]
    assert row["passed"], row


def test_there_are_validation_points_of_every_kind_of_evidence() -> None:
    labels = {p.get("label", "value") for p in VALIDATION}
    assert {"value", "ordering", "timing"} <= {label.split(" ")[0] for label in labels}
    assert sum(p["kind"] == "collagen_change_pct" for p in VALIDATION) >= 1
    assert len(VALIDATION) >= 10


def test_points_are_well_formed() -> None:
    bibliography = sources()
    ids = [p["id"] for p in points()]
    assert len(ids) == len(set(ids))
    for p in points():
        assert p["role"] in ROLES, p["id"]
        assert p["source"] in bibliography, p["id"]
        assert p.get("measure"), p["id"]
        if p["kind"] in ("collagen_change_pct", "elastin_change_pct", "erythema_settled_day"):
            assert ("tolerance" in p) != ("tolerance_factor" in p), p["id"]


def test_the_fit_never_reads_a_validation_point() -> None:
    """Moving every validation point's value (and removing them) leaves the fit unchanged."""
    spec = copy.deepcopy(healing_spec())
    fitted = calibrate(spec, ranges=False)
    for p in spec["points"]:
        if p["role"] == "validation":
            p["value"] = float(p["value"]) * 10 + 1000
    assert calibrate(spec, ranges=False) == fitted
    spec["points"] = [p for p in spec["points"] if p["role"] == "calibration"]
    assert calibrate(spec, ranges=False) == fitted


def test_the_stored_parameters_are_the_current_fit() -> None:
    """healing.yaml is refitted after a change of an estimate or a calibration point."""
    fitted = calibrate(ranges=False)
    stored = calibrated_parameters()
    for name, item in fitted.items():
        assert getattr(stored, name) == pytest.approx(item["value"], rel=1e-4), name


def test_a_wrong_model_fails_validation() -> None:
    """The tests can fail: collagen five times too strong, or elastin gain far too high."""
    p = calibrated_parameters()
    strong = validation_table(p.model_copy(update={"collagen_gain_pct": 5 * p.collagen_gain_pct}))
    assert not {r["point"]: r for r in strong}["lotfi_trichrome_collagen"]["passed"]
    elastic = validation_table(p.model_copy(update={"elastin_gain_pct": 10 * p.elastin_gain_pct}))
    assert not {r["point"]: r for r in elastic}["eldomyati_total_elastin_fell"]["passed"]
    slow = validation_table(p.model_copy(update={"erythema_settle_ref_d": 6.0}))
    assert not {r["point"]: r for r in slow}["downtime_1.15mm"]["passed"]


def test_table_rows_have_the_columns_explain_prints() -> None:
    rows = validation_table()
    assert {r["role"] for r in rows} == {"calibration", "validation"}
    for r in rows:
        assert set(r) >= {
            "point",
            "source",
            "role",
            "observed",
            "predicted",
            "error",
            "tolerance",
            "passed",
        }


def test_redness_reports_show_where_sources_disagree() -> None:
    at_one_mm = redness_reports(1.0)
    kinds = {r["kind"] for r in at_one_mm}
    assert {"clinical", "downtime"} <= kinds
    lows = [r["days"][0] for r in at_one_mm]
    highs = [r["days"][1] for r in at_one_mm]
    assert min(lows) < 1 and max(highs) >= 5  # 3-6 hours to a 4-5 day downtime


def test_parameter_table_lists_every_parameter_with_its_range() -> None:
    rows = parameter_table()
    fitted = {r["name"] for r in rows if r["fitted"]}
    assert fitted == set(calibrate(ranges=False))
    for r in rows:
        assert r["low"] <= r["value"] <= r["high"], r["name"]
        assert r["source"] and r["unit"], r["name"]


def test_an_unpublished_series_depth_widens_the_fitted_range() -> None:
    """Kenkel's facial depth is not published: the calibration refits the gain at both ends of
    ``depth_range_mm``, and the stored range holds both fits (shallower, more gain per session
    for the same change)."""
    spec = healing_spec()
    low, high = spec["series"]["kenkel"]["depth_range_mm"]
    assert low < spec["series"]["kenkel"]["depth_mm"] < high
    variants = depth_variants(spec)
    assert sorted(v["series"]["kenkel"]["depth_mm"] for v in variants) == [low, high]
    shallow = next(v for v in variants if v["series"]["kenkel"]["depth_mm"] == low)
    gain = calibrate(shallow, ranges=False)["collagen_gain_pct"]["value"]
    stored = parameter_specs()["collagen_gain_pct"]
    assert gain > stored.value and stored.high >= gain * (1 - 1e-4)


def test_new_collagen_i_turns_over_at_the_published_rate_of_skin_collagen() -> None:
    """collagen_i_tau_d is the e-folding time of a 15-year half-life (verzijl2000), not a fit;
    the figure could not be checked against the paper, and the data file says so."""
    rows = {r["name"]: r for r in parameter_table()}
    tau = rows["collagen_i_tau_d"]
    assert not tau["fitted"]
    assert "verzijl2000" in tau["source"]
    assert tau["value"] == pytest.approx(15 * 365.25 / np.log(2), rel=1e-3)
    assert tau["verified"] is False and "UNVERIFIED" in tau["note"]


def test_unverified_figures_are_flagged_not_hidden() -> None:
    """A parameter whose figure could not be checked keeps its source, carries
    ``verified: false`` and says why in its note; all others are verified by default."""
    rows = parameter_table()
    unverified = {r["name"] for r in rows if not r["verified"]}
    assert unverified == {"collagen_i_tau_d"}
    for r in rows:
        if not r["verified"]:
            assert r["source"] and "UNVERIFIED" in r["note"], r["name"]


def test_every_series_depth_cites_a_source_or_says_estimate() -> None:
    bibliography = sources()
    series = healing_spec()["series"]
    for name, item in series.items():
        assert item["depth_source"] in bibliography, name
    # Kenkel's facial depth is unpublished: an estimate, refitted over a stated range
    assert series["kenkel"]["depth_source"] == "estimate"
    assert len(series["kenkel"]["depth_range_mm"]) == 2
    assert series["lotfi"]["depth_source"] == "lotfi2013"  # '1.5 mm dermarollers'


def test_the_literature_search_is_recorded_with_cited_sources() -> None:
    """What was looked for, where, and what was found, each source a bibliography key; the
    reason of every known miss names the sources checked for it."""
    bibliography = sources()
    searches = healing_spec()["literature_search"]
    assert len(searches) >= 4
    for item in searches:
        assert item["question"] and item["found"], item
        assert set(item["checked"]) <= set(bibliography), item["question"]
    depth = next(s for s in searches if "Kenkel" in s["question"])
    for key in depth["checked"]:
        assert key in KNOWN_MISSES["lotfi_trichrome_collagen"], key


def test_the_lotfi_miss_turns_on_kenkels_unpublished_facial_depth() -> None:
    """The reason stated for the miss holds: refitted with Kenkel's facial depth at 1.7 mm the
    Lotfi point is still missed, at 1.8 mm it is met, every other validation point unchanged
    in verdict (no depth is chosen here: the series depth stays an estimate)."""
    verdicts = {}
    for depth in (1.7, 1.8):
        spec = copy.deepcopy(healing_spec())
        spec["series"]["kenkel"]["depth_mm"] = depth
        fitted = calibrate(spec, ranges=False)
        params = calibrated_parameters().model_copy(
            update={k: v["value"] for k, v in fitted.items()}
        )
        rows = validation_table(params, role="validation", spec=spec)
        verdicts[depth] = {r["point"]: r["passed"] for r in rows}
    assert not verdicts[1.7]["lotfi_trichrome_collagen"]
    assert verdicts[1.8]["lotfi_trichrome_collagen"]
    assert all(v for k, v in verdicts[1.7].items() if k != "lotfi_trichrome_collagen")
