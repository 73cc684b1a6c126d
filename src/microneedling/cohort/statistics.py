"""Statistics of a measured cohort: paired change, breakdowns, mixed models, agreement, peers.

Every function takes the long results table of ``cohort analyze`` (results.py: one row per photo
x zone x metric) or a small frame of its own, and returns a pandas DataFrame or plain values.
Photos that could not be measured, or that failed the capture-quality checks, are left out and
counted (``usable``).

References
----------
Wilcoxon F. Individual comparisons by ranking methods. Biometrics Bulletin. 1945;1(6):80-83.
Holm S. A simple sequentially rejective multiple test procedure. Scand J Stat. 1979;6:65-70.
Benjamini Y, Hochberg Y. Controlling the false discovery rate. J R Stat Soc B. 1995;57:289-300.
Lakens D. Calculating and reporting effect sizes. Front Psychol. 2013;4:863 (Cohen's d_z).
Shrout PE, Fleiss JL. Intraclass correlations. Psychol Bull. 1979;86(2):420-428 (ICC(2,1)).
Laird NM, Ware JH. Random-effects models for longitudinal data. Biometrics. 1982;38:963-974.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from microneedling.analysis.compare import COLOUR_METRICS, Band, detection_floor
from microneedling.core.errors import ValidationError

__all__ = [
    "AGE_BANDS",
    "MIN_PEER_GROUP",
    "REPEATABILITY",
    "Usable",
    "benjamini_hochberg",
    "breakdown",
    "effect_size_dz",
    "grade_agreement",
    "holm",
    "icc_2_1",
    "mean_ci",
    "mixed_model",
    "paired_table",
    "peer_percentiles",
    "usable",
    "wilcoxon_p",
]

# Repeatability of each metric between repeated captures: ("sd", absolute SD) or ("cv", relative
# SD). source: estimate - the targets issue 8 sets for the repeatability suite (roughness <= 3%,
# pores <= 5%, wrinkle length <= 6%, a* <= 0.3, ITA <= 1.5 deg), met or tracked there.
REPEATABILITY: dict[str, tuple[str, float]] = {
    "a_star": ("sd", 0.3),
    "erythema_index": ("sd", 1.5),
    "ita_deg": ("sd", 1.5),
    "melanin_index": ("sd", 1.5),
    "roughness_l": ("cv", 0.03),
    "pores_per_cm2": ("cv", 0.05),
    "pore_count": ("cv", 0.05),
    "wrinkle_length_mm_per_cm2": ("cv", 0.06),
}
DEFAULT_METRICS = tuple(REPEATABILITY)
CORRECTIONS = ("holm", "bh")
MIN_PEER_GROUP = 10  # source: estimate - no percentile from fewer peers than this
AGE_BANDS = ((0, 30), (30, 40), (40, 50), (50, 60), (60, 200))  # [low, high) years


@dataclass(frozen=True)
class Usable:
    """The rows statistics may use, and how many photos were left out and why."""

    frame: pd.DataFrame
    photos: int
    failed: int
    quality_failed: int
    no_consent: int
    colour_unbalanced: int = 0

    def as_dict(self) -> dict[str, int]:
        return {
            "photos": self.photos,
            "excluded_failed": self.failed,
            "excluded_quality": self.quality_failed,
            "excluded_no_consent": self.no_consent,
            "used": self.photos - self.failed - self.quality_failed - self.no_consent,
            "colour_metrics_excluded_white_balance": self.colour_unbalanced,
        }


def usable(results: pd.DataFrame, consented: set[str] | None = None) -> Usable:
    """Measured rows of photos that passed the quality checks (and of consenting patients);
    the colour metrics of photos whose white balance fell back are left out too (counted)."""
    photos = results.drop_duplicates("photo")
    failed = photos["status"] != "measured"
    poor = (photos["status"] == "measured") & ~photos["quality_ok"].astype(bool)
    no_consent = pd.Series(False, index=photos.index)
    if consented is not None:
        no_consent = ~photos["patient"].isin(consented) & ~failed & ~poor
    keep = set(photos.loc[~failed & ~poor & ~no_consent, "photo"])
    frame = results[results["photo"].isin(keep)]
    # colour metrics of a photo whose white balance fell back are not comparable (as in compare)
    unbalanced = frame["white_balance_fallback"].astype(bool)
    frame = frame[~(unbalanced & frame["metric"].isin(COLOUR_METRICS))]
    return Usable(
        frame,
        len(photos),
        int(failed.sum()),
        int(poor.sum()),
        int(no_consent.sum()),
        int(
            results.loc[
                results["photo"].isin(keep) & results["white_balance_fallback"].astype(bool),
                "photo",
            ].nunique()
        ),
    )


def mean_ci(values: ArrayLike, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and its Student-t confidence interval (low, high)."""
    x = np.asarray(values, dtype=np.float64)
    mean = float(x.mean())
    if len(x) < 2:
        return mean, float("nan"), float("nan")
    half = float(stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x)))
    return mean, mean - half, mean + half


