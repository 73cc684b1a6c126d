"""The command line end to end, on a real database: readable output, JSON, and clear errors."""

import json
from datetime import date
from pathlib import Path

import pytest

from microneedling.cli.main import app
from microneedling.records.database import DATABASE_URL_ENV
from tests.cli.conftest import PLAN_CREATE, Cli, ok, refused, run


def test_help_for_every_command() -> None:
    from typer.testing import CliRunner

    runner = CliRunner()
    groups = [
        "patients",
        "screening",
        "assessment",
        "plan",
        "session",
        "session record",
        "devices",
        "db",
    ]
    commands = [
        "aftercare",
        "adverse-event",
        "export",
        "import",
        "audit",
        "demo",
        "simulate",
        "analyze",
        "compare",
        "trend",
        "reanalyze",
        "photos",
        "photos sample",
    ]
    for name in ["", *groups, *commands]:
        result = runner.invoke(app, [*name.split(), "--help"])
        assert result.exit_code == 0, name
        assert "Usage" in result.output
    help_text = " ".join(runner.invoke(app, ["--help"]).output.split())
    assert "This is not medical advice" in help_text


def test_whole_course_from_the_command_line(clinic: Cli, tmp_path: Path) -> None:
    screening = json.loads(
        ok(
            clinic(
                "screening",
                "run",
                "P1",
                "--clinician",
                "Dr A",
                "--yes",
                "recent_retinoids",
                "--rest-no",
                "--json",
            )
        ).stdout
    )
    assert screening["outcome"] == "relative"
    refused(
        clinic("plan", "create", "P1", "--indication", "acne_scars", "--clinician", "Dr A"),
        "acknowledge",
    )
    ok(clinic("screening", "acknowledge", str(screening["id"]), "--clinician", "Dr A"))
    created = run(clinic, PLAN_CREATE)
    assert "Left cheek" in created.stdout and "not medical advice" in created.stdout
    plan = json.loads(ok(clinic("plan", "show", "1", "--json")).stdout)
    depths = {z["zone"]: z["depth_mm"] for z in plan["zones"]}
    # the cheek zone includes the cheekbone: 1.0 mm at most (drpen_chart)
    assert depths == {"cheek_left": pytest.approx(1.0), "cheek_right": pytest.approx(1.0)}

    session = json.loads(
        ok(clinic("session", "start", "1", "--clinician", "Dr A", "--json")).stdout
    )
    sid = str(session["id"])

    def record_zone(zone: str, depth: str) -> Cli:
        return clinic(
            "session", "record", "zone", sid, "--zone", zone, "--depth", depth, "--passes", "3",
            "--pattern", "crosshatch", "--endpoint", "pinpoint_bleeding", "--lot", "L1",
        )  # fmt: skip

    refused(record_zone("cheek_left", "1.0"), "phase 'preparation'")
    ok(
        clinic(
            "session",
            "record",
            "preparation",
            sid,
            "--cleansed",
            "--numbing",
            "emla",
            "--dwell-minutes",
            "60",
            "--area",
            "cheeks",
        )
    )
    ok(record_zone("cheek_left", "1.0 mm"))
    refused(record_zone("cheek_right", "9"), "depth: 9 mm is outside the allowed range")
    ok(clinic("session", "record", "post-treatment", sid, "--product", "HA serum", "--sterile"))
    sheet = tmp_path / "aftercare.txt"
    finished = ok(clinic("session", "finish", sid, "--aftercare-out", str(sheet)))
    assert "Aftercare sheet" in finished.stdout
    assert "mild sunburn" in sheet.read_text()
    assert "mild sunburn" in ok(clinic("aftercare", "--session", sid)).stdout

    exported = tmp_path / "p1.json"
    ok(clinic("export", "P1", "--output", str(exported)))
    document = json.loads(exported.read_text())
    assert document["plans"][0]["sessions"][0]["phase"] == "completed"
    assert document["plans"][0]["sessions"][1]["phase"] == "scheduled"
    audit = json.loads(ok(clinic("audit", "--json", "--limit", "500")).stdout)
    assert {e["actor"] for e in audit} == {"tester"}


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (
            ("patients", "add", "P2", "--birth-year", "2999", "--fitzpatrick", "II"),
            ("birth_year: birth year 2999 is in the future",),
        ),
        (("patients", "add", "P 2", "--birth-year", "1990", "--fitzpatrick", "II"), ("code:",)),
        (
            ("patients", "add", "P2", "--birth-year", "1990", "--fitzpatrick", "VIII"),
            ("fitzpatrick:",),
        ),
        (
            ("patients", "add", "P1", "--birth-year", "1990", "--fitzpatrick", "II"),
            ("already exists",),
        ),
        (
            (
                "patients",
                "add",
                "P2",
                "--birth-year",
                "1990",
                "--fitzpatrick",
                "II",
                "--history",
                "novalue",
            ),
            ("history: 'novalue' is not key=value",),
        ),
        (("patients", "show", "P9"), ("patient P9 not found",)),
        (
            (
                "assessment",
                "add",
                "P1",
                "--zone",
                "elbow",
                "--scale",
                "glogau",
                "--score",
                "2",
                "--rater",
                "x",
            ),
            ("zone: unknown zone 'elbow'",),
        ),
        (
            (
                "assessment",
                "add",
                "P1",
                "--zone",
                "chin",
                "--scale",
                "goodman_baron_quantitative",
                "--score",
                "4",
                "--rater",
                "x",
                "--count",
                "macular=many",
            ),
            ("count.macular", "not a whole number"),
        ),
        (
            ("screening", "run", "P1", "--clinician", "x", "--yes", "werewolf", "--rest-no"),
            ("answers.werewolf",),
        ),
        (("screening", "run", "P1", "--clinician", "x"), ("every question must be answered",)),
        (
            ("plan", "create", "P1", "--indication", "tattoos", "--clinician", "x"),
            ("indication: unknown value 'tattoos'",),
        ),
        (
            (
                "devices",
                "add",
                "Pen2",
                "--kind",
                "laser",
                "--needles",
                "1",
                "--depth-min",
                "0.2",
                "--depth-max",
                "1",
            ),
            ("kind: unknown value 'laser'",),
        ),
        (
            (
                "devices",
                "add",
                "Pen2",
                "--kind",
                "pen",
                "--needles",
                "12",
                "--depth-min",
                "2",
                "--depth-max",
                "1",
            ),
            ("depth_max_mm:",),
        ),
        (
            ("devices", "cartridge", "Dermapen 4", "--lot", "L2", "--expiry", "soon"),
            ("expiry: 'soon' is not a date",),
        ),
        (("session", "start", "42", "--clinician", "x"), ("plan 42 not found",)),
        (
            (
                "adverse-event",
                "P1",
                "--kind",
                "x",
                "--severity",
                "apocalyptic",
                "--onset",
                "2026-01-01",
                "--description",
                "x",
                "--reported-by",
                "x",
            ),
            ("severity:",),
        ),
        (("import", "/no/such/file.yaml"), ("no such file",)),
    ],
)
def test_bad_input_is_one_clear_error(
    clinic: Cli, args: tuple[str, ...], fragments: tuple[str, ...]
) -> None:
    before = json.loads(ok(clinic("audit", "--json", "--limit", "1000")).stdout)
    refused(clinic(*args), *fragments)
    after = json.loads(ok(clinic("audit", "--json", "--limit", "1000")).stdout)
    assert after == before  # nothing was written


