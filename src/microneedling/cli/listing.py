"""Long listings (patients, the audit log) as aligned plain text, fast for thousands of rows.

Rich lays a table out cell by cell: 10,000 audit entries take many seconds. A listing is one
header, a rule and one line per row, columns padded to their widest cell (in terminal cells, so
wide characters align). Values are shown exactly as ``cli.output.visible`` shows them: no markup is
read (nothing is parsed as markup here at all) and control characters appear as escapes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

import typer
from rich.cells import cell_len

from microneedling.cli.output import visible

GAP = "  "
# What json.dumps(ensure_ascii=False) leaves raw that a terminal would act on (as cli.output).
_JSON_RAW = re.compile(r"[\x7f-\x9f\ud800-\udfff]")
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)  # no indent: the C encoder


def _width(text: str) -> int:
    return len(text) if text.isascii() else cell_len(text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _cell(value: Any) -> str:
    """``visible(value, one_line=True)``, skipping the escaping where nothing needs it."""
    if type(value) is str and value.isprintable():  # no control character, no line break
        return value
    if type(value) is int:
        return str(value)
    return visible(value, one_line=True)


def render_listing(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """The listing as text: title, header, rule, rows (no trailing spaces)."""
    header = [visible(c, one_line=True) for c in columns]
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [_width(h) for h in header]
    for row in cells:
        for i, cell in enumerate(row):
            width = _width(cell)
            if width > widths[i]:
                widths[i] = width
    last = len(widths) - 1

    def line(values: Sequence[str]) -> str:
        return GAP.join(v if i == last else _pad(v, widths[i]) for i, v in enumerate(values))

    lines = [visible(title, one_line=True), line(header), GAP.join("─" * w for w in widths)]
    lines.extend(line(row) for row in cells)
    return "\n".join(lines)


def listing(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Print a long listing (see ``render_listing``)."""
    typer.echo(render_listing(title, columns, rows))


def render_json_rows(rows: Sequence[dict[str, Any]]) -> str:
    """A JSON array with one row per line: the same document as ``print_json`` prints, written
    by the C encoder (``indent`` makes Python's encoder run, several times slower)."""
    if not rows:
        return "[]"
    text = "[\n  " + ",\n  ".join(_ENCODER.encode(row) for row in rows) + "\n]"
    if text.isascii():  # nothing to escape (the usual case, checked in C)
        return text
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def print_json_rows(rows: Sequence[dict[str, Any]]) -> None:
    """Print a long list of rows as JSON (see ``render_json_rows``)."""
    typer.echo(render_json_rows(rows))
