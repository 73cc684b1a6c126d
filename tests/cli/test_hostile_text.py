"""Output is never code: hostile text stored through the CLI is shown as that text everywhere.

Each hostile string goes into every free-text field of a whole course (device, lot, history,
rater, time point, notes, clinicians, note, area, product, reaction, deviation reason, adverse
event, erasure reason) and is the acting user; then every list and show screen and the audit log
are rendered. Each must exit 0, show the string literally where the screen shows the field, and
give it back unchanged in the JSON export. Control characters are refused at input instead.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from microneedling.cli import output
from tests.cli.conftest import Cli, ok, refused

# Each string combines several hazards and fits the shortest text column (64 characters).
HOSTILE = {
    "markup": "[/x] [bold red]x[/] [link=file:///etc/passwd]x[/link] [/]",
    "html_bidi_emoji": "<script>alert(1)</script> abc\u202edcba\u202c :smile: &amp;",
    "format_sql": "%s %n {0} ${HOME} `id` x'); DROP TABLE patient; --",
    "unicode_long": "Zoë Ærø 名前 😀 [b]" + "w" * 40 + "[/b]",
}
assert all(len(text) <= 64 for text in HOSTILE.values())


@pytest.fixture
def wide(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A console wide enough that no cell is wrapped, so a value appears in one piece."""
    monkeypatch.setattr(output.console, "width", 2000)
    yield


def _ok(cli: Cli, *args: str) -> Any:
    result = ok(cli(*args))
    assert "Traceback" not in result.output
    assert "\x1b" not in result.output  # no terminal codes, from Rich or from the data
    return result


def _json(cli: Cli, *args: str) -> Any:
    return json.loads(_ok(cli, *args, "--json").stdout)


def _course(cli: Cli, text: str) -> dict[str, str]:
    """Store ``text`` in every free-text field of a course; return each screen's output."""
    screens: dict[str, str] = {}
    screens["patients add"] = _ok(
        cli, "patients", "add", "P1", "--birth-year", "1990", "--fitzpatrick", "III",
        "--history", f"note={text}",
    ).stdout  # fmt: skip
    screens["devices add"] = _ok(
        cli, "devices", "add", text, "--kind", "pen", "--needles", "16",
        "--depth-min", "0.2", "--depth-max", "3.0",
    ).stdout  # fmt: skip
    screens["devices cartridge"] = _ok(
        cli, "devices", "cartridge", text, "--lot", text, "--expiry", "2099-01-01"
    ).stdout
    screens["assessment add"] = _ok(
        cli, "assessment", "add", "P1", "--zone", "cheek_left",
        "--scale", "goodman_baron_qualitative", "--score", "3", "--rater", text,
        "--time-point", text, "--notes", text, "--indication", "acne_scars",
    ).stdout  # fmt: skip
    screening = _json(
        cli, "screening", "run", "P1", "--clinician", text, "--yes", "recent_retinoids",
        "--rest-no",
    )  # fmt: skip
    screens["screening acknowledge"] = _ok(
        cli, "screening", "acknowledge", str(screening["id"]), "--clinician", text,
        "--note", f"{text}\nsecond line\tafter a tab",
    ).stdout  # fmt: skip
    plan = _json(
        cli, "plan", "create", "P1", "--indication", "acne_scars", "--clinician", text,
        "--device", text,
    )  # fmt: skip
    screens["consent record"] = _ok(
        cli, "consent", "record", "P1", "--name", text, "--all-statements"
    ).stdout
    session = _json(cli, "session", "start", str(plan["id"]), "--clinician", text)
    sid = str(session["id"])
    _ok(cli, "session", "record", "preparation", sid, "--cleansed", "--area", text)
    zone = plan["zones"][0]
    outside = zone["range_max_mm"] + 0.1
    if outside > 3.0:
        outside = zone["range_min_mm"] - 0.1
    _ok(
        cli, "session", "record", "zone", sid, "--zone", zone["zone"], "--depth", f"{outside:.2f}",
        "--passes", "3", "--pattern", "crosshatch", "--endpoint", "pinpoint_bleeding",
        "--lot", text, "--device", text, "--reason", text,
    )  # fmt: skip
    _ok(
        cli, "session", "record", "post-treatment", sid, "--product", text, "--sterile",
        "--reaction", text,
    )  # fmt: skip
    _ok(cli, "session", "finish", sid)
    screens["adverse-event"] = _ok(
        cli, "adverse-event", "P1", "--kind", text, "--severity", "mild",
        "--onset", "2026-01-02", "--description", text, "--reported-by", text,
        "--session", sid,
    ).stdout  # fmt: skip
    for name, args in {
        "patients list": ("patients", "list"),
        "patients show": ("patients", "show", "P1"),
        "devices list": ("devices", "list"),
        "plan show": ("plan", "show", str(plan["id"])),
        "session show": ("session", "show", sid),
        "aftercare": ("aftercare", "--session", sid),
        "audit": ("audit", "--limit", "200"),
    }.items():
        screens[name] = _ok(cli, *args).stdout
    return screens