def effect_size_dz(changes: ArrayLike) -> float:
    """Cohen's d_z: mean paired change over the SD of the changes (Lakens 2013)."""
    x = np.asarray(changes, dtype=np.float64)
    sd = float(x.std(ddof=1)) if len(x) > 1 else 0.0
    return float(x.mean() / sd) if sd > 0 else float("nan")


def wilcoxon_p(changes: ArrayLike) -> float:
    """Two-sided Wilcoxon signed-rank p of paired changes; 1 when every change is zero."""
    x = np.asarray(changes, dtype=np.float64)
    if len(x) == 0 or not np.any(x != 0):
        return 1.0
    return float(stats.wilcoxon(x, zero_method="wilcox", alternative="two-sided").pvalue)


def holm(p_values: ArrayLike) -> NDArray[np.float64]:
    """Holm's step-down adjusted p-values (family-wise error)."""
    p = np.asarray(p_values, dtype=np.float64)
    m = len(p)
    order = np.argsort(p, kind="stable")
    adjusted = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return out


def benjamini_hochberg(p_values: ArrayLike) -> NDArray[np.float64]:
    """Benjamini-Hochberg adjusted p-values (false discovery rate)."""
    p = np.asarray(p_values, dtype=np.float64)
    m = len(p)
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return out


def band_half_width(metric: str, baseline: float, area_cm2: float) -> float | None:
    """Half-width of the repeatability band of one measurement (compare.Band: NOISE_SD x SD),
    at least one detection for counts; None for a metric without a stated repeatability."""
    if metric not in REPEATABILITY:
        return None
    kind, amount = REPEATABILITY[metric]
    sd = amount if kind == "sd" else amount * abs(baseline)
    return max(Band(sd, 0.0).half_width, detection_floor(metric, area_cm2))


def _pairs(frame: pd.DataFrame) -> pd.DataFrame:
    """Per patient, zone and metric: the baseline (first usable visit) and last usable visit."""
    wide = frame.pivot_table(
        index=["patient", "zone", "metric"], columns="visit", values="value", aggfunc="mean"
    )
    records = []
    for (patient, zone, metric), values in wide.iterrows():
        present = values.dropna()
        if len(present) < 2 or present.index[0] != 0:
            continue  # no usable baseline, or no usable follow-up
        records.append(
            {
                "patient": patient,
                "zone": zone,
                "metric": metric,
                "baseline": float(present.iloc[0]),
                "follow_up": float(present.iloc[-1]),
            }
        )
    pairs = pd.DataFrame.from_records(
        records, columns=["patient", "zone", "metric", "baseline", "follow_up"]
    )
    pairs["change"] = pairs["follow_up"] - pairs["baseline"]
    return pairs


