"""Benchmark the simulate part and print its figures (`make bench`).

- full face (10 zones), 3 passes of a 16-needle pen: puncture field + injured-area coverage
- the same coverage computed the naive way (wound disks painted one by one), as a ratio
- a 6-session healing course, its p5/p50/p95 interval (Latin hypercube over the parameter
  ranges), and a whole 6-session prediction of one zone with its interval and summary (issue 9:
  under a second in-process)
- a 24 h absorption curve
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from scipy.spatial import cKDTree

from microneedling.core.zones import FacialZone
from microneedling.simulate.absorption import ChannelGeometry, absorption_course, find_topical
from microneedling.simulate.constants import constant
from microneedling.simulate.coverage import (
    injured_fraction,
    injured_fraction_naive,
    poisson_coverage,
    zone_injury,
)
from microneedling.simulate.devices import find_device
from microneedling.simulate.geometry import zone_outlines
from microneedling.simulate.healing import healing_course, healing_interval
from microneedling.simulate.puncture_field import TreatmentSettings, generate_punctures
from microneedling.simulate.treatment import Schedule, simulate_treatment
from microneedling.simulate.uncertainty import DEFAULT_SAMPLES

FACE = [z for z in FacialZone if z is not FacialZone.NECK]
PEN = find_device("Dermapen 4")
SETTINGS = TreatmentSettings(depth_mm=1.0, passes=3, frequency_hz=90, speed_mm_s=150)
RADIUS = constant("channel_width_mm") / 2
OUTLINES = zone_outlines()


CPU_TIMES: list[float] = []
"""The median CPU time (s) of each ``timed`` call, in order: the machine may be shared, and CPU
time (this process, all threads) is what the code itself costs."""


def timed(fn: Callable[[], Any], repeat: int = 7) -> tuple[float, Any]:
    """Median wall time in seconds over ``repeat`` runs (after one warm-up), and the result;
    the median CPU time is appended to ``CPU_TIMES``."""
    result = fn()
    times = []
    cpu = []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    CPU_TIMES.append(statistics.median(cpu))
    return statistics.median(times), result


def field_and_coverage() -> int:
    total = 0
    for zone in FACE:
        outline = OUTLINES[zone]
        field = generate_punctures(PEN, SETTINGS, outline)
        tree = cKDTree(field.xy, balanced_tree=False, compact_nodes=False)
        samples = max(int(20_000 * outline.area_cm2 / 175), 1_000)
        injured_fraction(field.xy, outline, RADIUS, samples=samples, tree=tree)
        poisson_coverage(len(field) / outline.area_mm2, RADIUS)
        total += len(field)
    return total


def field_and_all_metrics() -> int:
    total = 0
    for zone in FACE:
        field = generate_punctures(PEN, SETTINGS, OUTLINES[zone])
        zone_injury(
            field.xy,
            OUTLINES[zone],
            wound_radius_mm=RADIUS,
            safety_spacing_mm=constant("safety_spacing_mm"),
        )
        total += len(field)
    return total


def main() -> None:
    rows: list[tuple[str, str]] = []
    t, punctures = timed(field_and_coverage)
    rows.append(
        (f"full face, 3 passes: field + coverage ({punctures:,} punctures)", f"{t * 1000:.1f} ms")
    )
    t, _ = timed(field_and_all_metrics)
    rows.append(("full face: field + coverage + spacing + overlap", f"{t * 1000:.1f} ms"))

    chin = OUTLINES[FacialZone.CHIN]
    field = generate_punctures(PEN, SETTINGS, chin)
    t_fast, fast = timed(lambda: injured_fraction(field.xy, chin, RADIUS, samples=20_000))
    t_naive, naive = timed(lambda: injured_fraction_naive(field.xy, chin, RADIUS, 0.01), 1)
    rows.append(
        (
            f"chin coverage, vectorised ({len(field):,} punctures): {fast.fraction:.4f}",
            f"{t_fast * 1000:.1f} ms",
        )
    )
    rows.append((f"chin coverage, naive raster loop: {naive:.4f}", f"{t_naive * 1000:.0f} ms"))
    rows.append(("naive / vectorised", f"{t_naive / t_fast:,.0f}x"))

    six = [0.0, 30.0, 60.0, 90.0, 120.0, 150.0]
    t, _ = timed(lambda: healing_course(six, [0.03] * 6))
    rows.append(("healing course, 6 sessions + 180 days", f"{t * 1000:.1f} ms"))
    t, _ = timed(lambda: healing_interval(six, [0.03] * 6, until_day=420.0))
    rows.append(
        (
            f"healing interval, 6 sessions + 270 days ({DEFAULT_SAMPLES} LHS samples)",
            f"{t * 1000:.1f} ms",
        )
    )

    def six_session_prediction() -> dict[str, Any]:
        result = simulate_treatment(
            PEN, TreatmentSettings(depth_mm=1.0), [FacialZone.CHEEK_LEFT], schedule=Schedule(6, 30)
        )
        return result.summary()

    t, _ = timed(six_session_prediction, 3)
    rows.append(
        ("6-session prediction with interval, one zone (field to summary)", f"{t * 1000:.0f} ms")
    )
    rows.append(("  the same, CPU time", f"{CPU_TIMES[-1] * 1000:.0f} ms"))
    product = find_topical("niacinamide")
    channels = ChannelGeometry(0.15, 0.1)
    t, _ = timed(lambda: absorption_course(product, 10.0, channels, hours=24.0))
    rows.append(("absorption curve, 24 h (2,001 points)", f"{t * 1000:.2f} ms"))

    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value:>10}")


if __name__ == "__main__":
    main()
