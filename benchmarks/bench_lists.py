"""List figures: ``patients list`` of 5,000 patients, ``audit --limit 10000``, and CLI start-up.

Run ``python benchmarks/bench_lists.py`` (``make bench``). The lists are timed in-process through
the Typer app, as a user runs them (opening the database, querying, rendering), pinned to one
core where the platform allows; the start-up time is ``microneedling --help`` in a subprocess.
The goal is under 0.5 s for each list on one core.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import insert
from typer.testing import CliRunner

from microneedling.cli.main import app
from microneedling.core.parsing import utcnow
from microneedling.records import audit_chain, models
from microneedling.records.database import DATABASE_URL_ENV, Database

N_PATIENTS = 5_000
N_AUDIT = 10_000
REPEATS = 5


def populate(db: Database) -> None:
    """5,000 patients and 10,000 audit entries (one per patient created, and as many reads)."""
    now = utcnow()
    patients = [
        {
            "code": f"MN-{i:05d}",
            "birth_year": 1950 + i % 50,
            "fitzpatrick": ("I", "II", "III", "IV", "V", "VI")[i % 6],
            "history": {"acne": "resolved"} if i % 3 == 0 else {},
            "created_at": now,
        }
        for i in range(N_PATIENTS)
    ]
    entries = [
        {
            "at": now,
            "actor": "bench",
            "action": "create" if i < N_PATIENTS else "read",
            "entity": "patient",
            "entity_id": i % N_PATIENTS + 1,
            "changes": {"code": f"MN-{i % N_PATIENTS:05d}", "birth_year": 1980},
        }
        for i in range(N_AUDIT)
    ]
    with db.engine.begin() as connection:
        connection.execute(insert(models.Patient), patients)
        audit_chain.append(connection, entries)


def best_of(action: Callable[[], object], repeats: int = REPEATS) -> float:
    """The fastest of ``repeats`` runs, in seconds (the others waited for a shared core)."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def cli_timing(runner: CliRunner, *args: str) -> float:
    def once() -> None:
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, result.output

    once()  # imports and caches warmed, as in a long-running process
    return best_of(once)


def startup_seconds() -> float:
    command = [sys.executable, "-m", "microneedling.cli.main", "--help"]
    script = Path(sys.executable).with_name("microneedling")
    if script.exists():
        command = [str(script), "--help"]

    def once() -> None:
        subprocess.run(command, check=True, capture_output=True)

    return best_of(once, 3)


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'lists.sqlite3'}"
        db = Database.from_url(url)
        db.upgrade()
        populate(db)
        db.dispose()
        os.environ[DATABASE_URL_ENV] = url
        runner = CliRunner()
        figures = {
            f"patients list (first page), {N_PATIENTS:,} patients": ("patients", "list"),
            f"patients list --limit {N_PATIENTS}, table": (
                "patients",
                "list",
                "--limit",
                str(N_PATIENTS),
            ),
            f"patients list --limit {N_PATIENTS} --json": (
                "patients",
                "list",
                "--limit",
                str(N_PATIENTS),
                "--json",
            ),
            f"audit --limit {N_AUDIT}, table": ("audit", "--limit", str(N_AUDIT)),
            f"audit --limit {N_AUDIT} --json": ("audit", "--limit", str(N_AUDIT), "--json"),
            f"audit --limit 50 --offset {N_AUDIT - 50}": (
                "audit",
                "--limit",
                "50",
                "--offset",
                str(N_AUDIT - 50),
            ),
        }
        for label, args in figures.items():
            print(f"{label:<45} {cli_timing(runner, *args):6.3f} s (in-process, best of {REPEATS})")
    startup = startup_seconds()
    print(f"{'microneedling --help (start-up)':<45} {startup:6.3f} s (subprocess, best of 3)")


if __name__ == "__main__":
    main()
