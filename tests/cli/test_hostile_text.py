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
        message = refused(clinic(*args), f"{field}", "control characters are not allowed")
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
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.begin() as connection:  # straight to the table, past the bounds check
        connection.execute(text("UPDATE device SET model = :m"), {"m": "pen\x1b[31m\r[/x]\x9b\x07"})
    engine.dispose()
    listing = _ok(clinic, "devices", "list").stdout
    assert "pen\\x1b[31m\\x0d[/x]\\x9b\\x07" in listing
    document = _json(clinic, "devices", "list")
    assert document[0]["model"] == "pen\x1b[31m\r[/x]\x9b\x07"
    raw = _ok(clinic, "devices", "list", "--json").stdout
    assert "\x9b" not in raw and "\\u009b" in raw


@pytest.mark.parametrize(
    ("field", "limit", "command"),
    [
        ("model", 128, "devices add {t} --kind pen --needles 1 --depth-min 0.2 --depth-max 3"),
        ("lot", 64, "devices cartridge 'Dermapen 4' --lot {t} --expiry 2099-01-01"),
        ("rater", 128, "assessment add P1 --zone chin --scale glogau --score 2 --rater {t}"),
        ("time_point", 64, "assessment add P1 --zone chin --scale glogau --score 2 --rater x "
         "--time-point {t}"),
        ("notes", 10_000, "assessment add P1 --zone chin --scale glogau --score 2 --rater x "
         "--notes {t}"),
    ],
    ids=["model", "lot", "rater", "time_point", "notes"],
)  # fmt: skip
def test_text_longer_than_its_column_is_a_field_error(
    clinic: Cli, field: str, limit: int, command: str
) -> None:
    def attempt(text: str) -> Any:
        return clinic(*[a.replace("{t}", text) for a in shlex.split(command)])

    message = refused(attempt("y" * (limit + 1)), f"{field}:", f"the {limit} allowed")
    assert len(message.splitlines()) == 1
    ok(attempt("y" * limit))
