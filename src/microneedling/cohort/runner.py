"""Analyse a cohort's photos as Dask tasks, resumably, and compact the results to Parquet.

Each photo is one task: the worker reads and decodes the file itself (images never travel from
the client), keys it by its pixels and the analysis version, and measures it with
``services.photos.measure_photo`` (the same code as ``microneedling analyze``) unless a record of
that key is already on disk. Its record is written the moment it finishes (results.py). A photo
that cannot be measured is recorded with its reason; the others go on. Workers run one thread each
with OpenCV's and the BLAS libraries' threads pinned to one, and load the face-landmark models once
(they are cached per process; the worker plugin loads them when the worker starts).

References
----------
Dask Development Team, "Dask: Library for dynamic task scheduling", 2016, https://dask.org
(``distributed.LocalCluster``, ``Client.submit``, ``as_completed``, worker plugins).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from microneedling.cohort.manifest import Manifest, ManifestRow
from microneedling.cohort.results import (
    FAILED,
    MEASURED,
    Outcome,
    analysis_version,
    failure_key,
    index_parts,
    photo_key,
    read_part,
    source_id,
    table_rows,
    write_part,
)
from microneedling.core.errors import MicroneedlingError, ValidationError

__all__ = [
    "PIN_THREADS_ENV",
    "RunSummary",
    "compact",
    "default_workers",
    "measure_row",
    "run_cohort",
]

# set in each worker's environment before NumPy/OpenCV load: one thread per worker
PIN_THREADS_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENCV_FOR_THREADS_NUM": "1",
    "MALLOC_TRIM_THRESHOLD_": "65536",
}
WORKER_MEMORY_BYTES = 1_500_000_000  # one photo at 24 MP with its working arrays, and headroom
RESULTS_FILE = "results.parquet"
Progress = Callable[[Outcome, int, int], None]


def default_workers() -> int:
    """As many workers as cores, but no more than the memory holds at WORKER_MEMORY_BYTES each."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        memory = WORKER_MEMORY_BYTES * (cores or 1)
    return max(1, min(cores or 1, memory // WORKER_MEMORY_BYTES))


def pin_threads() -> None:
    """One compute thread in this process: OpenCV's pool off (the BLAS pools are set by env)."""
    import cv2

    cv2.setNumThreads(1)
    for name, value in PIN_THREADS_ENV.items():
        os.environ.setdefault(name, value)


def warm_up() -> str:
    """Load the face-detection model in this process (cached for every later photo)."""
    import numpy as np

    from microneedling.analysis.landmarks import detect_faces

    pin_threads()
    detect_faces(np.zeros((128, 128, 3), dtype=np.uint8))
    return analysis_version()


def measure_row(row: dict[str, Any], out_dir: str, version: str) -> dict[str, Any]:
    """The task: measure one manifest row's photo, or find its record; write the record.

    Returns the row number, the key, the status (analysed, cached or failed with a reason) and
    the CPU seconds it took. Runs on a worker; reads the file there.
    """
    start = time.process_time()
    result = _measure_row(row, out_dir, version)
    return result | {"cpu_s": time.process_time() - start}


def _measure_row(row: dict[str, Any], out_dir: str, version: str) -> dict[str, Any]:
    from microneedling.analysis.images import MAX_FILE_BYTES, analysis_ipd_px, decode_photo
    from microneedling.core.data import read_file_bytes
    from microneedling.services.photos import measure_photo

    pin_threads()
    out = Path(out_dir)
    path = Path(row["photo"])
    number = int(row["row"])
    field = str(path)  # the reason names the file, the same whichever manifest lists it
    try:
        source = source_id(path)
        data = read_file_bytes(path, field, max_bytes=MAX_FILE_BYTES)
    except (OSError, MicroneedlingError) as exc:
        return {"row": number, "key": None, "status": FAILED, "reason": str(exc)}
    record: dict[str, Any] = {"version": version, "source": source, "view": row["view"]}
    try:
        decoded = decode_photo(data, field, reduce_to_ipd_px=analysis_ipd_px())
    except MicroneedlingError as exc:
        key = failure_key(data, version)
        write_part(out, key, record | {"key": key, "status": FAILED, "reason": str(exc)})
        return {"row": number, "key": key, "status": FAILED, "reason": str(exc)}
    key = photo_key(decoded.rgb, version)
    found = read_part(out, key)
    if found is not None and found.get("version") == version:
        if found.get("source") != source:  # the same pixels from another file: note where
            write_part(out, key, found | {"source": source})
        return {"row": number, "key": key, "status": "cached", "reason": found.get("reason", "")}
    try:
        measured = measure_photo(path, view=row["view"])
    except MicroneedlingError as exc:
        write_part(out, key, record | {"key": key, "status": FAILED, "reason": str(exc)})
        return {"row": number, "key": key, "status": FAILED, "reason": str(exc)}
    summary = {k: v for k, v in measured.summary.items() if k != "timings_s"}
    write_part(out, key, record | {"key": key, "status": MEASURED, "summary": summary})
    return {"row": number, "key": key, "status": "analysed", "reason": ""}


@dataclass(frozen=True)
class RunSummary:
    out_dir: Path
    version: str
    outcomes: tuple[Outcome, ...]
    results: Path

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def as_dict(self) -> dict[str, Any]:
        return {
            "results": str(self.results),
            "analysis_version": self.version,
            "photos": len(self.outcomes),
            **{s: self.count(s) for s in ("analysed", "cached", FAILED, "lost")},
            "failures": [
                {"row": o.row, "reason": o.reason}
                for o in self.outcomes
                if o.status in (FAILED, "lost")
            ],
        }


def _outcome(result: dict[str, Any]) -> Outcome:
    return Outcome(
        result["row"],
        result["key"],
        result["status"],
        result.get("reason", ""),
        float(result.get("cpu_s", 0.0)),
    )


def _run_inline(
    rows: Sequence[ManifestRow], out_dir: Path, version: str, progress: Progress | None
) -> list[Outcome]:
    outcomes = []
    for done, row in enumerate(rows, start=1):
        outcome = _outcome(measure_row(row.as_dict(), str(out_dir), version))
        outcomes.append(outcome)
        if progress is not None:
            progress(outcome, done, len(rows))
    return outcomes


def _client(scheduler: str | None, workers: int) -> tuple[Any, Any]:
    """A client of the given scheduler, or of a new LocalCluster of ``workers`` processes."""
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            return Client(scheduler, timeout="20s"), None  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError) as exc:
            raise ValidationError("scheduler", f"cannot reach {scheduler}: {exc}") from None
    cluster = LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        memory_limit=WORKER_MEMORY_BYTES,
        dashboard_address=None,
        env=dict(PIN_THREADS_ENV),
        silence_logs=logging.ERROR,  # not the workers' start and stop chatter
    )
    return Client(cluster), cluster  # type: ignore[no-untyped-call]


