"""``microneedling cohort``: analyse a study cohort on Dask, its statistics, report and exports."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from microneedling.cli.context import USER_ERROR_EXIT, new_app, state
from microneedling.cli.output import (
    JsonOption,
    console,
    message,
    print_json,
    table,
    visible,
    warnings,
)
from microneedling.core.errors import ValidationError

app = new_app("Study cohorts: analyse photos on Dask, statistics, report, exports.")

STATS_COLUMNS = (  # column, header, format
    ("metric", "metric", "{}"),
    ("zone", "zone", "{}"),
    ("n", "n", "{}"),
    ("mean_change", "change", "{:+.3g}"),
    ("ci_low", "CI low", "{:+.3g}"),
    ("ci_high", "CI high", "{:+.3g}"),
    ("effect_size_dz", "dz", "{:+.2f}"),
    ("wilcoxon_p", "p", "{:.3f}"),
    ("p_adjusted", "p adj", "{:.3f}"),
    ("beyond_band", ">band", "{:.0%}"),
)


def _results(path: Path) -> Any:
    """The results table of ``cohort analyze`` (a results folder or its Parquet file)."""
    import pandas as pd

    from microneedling.cohort.runner import RESULTS_FILE

    file = path / RESULTS_FILE if path.is_dir() else path
    if not file.is_file():
        raise ValidationError("results", f"{file}: no such file; run cohort analyze first")
    try:
        return pd.read_parquet(file)
    except (OSError, ValueError) as exc:
        raise ValidationError("results", f"{file}: not a results table ({exc})") from None


@app.command("analyze")
def analyze(
    ctx: typer.Context,
    source: Path | None = typer.Argument(
        None, help="Manifest CSV: patient, visit, date, view, photo[, session, ...]."
    ),
    out: Path = typer.Option(Path("cohort-results"), "--out", help="Results folder."),
    patients: list[str] = typer.Option(
        [], "--patient", help="Instead of a manifest: this patient's stored photos (repeat)."
    ),
    indication: str | None = typer.Option(
        None, "--indication", help="Instead of a manifest: stored photos of this plan indication."
    ),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="Address of a running Dask scheduler (tcp://host:port)."
    ),
    workers: int | None = typer.Option(
        None, "--workers", help="Local workers (default: cores and memory; 0: this process)."
    ),
    store: bool = typer.Option(False, "--store", help="Store the measured photos in the database."),
    as_json: bool = JsonOption,
) -> None:
    """Measure every photo of a cohort (resumable: a rerun measures only what is missing)."""
    from microneedling.cohort.manifest import ManifestError, load_manifest
    from microneedling.cohort.runner import run_cohort

    if workers is not None and not 0 <= workers <= 1024:
        raise ValidationError("workers", f"{workers} is outside 0-1024")
    if scheduler is not None and not scheduler.startswith(("tcp://", "tls://", "inproc://")):
        raise ValidationError("scheduler", f"{scheduler!r} is not tcp://host:port")
    if source is not None and (patients or indication):
        raise ValidationError("source", "give a manifest or patients/an indication, not both")
    counts: dict[str, int] = {}
    if source is not None:
        try:
            manifest = load_manifest(source)
        except ManifestError as exc:
            for problem in exc.problems:  # every problem on its own line
                typer.echo(f"error: {visible(str(problem), one_line=True)}", err=True)
            raise typer.Exit(USER_ERROR_EXIT) from None
    else:
        from microneedling.cohort.stored import manifest_from_database

        with state(ctx).reading() as db:
            manifest, counts = manifest_from_database(
                db, patients=patients or None, indication=indication
            )
    with Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=as_json,
    ) as progress:
        task = progress.add_task("analysing", total=len(manifest.rows))

        def advance(outcome: Any, done: int, total: int) -> None:
            progress.update(task, completed=done, total=total, description=f"{outcome.status}")

        run = run_cohort(manifest, out, scheduler=scheduler, workers=workers, progress=advance)
    result = run.as_dict() | counts
    if store:
        from microneedling.cohort.stored import store_results

        with state(ctx).transaction() as db:
            result["database"] = store_results(db, manifest, run)
    if as_json:
        print_json(result)
        return
    message(
        f"{result['photos']} photos: {result['analysed']} analysed, {result['cached']} already "
        f"done, {result['failed']} failed, {result['lost']} lost; results: {result['results']}"
    )
    if result["failures"]:
        warnings([f"row {f['row']}: {f['reason']}" for f in result["failures"]])


@app.command("stats")
def stats_command(
    results: Path = typer.Argument(..., help="Results folder (or its results.parquet)."),
    metrics: list[str] = typer.Option([], "--metric", help="Metrics (repeat; default: all)."),
    zones: list[str] = typer.Option([], "--zone", help="Zones (repeat; default: all)."),
    correction: str = typer.Option("holm", "--correction", help="holm or bh."),
    by: str | None = typer.Option(
        None, "--by", help="Break down by indication, session or fitzpatrick."
    ),
    grades: Path | None = typer.Option(
        None,
        "--grades",
        help="Clinicians' grades (CSV: patient, visit, zone, rater, score): Spearman and ICC.",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Paired baseline vs last follow-up per metric and zone, with corrected p-values."""
    from microneedling.cohort import statistics

    frame = _results(results)
    graded = _grades(grades) if grades is not None else None
    use = statistics.usable(frame)
    options: dict[str, Any] = {
        "metrics": tuple(metrics) or statistics.DEFAULT_METRICS,
        "zones": tuple(zones) or None,
        "correction": correction,
    }
    if by is not None:
        paired = statistics.breakdown(use.frame, by, **options)
    else:
        paired = statistics.paired_table(use.frame, **options)
    agreement = raters = None
    if graded is not None:
        chosen = use.frame[use.frame["metric"].isin(options["metrics"])]
        agreement = statistics.grade_agreement(chosen, graded)
        raters = statistics.rater_agreement(graded)
    if as_json:
        out: dict[str, Any] = {
            "photos": use.as_dict(),
            "paired": json.loads(paired.to_json(orient="records")),
        }
        if agreement is not None and raters is not None:
            out["grade_agreement"] = json.loads(agreement.to_json(orient="records"))
            out["rater_icc"] = json.loads(raters.to_json(orient="records"))
        print_json(out)
        return
    counts = use.as_dict()
    message(
        f"{counts['photos']} photos, {counts['used']} used; excluded: {counts['excluded_failed']} "
        f"not measured, {counts['excluded_quality']} failed the quality checks, "
        f"{counts['excluded_no_consent']} without research consent"
    )
    columns = ((by, by, "{}"), *STATS_COLUMNS) if by else STATS_COLUMNS
    rows = [
        [fmt.format(r[c]) if r[c] == r[c] else "–" for c, _, fmt in columns]
        for r in paired.to_dict("records")
    ]
    table(
        f"baseline vs last follow-up: mean change, 95% CI, Cohen's dz, Wilcoxon p, p adjusted "
        f"({correction}), share of patients beyond the repeatability band",
        [header for _, header, _ in columns],
        rows,
    )
    if agreement is not None and raters is not None:
        table(
            "agreement with the clinicians' grades (Spearman)",
            ("metric", "zone", "n", "rho", "p"),
            [
                [r["metric"], r["zone"], r["n"], f"{r['spearman_rho']:+.2f}", f"{r['p']:.3f}"]
                for r in agreement.to_dict("records")
            ],
        )
        table(
            "agreement between two raters, ICC(2,1)",
            ("zone", "items", "ICC"),
            [[r["zone"], r["items"], f"{r['icc_2_1']:.2f}"] for r in raters.to_dict("records")],
        )


