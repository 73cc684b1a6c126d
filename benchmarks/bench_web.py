"""Web app load figures: p50/p95 per page and requests per second, 4 and 20 requests at a time.

Run ``python benchmarks/bench_web.py`` (``make bench``). A database with the sample clinic
(patient MN-0001 with photos, a plan, a session and a prediction) and 1,000 patients in all is
served by uvicorn in a subprocess; a load client in its own process
(``benchmarks/web_load_client.py``) logs in and sends 500 requests to the main pages and API
(patient list, timeline, plan, trend). SQLite always; PostgreSQL too when
MICRONEEDLING_TEST_POSTGRES_URL names a database that may be emptied.

Target: p95 under 100 ms at 4 at a time for pages that do not analyse photos (the 20 is reported
as measured). Reading a patient's record or trend writes an audit entry (who read it), so those
requests include a committed write.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import text

from microneedling.protocol.knowledge import load_knowledge
from microneedling.records.database import Database
from microneedling.services import accounts, patients
from microneedling.services.demo import run_demo

N_PATIENTS = 1_000
N_REQUESTS = 500
CONCURRENCY = (4, 20)
TARGET_P95_MS = 100.0
USER, PASSWORD = "bench", "benchmark password"
HERE = Path(__file__).parent
PATHS = (
    "/patients",
    "/patients/MN-0001",
    "/plans/1",
    "/patients/MN-0001/trend",
    "/api/v1/patients",
    "/api/v1/patients/MN-0001/timeline",
    "/api/v1/plans/1",
    "/api/v1/patients/MN-0001/trend",
)
SERVER = """
import sys, uvicorn
from microneedling.app import create_app
uvicorn.run(create_app(sys.argv[1]), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def populate(db: Database) -> str:
    """The sample clinic, patients up to ``N_PATIENTS``, an account; returns its API token."""
    db.upgrade()
    run_demo(db, load_knowledge(), actor="bench")
    with db.transaction("bench") as session:
        for number in range(patients.count_patients(session), N_PATIENTS):
            patients.register_patient(
                session,
                code=f"BENCH-{number:05d}",
                birth_year=1950 + number % 50,
                fitzpatrick="III",
            )
        accounts.create_account(session, username=USER, password=PASSWORD, role="clinician")
        token: str = accounts.create_token(session, username=USER, name="bench")["token"]
    return token


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(base_url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with {server.returncode}")
        try:
            if httpx.get(f"{base_url}/login", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("the server did not start within 2 minutes")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def load(base_url: str, token: str, concurrency: int) -> dict[str, object]:
    command = [
        sys.executable,
        str(HERE / "web_load_client.py"),
        base_url,
        USER,
        PASSWORD,
        token,
        str(N_REQUESTS),
        str(concurrency),
        *PATHS,
    ]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    result: dict[str, object] = json.loads(output)
    return result


def report(label: str, concurrency: int, result: dict[str, object]) -> None:
    latencies: dict[str, list[float]] = result["latencies_ms"]  # type: ignore[assignment]
    statuses: dict[str, dict[str, int]] = result["statuses"]  # type: ignore[assignment]
    rate = float(result["requests"]) / float(result["wall_s"])  # type: ignore[arg-type]
    print(f"\n{label}, {concurrency} at a time: {rate:.0f} requests/s")
    print(f"  {'page':<36} {'n':>4} {'p50 ms':>8} {'p95 ms':>8}  statuses")
    for path in PATHS:
        values = latencies.get(path, [])
        if not values:
            continue
        p50, p95 = statistics.median(values), percentile(values, 0.95)
        flag = "" if concurrency != CONCURRENCY[0] or p95 < TARGET_P95_MS else "  (over target)"
        codes = ", ".join(f"{code}×{n}" for code, n in sorted(statuses[path].items()))
        print(f"  {path:<36} {len(values):>4} {p50:>8.1f} {p95:>8.1f}  {codes}{flag}")


def bench(url: str, label: str) -> None:
    db = Database.from_url(url)
    started = time.perf_counter()
    token = populate(db)
    db.dispose()
    print(f"{label}: {N_PATIENTS:,} patients ready in {time.perf_counter() - started:.0f} s")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen([sys.executable, "-c", SERVER, url, str(port)])
    try:
        wait_until_up(base_url, server)
        load(base_url, token, CONCURRENCY[0])  # warm-up: imports, caches, connections
        for concurrency in CONCURRENCY:
            report(label, concurrency, load(base_url, token, concurrency))
    finally:
        server.terminate()
        server.wait(30)


def main() -> None:
    print(
        f"cores: {os.cpu_count()}; "
        f"target: p95 < {TARGET_P95_MS:.0f} ms at {CONCURRENCY[0]} at a time"
    )
    with tempfile.TemporaryDirectory() as folder:
        bench(f"sqlite:///{Path(folder) / 'bench.sqlite3'}", "SQLite")
    url = os.environ.get("MICRONEEDLING_TEST_POSTGRES_URL")
    if url:
        db = Database.from_url(url)
        with db.engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        db.dispose()
        bench(url, "PostgreSQL")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
