"""The Dask runner: a killed client resumes where it stopped, a killed worker loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from distributed import Client, LocalCluster

from microneedling.cohort.manifest import Manifest, ManifestRow, load_manifest, write_manifest
from microneedling.cohort.results import PARTS
from microneedling.cohort.runner import PIN_THREADS_ENV, Outcome, run_cohort
from tests.cohort.conftest import Measured

CLI = "from microneedling.cli.main import main; main()"


def _subset(measured: Measured, patients: int, folder: Path) -> Manifest:
    """The first ``patients`` patients of the measured cohort (bad photos included)."""
    codes = sorted({r.patient for r in measured.manifest.rows})[:patients]
    rows = [r for r in measured.manifest.rows if r.patient in codes]
    folder.mkdir(parents=True, exist_ok=True)
    write_manifest(rows, folder / "manifest.csv")
    return load_manifest(folder / "manifest.csv")


def _parts(out: Path) -> list[Path]:
    return sorted((out / PARTS).glob("*/*.json"))


def _same_as_uninterrupted(
    measured: Measured, results: Path, rows: tuple[ManifestRow, ...]
) -> None:
    photos = {str(r.photo) for r in rows}
    expected = measured.results[measured.results["photo"].isin(photos)].reset_index(drop=True)
    pd.testing.assert_frame_equal(pd.read_parquet(results), expected)


def test_a_killed_client_resumes_and_ends_as_an_uninterrupted_run(
    measured_cohort: Measured, tmp_path: Path
) -> None:
    manifest = _subset(measured_cohort, 5, tmp_path / "in")
    out = tmp_path / "out"
    command = [sys.executable, "-c", CLI, "cohort", "analyze", str(tmp_path / "in/manifest.csv")]
    process = subprocess.Popen(
        [*command, "--out", str(out), "--workers", "1", "--json"],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 240
    while len(_parts(out)) < 2 and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the client and its workers, mid-run
    process.wait()
    written = {p.name: p.read_bytes() for p in _parts(out)}
    assert 2 <= len(written) < len(manifest.rows)

    run = run_cohort(manifest, out, workers=0)
    assert run.count("cached") == len(written)  # nothing written was lost or redone
    assert run.count("analysed") + run.count("failed") == len(manifest.rows) - len(written)
    assert {p.name: p.read_bytes() for p in _parts(out) if p.name in written} == written
    _same_as_uninterrupted(measured_cohort, run.results, manifest.rows)
    again = run_cohort(manifest, out, workers=0)  # idempotent: nothing left to do
    assert again.count("cached") == len(manifest.rows)


def test_a_worker_killed_mid_run_loses_nothing(measured_cohort: Measured, tmp_path: Path) -> None:
    manifest = _subset(measured_cohort, 3, tmp_path / "in")
    out = tmp_path / "out"
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            env=dict(PIN_THREADS_ENV),
        ) as cluster,
        Client(cluster) as client,
    ):
        pids = list(client.run(os.getpid).values())
        killed: list[int] = []

        def kill_one(outcome: Outcome, done: int, total: int) -> None:
            if not killed:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])

        run = run_cohort(manifest, out, scheduler=cluster.scheduler_address, progress=kill_one)
    assert killed
    statuses = [o.status for o in run.outcomes]
    assert len(statuses) == len(manifest.rows)
    # rescheduled on the other (or the restarted) worker: every photo has its record
    assert "lost" not in statuses
    assert len(_parts(out)) == len({o.key for o in run.outcomes})
    _same_as_uninterrupted(measured_cohort, run.results, manifest.rows)