def paired_table(
    frame: pd.DataFrame,
    *,
    metrics: Sequence[str] = DEFAULT_METRICS,
    zones: Sequence[str] | None = None,
    correction: str = "holm",
    level: float = 0.95,
) -> pd.DataFrame:
    """Baseline vs the last follow-up per metric and zone, over the usable rows of ``frame``.

    Columns: metric, zone, n (patients with both), mean_change, ci_low, ci_high, effect_size_dz,
    wilcoxon_p, p_adjusted (Holm or Benjamini-Hochberg over the whole table), beyond_band (share of
    patients whose change exceeds the repeatability band; NaN where the metric has none).
    """
    if correction not in CORRECTIONS:
        raise ValidationError("correction", f"{correction!r} is not one of holm, bh")
    selected = frame[frame["metric"].isin(metrics)]
    if zones is not None:
        selected = selected[selected["zone"].isin(zones)]
    pairs = _pairs(selected)
    areas = frame[frame["metric"] == "area_cm2"].groupby(["patient", "zone"])["value"].mean()
    rows = []
    for (metric, zone), group in pairs.groupby(["metric", "zone"], sort=True):
        changes = group["change"].to_numpy()
        mean, low, high = mean_ci(changes, level)
        beyond = []
        for _, pair in group.iterrows():
            area = float(areas.get((pair["patient"], zone), 0.0))
            width = band_half_width(str(metric), pair["baseline"], area)
            if width is not None:
                beyond.append(abs(pair["change"]) > width)
        rows.append(
            {
                "metric": metric,
                "zone": zone,
                "n": len(changes),
                "mean_change": mean,
                "ci_low": low,
                "ci_high": high,
                "effect_size_dz": effect_size_dz(changes),
                "wilcoxon_p": wilcoxon_p(changes),
                "beyond_band": float(np.mean(beyond)) if beyond else float("nan"),
            }
        )
    table = pd.DataFrame.from_records(
        rows,
        columns=[
            "metric",
            "zone",
            "n",
            "mean_change",
            "ci_low",
            "ci_high",
            "effect_size_dz",
            "wilcoxon_p",
            "beyond_band",
        ],
    )
    adjust = holm if correction == "holm" else benjamini_hochberg
    table.insert(8, "p_adjusted", adjust(table["wilcoxon_p"].to_numpy()) if len(table) else [])
    return table


def breakdown(frame: pd.DataFrame, by: str, **options: Any) -> pd.DataFrame:
    """The paired table within each group of ``by`` (indication, session or fitzpatrick).

    The number of sessions is the highest session number recorded for the patient.
    """
    if by not in ("indication", "session", "fitzpatrick"):
        raise ValidationError("by", f"{by!r} is not one of indication, session, fitzpatrick")
    labels = frame.groupby("patient")[by].agg(
        lambda s: s.dropna().max() if s.notna().any() else None
    )
    tables = []
    for label in sorted({v for v in labels if v is not None}, key=str):
        patients = labels.index[labels == label]
        table = paired_table(frame[frame["patient"].isin(patients)], **options)
        table.insert(0, by, label)
        tables.append(table)
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()