GRADE_COLUMNS = ("patient", "visit", "zone", "rater", "score")


def _grades(path: Path) -> Any:
    """Clinicians' grades from CSV, each column checked."""
    import pandas as pd

    from microneedling.core.data import read_text_file

    text = read_text_file(path, "grades")
    try:
        frame = pd.read_csv(io.StringIO(text), dtype={"patient": str, "zone": str, "rater": str})
    except (ValueError, pd.errors.ParserError) as exc:
        raise ValidationError("grades", f"{path}: not a CSV table ({exc})") from None
    missing = [c for c in GRADE_COLUMNS if c not in frame.columns]
    if missing:
        raise ValidationError("grades", f"{path}: missing column(s) {', '.join(missing)}")
    for column in ("visit", "score"):
        numbers = pd.to_numeric(frame[column], errors="coerce")
        bad = frame.index[numbers.isna() | ~numbers.apply(lambda v: abs(v) < 1e6)]
        if len(bad):
            raise ValidationError("grades", f"{path}: row {bad[0] + 2}: {column} is not a number")
        frame[column] = numbers
    frame["visit"] = frame["visit"].astype(int)
    return frame[list(GRADE_COLUMNS)]


@app.command("report")
def report_command(
    results: Path = typer.Argument(..., help="Results folder (or its results.parquet)."),
    out: Path = typer.Option(..., "--out", help="HTML file to write."),
    pdf: Path | None = typer.Option(None, "--pdf", help="Also write a PDF here."),
    correction: str = typer.Option("holm", "--correction", help="holm or bh."),
    metrics: list[str] = typer.Option([], "--metric", help="Metrics (repeat; default: all)."),
    force: bool = typer.Option(False, "--force", help="Replace existing files."),
) -> None:
    """Write an HTML report (and a PDF) with the cohort's tables and plots."""
    from microneedling.cohort import statistics
    from microneedling.cohort.report import write_report

    frame = _results(results)
    written = write_report(
        frame,
        out,
        pdf=pdf,
        correction=correction,
        metrics=tuple(metrics) or statistics.DEFAULT_METRICS,
        force=force,
    )
    for path in written:
        message(f"wrote {path}")


