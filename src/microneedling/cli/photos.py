"""``microneedling analyze``, ``compare``, ``trend`` and ``photos sample``: measure face photos."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from microneedling.cli.context import new_app, state
from microneedling.cli.output import (
    JsonOption,
    console,
    message,
    print_json,
    table,
    visible,
    warnings,
)
from microneedling.core.errors import MicroneedlingError, ValidationError
from microneedling.core.files import atomic_output, check_output, optional_output, write_text
from microneedling.core.parsing import check_not_future, parse_date
from microneedling.core.vocabulary import display, metric_label

app = new_app("Photos: write the bundled sample series.")

TABLE_METRICS = (
    ("a*", "a_star", "{:.1f}"),
    ("red", "red_area_fraction", "{:.0%}"),
    ("ITA°", "ita_deg", "{:.0f}"),
    ("rough", "roughness_l", "{:.2f}"),
    ("pores", "pores_per_cm2", "{:.1f}"),
    ("lines", "wrinkle_length_mm_per_cm2", "{:.1f}"),
    ("scars", "scar_count", "{}"),
)


def _grey_box(text: str | None) -> tuple[int, int, int, int] | None:
    if text is None:
        return None
    parts = text.split(",")
    if len(parts) != 4 or not all(p.strip().isascii() and p.strip().isdigit() for p in parts):
        raise ValidationError("grey_box", f"{text!r} is not x,y,width,height in pixels")
    x, y, w, h = (int(p) for p in parts)
    return x, y, w, h


def render_analysis(name: str, summary: dict[str, Any]) -> None:
    rows = []
    for zone in summary["zones"]:
        cells = [display("zone", zone["zone"]), f"{zone['area_cm2']:.1f}"]
        for _, key, fmt in TABLE_METRICS:
            value = zone[key]
            if key == "ita_deg":
                spread = f"±{zone['ita_spread_deg'] / 2:.0f}"
                cells.append(("–" if value is None else f"{value:.0f}") + spread)
            else:
                cells.append(fmt.format(value))
        rows.append(cells)
    table(
        f"{name}: {summary['mm_per_px']:.3f} mm/px ({summary['scale_source']}), white balance "
        f"from {summary['white_balance']['method']}",
        ("zone", "cm²", *(label for label, _, _ in TABLE_METRICS)),
        rows,
    )
    message(
        "  a*: CIELAB redness; red: area above the face's median a* + 5; ITA°: from the zone's"
        " mean L* and b* (– where |b*| < 1) ± IQR/2 of its pixels; rough: L* band-pass SD;"
        " pores per cm²; lines: wrinkle mm per cm²"
    )
    balance = summary["white_balance"]
    if balance.get("fallback"):
        warnings([f"colours not white-balanced: {balance['reason']}"])
    if balance.get("exposure_reason"):
        warnings([f"skin tone read at the photo's own exposure: {balance['exposure_reason']}"])
    quality = summary["quality"]
    if quality["ok"]:
        message("  capture quality: all checks passed")
    else:
        warnings([c["message"] for c in quality["checks"] if not c["ok"]])


def analyze_command(
    ctx: typer.Context,
    photos: list[Path] = typer.Argument(..., help="JPEG, PNG or TIFF face photos."),
    as_json: bool = JsonOption,
    csv_path: Path | None = typer.Option(None, "--csv", help="Write one row per photo and zone."),
    overlay: Path | None = typer.Option(None, "--overlay", help="Write overlay PNGs here."),
    patient: str | None = typer.Option(None, "--patient", help="Store photos and results."),
    view: str = typer.Option("front", "--view", help="front, left45 or right45."),
    session_id: int | None = typer.Option(None, "--session", help="Session the photos belong to."),
    taken_on: str | None = typer.Option(None, "--taken-on", help="Date taken, YYYY-MM-DD."),
    grey_box: str | None = typer.Option(None, "--grey-box", help="Grey card: x,y,width,height."),
    mm_per_px: float | None = typer.Option(None, "--mm-per-px", help="Scale from a sticker."),
    force: bool = typer.Option(False, "--force", help="Replace existing overlay and CSV files."),
) -> None:
    """Measure redness, tone, texture, pores, wrinkles and scars per zone of each photo."""
    from microneedling.reports.overlay import write_overlay
    from microneedling.services import photos as photo_service

    box = _grey_box(grey_box)
    # a photo is not taken in the future
    day = check_not_future(parse_date(taken_on, "taken_on"), "taken_on") if taken_on else None
    if mm_per_px is not None and not 0.005 <= mm_per_px <= 2:
        raise ValidationError("mm_per_px", f"{mm_per_px:g} is outside 0.005-2 mm/px")
    if csv_path is not None:
        check_output(csv_path, "csv", force=force, suffixes=(".csv",))
    if overlay is not None:
        for path in photos:
            check_output(_overlay_path(overlay, path), "overlay", force=force)
    results: list[dict[str, Any]] = []
    failures: list[str] = []
    with Progress(
        TextColumn("{task.description}", markup=False),  # file names are not markup
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=len(photos) < 2 or as_json,
    ) as progress:
        task = progress.add_task("analysing", total=len(photos))
        for path in photos:
            progress.update(task, description=f"analysing {path.name}")
            try:
                measured = photo_service.measure_photo(
                    path, view=view, grey_box=box, mm_per_px=mm_per_px
                )
            except MicroneedlingError as exc:
                failures.append(str(exc))
                progress.advance(task)
                continue
            summary = {"photo": str(path)} | measured.summary
            target = _overlay_path(overlay, path) if overlay is not None else None
            # the overlay is renamed into place after the record is committed: both or neither
            with optional_output(target, "overlay", force=force) as out:
                if out is not None:
                    write_overlay(measured.analysis, out.temp)
                    summary["overlay"] = str(target)
                if patient is not None:
                    st = state(ctx)
                    with st.transaction() as db:
                        summary["stored"] = photo_service.store_measured(
                            db,
                            measured,
                            patient_code=patient,
                            view=view,
                            session_id=session_id,
                            taken_on=day,
                        )
            results.append(summary)
            progress.advance(task)
    if csv_path is not None:
        _write_csv(csv_path, results, force=force)
    if as_json:
        print_json({"results": results, "errors": failures})
    else:
        for summary in results:
            render_analysis(Path(summary["photo"]).name, summary)
            if "overlay" in summary:
                message(f"  overlay: {summary['overlay']}")
    if failures:
        for failure in failures:
            typer.echo(f"error: {visible(failure, one_line=True)}", err=True)
        raise typer.Exit(2)


def _overlay_path(folder: Path, photo: Path) -> Path:
    return folder / f"{photo.stem}-overlay.png"


def _write_csv(path: Path, results: list[dict[str, Any]], *, force: bool = False) -> None:
    rows = [
        {"photo": r["photo"], "sha256": r["sha256"], "quality_ok": r["quality"]["ok"]} | z
        for r in results
        for z in r["zones"]
    ]
    handle = io.StringIO(newline="")
    if rows:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    write_text(path, handle.getvalue(), "csv", force=force)


def compare_command(
    before: Path = typer.Argument(..., help="Baseline photo."),
    after: Path = typer.Argument(..., help="Follow-up photo."),
    repeats: int = typer.Option(5, "--repeats", help="Repeatability runs (0 to skip)."),
    overlay: Path | None = typer.Option(
        None, "--overlay", help="Write before and after side by side, as one PNG, here."
    ),
    show_all: bool = typer.Option(False, "--all", help="Also list changes within the noise."),
    allow_poor_quality: bool = typer.Option(
        False,
        "--allow-poor-quality",
        help="Judge changes even when a photo fails the capture-quality checks.",
    ),
    force: bool = typer.Option(False, "--force", help="Replace existing overlay files."),
    as_json: bool = JsonOption,
) -> None:
    """Align AFTER onto BEFORE and report each zone's change against its repeatability."""
    from microneedling.analysis.images import read_photo
    from microneedling.reports.overlay import write_comparison_overlay
    from microneedling.services import photos as photo_service

    photo_service.check_repeats(repeats)
    target = None if overlay is None else overlay / f"{before.stem}-vs-{after.stem}.png"
    if target is not None:
        check_output(target, "overlay", force=force)
    result = photo_service.compare_photos(
        read_photo(before),
        read_photo(after),
        repeats=repeats,
        allow_poor_quality=allow_poor_quality,
    )
    summary = result.summary()
    if target is not None:
        with atomic_output(target, "overlay", force=force) as out:
            write_comparison_overlay(result, out.temp)
        summary["overlay"] = str(target)
    if as_json:
        print_json(summary)
        return
    render_comparison(summary, before.name, after.name, show_all=show_all)


