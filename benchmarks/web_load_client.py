"""The load client of ``bench_web.py``, run in its own process: log in, then send requests.

    python benchmarks/web_load_client.py BASE_URL USER PASSWORD TOKEN REQUESTS CONCURRENCY PATH...

Logs in through the log-in form (a browser's cookie session), then sends REQUESTS requests in
all, CONCURRENCY at a time, cycling through the PATHs (``/api/...`` with the API token, pages with
the session cookie). Prints one JSON object: per path the latencies in milliseconds and the
status codes, and the wall time.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor

import httpx

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def log_in(base_url: str, username: str, password: str) -> httpx.Cookies:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        page = client.get("/login")
        found = CSRF.search(page.text)
        if found is None:
            raise SystemExit("the log-in page has no CSRF field")
        response = client.post(
            "/login",
            data={"username": username, "password": password, "csrf_token": found.group(1)},
        )
        if response.status_code != 303:
            raise SystemExit(f"log-in failed: {response.status_code} {response.text[:200]}")
        return client.cookies


def main(argv: list[str]) -> None:
    base_url, username, password, token = argv[:4]
    total, concurrency = int(argv[4]), int(argv[5])
    paths = argv[6:]
    cookies = log_in(base_url, username, password)
    local = threading.local()

    def client() -> httpx.Client:
        if not hasattr(local, "client"):
            local.client = httpx.Client(base_url=base_url, cookies=cookies, timeout=60)
        return local.client  # type: ignore[no-any-return]

    def one(index: int) -> tuple[str, float, int]:
        path = paths[index % len(paths)]
        headers = {"Authorization": f"Bearer {token}"} if path.startswith("/api/") else {}
        started = time.perf_counter()
        response = client().get(path, headers=headers)
        response.read()
        return path, (time.perf_counter() - started) * 1000.0, response.status_code

    latencies: dict[str, list[float]] = defaultdict(list)
    statuses: dict[str, Counter[int]] = defaultdict(Counter)
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for path, ms, status in pool.map(one, range(total)):
            latencies[path].append(ms)
            statuses[path][status] += 1
    wall_s = time.perf_counter() - started
    print(
        json.dumps(
            {
                "wall_s": wall_s,
                "requests": total,
                "latencies_ms": latencies,
                "statuses": {p: dict(c) for p, c in statuses.items()},
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
