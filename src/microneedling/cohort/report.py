"""The cohort report: HTML with the statistics tables and plots (PNG data URIs), and a PDF.

Rendered by Jinja2 with autoescaping (stored text is shown as text, never markup); plots by
matplotlib (Agg) embedded as ``data:image/png;base64`` URIs so the file stands alone; the PDF by
WeasyPrint from the same HTML, imported only when a PDF is asked for.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from microneedling import DISCLAIMER
from microneedling.analysis.compare import NOISE_SD
from microneedling.cohort import statistics
from microneedling.core.files import atomic_output, check_output

__all__ = ["render_html", "write_report"]

MIXED_MODELS = 12  # the course is fitted for the rows with the smallest adjusted p

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Cohort report</title>
<style>
body { font-family: sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.85em; }
th, td { border: 1px solid #bbb; padding: 0.2em 0.5em; text-align: right; }
th:first-child, td:first-child, th:nth-child(2), td:nth-child(2) { text-align: left; }
.significant { font-weight: bold; }
.note { color: #555; font-size: 0.85em; }
img { max-width: 100%; }
</style></head><body>
<h1>Cohort report</h1>
<p class="note">{{ disclaimer }}</p>
<h2>Photos</h2>
<p>{{ counts.photos }} photos from {{ patients }} patients; {{ counts.used }} used.
Excluded: {{ counts.excluded_failed }} could not be measured,
{{ counts.excluded_quality }} failed the capture-quality checks,
{{ counts.excluded_no_consent }} without research consent.</p>
{% if failures %}<ul>{% for f in failures %}<li>{{ f }}</li>{% endfor %}</ul>{% endif %}
<h2>Baseline vs last follow-up</h2>
<p class="note">Mean change with its 95% confidence interval, Cohen's d<sub>z</sub>, Wilcoxon
signed-rank p and p adjusted ({{ correction }}) over the whole table; "beyond band": share of
patients whose change exceeds the measurement's repeatability band ({{ noise_sd }} SD).
Bold: adjusted p &lt; 0.05.</p>
<table><tr>{% for c in paired_columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for row in paired %}<tr{% if row.significant %} class="significant"{% endif %}>
{% for c in paired_columns %}<td>{{ row.cells[loop.index0] }}</td>{% endfor %}</tr>{% endfor %}
</table>
<img alt="Mean change per metric and zone with 95% confidence intervals" src="{{ change_plot }}">
<h2>Course over all visits (linear mixed model, patient as random effect)</h2>
<p class="note">For the {{ mixed|length }} rows with the smallest adjusted p.</p>
<table><tr><th>metric</th><th>zone</th><th>patients</th><th>photos</th><th>slope / 30 days</th>
<th>95% CI</th><th>p</th></tr>
{% for m in mixed %}<tr><td>{{ m.metric }}</td><td>{{ m.zone }}</td><td>{{ m.patients }}</td>
<td>{{ m.photos }}</td><td>{{ m.slope }}</td><td>{{ m.ci }}</td><td>{{ m.p }}</td></tr>{% endfor %}
</table>
{% for title, rows in breakdowns %}<h2>By {{ title }}</h2>
<table><tr>{% for c in breakdown_columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for row in rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>{% endfor %}
</table>{% endfor %}
<p class="note">Analysis version(s): {{ versions }}</p>
</body></html>
"""


def _fmt(value: Any, spec: str) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "–"
    return format(value, spec)


def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _change_plot(paired: pd.DataFrame) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{r.metric} / {r.zone}" for r in paired.itertuples()]
    height = max(2.5, 0.28 * len(labels))
    figure, axes = plt.subplots(figsize=(7, height))
    try:
        y = np.arange(len(labels))
        scale = paired[["ci_low", "ci_high"]].abs().max(axis=1).replace(0, 1).fillna(1)
        mean = paired["mean_change"] / scale
        low = (paired["mean_change"] - paired["ci_low"]) / scale
        high = (paired["ci_high"] - paired["mean_change"]) / scale
        axes.errorbar(mean, y, xerr=[low.fillna(0), high.fillna(0)], fmt="o", capsize=3)
        axes.axvline(0, color="grey", lw=0.8)
        axes.set_yticks(y, labels, fontsize=7)
        axes.invert_yaxis()
        axes.set_xlabel("mean change / largest |CI limit| (each row on its own scale)")
        return _png(figure)
    finally:
        plt.close(figure)