def render_comparison(
    summary: dict[str, Any], before_name: str, after_name: str, *, show_all: bool = False
) -> None:
    """The comparison as a person reads it: alignment, the changes table and the rule."""
    a = summary["alignment"]
    message(
        f"aligned {after_name} onto {before_name}: scale {a['scale']:.3f}, rotation "
        f"{a['rotation_deg']:+.1f}°, shift {a['shift_px']} px"
    )
    rows = [r for r in summary["changes"] if show_all or r["beyond_noise"] is not False]
    table(
        "Changes" + ("" if show_all else " beyond the repeatability noise"),
        ("zone", "metric", "before", "after", "change", "noise ±", "verdict"),
        (
            (
                display("zone", r["zone"]),
                metric_label(r["metric"]),
                f"{r['before']:.3g}",
                f"{r['after']:.3g}",
                f"{r['change']:+.3g}",
                "" if r["noise"] is None else f"{r['noise']:.3g}",
                display("verdict", r["verdict"]),
            )
            for r in rows
        ),
    )
    message(f"  {summary['noise_rule']}")
    comparable = summary["comparable"]
    reasons = comparable["reasons"] + comparable["colour_reasons"]
    if comparable["overridden"]:
        warnings([f"judged anyway (--allow-poor-quality): {r}" for r in reasons])
    elif reasons:
        warnings([f"not comparable: {r}" for r in reasons])
        message("  retake the photo, or pass --allow-poor-quality to judge the changes anyway")
    if "overlay" in summary:
        message(f"  overlay: {summary['overlay']}")


