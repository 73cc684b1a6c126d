"""Print results as readable tables, or as JSON for scripts."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

console = Console(highlight=False)

JsonOption = typer.Option(False, "--json", help="Print machine-readable JSON instead of tables.")


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def table(title: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    grid = Table(title=title, title_justify="left", show_lines=False)
    for i, column in enumerate(columns):
        grid.add_column(column, no_wrap=i == 0)
    for row in rows:
        grid.add_row(*("" if v is None else str(v) for v in row))
    console.print(grid)


def fields(title: str, data: dict[str, Any], keys: Sequence[str]) -> None:
    grid = Table(title=title, title_justify="left", show_header=False)
    grid.add_column("field", style="bold")
    grid.add_column("value")
    for key in keys:
        value = data.get(key)
        grid.add_row(key, "" if value is None else str(value))
    console.print(grid)


def warnings(items: Sequence[str]) -> None:
    for item in items:
        console.print(f"[yellow]warning:[/yellow] {item}")


def panel(text: str, title: str) -> None:
    console.print(Panel(text, title=title, expand=False))


def message(text: str) -> None:
    console.print(text)
