"""Statistics: analytic cases against scipy/statsmodels, and the planted effect of a cohort."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from microneedling.cohort import statistics
from microneedling.cohort.synthetic import EFFECT_ZONE, NULL_ZONES
from tests.cohort.conftest import Measured


def test_holm_and_bh_match_statsmodels() -> None:
    p = np.array([0.001, 0.04, 0.03, 0.2, 0.0049, 0.5, 0.04])
    np.testing.assert_allclose(statistics.holm(p), multipletests(p, method="holm")[1])
    np.testing.assert_allclose(
        statistics.benjamini_hochberg(p), multipletests(p, method="fdr_bh")[1]
    )


def test_confidence_interval_of_a_known_normal_sample() -> None:
    sample = np.random.default_rng(1).normal(3.0, 2.0, 40)
    mean, low, high = statistics.mean_ci(sample)
    expected = stats.t.interval(0.95, 39, loc=sample.mean(), scale=stats.sem(sample))
    assert mean == pytest.approx(sample.mean())
    assert (low, high) == pytest.approx(expected)
    assert low < 3.0 < high


def test_wilcoxon_exact_p_and_effect_size() -> None:
    # eight changes of one sign: the exact two-sided p is 2 / 2^8
    assert statistics.wilcoxon_p([1, 2, 3, 4, 5, 6, 7, 8.5]) == pytest.approx(2 / 256)
    assert statistics.wilcoxon_p([0, 0, 0]) == 1.0
    assert statistics.effect_size_dz([1.0, 2.0, 3.0]) == pytest.approx(2.0)


def test_icc_2_1_of_shrout_and_fleiss() -> None:
    # Shrout & Fleiss 1979, Table 2: six targets, four judges; ICC(2,1) = 0.29
    ratings = [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    assert statistics.icc_2_1(ratings) == pytest.approx(0.29, abs=0.005)


def test_spearman_agreement_and_rater_icc() -> None:
    frame = pd.DataFrame(
        {
            "patient": [f"P{i}" for i in range(6)],
            "visit": 0,
            "zone": "cheek_left",
            "metric": "a_star",
            "value": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )
    grades = pd.DataFrame(
        {
            "patient": [f"P{i}" for i in range(6)] * 2,
            "visit": 0,
            "zone": "cheek_left",
            "rater": ["A"] * 6 + ["B"] * 6,
            "score": [1, 1, 2, 3, 3, 4, 1, 2, 2, 3, 4, 4],
        }
    )
    agreement = statistics.grade_agreement(frame, grades)
    assert agreement.loc[0, "spearman_rho"] > 0.9
    raters = statistics.rater_agreement(grades)
    assert raters.loc[0, "items"] == 6 and 0.5 < raters.loc[0, "icc_2_1"] <= 1.0


def test_planted_effect_found_and_none_where_none_planted(measured_cohort: Measured) -> None:
    use = statistics.usable(measured_cohort.results)
    zones = (EFFECT_ZONE.value, *(z.value for z in NULL_ZONES))
    table = statistics.paired_table(use.frame, metrics=("a_star",), zones=zones).set_index("zone")
    print(table.round(4).to_string())
    effect = table.loc[EFFECT_ZONE.value]
    assert effect["ci_high"] < 0  # the planted fall of redness: CI excludes 0
    assert effect["p_adjusted"] < 0.05
    assert effect["beyond_band"] > 0.5
    for zone in NULL_ZONES:
        assert table.loc[zone.value, "p_adjusted"] > 0.05
        assert table.loc[zone.value, "ci_low"] < 0 < table.loc[zone.value, "ci_high"]


def test_bad_photos_are_excluded_and_counted(measured_cohort: Measured) -> None:
    use = statistics.usable(measured_cohort.results)
    bad = measured_cohort.cohort.truth["bad"]
    assert sorted(bad.values()) == ["blurred", "turned", "unreadable"]
    counts = use.as_dict()
    assert counts["excluded_failed"] + counts["excluded_quality"] == len(bad)
    assert counts["used"] == counts["photos"] - len(bad)
    kept = set(use.frame["photo"])
    assert not any(any(name in photo for name in bad) for photo in kept)


def test_mixed_model_breakdown_and_percentiles(measured_cohort: Measured) -> None:
    use = statistics.usable(measured_cohort.results)
    course = statistics.mixed_model(use.frame, "a_star", EFFECT_ZONE.value)
    assert course["slope_per_30_days"] is not None and course["ci_high"] < 0
    by_type = statistics.breakdown(
        use.frame, "fitzpatrick", metrics=("a_star",), zones=(EFFECT_ZONE.value,)
    )
    assert set(by_type["fitzpatrick"]) == {"II", "III", "IV", "V"}
    assert (
        by_type["n"].sum()
        == statistics.paired_table(use.frame, metrics=("a_star",), zones=(EFFECT_ZONE.value,))[
            "n"
        ].sum()
    )
    patient = use.frame["patient"].iloc[0]
    small = statistics.peer_percentiles(use.frame, patient, year=2026, metrics=("a_star",))
    assert small and all(e["percentile"] is None for e in small)  # groups under the minimum
    every = statistics.peer_percentiles(
        use.frame, patient, year=2026, metrics=("a_star",), min_group=1
    )
    assert all(0 <= e["percentile"] <= 100 and e["group_size"] >= 1 for e in every)
