"""One figure a clinician can read: puncture map, erythema, collagen and elastin, absorption."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.collections import PatchCollection
from matplotlib.patches import Circle

from microneedling import DISCLAIMER
from microneedling.simulate import healing
from microneedling.simulate.constants import constant
from microneedling.simulate.treatment import TreatmentSimulation

WINDOW_MM = 5.0


def plot_simulation(result: TreatmentSimulation, path: Path) -> Path:
    """Write a 2x2 PNG summary of ``result`` to ``path``."""
    params = healing.calibrated_parameters()
    fig, axes = plt.subplots(2, 2, figsize=(12, 9), dpi=110)
    first = result.zones[0]

    ax = axes[0, 0]
    xy = first.field.xy
    cx, cy = np.median(xy, axis=0)
    near = xy[(np.abs(xy[:, 0] - cx) < WINDOW_MM / 2) & (np.abs(xy[:, 1] - cy) < WINDOW_MM / 2)]
    radius = constant("channel_width_mm") / 2
    ax.add_collection(
        PatchCollection(
            [Circle((x, y), radius) for x, y in near], facecolor="#c0392b", alpha=0.6, linewidth=0
        )
    )
    ax.set_xlim(cx - WINDOW_MM / 2, cx + WINDOW_MM / 2)
    ax.set_ylim(cy - WINDOW_MM / 2, cy + WINDOW_MM / 2)
    ax.set_aspect("equal")
    ax.set_xlabel("mm")
    ax.set_ylabel("mm")
    ax.set_title(
        f"{first.zone.label}: {first.injury.density_per_cm2:,.0f} punctures/cm², "
        f"{100 * first.injury.injured_fraction:.1f}% injured\n"
        f"({WINDOW_MM:g} × {WINDOW_MM:g} mm window, wounds to scale)",
        fontsize=10,
    )

    ax = axes[0, 1]
    last = first.course.session_days[-1]
    for zone in result.zones:
        course = zone.course
        keep = (course.days >= last - 1) & (course.days <= last + 14)
        ax.plot(course.days[keep] - last, course.erythema[keep], label=zone.zone.label)
    ax.axhline(params.erythema_threshold, color="grey", linestyle="--", label="visible threshold")
    ax.set_yscale("log")
    ax.set_ylim(0.1, None)
    ax.set_xlabel("days after the last session")
    ax.set_ylabel("erythema (× visible threshold)")
    ax.set_title("Expected redness", fontsize=10)
    ax.legend(fontsize=8)

    ax = axes[1, 0]
    for zone in result.zones:
        weeks = (zone.course.days - zone.course.session_days[0]) / 7.0
        line = ax.plot(weeks, zone.course.collagen_pct, label=f"collagen, {zone.zone.label}")
        ax.plot(
            weeks,
            zone.course.elastin_pct,
            linestyle=":",
            color=line[0].get_color(),
            label=f"elastin, {zone.zone.label}",
        )
    for day in first.course.session_days:
        ax.axvline(day / 7.0, color="grey", alpha=0.3)
    ax.axhline(params.visible_threshold_pct, color="grey", linestyle="--", label="visible change")
    ax.set_xlabel("weeks after the first session (grey: sessions)")
    ax.set_ylabel("% change from baseline")
    ax.set_title("Expected collagen and elastin", fontsize=10)
    ax.legend(fontsize=7)

    ax = axes[1, 1]
    if first.absorption is not None and result.product is not None:
        a = first.absorption
        ax.plot(a.hours, a.cumulative_ug_cm2, label="with micro-channels")
        intact = a.kp_cm_h * a.hours * result.product.concentration_mg_ml * 1000.0
        if result.product.applied_volume_ul_cm2 is None:
            ax.plot(a.hours, intact, label="intact skin (Potts–Guy)")
        ratio = a.enhancement_ratio
        ax.set_title(
            f"{result.product.product.name}, {result.product.concentration_mg_ml:g} mg/mL"
            f"{', occluded' if result.product.occluded else ''}: "
            f"{'∞' if not np.isfinite(ratio) else f'{ratio:,.1f}'}× over intact skin",
            fontsize=10,
        )
        ax.set_yscale("symlog", linthresh=1e-3)
        ax.set_xlabel("hours after needling")
        ax.set_ylabel("cumulative uptake (µg/cm²)")
        ax.legend(fontsize=8)
    else:
        ax.axis("off")
        ax.text(
            0.5,
            0.5,
            "no topical product given\n(--product or --mw/--logkow)",
            ha="center",
            va="center",
        )

    fig.suptitle(
        f"{result.device.model}: {first.settings.passes} passes, {result.schedule.sessions} "
        f"session(s) every {result.schedule.interval_days} days",
        fontsize=12,
    )
    fig.text(
        0.5,
        0.005,
        f"Model predictions, not measurements. {DISCLAIMER}",
        ha="center",
        fontsize=8,
        style="italic",
    )
    fig.tight_layout(rect=(0, 0.02, 1, 0.97))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