@pytest.mark.parametrize("text", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_text_is_shown_as_text_on_every_screen(
    cli: Cli, wide: None, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    monkeypatch.setenv("MICRONEEDLING_USER", text)
    screens = _course(cli, text)
    # Each screen that shows one of the fields shows the text as typed (not as markup).
    for name in (
        "patients add",  # history
        "patients show",  # history
        "devices add",  # model
        "devices cartridge",  # lot
        "devices list",  # model, lot
        "assessment add",  # rater, time point
        "plan show",  # device
        "session show",  # area, product, reaction, lot, deviation reason
        "adverse-event",  # kind, description
        "audit",  # acting user
    ):
        assert text in screens[name], f"{name}:\n{screens[name]}"
    assert screens["session show"].count(text) >= 5, screens["session show"]
    assert f"acknowledged by {text}" in screens["screening acknowledge"]

    # The export gives every value back unchanged.
    document = _json_export(cli)
    assert document["patient"]["history"] == {"note": text}
    assessment = document["assessments"][0]
    assert (assessment["rater"], assessment["time_point"], assessment["notes"]) == (text,) * 3
    screening = document["screenings"][0]
    assert (screening["screened_by"], screening["acknowledged_by"]) == (text, text)
    assert screening["acknowledgement_note"] == f"{text}\nsecond line\tafter a tab"
    plan = document["plans"][0]
    assert plan["created_by"] == text and plan["device"] == text
    treated = plan["sessions"][0]
    assert treated["clinician"] == text
    event = document["adverse_events"][0]
    assert (event["kind"], event["description"], event["reported_by"]) == (text,) * 3
    actors = {entry["actor"] for entry in _json(cli, "audit", "--limit", "500")}
    assert actors == {text}

    erased = _ok(cli, "patients", "erase", "P1", "--reason", text).stdout
    assert "Patient P1 erased" in erased
    _ok(cli, "audit", "verify")


def _json_export(cli: Cli) -> Any:
    return json.loads(_ok(cli, "export", "P1").stdout)


CONTROL = {
    "ansi_escape": "red\x1b[31mtext",
    "carriage_return": "done\rforged",
    "nul": "a\x00b",
    "bell": "a\x07b",
    "backspace": "abc\x08\x08x",
    "c1_csi": "a\x9b31mb",
    "delete": "a\x7fb",
    "newline_in_a_name": "Dr A\nDr B",
}


@pytest.mark.parametrize(
    ("command", "field"),
    [
        ("devices add {t} --kind pen --needles 16 --depth-min 0.2 --depth-max 3", "model"),
        ("devices cartridge 'Dermapen 4' --lot {t} --expiry 2099-01-01", "lot"),
        (
            "assessment add P1 --zone cheek_left --scale goodman_baron_qualitative --score 2 "
            "--rater {t}",
            "rater",
        ),
        (
            "adverse-event P1 --kind x --severity mild --onset 2026-01-02 "
            "--description {t} --reported-by x",
            "description",
        ),
        ("patients add P2 --birth-year 1990 --fitzpatrick II --history note={t}", "history"),
    ],
    ids=["model", "lot", "rater", "description", "history"],
)
def test_control_characters_are_refused_at_input(clinic: Cli, command: str, field: str) -> None:
    """One error line naming the field, the character shown escaped, nothing written."""
    before = _json(clinic, "audit", "--limit", "1000")
    for name, text in CONTROL.items():
        if name == "newline_in_a_name" and field in ("description", "history"):
            continue  # free text may hold newlines (test_a_newline_is_kept_in_free_text)
        args = [a.replace("{t}", text) for a in shlex.split(command)]
        message = refused(clinic(*args), "control characters are not allowed")
        assert field in message.lower(), message
        assert len(message.strip().splitlines()) == 1, name
        assert not any(c in message for c in "\x1b\r\x00\x07\x08\x9b\x7f"), name
    assert _json(clinic, "audit", "--limit", "1000") == before


def test_a_newline_is_kept_in_free_text(clinic: Cli) -> None:
    view = _json(
        clinic, "adverse-event", "P1", "--kind", "x", "--severity", "mild",
        "--onset", "2026-01-02", "--description", "line one\nline two", "--reported-by", "x",
    )  # fmt: skip
    assert view["description"] == "line one\nline two"


@pytest.mark.parametrize("user", ["tester\x1b[2J", "x" * 129])
def test_the_acting_user_is_checked_before_anything_is_written(
    clinic: Cli, monkeypatch: pytest.MonkeyPatch, user: str
) -> None:
    before = _json(clinic, "audit", "--limit", "1000")
    monkeypatch.setenv("MICRONEEDLING_USER", user)
    refused(clinic("patients", "add", "P2", "--birth-year", "1990", "--fitzpatrick", "II"), "user:")
    monkeypatch.setenv("MICRONEEDLING_USER", "tester")
    assert _json(clinic, "audit", "--limit", "1000") == before


def test_control_characters_in_old_stored_data_are_shown_not_sent(
    clinic: Cli, database_url: str, wide: None
) -> None:
    """Data stored before the check (or written around it) is escaped when rendered."""
    from sqlalchemy import text

    from microneedling.records.database import Database

    database = Database.from_url(database_url)
    with database.engine.begin() as connection:  # straight to the table, past the bounds check
        connection.execute(text("UPDATE device SET model = :m"), {"m": "pen\x1b[31m\r[/x]\x9b\x07"})
    database.dispose()
    listing = _ok(clinic, "devices", "list").stdout
    assert "pen\\x1b[31m\\x0d[/x]\\x9b\\x07" in listing
    document = _json(clinic, "devices", "list")
    assert document[0]["model"] == "pen\x1b[31m\r[/x]\x9b\x07"
    raw = _ok(clinic, "devices", "list", "--json").stdout
    assert "\x9b" not in raw and "\\u009b" in raw


def test_text_longer_than_its_column_is_a_field_error(clinic: Cli) -> None:
    chin = "assessment add P1 --zone chin --scale glogau --score 2"
    cases = [
        ("model", 128, "devices add {t} --kind pen --needles 1 --depth-min 0.2 --depth-max 3"),
        ("lot", 64, "devices cartridge 'Dermapen 4' --lot {t} --expiry 2099-01-01"),
        ("rater", 128, f"{chin} --rater {{t}}"),
        ("time_point", 64, f"{chin} --rater x --time-point {{t}}"),
        ("notes", 10_000, f"{chin} --rater x --notes {{t}}"),
    ]

    def args(command: str, text: str) -> list[str]:
        return [a.replace("{t}", text) for a in shlex.split(command)]

    _refuse_all(
        clinic,
        [
            (" ".join(shlex.quote(a) for a in args(command, "y" * (limit + 1))),
             f"{field}: {limit + 1} characters is more than the {limit} allowed")
            for field, limit, command in cases
        ],
    )  # fmt: skip
    for _field, limit, command in cases:
        ok(clinic(*args(command, "y" * limit)))


# Input bounds on the command line: each refusal is exit 2, one line naming what was typed,
# and nothing written. One clinic per test, the cases in a loop, to keep the suite quick.

HUGE = str(10**30)
TOMORROW = date.fromordinal(date.today().toordinal() + 1).isoformat()
ID_COMMANDS = [
    "plan show {id}",
    "session show {id}",
    "session start {id} --clinician x",
    "session finish {id}",
    "session record preparation {id} --cleansed",
    "session record post-treatment {id} --product x --sterile",
    "screening acknowledge {id} --clinician x",
    "aftercare --session {id}",
    "adverse-event P1 --kind x --severity mild --onset 2026-01-02 --description x "
    "--reported-by x --session {id}",
    "devices cartridge {id} --lot L9 --expiry 2099-01-01",
    "simulate --plan {id}",
]


def _refuse_all(cli: Cli, cases: list[tuple[str, str]]) -> None:
    """Each command is refused with its fragment in one line, and the audit log is unchanged."""
    before = _json(cli, "audit", "--limit", "1000")
    for command, fragment in cases:
        result = cli(*shlex.split(command))
        assert result.exit_code == 2, (command, result.output)
        message = str(result.stderr)
        assert "Traceback" not in result.output, command
        assert fragment in message, (command, message)
        assert "OverflowError" not in message and "ValueError" not in message, command
        assert len(message.strip().splitlines()) == 1, (command, message)
    assert _json(cli, "audit", "--limit", "1000") == before


def test_ids_out_of_range_are_field_errors(clinic: Cli) -> None:
    cases = [
        (command.replace("{id}", key), reason)
        for command in ID_COMMANDS
        for key, reason in (
            (HUGE, "1e+30 is outside the allowed range 1–2147483647"),
            (str(2**31), "2147483648 is outside the allowed range 1–2147483647"),
            ("0", "0 is outside the allowed range 1–2147483647"),
        )
    ]
    _refuse_all(clinic, cases)
    assert "not found" in refused(clinic("plan", "show", str(2**31 - 1)))  # the largest id


def test_numbers_are_ascii_digits_and_bounded(clinic: Cli) -> None:
    quantitative = "assessment add P1 --zone chin --scale goodman_baron_quantitative --score 1"
    _refuse_all(
        clinic,
        [
            (f"{quantitative} --rater x --count macular=²", "count.macular"),
            (f"{quantitative} --rater x --count macular=１", "count.macular"),
            (f"{quantitative} --rater x --count macular={HUGE}", "count.macular"),
            ("devices cartridge ² --lot L9 --expiry 2099-01-01", "device"),
            ("analyze nothing.png --grey-box ²,0,10,10", "grey_box"),
            (
                f"devices add Pen9 --kind pen --needles {HUGE} --depth-min 0.2 --depth-max 3",
                "--needles: 1e+30 is outside the allowed range",
            ),
            ("session record zone 1 --zone chin --depth １.５ --passes 1 --pattern crosshatch "
             "--endpoint pinpoint_bleeding --lot L1", "depth"),
        ],
    )  # fmt: skip
    # Typer itself refuses non-ASCII digits for its int and float options (exit 2).
    for command in (
        "devices add Pen9 --kind pen --needles １６ --depth-min 0.2 --depth-max 3",
        "devices add Pen9 --kind pen --needles 16 --depth-min ０.２ --depth-max 3",
        "patients add P2 --birth-year ²⁰⁰⁰ --fitzpatrick II",
        "assessment add P1 --zone chin --scale glogau --score ３ --rater x",
    ):
        result = clinic(*shlex.split(command))
        assert result.exit_code == 2 and "Traceback" not in result.output, command
    ok(clinic(*shlex.split(f"{quantitative} --rater x --count macular=100000")))


def test_nan_and_infinity_are_refused(clinic: Cli) -> None:
    commands = [
        "devices add Pen9 --kind pen --needles 16 --depth-min {v} --depth-max 3",
        "assessment add P1 --zone chin --scale glogau --score {v} --rater x",
        "simulate --device 'Dermapen 4' --depth 1.0 --zone cheek_left --concentration {v} "
        "--product niacinamide",
        "session record preparation 1 --cleansed --dwell-minutes {v}",
    ]
    _refuse_all(
        clinic,
        [
            (command.replace("{v}", value), "not a finite number")
            for command in commands
            for value in ("nan", "inf", "-inf", "1e999", "NaN")
        ],
    )


def test_a_code_that_looks_like_a_registered_one_is_that_patient(clinic: Cli) -> None:
    codes = ["P1\n", " P1 ", "Ｐ１", "P1\t"]
    _refuse_all(
        clinic,
        [
            (f"patients add '{code}' --birth-year 1990 --fitzpatrick II", "'P1' already exists")
            for code in codes
        ],
    )
    for code in codes:
        assert _json(clinic, "patients", "show", code)["code"] == "P1"


def test_look_alike_codes_are_refused(clinic: Cli) -> None:
    add = "patients add '{c}' --birth-year 1990 --fitzpatrick II"
    _refuse_all(
        clinic,
        [
            (add.format(c="p1"), "code: patient code 'p1' is too like the existing 'P1'"),
            (add.format(c="Р1"), "not a valid patient code"),  # Cyrillic ER
            (add.format(c="P1\u200b"), "not a valid patient code"),
            (add.format(c="P 1"), "not a valid patient code"),
            (add.format(c="P1\x1b[8m"), "CODE: control characters are not allowed"),
            (add.format(c="Jane Doe 1980-02-03"), "not a valid patient code"),
        ],
    )
    assert [p["code"] for p in _json(clinic, "patients", "list")] == ["P1"]


def test_codes_are_stored_normalised(cli: Cli) -> None:
    added = _json(cli, "patients", "add", "ＭＮ-０００７\n", "--birth-year", "1990",
                  "--fitzpatrick", "II")  # fmt: skip
    assert added["code"] == "MN-0007"
    assert _json(cli, "patients", "show", "MN-0007")["id"] == added["id"]


def test_dates_within_plausible_limits(clinic: Cli) -> None:
    cartridge = "devices cartridge 'Dermapen 4' --lot L9 --expiry"
    event = "adverse-event P1 --kind x --severity mild --description x --reported-by x --onset"
    _refuse_all(
        clinic,
        [
            (f"{cartridge} 1800-01-01", "expiry: 1800-01-01 is before 1900-01-01"),
            (f"{cartridge} 9999-12-31", "expiry: 9999-12-31 is after 2199-12-31"),
            (f"{cartridge} ２０９９-01-01", "not a date"),
            (f"{event} {TOMORROW}", "in the future"),
            (f"{event} 1850-01-01", "before 1900-01-01"),
            ("plan create P1 --indication acne_scars --clinician x --first-session 9999-12-31",
             "first_session: 9999-12-31 is after 2199-12-31"),
            (f"analyze nothing.png --patient P1 --taken-on {TOMORROW}",
             f"taken_on: {TOMORROW} is in the future"),
            ("patients add P2 --birth-year 1850 --fitzpatrick II", "before 1900"),
            (f"patients add P2 --birth-year {HUGE} --fitzpatrick II", "birth"),
            ("session record preparation 1 --cleansed --applied-at 1800-01-01T10:00 "
             "--removed-at 1800-01-01T11:00", "applied_at"),
        ],
    )  # fmt: skip


def test_text_that_is_not_utf8_is_refused_before_any_lookup(clinic: Cli) -> None:
    """Bytes of the command line that are not UTF-8 arrive as lone surrogates, which no
    database driver can encode; every text parameter refuses them."""
    _refuse_all(
        clinic,
        [
            ("devices cartridge '\udc80' --lot L9 --expiry 2099-01-01", "DEVICE: not valid text"),
            ("devices cartridge 'Dermapen 4' --lot '\udcff' --expiry 2099-01-01", "--lot"),
            ("plan create P1 --indication acne_scars --clinician x --device '\udc80'", "--device"),
            ("patients show 'P\udc801'", "not valid text"),
        ],
    )
