"""A fuzz test of the whole CLI: every option of every command, drawn from the Typer app itself.

Hypothesis draws a value for each parameter of each command from the app's own parameter list:
plausible values (the demo clinic's codes, zones, scales), hostile strings (Rich markup, escape
codes, look-alike digits, very long text), huge, negative and non-ASCII numbers, odd dates and
paths. The invariant, for every draw:

- the command exits 0 or 2, never with a traceback or another exception;
- on exit 2, no row of the database and no file under the test folder changed.

CI runs a bounded number of examples per command with a fixed seed (``derandomize``); ``make fuzz``
runs many more (``MICRONEEDLING_FUZZ_EXAMPLES``). Output paths are always inside the test folder
(or ``/dev/full`` and ``/dev/null``), so a draw can never overwrite a file of the machine's.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import shlex
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, get_args, get_origin

import pytest
import typer
import typer.main
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from microneedling.cli.main import app
from microneedling.records.database import Database
from microneedling.records.models import Base
from tests.cli.conftest import CLINIC_SETUP, PLAN_CREATE

EXAMPLES = int(os.environ.get("MICRONEEDLING_FUZZ_EXAMPLES", "8"))

# On valid input these build a demo clinic, serve forever, or write real photos or a cohort: their
# own tests run them (test_cli, test_users_cli, test_files_cli, tests/cohort), the fuzz test not.
SKIPPED = {("demo",), ("serve",), ("photos", "sample"), ("cohort", "synth")}

HOSTILE = [
    "",
    " ",
    "[/x]",
    "[bold red]x[/]",
    "[link=file:///etc/passwd]x[/link]",
    "<script>alert(1)</script>",
    "\x1b[31mred\x1b[0m",
    "MN-0001\n",
    "P1\r",
    "ＭＮ-０００１",
    "\u202eevil",
    "a" * 5000,
    "'; DROP TABLE patient;--",
    "%s%n{0}",
    "\x00",
    "--json",
    "-",
]
NUMBERS = [
    "0",
    "-1",
    "1",
    "3",
    "10" * 16,
    str(2**63),
    "-" + "9" * 30,
    "1e309",
    "nan",
    "inf",
    "-inf",
    "²",
    "١٢",
    "１",
    "1.5",
    "0x1f",
    " 3",
    "1,5",
    "½",
]
DATES = [
    "2026-01-05",
    "2099-01-01",
    "1900-01-01",
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "2026-13-01",
    "yesterday",
    "2026-01-05T10:00",
    "10:00",
    "25:61",
]
WORDS = [
    "P1",
    "P2",
    "cheek_left",
    "forehead",
    "nose",
    "acne_scars",
    "fine_lines",
    "goodman_baron_qualitative",
    "Dermapen 4",
    "SkinPen Precision",
    "L1",
    "crosshatch",
    "horizontal",
    "pinpoint_bleeding",
    "erythema",
    "emla",
    "pen",
    "III",
    "front",
    "Dr A",
    "niacinamide",
    "clinician",
    "investigator",
    "baseline",
    "mild",
    "acne=resolved",
    "cheek_left=1.0",
    "recent_retinoids",
    "0,0,10,10",
    "0.1",
]
PATHS = [
    "out.png",
    "out.json",
    "out.txt",
    "out.csv",
    "out.backup",
    "sub/dir/out.png",
    "existing.txt",
    "garbage.png",
    "garbage.yaml",
    "deep.json",
    "anchors.yaml",
    "answers.yaml",
    "photos",
    ".",
    "",
    "/dev/full",
    "/dev/null",
    "/nonexistent/x.png",
    "a" * 300 + ".png",
]

DATE_WORDS = ("date", "_on", "expiry", "onset", "first_session", "_at")


def _leaf_commands() -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command that runs something, with its path; a group that runs on its own too."""

    def walk(command: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Any]]:
        subcommands = getattr(command, "commands", None)
        if subcommands is None:
            yield path, command
            return
        if path and getattr(command, "invoke_without_command", False):
            yield path, command
        for name, sub in subcommands.items():
            yield from walk(sub, (*path, name))

    yield from walk(typer.main.get_command(app), ())


COMMANDS = [(path, command) for path, command in _leaf_commands() if path not in SKIPPED]


def _scalar(annotation: Any, name: str) -> st.SearchStrategy[str]:
    hostile = st.sampled_from(HOSTILE)
    if annotation is int:
        return st.one_of(st.integers(-2, 6).map(str), st.sampled_from(NUMBERS), hostile)
    if annotation is float:
        finite = st.floats(-5, 5, allow_nan=False).map(lambda x: f"{x:.3g}")
        return st.one_of(finite, st.sampled_from(NUMBERS), hostile)
    if annotation is Path:
        return st.one_of(st.sampled_from(PATHS), hostile)
    if any(word in name for word in DATE_WORDS):
        return st.one_of(st.sampled_from(DATES), hostile, st.text(max_size=12))
    return st.one_of(st.sampled_from(WORDS), hostile, st.text(max_size=20))


