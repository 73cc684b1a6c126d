"""``microneedling simulate`` end to end, with plots, stored predictions and bad input."""

import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from microneedling.cli.main import app
from microneedling.records.database import Database
from microneedling.services.predictions import list_predictions
from tests.cli.conftest import PLAN_CREATE, Cli, ok
from tests.cli.conftest import run as run_command

runner = CliRunner()


def run(*args: str) -> Any:
    return runner.invoke(app, list(args))


def test_readable_summary_and_plot(tmp_path: Path) -> None:
    plot = tmp_path / "out" / "prediction.png"
    result = run(
        "simulate",
        "--device",
        "Dermapen 4",
        "--depth",
        "1.0",
        "--zone",
        "cheek_left",
        "--sessions",
        "3",
        "--product",
        "niacinamide",
        "--plot",
        str(plot),
    )
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "punctures per session" in text and "redness gone" in text
    assert "Absorption of niacinamide" in text and "not medical advice" in text
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert plot.stat().st_size > 20_000


def test_json_with_custom_molecule_and_per_zone_depths() -> None:
    result = run(
        "simulate",
        "--device",
        "SkinPen Precision",
        "--zone-depth",
        "forehead=0.5",
        "--zone-depth",
        "chin=1.5",
        "--mw",
        "300",
        "--logkow",
        "1.0",
        "--occluded",
        "--json",
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert [z["zone"] for z in summary["zones"]] == ["forehead", "chin"]
    assert [z["depth_mm"] for z in summary["zones"]] == [0.5, 1.5]
    assert summary["product"]["occluded"] is True
    assert summary["zones"][1]["absorption"]["closure_tau_h"] > 20


def test_roller_defaults_to_fifteen_passes() -> None:
    summary = json.loads(
        run(
            "simulate",
            "--device",
            "Dermaroller MF8",
            "--depth",
            "1.5",
            "--zone",
            "forehead",
            "--json",
        ).stdout
    )
    assert summary["zones"][0]["passes"] == 15


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--speed", "-5"), "speed_mm_s: -5 is outside 0–10000 mm/s"),
        (("--depth", "3.5"), "depth"),
        (("--depth", "2.8", "--device", "SkinPen Precision"), "beyond SkinPen Precision's range"),
        (("--zone", "elbow"), "zone: unknown zone 'elbow'"),
        (("--passes", "0"), "passes: 0 is outside"),
        (("--device", "Laser 3000"), "simulation device 'Laser 3000'"),
        (
            (
                "--mw",
                "300",
            ),
            "needs both --mw and --logkow",
        ),
        (("--product", "unicorn"), "topical product 'unicorn'"),
        (("--pattern", "zigzag"), "pattern: unknown value 'zigzag'"),
        (("--zone-depth", "chin"), "zone_depth: 'chin' is not key=value"),
        (("--devices-file", "/no/such.yaml"), "no such file"),
    ],
)
def test_bad_input_is_refused(args: tuple[str, ...], fragment: str) -> None:
    base = {"--device": "Dermapen 4", "--depth": "1.0", "--zone": "chin"}
    given = dict(zip(args[::2], args[1::2], strict=False))
    merged = [x for k, v in (base | given).items() for x in (k, v)]
    result = run("simulate", *merged)
    assert result.exit_code == 2, result.output
    assert fragment in result.stderr
    assert "Traceback" not in result.output