def trend_command(
    ctx: typer.Context,
    patient: str = typer.Argument(..., help="Patient code."),
    view: str = typer.Option("front", "--view"),
    as_json: bool = JsonOption,
) -> None:
    """Each stored photo's metrics over time, beside the plan's predicted collagen course."""
    from microneedling.services import photos as photo_service

    with state(ctx).transaction() as db:  # the reading is logged
        result = photo_service.trend(db, patient, view=view)
    if as_json:
        print_json(result)
        return
    if not result["points"]:
        message(
            f"no analysed {view} photos for {patient}: microneedling analyze PHOTO "
            f"--patient {patient}"
        )
        return
    if result["mixed_models"]:
        warnings([result["mixed_models"]])
    render_trend(patient, result)


def render_trend(patient: str, result: dict[str, Any]) -> None:
    """Each zone's metrics over time, one table per zone."""
    zones = sorted({z["zone"] for p in result["points"] for z in p["zones"]})
    for zone in zones:
        rows = []
        for point in result["points"]:
            entry = next((z for z in point["zones"] if z["zone"] == zone), None)
            if entry is None:
                continue
            predicted = entry.get("predicted_collagen_pct")
            rows.append(
                (
                    point["taken_on"],
                    "" if point["day"] is None else point["day"],
                    f"{entry['a_star']:.1f}",
                    f"{entry['red_area_fraction']:.0%}",
                    f"{entry['roughness_l']:.2f}",
                    f"{entry['pores_per_cm2']:.1f}",
                    f"{entry['wrinkle_length_mm_per_cm2']:.1f}",
                    "" if predicted is None else f"{predicted:+.0f}%",
                    ("ok" if point["quality_ok"] else "check")
                    + (", colour unbalanced" if point["white_balance_fallback"] else ""),
                )
            )
        table(
            f"{patient}, {display('zone', zone)}",
            (
                "date",
                "day",
                "a*",
                "red",
                "rough",
                "pores",
                "lines",
                "collagen (model)",
                "quality",
            ),
            rows,
        )


def reanalyze_command(
    ctx: typer.Context,
    patient: str = typer.Argument(..., help="Patient code."),
    view: str | None = typer.Option(None, "--view", help="Only this view (default: all)."),
    force: bool = typer.Option(False, "--force", help="Also photos already measured by it."),
    as_json: bool = JsonOption,
) -> None:
    """Measure a patient's stored photos again with the current model; old results are kept."""
    from microneedling.services import photos as photo_service

    with state(ctx).transaction() as db:
        result = photo_service.reanalyze(db, patient, view=view, force=force)
    if as_json:
        print_json(result)
    else:
        table(
            f"{patient}: reanalysed with {result['model']}",
            ("photo", "taken on", "view", "previous model", "result"),
            [
                (
                    p["photo_id"],
                    p["taken_on"],
                    display("view", p["view"]),
                    p["previous_model"] or "",
                    p["status"] if "reason" not in p else f"{p['status']}: {p['reason']}",
                )
                for p in result["photos"]
            ],
        )
    failed = [p for p in result["photos"] if p["status"] == photo_service.NOT_MEASURED]
    for p in failed:
        typer.echo(f"error: {p['reason']}", err=True)
    if failed:
        raise typer.Exit(2)


@app.command("sample")
def sample(
    directory: Path = typer.Argument(..., help="Where to write the sample photos."),
    force: bool = typer.Option(False, "--force", help="Replace sample files already there."),
) -> None:
    """Write the bundled sample series (baseline, week 1, week 12) as PNG files."""
    from microneedling.analysis.synthetic import LICENCE, write_sample_series

    for path in write_sample_series(directory, force=force):
        message(f"wrote {path}")
    message(f"  base image: {LICENCE}")
