"""Print results as readable tables, or as JSON for scripts.

Output is never code: every value that may come from a user or the database (a device model, a
rater, a note, a file name, the acting user) is printed as text. Rich would read ``[bold]`` or
``[/x]`` in a plain string as markup (and fail on the second), so values go into ``rich.text.Text``
objects, which Rich never parses; and control characters (ANSI escapes, carriage returns) in old
stored data are shown as ``\\x1b``-style escapes instead of being sent to the terminal. Styling is
only ever applied by this module's own arguments (``style=``), never by the text itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

console = Console(highlight=False)

JsonOption = typer.Option(False, "--json", help="Print machine-readable JSON instead of tables.")

# Characters a terminal acts on instead of showing: C0 and C1 controls, DEL, lone surrogates.
_HIDDEN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
# The same, but also newline and tab, for cells and titles that must stay one line.
_HIDDEN_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
# What json.dumps(ensure_ascii=False) leaves raw that a terminal would act on (C0 is escaped).
_JSON_RAW = re.compile(r"[\x7f-\x9f\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}"


def _plain(value: Any) -> str:
    """A cell's text: a mapping as ``key=value, ...``, a list as ``a, b``, nothing as ``""``.

    (``str`` of a dict would show Python's repr, quoting and escaping what the user typed.)
    """
    if value is None:
        return ""
    if isinstance(value, dict):
        return ", ".join(f"{key}={_plain(item)}" for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(_plain(item) for item in value)
    return str(value)


def visible(value: Any, *, one_line: bool = False) -> str:
    """``value`` as text with every control character shown as an escape (``\\x1b``).

    Newlines and tabs are kept unless ``one_line``. Markup is not touched here: it is harmless
    once the text is printed as a ``Text`` (``as_text``).
    """
    text = _plain(value)
    pattern = _HIDDEN_ONE_LINE if one_line else _HIDDEN
    return pattern.sub(_escape, text)


def as_text(value: Any, style: str = "", *, one_line: bool = False) -> Text:
    """A Rich ``Text`` showing ``value`` literally: no markup, no emoji codes, no controls."""
    return Text(visible(value, one_line=one_line), style=style)


def styled(*parts: str | tuple[str, str]) -> Text:
    """One line from plain parts and ``(text, style)`` pairs, e.g. ``("warning:", "yellow")``."""
    line = Text()
    for part in parts:
        text, style = (part, "") if isinstance(part, str) else part
        line.append(visible(text), style=style)
    return line


def print_json(data: Any) -> None:
    """JSON for scripts; C1 controls and lone surrogates are written as ``\\u`` escapes."""
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    typer.echo(_JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text))


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    grid = Table(title=as_text(title, one_line=True), title_justify="left", show_lines=False)
    for i, column in enumerate(columns):
        grid.add_column(as_text(column, one_line=True), no_wrap=i == 0)
    for row in rows:
        grid.add_row(*(as_text(v) for v in row))
    console.print(grid)


def fields(title: str, data: dict[str, Any], keys: Sequence[str]) -> None:
    grid = Table(title=as_text(title, one_line=True), title_justify="left", show_header=False)
    grid.add_column("field", style="bold")
    grid.add_column("value")
    for key in keys:
        grid.add_row(as_text(key), as_text(data.get(key)))
    console.print(grid)


def warnings(items: Sequence[str]) -> None:
    for item in items:
        console.print(styled(("warning:", "yellow"), " ", item))


def panel(text: str, title: str) -> None:
    console.print(Panel(as_text(text), title=as_text(title, one_line=True), expand=False))


def message(text: str | Text, style: str = "") -> None:
    """Print one message as text (a ``Text`` from ``styled`` keeps its own styles)."""
    console.print(text if isinstance(text, Text) else as_text(text, style))