def test_unmigrated_database_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    monkeypatch.setenv(DATABASE_URL_ENV, f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    runner = CliRunner()
    result = runner.invoke(app, ["patients", "list"])
    refused(result, "has no schema", "microneedling db upgrade")
    assert "revision none" in ok(runner.invoke(app, ["db", "status"])).stdout
    ok(runner.invoke(app, ["db", "upgrade"]))
    ok(runner.invoke(app, ["patients", "list"]))
    assert json.loads(ok(runner.invoke(app, ["db", "status", "--json"])).stdout)["current"]


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("nonsense", "MICRONEEDLING_DATABASE_URL: malformed database URL"),
        ("oracle://u@h/db", "unsupported database 'oracle'"),
        ("postgresql://u:secret@127.0.0.1:1/db", "is unreachable"),
    ],
)
def test_bad_database_urls(url: str, fragment: str) -> None:
    from typer.testing import CliRunner

    result = CliRunner().invoke(app, ["--database-url", url, "patients", "list"])
    message = refused(result, fragment)
    assert "secret" not in message


def test_import_file_all_or_nothing(clinic: Cli, tmp_path: Path) -> None:
    path = tmp_path / "more.json"
    path.write_text(
        json.dumps(
            {
                "patients": [
                    {"code": "P7", "birth_year": 1990, "fitzpatrick": "II"},
                    {"code": "P1", "birth_year": 1990, "fitzpatrick": "II"},
                ]
            }
        )
    )
    refused(clinic("import", str(path)), "patients[1].code: patient code 'P1' already exists")
    listed = json.loads(ok(clinic("patients", "list", "--json")).stdout)
    assert [p["code"] for p in listed] == ["P1"]


def test_reference_listings() -> None:
    from typer.testing import CliRunner

    runner = CliRunner()
    questions = json.loads(ok(runner.invoke(app, ["screening", "questions", "--json"])).stdout)
    assert any(q["code"] == "isotretinoin" and "6 months" in q["question"] for q in questions)
    scales = json.loads(ok(runner.invoke(app, ["assessment", "scales", "--json"])).stdout)
    assert scales["glogau"]["max"] == 4
    assert "granulomas" in ok(runner.invoke(app, ["aftercare"])).stdout


def test_demo_runs_and_is_repeatable() -> None:
    from typer.testing import CliRunner

    runner = CliRunner()
    summary = json.loads(ok(runner.invoke(app, ["demo", "--json"])).stdout)
    assert [p["code"] for p in summary["patients"]] == ["MN-0001", "MN-0002", "MN-0003"]
    assert "isotretinoin" in summary["refused"]["MN-0003"]
    assert summary["session"]["phase"] == "completed"
    assert "mild sunburn" in summary["session"]["aftercare"]
    assert summary["prediction"]["plan_id"] == 1
    days = [p["day"] for p in summary["trend"]["points"]]
    assert days == [0, 7, 84]
    # the sample photos plant 40, 36, 22 pores (right cheek) and 5, 5, 3 lines (forehead)
    zone = [{z["zone"]: z for z in p["zones"]} for p in summary["trend"]["points"]]
    pores = [z["cheek_right"]["pores_per_cm2"] for z in zone]
    lines = [z["forehead"]["wrinkle_length_mm_per_cm2"] for z in zone]
    assert pores[0] > 0 and pores[2] < 0.75 * pores[0], pores
    assert lines[0] > 0 and lines[2] < 0.8 * lines[0], lines
    text = ok(runner.invoke(app, ["demo"])).stdout  # a second run starts afresh
    assert "Aftercare sheet" in text and "No plan for MN-0003" in text
    assert date.today().isoformat() in text and "pores/cm²" in text and "lines mm/cm²" in text


def test_version() -> None:
    from typer.testing import CliRunner

    assert "microneedling 0.1.0" in CliRunner().invoke(app, ["--version"]).stdout