def test_custom_device_file(tmp_path: Path) -> None:
    path = tmp_path / "devices.yaml"
    path.write_text(
        "stamps:\n  - {model: Tiny, needles: 4, grid: [2, 2], pitch_mm: 0.5,\n"
        "     depth_mm: {min: 0.2, max: 0.5}}\n"
    )
    result = run(
        "simulate",
        "--devices-file",
        str(path),
        "--device",
        "tiny",
        "--depth",
        "0.3",
        "--zone",
        "nose",
        "--json",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["device"] == "Tiny"


def test_plan_prediction_is_stored(clinic: Cli) -> None:
    cli = clinic
    ok(cli("screening", "run", "P1", "--clinician", "Dr A", "--rest-no"))
    run_command(cli, PLAN_CREATE)
    result = cli("simulate", "--plan", "1", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["schedule"] == {"sessions": 4, "interval_days": 30}
    assert summary["stored"]["plan_id"] == 1
    assert summary["stored"]["model_version"] == summary["model_version"]
    assert cli("simulate", "--plan", "1", "--no-store", "--json").exit_code == 0
    refused = cli("simulate", "--plan", "1", "--device", "Dermapen 4")
    assert refused.exit_code == 2 and "brings its own device" in refused.stderr
    missing = cli("simulate", "--plan", "9")
    assert missing.exit_code == 2 and "plan 9 not found" in missing.stderr
    db = Database.from_url(os.environ["MICRONEEDLING_DATABASE_URL"])
    with db.reading() as s:
        stored = list_predictions(s, plan_id=1)
    db.dispose()
    assert len(stored) == 1 and stored[0]["summary"]["zones"][0]["zone"] == "cheek_left"


# --- every option checked before any work; the request's size bounded; the plot written safely ---

SIMULATE = ("simulate", "--device", "Dermapen 4", "--depth", "1.0")


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        (("--speed", "1"), "speed_mm_s: the session would generate about"),
        (("--speed", "0.1"), "(limit 8,000,000)"),
        (("--passes", "30", "--zone", "forehead", "--zone", "cheek_left"), ""),
        (("--depth", ""), "depth"),
        (("--seed", "-1"), "seed: -1 is outside"),
        (("--seed", str(2**40)), "seed"),
        (("--plot", "x.txt"), "plot: 'x.txt' must end in .png, .svg, .pdf"),
        (("--plot", "/dev/full"), "plot"),
        (("--concentration", "inf", "--product", "niacinamide"), "concentration"),
        (("--concentration", "0", "--product", "niacinamide"), "concentration_mg_ml"),
        (("--hours", "-3", "--product", "niacinamide"), "hours"),
        (("--sessions", "13"), "sessions"),
    ],
)
def test_options_are_refused_before_any_work(extra: tuple[str, ...], fragment: str) -> None:
    result = run(*SIMULATE, *extra)
    if extra[:2] == ("--passes", "30"):  # two zones at 30 passes fit the limit
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert fragment in result.stderr
    assert result.stderr.count("\n") == 1


def test_plot_is_never_written_over_a_file_without_force(tmp_path: Path) -> None:
    plot = tmp_path / "prediction.png"
    plot.write_bytes(b"the user's own picture")
    result = run(*SIMULATE, "--zone", "chin", "--plot", str(plot))
    assert result.exit_code == 2
    assert "exists" in result.stderr
    assert plot.read_bytes() == b"the user's own picture"
    ok(run(*SIMULATE, "--zone", "chin", "--plot", str(plot), "--force"))
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["prediction.png"]  # no temporary left
    (tmp_path / "folder.png").mkdir()
    result = run(*SIMULATE, "--plot", str(tmp_path / "folder.png"), "--force")
    assert result.exit_code == 2
    assert "is a folder" in result.stderr


def test_explain_lists_the_held_out_points_with_their_errors() -> None:
    result = run("simulate", "--explain", "--json")
    assert result.exit_code == 0, result.output
    view = json.loads(result.output)
    roles = {row["role"] for row in view["points"]}
    assert {"calibration", "validation"} <= roles
    held_out = [row for row in view["points"] if row["role"] == "validation"]
    assert view["validation_total"] == len(held_out) >= 5
    assert view["validation_passed"] == sum(row["passed"] for row in held_out)
    for row in held_out:
        assert row["source"] and row["tolerance"]
    assert all(p["source"] and p["low"] <= p["value"] <= p["high"] for p in view["parameters"])
    text = run("simulate", "--explain")
    assert text.exit_code == 0, text.output
    assert "Validation points (the fit never saw these)" in text.output
    assert f"{view['validation_passed']} of {view['validation_total']}" in text.output
    unverified = [p for p in view["parameters"] if p.get("verified") is False]
    assert unverified, "healing.yaml flags the parameters whose source could not be checked"
    assert "Source not verified against its text" in text.output
    for p in unverified:
        assert p["name"] in text.output