def _draw_arguments(data: st.DataObject, command: Any) -> list[str]:
    """One command line: each option included or not, each argument always, in random order."""
    options: list[list[str]] = []
    arguments: list[str] = []
    for param in command.params:
        annotation = param.type_descriptor.annotation
        is_list = get_origin(annotation) is list
        element = get_args(annotation)[0] if is_list else annotation
        if param.param_type_name == "argument":
            count = data.draw(st.integers(0, 2)) if param.nargs == -1 else 1
            values = [data.draw(_scalar(element, param.name)) for _ in range(count)]
            arguments.extend(values)
            continue
        flag = param.opts[0]
        if param.is_flag:
            if data.draw(st.booleans()):
                options.append([flag])
            continue
        if not param.required and not data.draw(st.booleans()):
            continue
        repeats = data.draw(st.integers(1, 2)) if is_list else 1
        for _ in range(repeats):
            options.append([flag, data.draw(_scalar(element, param.name))])
    order = data.draw(st.permutations(range(len(options)))) if options else []
    line: list[str] = []
    for index in order:
        line.extend(options[index])
    if arguments:
        line.append("--")
        line.extend(arguments)
    return line


def _database_state(url: str) -> str:
    """A digest of every row of every table, in primary-key order."""
    db = Database.from_url(url)
    digest = hashlib.sha256()
    try:
        with db.engine.connect() as connection:
            for table in Base.metadata.sorted_tables:
                order = list(table.primary_key.columns) or list(table.columns)
                for row in connection.execute(select(table).order_by(*order)):
                    digest.update(repr(tuple(row)).encode())
                digest.update(b"|")
    finally:
        db.dispose()
    return digest.hexdigest()


def _files_state(root: Path) -> dict[str, str]:
    """Every file under the test folder with the hash of its content (the SQLite file aside)."""
    state: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.name.startswith("clinic.sqlite3"):
            state[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
        elif path.is_dir():
            state[str(path.relative_to(root)) + "/"] = ""
    return state


def _write_inputs(folder: Path) -> None:
    """Files a draw may name: an existing output, garbage, a nested document, YAML anchors."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "existing.txt").write_text("keep me\n")
    (folder / "garbage.png").write_bytes(os.urandom(512))
    (folder / "garbage.yaml").write_text("patients: [1, {code: }\n")
    (folder / "deep.json").write_text("[" * 600 + "]" * 600)
    names = "abcdefghij"
    lines = [f"a: &a [{', '.join(['x'] * 9)}]"]
    lines += [f"{n}: &{n} [{', '.join(['*' + p] * 9)}]" for p, n in itertools.pairwise(names)]
    (folder / "anchors.yaml").write_text("\n".join(lines) + "\n")
    (folder / "answers.yaml").write_text("recent_retinoids: true\n")


@pytest.fixture
def fuzz_clinic(
    clinic: Callable[..., Any],
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Callable[..., Any], str, Path]:
    """The test clinic with a plan, working in a folder of the test's own."""
    clinic(*shlex.split(PLAN_CREATE))
    work = tmp_path / "work"
    _write_inputs(work)
    monkeypatch.chdir(work)
    assert CLINIC_SETUP  # the clinic fixture ran these
    return clinic, database_url, tmp_path


@pytest.mark.parametrize(
    ("path", "command"), COMMANDS, ids=[" ".join(path) for path, _ in COMMANDS]
)
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_command_exits_cleanly_and_refusals_change_nothing(
    fuzz_clinic: tuple[Callable[..., Any], str, Path],
    path: tuple[str, ...],
    command: Any,
    data: st.DataObject,
) -> None:
    cli, url, root = fuzz_clinic
    user = data.draw(st.one_of(st.none(), st.sampled_from(HOSTILE[2:8])))
    prefix = ["--user", user] if user is not None else []
    line = [*prefix, *path, *_draw_arguments(data, command)]
    before = (_database_state(url), _files_state(root))
    result = cli(*line)
    shown = " ".join(shlex.quote(part[:60]) for part in line)
    assert result.exit_code in (0, 2), f"{shown}\nexit {result.exit_code}\n{result.output}"
    if result.exception is not None:
        assert isinstance(result.exception, SystemExit), f"{shown}\n{result.exception!r}"
    assert "Traceback" not in result.output, f"{shown}\n{result.output}"
    for device in ("/dev/null", "/dev/full"):  # drawn as paths: never replaced, even as root
        assert stat.S_ISCHR(os.stat(device).st_mode), f"{shown}: {device} is no longer a device"
    if result.exit_code == 2:
        after = (_database_state(url), _files_state(root))
        assert after[0] == before[0], f"{shown}: refused, yet the database changed"
        assert after[1] == before[1], f"{shown}: refused, yet files changed"
