"""Benchmark cohort analysis on Dask: photos per second with 1 and 2 workers (`make bench`).

A synthetic cohort (cohort/synthetic.py, 1024 px photos, no bad ones) of 40 photos is generated,
and copied to 500+ photos that each differ in exposure by a fraction of a percent (so each has
its own pixels, its own key, and is measured in full). The same manifest is then analysed by a
LocalCluster of 1 and of 2 workers, one thread each with OpenCV/BLAS threads pinned to one, into a
fresh results folder each time. Printed: photos per second (after the workers started), the
scaling ratio from 1 to 2 workers (target >= 1.8x), the peak resident memory of each worker, and
the CPU time per photo measured on the workers (``time.process_time``). On a machine shared with
other work the wall-clock figures (and so the ratio) fall, while the CPU time per photo does not:
photos/s on N free cores is about N / (CPU time per photo).

    python benchmarks/bench_cohort.py [--photos 520] [--workers 1 2 4]
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import cv2

from microneedling.analysis import perturb
from microneedling.cohort.manifest import load_manifest, write_manifest
from microneedling.cohort.runner import PIN_THREADS_ENV, run_cohort
from microneedling.cohort.synthetic import CohortPlan, make_cohort


def peak_rss_mb() -> float:
    """Peak resident memory of this process, MB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(folder: Path, photos: int) -> Path:
    """A manifest of ``photos`` distinct photos made from a 40-photo synthetic cohort."""
    base = make_cohort(CohortPlan(patients=20, visits=2, bad_share=0.0, seed=7), folder / "base")
    rows = []
    copies = -(-photos // len(base.rows))
    for copy in range(copies):
        for row in base.rows:
            if len(rows) == photos:
                break
            path = folder / f"c{copy:03d}-{row.photo.name}"
            if copy == 0:
                path = row.photo
            else:
                rgb = cv2.imread(str(row.photo))[..., ::-1]
                rgb = perturb.brightness(rgb, 1 + 0.002 * copy)
                cv2.imwrite(str(path), rgb[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 92])
            rows.append(
                replace(row, row=len(rows) + 2, patient=f"{row.patient}-{copy:03d}", photo=path)
            )
    manifest = folder / "manifest.csv"
    write_manifest(rows, manifest)
    return manifest


def run(manifest_path: Path, workers: int, out: Path) -> dict[str, float]:
    from distributed import Client, LocalCluster

    manifest = load_manifest(manifest_path)
    with (
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            env=dict(PIN_THREADS_ENV),
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        client.wait_for_workers(workers)
        start = time.perf_counter()
        summary = run_cohort(manifest, out, scheduler=cluster.scheduler_address)
        wall = time.perf_counter() - start
        memory = list(client.run(peak_rss_mb).values())
    cpu = [o.cpu_s for o in summary.outcomes if o.status == "analysed"]
    return {
        "photos": len(summary.outcomes),
        "analysed": len(cpu),
        "wall_s": wall,
        "photos_per_s": len(summary.outcomes) / wall,
        "cpu_per_photo_s": statistics.mean(cpu) if cpu else float("nan"),
        "peak_worker_mb": max(memory),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=520)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    for name, value in PIN_THREADS_ENV.items():
        os.environ.setdefault(name, value)
    with tempfile.TemporaryDirectory(prefix="bench-cohort-") as temp:
        folder = Path(temp)
        start = time.perf_counter()
        manifest = build(folder, args.photos)
        print(
            f"cohort: {args.photos} photos of 1024 px made in {time.perf_counter() - start:.0f} s"
        )
        print(
            f"{'workers':>7} {'photos':>6} {'wall s':>7} {'photos/s':>8} {'CPU s/photo':>11} "
            f"{'peak MB/worker':>14} {'scaling':>7}"
        )
        first: float | None = None
        for workers in args.workers:
            result = run(manifest, workers, folder / f"out-{workers}")
            first = first or result["photos_per_s"]
            print(
                f"{workers:>7} {result['photos']:>6.0f} {result['wall_s']:>7.1f} "
                f"{result['photos_per_s']:>8.2f} {result['cpu_per_photo_s']:>11.3f} "
                f"{result['peak_worker_mb']:>14.0f} {result['photos_per_s'] / first:>6.2f}x"
            )
        print("target: >= 1.8x from 1 to 2 workers on two free cores (issue 13)")


if __name__ == "__main__":
    main()
