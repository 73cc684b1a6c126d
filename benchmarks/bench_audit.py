"""Audit chain figures: appending entries and verifying a chain of 100,000 entries.

Run ``python benchmarks/bench_audit.py`` (``make bench``). SQLite always; PostgreSQL too when
MICRONEEDLING_TEST_POSTGRES_URL names a database that may be emptied.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

from microneedling.core.parsing import utcnow
from microneedling.records import audit_chain
from microneedling.records.database import Database

N_ENTRIES = 100_000
BATCH = 1_000


def entries(start: int) -> list[dict[str, object]]:
    now = utcnow()
    return [
        {
            "at": now,
            "actor": "bench",
            "action": "create",
            "entity": "patient",
            "entity_id": start + i,
            "changes": {"code": f"B-{start + i:06d}", "birth_year": 1980, "fitzpatrick": "III"},
        }
        for i in range(BATCH)
    ]


def run(db: Database, label: str) -> None:
    started = time.perf_counter()
    for start in range(0, N_ENTRIES, BATCH):
        with db.engine.begin() as connection:
            audit_chain.append(connection, entries(start))
    append_s = time.perf_counter() - started
    started = time.perf_counter()
    with db.engine.connect() as connection:
        result = audit_chain.verify(connection)
    verify_s = time.perf_counter() - started
    assert result.ok and result.entries == N_ENTRIES, result.problems
    print(
        f"{label:<10} append {N_ENTRIES:,} entries in batches of {BATCH:,}: {append_s:6.1f} s "
        f"({append_s / N_ENTRIES * 1e6:5.0f} µs/entry); verify: {verify_s:5.2f} s"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = Database.from_url(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        db.upgrade()
        run(db, "SQLite")
        db.dispose()
    url = os.environ.get("MICRONEEDLING_TEST_POSTGRES_URL")
    if url:
        db = Database.from_url(url)
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        db.upgrade()
        run(db, "PostgreSQL")
        db.dispose()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
