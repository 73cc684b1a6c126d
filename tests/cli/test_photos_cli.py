"""analyze, compare, trend and photos sample from the command line, with the photo store."""

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from microneedling.cli.main import app
from microneedling.records.photo_store import photo_dir
from tests.cli.conftest import PLAN_CREATE, Cli, ok, refused, run

runner = CliRunner()


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    directory = tmp_path_factory.mktemp("samples")
    result = runner.invoke(app, ["photos", "sample", str(directory)])
    assert result.exit_code == 0, result.output
    return sorted(directory.glob("sample-*.png"))


def test_analyze_table_json_csv_and_overlay(samples: list[Path], tmp_path: Path) -> None:
    table = runner.invoke(app, ["analyze", str(samples[0])])
    assert table.exit_code == 0, table.output
    assert "Left cheek" in table.stdout and "mm/px" in table.stdout
    out_csv = tmp_path / "metrics.csv"
    result = runner.invoke(
        app,
        [
            "analyze",
            *map(str, samples),
            "--json",
            "--csv",
            str(out_csv),
            "--overlay",
            str(tmp_path / "overlays"),
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert len(data["results"]) == 3 and data["errors"] == []
    rows = list(csv.DictReader(out_csv.open()))
    assert len(rows) == 3 * 10 and {"zone", "a_star", "pores_per_cm2"} <= set(rows[0])
    overlays = sorted((tmp_path / "overlays").glob("*.png"))
    assert len(overlays) == 3 and overlays[0].read_bytes()[:4] == b"\x89PNG"
    week1 = next(r for r in data["results"] if "week-01" in r["photo"])
    baseline = next(r for r in data["results"] if "baseline" in r["photo"])
    zone = {z["zone"]: z for z in week1["zones"]}["cheek_left"]
    assert zone["a_star"] > {z["zone"]: z for z in baseline["zones"]}["cheek_left"]["a_star"]


def test_bad_photos_are_refused_one_by_one(samples: list[Path], tmp_path: Path) -> None:
    text = tmp_path / "notes.jpg"
    text.write_text("not a photo")
    result = runner.invoke(app, ["analyze", str(samples[0]), str(text), "--json"])
    assert result.exit_code == 2
    assert "not an image" in result.stderr and "Traceback" not in result.output
    assert len(json.loads(result.stdout)["results"]) == 1  # the good photo was still measured
    refused(runner.invoke(app, ["analyze", str(samples[0]), "--grey-box", "1,2,3"]), "grey_box")
    refused(
        runner.invoke(app, ["analyze", str(samples[0]), "--grey-box", "2000,10,80,80"]),
        "grey_box",
        "outside the 2048x2048 px photo",
    )
    refused(runner.invoke(app, ["compare", str(samples[0]), str(text)]), "not an image")
    refused(
        runner.invoke(app, ["compare", str(samples[0]), str(samples[1]), "--repeats", "1"]),
        "repeats",
    )


def test_compare_from_the_command_line(samples: list[Path], tmp_path: Path) -> None:
    # The sample photos are lit unevenly (a failed capture-quality check): their changes are
    # not comparable unless the user says to judge them anyway.
    result = runner.invoke(
        app, ["compare", str(samples[0]), str(samples[1]), "--repeats", "3", "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    rows = {(r["zone"], r["metric"]): r for r in summary["changes"]}
    red = rows[("cheek_left", "a_star")]
    assert red["change"] > 1 and red["beyond_noise"]
    assert (
        abs(red["change"])
        > red["noise"]
        == pytest.approx(2 * red["noise_sd"] + red["noise_offset"], abs=2e-4)
    )  # the printed rule, 2 SD + offset
    failed = not (summary["quality"]["before"]["ok"] and summary["quality"]["after"]["ok"])
    assert summary["comparable"]["ok"] is not failed
    if failed:
        assert red["verdict"] == "not comparable"
    judged_json = runner.invoke(
        app,
        [
            "compare",
            str(samples[0]),
            str(samples[1]),
            "--repeats",
            "2",
            "--allow-poor-quality",
            "--json",
        ],
    )
    again = {(r["zone"], r["metric"]): r for r in json.loads(judged_json.stdout)["changes"]}
    assert again[("cheek_left", "a_star")]["verdict"] == "real change"
    judged = runner.invoke(
        app,
        [
            "compare",
            str(samples[0]),
            str(samples[1]),
            "--repeats",
            "2",
            "--allow-poor-quality",
            "--overlay",
            str(tmp_path),
        ],
    )
    assert judged.exit_code == 0, judged.output
    text = " ".join(judged.stdout.split())  # as printed, without the terminal's line breaks
    assert "2 SD of repeatability + the mean offset" in text
    if failed:
        assert "judged anyway (--allow-poor-quality)" in text
    (png,) = tmp_path.glob("*.png")  # before and after side by side, in one file
    assert png.name == f"{samples[0].stem}-vs-{samples[1].stem}.png"
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_store_and_trend(clinic: Cli, samples: list[Path]) -> None:
    ok(clinic("screening", "run", "P1", "--clinician", "Dr A", "--rest-no"))
    run(clinic, PLAN_CREATE, "--first-session", "2026-01-05")
    ok(clinic("simulate", "--plan", "1"))
    for path, day in zip(samples, ("2026-01-05", "2026-01-12", "2026-03-30"), strict=True):
        ok(clinic("analyze", str(path), "--patient", "P1", "--taken-on", day))
    again = ok(clinic("analyze", str(samples[0]), "--patient", "P1", "--json"))
    first = json.loads(again.stdout)["results"][0]["stored"]
    trend = json.loads(ok(clinic("trend", "P1", "--json")).stdout)
    assert [p["day"] for p in trend["points"]] == [0, 7, 84]
    assert [p["white_balance_fallback"] for p in trend["points"]] == [False] * 3  # eyes open
    assert first["photo_id"] == trend["points"][0]["photo_id"]  # stored once, never duplicated
    cheek = [next(z for z in p["zones"] if z["zone"] == "cheek_left") for p in trend["points"]]
    assert cheek[1]["a_star"] > cheek[0]["a_star"] > cheek[2]["a_star"]
    assert cheek[2]["predicted_collagen_pct"] > cheek[0]["predicted_collagen_pct"]
    assert cheek[0]["goodman_baron_grade"] == 3  # the clinician's grade beside the scar count
    text = ok(clinic("trend", "P1")).stdout
    assert "Left cheek" in text and "2026-03-30" in text
    refused(clinic("analyze", str(samples[0]), "--patient", "P9"), "patient P9 not found")
    refused(clinic("analyze", str(samples[0]), "--patient", "P1", "--view", "top"), "view")


OLD_MODEL = "mediapipe-0.10.21-face-mesh"  # what analyses stored before the LiteRT runtime name


def test_reanalyze_keeps_old_results_and_trend_says_when_models_mix(
    clinic: Cli, samples: list[Path], database_url: str
) -> None:
    from sqlalchemy import select

    from microneedling.records import models
    from microneedling.records.database import Database
    from microneedling.services.photos import current_model_id

    for path, day in zip(samples, ("2026-01-05", "2026-01-12", "2026-03-30"), strict=True):
        ok(clinic("analyze", str(path), "--patient", "P1", "--taken-on", day))
    db = Database.from_url(database_url)
    try:  # the first photo's only analysis becomes one stored by the old runtime
        with db.transaction() as s:
            first = s.scalars(
                select(models.PhotoAnalysisRecord).order_by(models.PhotoAnalysisRecord.id)
            ).first()
            assert first is not None and "photo" not in first.summary  # no file paths stored
            first.summary = first.summary | {"landmark_model": OLD_MODEL}
            first.version = f"{first.summary['version']}+{OLD_MODEL}"
            old_id, old_photo = first.id, first.photo_id
    finally:
        db.dispose()

    trend = json.loads(ok(clinic("trend", "P1", "--json")).stdout)
    assert len(trend["models"]) == 2 and OLD_MODEL in trend["mixed_models"]
    assert "not comparable" in ok(clinic("trend", "P1")).stdout

    result = json.loads(ok(clinic("reanalyze", "P1", "--json")).stdout)
    assert result["model"] == current_model_id()
    status = {p["photo_id"]: p for p in result["photos"]}
    assert status[old_photo]["status"] == "measured"
    assert status[old_photo]["previous_model"].endswith(OLD_MODEL)
    assert [p["status"] for p in result["photos"]].count("already current") == 2

    trend = json.loads(ok(clinic("trend", "P1", "--json")).stdout)
    assert trend["models"] == [current_model_id()] and trend["mixed_models"] is None
    db = Database.from_url(database_url)
    try:  # the old analysis is still there, under its own id, beside the new one
        with db.reading() as s:
            rows = s.scalars(
                select(models.PhotoAnalysisRecord).where(
                    models.PhotoAnalysisRecord.photo_id == old_photo
                )
            ).all()
            assert rows[0].id == old_id
            assert [r.version.endswith(OLD_MODEL) for r in rows] == [True, False]
            stored_path = photo_dir() / rows[0].photo.stored_path  # relative to the store
    finally:
        db.dispose()

    forced = json.loads(ok(clinic("reanalyze", "P1", "--force", "--json")).stdout)
    assert [p["status"] for p in forced["photos"]] == ["measured"] * 3
    stored_path.unlink()  # the photo store lost a file: that photo is refused, by its id
    message = refused(clinic("reanalyze", "P1", "--force"), f"photo {old_photo}", "missing")
    assert message.count("error:") == 1
    refused(clinic("reanalyze", "P9"), "P9")
    refused(clinic("reanalyze", "P1", "--view", "top"), "view")


def test_analyze_says_when_the_tone_keeps_the_photos_exposure(
    samples: list[Path], tmp_path: Path
) -> None:
    """A photo exposed so brightly that the eye whites clip: the tone is read at the photo's
    own exposure, and the table says so (the JSON carries the reason)."""
    import numpy as np
    from PIL import Image

    bright = np.asarray(Image.open(samples[0]).convert("RGB"), dtype=np.float32) * 1.6
    path = tmp_path / "bright.png"
    Image.fromarray(np.clip(bright, 0, 255).astype(np.uint8)).save(path)
    result = ok(runner.invoke(app, ["analyze", str(path), "--json"]))
    reason = json.loads(result.stdout)["results"][0]["white_balance"]["exposure_reason"]
    assert "clipped" in reason
    table = ok(runner.invoke(app, ["analyze", str(path)]))
    assert "skin tone read at the photo's own exposure" in " ".join(table.output.split())