def render_html(
    frame: pd.DataFrame,
    *,
    correction: str = "holm",
    metrics: Sequence[str] = statistics.DEFAULT_METRICS,
) -> str:
    """The report's HTML for a results table (the paired table over ``metrics``)."""
    from jinja2 import Environment

    use = statistics.usable(frame)
    paired = statistics.paired_table(use.frame, correction=correction, metrics=metrics)
    columns = [
        ("metric", "s"),
        ("zone", "s"),
        ("n", "d"),
        ("mean_change", "+.3f"),
        ("ci_low", "+.3f"),
        ("ci_high", "+.3f"),
        ("effect_size_dz", "+.2f"),
        ("wilcoxon_p", ".4f"),
        ("p_adjusted", ".4f"),
        ("beyond_band", ".0%"),
    ]
    rows = [
        {
            "cells": [_fmt(r[c], spec) for c, spec in columns],
            "significant": bool(r["p_adjusted"] < 0.05),
        }
        for r in paired.to_dict("records")
    ]
    mixed = []
    strongest = paired.sort_values("p_adjusted").head(MIXED_MODELS)
    for metric, zone in strongest[["metric", "zone"]].itertuples(index=False):
        m = statistics.mixed_model(use.frame, str(metric), str(zone))
        mixed.append(
            {
                "metric": metric,
                "zone": zone,
                "patients": m["patients"],
                "photos": m["photos"],
                "slope": _fmt(m["slope_per_30_days"], "+.3f"),
                "ci": f"{_fmt(m['ci_low'], '+.3f')} to {_fmt(m['ci_high'], '+.3f')}",
                "p": _fmt(m["p"], ".4f"),
            }
        )
    breakdowns = []
    for by in ("indication", "session", "fitzpatrick"):
        table = statistics.breakdown(use.frame, by, correction=correction, metrics=metrics)
        if len(table):
            breakdowns.append(
                (
                    by,
                    [
                        [str(r[by])] + [_fmt(r[c], spec) for c, spec in columns]
                        for r in table.to_dict("records")
                    ],
                )
            )
    failures = [
        f"{r.patient} visit {r.visit}: {r.reason}"
        for r in frame[frame["status"] != "measured"].drop_duplicates("photo").itertuples()
    ]
    environment = Environment(autoescape=True)
    return environment.from_string(TEMPLATE).render(
        disclaimer=DISCLAIMER,
        counts=use.as_dict(),
        patients=frame["patient"].nunique(),
        failures=failures,
        correction="Holm" if correction == "holm" else "Benjamini-Hochberg",
        noise_sd=NOISE_SD,
        paired_columns=[c for c, _ in columns],
        paired=rows,
        change_plot=_change_plot(paired),
        mixed=mixed,
        breakdowns=breakdowns,
        breakdown_columns=["group"] + [c for c, _ in columns],
        versions=", ".join(sorted(frame["analysis_version"].dropna().unique())),
    )


def write_report(
    frame: pd.DataFrame,
    out: Path,
    *,
    pdf: Path | None = None,
    correction: str = "holm",
    metrics: Sequence[str] = statistics.DEFAULT_METRICS,
    force: bool = False,
) -> list[Path]:
    """Write the HTML report (and the PDF); both files are written atomically."""
    check_output(out, "out", force=force, suffixes=(".html", ".htm"))
    if pdf is not None:
        check_output(pdf, "pdf", force=force, suffixes=(".pdf",))
    html = render_html(frame, correction=correction, metrics=metrics)
    with atomic_output(out, "out", force=force) as output:
        output.temp.write_text(html, encoding="utf-8")
    written = [out]
    if pdf is not None:
        from weasyprint import HTML

        with atomic_output(pdf, "pdf", force=force) as output:
            HTML(string=html).write_pdf(output.temp)
        written.append(pdf)
    return written
