"""``microneedling cohort``: one error per problem and exit 2 before anything starts; stats,
report and exports of a measured cohort."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from fhir.resources.R4B.bundle import Bundle
from typer.testing import CliRunner

from microneedling.cli.main import app
from tests.cohort.conftest import Measured


def _invoke(*args: str) -> object:
    return CliRunner().invoke(app, list(args))


def test_a_bad_manifest_lists_every_problem_and_starts_nothing(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(
        "patient,visit,date,view,photo\nP1,0,2026-01-05,side,a.jpg\nP1,0,2026-01-05,front,b.jpg\n"
    )
    out = tmp_path / "results"
    result = _invoke("cohort", "analyze", str(manifest), "--out", str(out), "--workers", "0")
    assert result.exit_code == 2  # type: ignore[attr-defined]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]  # type: ignore[attr-defined]
    assert len(errors) == 3  # unknown view, two missing files
    assert any("row 2, view" in e for e in errors) and any("row 3, photo" in e for e in errors)
    assert not out.exists()


def test_bad_options_exit_2(tmp_path: Path) -> None:
    result = _invoke("cohort", "synth", str(tmp_path / "c"), "--patients", "1")
    assert result.exit_code == 2 and "patients" in result.stderr  # type: ignore[attr-defined]
    assert not (tmp_path / "c").exists()
    result = _invoke("cohort", "stats", str(tmp_path / "nothing"))
    assert result.exit_code == 2 and "cohort analyze" in result.stderr  # type: ignore[attr-defined]


def test_stats_report_and_exports(measured_cohort: Measured, tmp_path: Path) -> None:
    results = str(measured_cohort.run.out_dir)
    result = _invoke(
        "cohort", "stats", results, "--metric", "a_star", "--zone", "cheek_left", "--json"
    )
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    stats = json.loads(result.stdout)  # type: ignore[attr-defined]
    assert stats["photos"]["excluded_failed"] + stats["photos"]["excluded_quality"] == 3
    (row,) = stats["paired"]
    assert row["zone"] == "cheek_left" and row["p_adjusted"] < 0.05

    # two raters grade redness of the left cheek: higher at baseline, as planted
    lines = ["patient,visit,zone,rater,score"]
    for code in sorted(measured_cohort.results["patient"].unique()):
        for visit, score in ((0, 3), (1, 1)):
            lines += [
                f"{code},{visit},cheek_left,A,{score}",
                f"{code},{visit},cheek_left,B,{score}",
            ]
    (tmp_path / "grades.csv").write_text("\n".join(lines) + "\n")
    result = _invoke(
        "cohort",
        "stats",
        results,
        "--metric",
        "a_star",
        "--grades",
        str(tmp_path / "grades.csv"),
        "--json",
    )
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    graded = json.loads(result.stdout)  # type: ignore[attr-defined]
    (left,) = [r for r in graded["grade_agreement"] if r["zone"] == "cheek_left"]
    assert left["spearman_rho"] > 0.7
    assert graded["rater_icc"][0]["icc_2_1"] == 1.0  # the raters agree exactly

    html, pdf = tmp_path / "report.html", tmp_path / "report.pdf"
    result = _invoke(
        "cohort", "report", results, "--out", str(html), "--pdf", str(pdf), "--metric", "a_star"
    )
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    page = html.read_text()
    assert "Baseline vs last follow-up" in page and "data:image/png;base64," in page
    assert pdf.read_bytes().startswith(b"%PDF")

    # one patient's rows, given as a results file (FHIR models are slow to build in bulk)
    frame = measured_cohort.results
    one = frame[frame["patient"] == "SYN-0004"].reset_index(drop=True)
    one.to_parquet(tmp_path / "one.parquet", index=False)
    parquet, csv, fhir = tmp_path / "r.parquet", tmp_path / "r.csv", tmp_path / "r.json"
    result = _invoke(
        "cohort",
        "export",
        str(tmp_path / "one.parquet"),
        "--parquet",
        str(parquet),
        "--csv",
        str(csv),
        "--fhir",
        str(fhir),
    )
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    pd.testing.assert_frame_equal(pd.read_parquet(parquet), one)
    assert len(pd.read_csv(csv)) == len(one)
    bundle = Bundle.model_validate_json(fhir.read_text())
    assert {e.resource.get_resource_type() for e in bundle.entry} == {"Patient", "Observation"}