def _run_dask(
    rows: Sequence[ManifestRow],
    out_dir: Path,
    version: str,
    scheduler: str | None,
    workers: int,
    progress: Progress | None,
) -> list[Outcome]:
    from distributed import as_completed

    from microneedling.cohort.plugin import WarmUp

    client, cluster = _client(scheduler, workers)
    try:
        client.register_plugin(WarmUp())
        futures = {}
        for row in rows:
            future = client.submit(
                measure_row,
                row.as_dict(),
                str(out_dir),
                version,
                key=f"measure-{version[:24]}-{row.row}-{row.photo.name}",
                pure=False,
            )
            futures[future] = row
        outcomes = []
        finished = as_completed(futures)  # type: ignore[no-untyped-call]
        for done, future in enumerate(finished, start=1):
            row = futures[future]
            try:
                outcome = _outcome(future.result())
            except Exception as exc:
                outcome = Outcome(row.row, None, "lost", f"{type(exc).__name__}: {exc}")
            outcomes.append(outcome)
            if progress is not None:
                progress(outcome, done, len(rows))
        return outcomes
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def run_cohort(
    manifest: Manifest,
    out_dir: Path,
    *,
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> RunSummary:
    """Measure every photo of the manifest not yet measured into ``out_dir``, then compact.

    ``scheduler`` is the address of an existing Dask scheduler; otherwise a LocalCluster of
    ``workers`` processes (default: sized to the machine) is started; ``workers=0`` measures in
    this process. Photos whose records are on disk (same file, same analysis version) are not
    submitted again, and a task finds a record made from the same pixels by another file.
    """
    if workers is not None and workers < 0:
        raise ValidationError("workers", f"{workers} must be 0 or more")
    version = analysis_version()
    out_dir.mkdir(parents=True, exist_ok=True)
    index = index_parts(out_dir, version)
    done: list[Outcome] = []
    todo: list[ManifestRow] = []
    for row in manifest.rows:
        try:
            key = index.get(source_id(row.photo))
        except OSError:
            key = None
        if key is not None:
            done.append(Outcome(row.row, key, "cached"))
        else:
            todo.append(row)
    if progress is not None:
        for number, outcome in enumerate(done, start=1):
            progress(outcome, number, len(manifest.rows))

    def shifted(outcome: Outcome, number: int, total: int) -> None:
        if progress is not None:
            progress(outcome, number + len(done), total + len(done))

    if not todo:
        ran: list[Outcome] = []
    elif scheduler is None and workers == 0:
        ran = _run_inline(todo, out_dir, version, shifted)
    else:
        count = workers or default_workers()
        ran = _run_dask(todo, out_dir, version, scheduler, count, shifted)
    outcomes = sorted(done + ran, key=lambda o: o.row)
    results = compact(manifest, outcomes, out_dir)
    return RunSummary(out_dir, version, tuple(outcomes), results)


def compact(manifest: Manifest, outcomes: Sequence[Outcome], out_dir: Path) -> Path:
    """Write the long table of every row's record to ``results.parquet`` (atomically)."""
    import pandas as pd

    from microneedling.cohort.results import RESULT_COLUMNS

    by_row = {o.row: o for o in outcomes}
    baselines: dict[str, ManifestRow] = {}
    for row in manifest.rows:
        if row.patient not in baselines or row.date < baselines[row.patient].date:
            baselines[row.patient] = row
    records: list[dict[str, Any]] = []
    for row in manifest.rows:
        outcome = by_row.get(row.row)
        record = read_part(out_dir, outcome.key) if outcome and outcome.key else None
        reason = outcome.reason if outcome else "not run"
        records.extend(table_rows(row, baselines[row.patient], record, reason))
    frame = pd.DataFrame.from_records(records, columns=list(RESULT_COLUMNS))
    for column in ("session", "birth_year"):
        frame[column] = frame[column].astype("Int64")
    frame["value"] = frame["value"].astype("float64")
    path = out_dir / RESULTS_FILE
    temp = out_dir / f".{RESULTS_FILE}.partial"
    frame.to_parquet(temp, index=False)
    os.replace(temp, path)
    return path