@app.command("synth")
def synth_command(
    folder: Path = typer.Argument(..., help="Folder for the photos and manifest.csv."),
    patients: int = typer.Option(12, "--patients", help="Patients (2-5000)."),
    visits: int = typer.Option(2, "--visits", help="Visits per patient (2-20)."),
    bad_share: float = typer.Option(0.1, "--bad-share", help="Share of bad photos (0-0.5)."),
    size: int = typer.Option(1024, "--size", help="Photo side in pixels (512-4096)."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    as_json: bool = JsonOption,
) -> None:
    """Write a synthetic cohort with a planted effect and bad photos (for trials and tests)."""
    from microneedling.cohort.synthetic import CohortPlan, make_cohort

    plan = CohortPlan(
        patients=patients, visits=visits, bad_share=bad_share, size_px=size, seed=seed
    )
    plan.check()
    if (folder / "manifest.csv").exists():
        raise ValidationError("folder", f"{folder} already holds a manifest.csv")
    cohort = make_cohort(plan, folder)
    if as_json:
        print_json({"manifest": str(cohort.manifest), "truth": cohort.truth})
        return
    message(f"wrote {len(cohort.rows)} photos and {cohort.manifest}")


@app.command("export")
def export_command(
    ctx: typer.Context,
    results: Path | None = typer.Argument(None, help="Results folder (or results.parquet)."),
    parquet: Path | None = typer.Option(None, "--parquet", help="Write the results as Parquet."),
    csv_path: Path | None = typer.Option(None, "--csv", help="Write the results as CSV."),
    fhir: Path | None = typer.Option(None, "--fhir", help="Write a FHIR R4B bundle (JSON)."),
    patient: str | None = typer.Option(
        None, "--patient", help="With --fhir and no results: this patient's stored record."
    ),
    force: bool = typer.Option(False, "--force", help="Replace existing files."),
) -> None:
    """Export a cohort's results (Parquet, CSV, FHIR) or one patient's record as FHIR."""
    from microneedling.core.files import atomic_output, check_output

    if not (parquet or csv_path or fhir):
        raise ValidationError("format", "give --parquet, --csv or --fhir")
    if results is None and (parquet or csv_path or patient is None):
        raise ValidationError("results", "give a results folder (or --fhir with --patient)")
    for path, field, suffix in (
        (parquet, "parquet", ".parquet"),
        (csv_path, "csv", ".csv"),
        (fhir, "fhir", ".json"),
    ):
        if path is not None:
            check_output(path, field, force=force, suffixes=(suffix,))
    if results is None:
        from microneedling.services.fhir_export import patient_bundle_json

        assert fhir is not None and patient is not None
        # the file is renamed into place after the export's audit entry is committed
        with atomic_output(fhir, "fhir", force=force) as output, state(ctx).transaction() as db:
            output.temp.write_text(patient_bundle_json(db, patient), encoding="utf-8")
        message(f"wrote {fhir}")
        return
    frame = _results(results)
    if parquet is not None:
        with atomic_output(parquet, "parquet", force=force) as output:
            frame.to_parquet(output.temp, index=False)
        message(f"wrote {parquet}")
    if csv_path is not None:
        with atomic_output(csv_path, "csv", force=force) as output:
            frame.to_csv(output.temp, index=False)
        message(f"wrote {csv_path}")
    if fhir is not None:
        from microneedling.cohort.fhir import cohort_bundle

        with atomic_output(fhir, "fhir", force=force) as output:
            output.temp.write_text(cohort_bundle(frame).model_dump_json(), encoding="utf-8")
        message(f"wrote {fhir}")