def mixed_model(frame: pd.DataFrame, metric: str, zone: str) -> dict[str, Any]:
    """The metric's course over all visits: value ~ day with a random intercept per patient.

    Returns the slope per 30 days with its 95% CI and p, the intercept, the patients and photos
    used; ``None`` values where the model cannot be fitted (too few patients or visits).
    """
    import warnings

    import statsmodels.formula.api as smf

    data = frame[(frame["metric"] == metric) & (frame["zone"] == zone)][
        ["patient", "day", "value"]
    ].dropna()
    out: dict[str, Any] = {
        "metric": metric,
        "zone": zone,
        "patients": int(data["patient"].nunique()),
        "photos": len(data),
        "slope_per_30_days": None,
        "ci_low": None,
        "ci_high": None,
        "p": None,
        "intercept": None,
    }
    if out["patients"] < 3 or data["day"].nunique() < 2:
        return out
    data = data.assign(month=data["day"] / 30.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter of tiny cohorts
        try:
            fit = smf.mixedlm("value ~ month", data, groups=data["patient"]).fit(reml=True)
        except (ValueError, np.linalg.LinAlgError):
            return out
    low, high = fit.conf_int().loc["month"]
    out.update(
        slope_per_30_days=float(fit.params["month"]),
        ci_low=float(low),
        ci_high=float(high),
        p=float(fit.pvalues["month"]),
        intercept=float(fit.params["Intercept"]),
    )
    return out


def grade_agreement(frame: pd.DataFrame, grades: pd.DataFrame) -> pd.DataFrame:
    """Spearman's rho between each metric and the clinicians' grades of the same zone and visit.

    ``grades`` has patient, visit, zone, rater, score; grades of several raters are averaged.
    """
    mean_grades = grades.groupby(["patient", "visit", "zone"], as_index=False)["score"].mean()
    merged = frame.merge(mean_grades, on=["patient", "visit", "zone"])
    rows = []
    for (metric, zone), group in merged.groupby(["metric", "zone"], sort=True):
        if len(group) < 3 or group["value"].nunique() < 2 or group["score"].nunique() < 2:
            continue
        result = stats.spearmanr(group["value"], group["score"])
        rows.append(
            {
                "metric": metric,
                "zone": zone,
                "n": len(group),
                "spearman_rho": float(result.statistic),
                "p": float(result.pvalue),
            }
        )
    return pd.DataFrame.from_records(rows, columns=["metric", "zone", "n", "spearman_rho", "p"])


def icc_2_1(ratings: ArrayLike) -> float:
    """ICC(2,1): two-way random effects, absolute agreement, single rater (Shrout-Fleiss 1979).

    ``ratings`` is (subjects, raters) with no missing values.
    """
    x = np.asarray(ratings, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 2:
        raise ValidationError("ratings", "need at least two subjects graded by two raters")
    n, k = x.shape
    grand = x.mean()
    ss_rows = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_err = ((x - grand) ** 2).sum() - ss_rows - ss_cols
    ms_rows = ss_rows / (n - 1)
    ms_cols = ss_cols / (k - 1)
    ms_err = ss_err / ((n - 1) * (k - 1))
    denominator = ms_rows + (k - 1) * ms_err + k * (ms_cols - ms_err) / n
    return float((ms_rows - ms_err) / denominator) if denominator > 0 else float("nan")


def rater_agreement(grades: pd.DataFrame) -> pd.DataFrame:
    """ICC(2,1) per zone over the (patient, visit) items graded by exactly the two raters most
    often present in that zone."""
    rows = []
    for zone, group in grades.groupby("zone", sort=True):
        raters = group["rater"].value_counts().index[:2]
        if len(raters) < 2:
            continue
        wide = group[group["rater"].isin(raters)].pivot_table(
            index=["patient", "visit"], columns="rater", values="score", aggfunc="mean"
        )
        wide = wide.dropna()
        if len(wide) < 2:
            continue
        rows.append({"zone": zone, "items": len(wide), "icc_2_1": icc_2_1(wide.to_numpy())})
    return pd.DataFrame.from_records(rows, columns=["zone", "items", "icc_2_1"])


def age_band(age_years: int) -> str:
    for low, high in AGE_BANDS:
        if low <= age_years < high:
            return f"{low}-{high - 1}" if high < 200 else f"{low}+"
    return "unknown"


def peer_percentiles(
    frame: pd.DataFrame,
    patient: str,
    *,
    year: int,
    metrics: Sequence[str] = DEFAULT_METRICS,
    min_group: int = MIN_PEER_GROUP,
) -> list[dict[str, Any]]:
    """The patient's latest value of each metric per zone as a percentile among the clinic's own
    patients of the same age band (in ``year``) and Fitzpatrick type, each peer counted once
    (their latest usable photo). Below ``min_group`` peers the percentile is None; the group size
    is always given.
    """
    latest = frame.sort_values(["visit"]).groupby(["patient", "zone", "metric"]).tail(1)
    people = latest.drop_duplicates("patient").set_index("patient")
    if patient not in people.index:
        raise ValidationError("patient", f"{patient} has no usable measured photo")
    me = people.loc[patient]
    if pd.isna(me["birth_year"]) or me["fitzpatrick"] is None:
        raise ValidationError("patient", f"{patient} has no birth year or Fitzpatrick type")
    band = age_band(year - int(me["birth_year"]))
    peers = [
        p
        for p, row in people.iterrows()
        if row["fitzpatrick"] == me["fitzpatrick"]
        and not pd.isna(row["birth_year"])
        and age_band(year - int(row["birth_year"])) == band
    ]
    out = []
    mine = latest[(latest["patient"] == patient) & latest["metric"].isin(metrics)]
    for _, row in mine.sort_values(["zone", "metric"]).iterrows():
        values = latest[
            (latest["metric"] == row["metric"])
            & (latest["zone"] == row["zone"])
            & latest["patient"].isin(peers)
        ]["value"].dropna()
        entry: dict[str, Any] = {
            "zone": row["zone"],
            "metric": row["metric"],
            "value": float(row["value"]),
            "age_band": band,
            "fitzpatrick": me["fitzpatrick"],
            "group_size": len(values),
            "percentile": None,
        }
        if len(values) >= min_group:
            entry["percentile"] = float(stats.percentileofscore(values, row["value"], "mean"))
        out.append(entry)
    return out
