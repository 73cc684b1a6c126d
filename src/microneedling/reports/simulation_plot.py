"""One figure a clinician reads at a glance: who and what (patient, plan, device, series) in the
title; the zone with its punctures and a 5 mm window at wound scale, each with a scale bar;
redness in days and collagen in weeks on linear axes; the topical's uptake in hours; a shaded
band wherever the prediction carries its p5-p95 interval."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.patches import Circle, Polygon, Rectangle

from microneedling import DISCLAIMER
from microneedling.simulate import healing
from microneedling.simulate.constants import constant
from microneedling.simulate.treatment import TreatmentSimulation, ZoneSimulation

WINDOW_MM = 5.0
MAX_DOTS = 20_000
BAND_ALPHA = 0.2
REDNESS_DAYS = 14.0


def _scale_bar(ax: Axes, length_mm: float, x: float, y: float, label: str) -> None:
    """A horizontal bar of ``length_mm`` starting at data point (x, y), labelled below."""
    ax.plot([x, x + length_mm], [y, y], color="black", linewidth=3, solid_capstyle="butt")
    ax.annotate(
        label,
        (x + length_mm / 2, y),
        xytext=(0, -5),
        textcoords="offset points",
        ha="center",
        va="top",
        fontsize=8,
    )


def _bare(ax: Axes) -> None:
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def _zone_overview(ax: Axes, zone: ZoneSimulation, window: tuple[float, float]) -> None:
    """The whole zone, its punctures as dots and the window shown beside it."""
    for part in zone.outline.parts:
        ax.add_patch(Polygon(part, closed=True, fill=False, edgecolor="#555555", linewidth=1))
    xy = zone.field.xy
    if len(xy) > MAX_DOTS:
        xy = xy[np.random.default_rng(0).choice(len(xy), MAX_DOTS, replace=False)]
    ax.scatter(xy[:, 0], xy[:, 1], s=0.2, color="#c0392b", alpha=0.35, linewidths=0)
    x0, y0 = window
    ax.add_patch(
        Rectangle((x0, y0), WINDOW_MM, WINDOW_MM, fill=False, edgecolor="black", linewidth=1.2)
    )
    xmin, ymin, xmax, ymax = zone.outline.bounds
    pad = 0.08 * max(xmax - xmin, ymax - ymin)
    ax.set_xlim(xmin - pad, xmax + pad)
    ax.set_ylim(ymin - 2.2 * pad, ymax + pad)
    _bare(ax)
    _scale_bar(ax, 10.0, xmin, ymin - 1.2 * pad, "10 mm")
    ax.set_title(
        f"{zone.zone.label}, {zone.outline.area_cm2:.0f} cm²:\n"
        f"{zone.injury.density_per_cm2:,.0f} punctures/cm²",
        fontsize=10,
    )


def _window(zone: ZoneSimulation) -> tuple[float, float]:
    """The lower-left corner of a 5 mm window in the middle of the punctures."""
    cx, cy = np.median(zone.field.xy, axis=0)
    return float(cx - WINDOW_MM / 2), float(cy - WINDOW_MM / 2)


def _zoom(ax: Axes, zone: ZoneSimulation, window: tuple[float, float]) -> None:
    """The 5 mm window: every wound to scale, with a 1 mm scale bar."""
    x0, y0 = window
    xy = zone.field.xy
    near = xy[
        (xy[:, 0] >= x0 - 0.1)
        & (xy[:, 0] <= x0 + WINDOW_MM + 0.1)
        & (xy[:, 1] >= y0 - 0.1)
        & (xy[:, 1] <= y0 + WINDOW_MM + 0.1)
    ]
    radius = constant("channel_width_mm") / 2
    ax.add_collection(
        PatchCollection(
            [Circle((x, y), radius) for x, y in near], facecolor="#c0392b", alpha=0.7, linewidth=0
        )
    )
    ax.add_patch(
        Rectangle((x0, y0), WINDOW_MM, WINDOW_MM, fill=False, edgecolor="black", linewidth=1.2)
    )
    ax.set_xlim(x0 - 0.1, x0 + WINDOW_MM + 0.1)
    ax.set_ylim(y0 - 0.9, y0 + WINDOW_MM + 0.1)
    _bare(ax)
    _scale_bar(ax, 1.0, x0, y0 - 0.35, "1 mm")
    ax.set_title(
        f"{WINDOW_MM:g} × {WINDOW_MM:g} mm window, wounds to scale:\n"
        f"{100 * zone.injury.injured_fraction:.1f}% of the skin injured",
        fontsize=10,
    )


def _redness(ax: Axes, result: TreatmentSimulation, threshold: float) -> None:
    """Redness after the last session, days on a linear axis, with its band (cut at twice the
    highest expected curve, so the first hours' extreme percentiles do not flatten it)."""
    top = 2.0 * threshold
    for zone in result.zones:
        last = zone.course.session_days[-1]
        keep = (zone.course.days >= last) & (zone.course.days <= last + REDNESS_DAYS)
        line = ax.plot(
            zone.course.days[keep] - last, zone.course.erythema[keep], label=zone.zone.label
        )
        top = max(top, 2.0 * float(zone.course.erythema[keep].max()))
        band = zone.interval
        if band is not None:
            inside = (band.days >= last) & (band.days <= last + REDNESS_DAYS)
            ax.fill_between(
                band.days[inside] - last,
                band.erythema.p5[inside],
                band.erythema.p95[inside],
                color=line[0].get_color(),
                alpha=BAND_ALPHA,
                linewidth=0,
            )
    ax.axhline(threshold, color="grey", linestyle="--", label="visible redness")
    ax.set_xlim(0, REDNESS_DAYS)
    ax.set_ylim(0, top)
    ax.set_xticks(np.arange(0, REDNESS_DAYS + 1, 2))
    ax.set_xlabel("days after the last session")
    ax.set_ylabel("redness (1 = just visible)")
    ax.set_title("Expected redness (shaded: 5th–95th percentile)", fontsize=10)
    ax.legend(fontsize=8)


def _collagen(ax: Axes, result: TreatmentSimulation, threshold_pct: float) -> None:
    """Collagen and elastin over weeks from the first session, linear, with bands."""
    first = result.zones[0].course.session_days[0]
    for zone in result.zones:
        course = zone.course
        weeks = (course.days - first) / 7.0
        line = ax.plot(weeks, course.collagen_pct, label=f"collagen, {zone.zone.label}")
        color = line[0].get_color()
        ax.plot(weeks, course.elastin_pct, linestyle=":", color=color, label="elastin")
        band = zone.interval
        if band is not None:
            ax.fill_between(
                (band.days - first) / 7.0,
                band.collagen_pct.p5,
                band.collagen_pct.p95,
                color=color,
                alpha=BAND_ALPHA,
                linewidth=0,
            )
    for i, day in enumerate(result.zones[0].course.session_days):
        ax.axvline(
            (day - first) / 7.0,
            color="grey",
            alpha=0.4,
            linewidth=1,
            label="session" if i == 0 else None,
        )
    ax.axhline(threshold_pct, color="grey", linestyle="--", label="visible change")
    end_week = float((result.zones[0].course.days[-1] - first) / 7.0)
    ax.set_xlim(0, end_week)
    ax.set_xticks(np.arange(0, end_week + 1, 4 if end_week <= 52 else 8))
    ax.set_xlabel("weeks after the first session")
    ax.set_ylabel("change from baseline (%)")
    ax.set_title(
        "Expected collagen and elastin (shaded: 5th–95th percentile)\n"
        "collagen on the scale of ultrasound dermal density (Kenkel 2021)",
        fontsize=10,
    )
    ax.legend(fontsize=7, ncol=2)


def _uptake(ax: Axes, result: TreatmentSimulation) -> None:
    """Cumulative uptake over hours (linear), its band, intact skin and the applied dose."""
    zone = result.zones[0]
    a, use = zone.absorption, result.product
    if a is None or use is None:
        ax.axis("off")
        ax.text(0.5, 0.5, "no topical product", ha="center", va="center", color="grey")
        return
    line = ax.plot(a.hours, a.cumulative_ug_cm2, label=f"after needling, {zone.zone.label}")
    if a.cumulative_p5_ug_cm2 is not None and a.cumulative_p95_ug_cm2 is not None:
        ax.fill_between(
            a.hours,
            a.cumulative_p5_ug_cm2,
            a.cumulative_p95_ug_cm2,
            color=line[0].get_color(),
            alpha=BAND_ALPHA,
            linewidth=0,
            label="5th–95th percentile",
        )
    if a.applied_ug_cm2 is None:
        intact = a.kp_cm_h * a.hours * use.concentration_mg_ml * 1000.0
        dose = "constant concentration (infinite dose)"
    else:
        film = a.applied_volume_ul_cm2 or 0.0
        intact = a.applied_ug_cm2 * -np.expm1(-a.kp_cm_h * a.hours / (film * 1e-3))
        ax.axhline(
            a.applied_ug_cm2,
            color="grey",
            linestyle="--",
            label=f"applied: {a.applied_ug_cm2:,.0f} µg/cm² ({film:g} µL/cm²)",
        )
        dose = f"{film:g} µL/cm² film"
    ax.plot(a.hours, intact, color="black", linewidth=1, label="intact skin")
    ax.set_xlim(0, float(a.hours[-1]))
    ax.set_ylim(0, None)
    ax.set_xlabel("hours after needling")
    ax.set_ylabel("absorbed (µg/cm²)")
    ax.set_title(
        f"{use.product.name}, {use.concentration_mg_ml:g} mg/mL, {dose}"
        f"{', occluded' if use.occluded else ''}",
        fontsize=10,
    )
    ax.legend(fontsize=8, loc="lower right")


def _title(result: TreatmentSimulation, subject: str | None) -> str:
    first = result.zones[0]
    series = (
        "one session"
        if result.schedule.sessions == 1
        else f"{result.schedule.sessions} sessions every {result.schedule.interval_days} days"
    )
    depths = sorted({z.settings.depth_mm for z in result.zones})
    depth = " / ".join(f"{d:g}" for d in depths)
    what = (
        f"{result.device.model}, {depth} mm, {first.settings.passes} passes "
        f"({first.settings.pattern.value}), {series}"
    )
    return f"{subject}\n{what}" if subject else what


def simulation_figure(result: TreatmentSimulation, *, subject: str | None = None) -> Figure:
    """The figure of ``result``; ``subject`` (e.g. patient and plan) heads its title."""
    params = healing.calibrated_parameters()
    fig = plt.figure(figsize=(13, 9.5), dpi=110)
    grid = fig.add_gridspec(2, 4, height_ratios=(1, 1))
    first = result.zones[0]
    window = _window(first)
    _zone_overview(fig.add_subplot(grid[0, 0]), first, window)
    _zoom(fig.add_subplot(grid[0, 1]), first, window)
    _redness(fig.add_subplot(grid[0, 2:]), result, params.erythema_threshold)
    _collagen(fig.add_subplot(grid[1, :2]), result, params.visible_threshold_pct)
    _uptake(fig.add_subplot(grid[1, 2:]), result)
    fig.suptitle(_title(result, subject), fontsize=12)
    fig.text(
        0.5,
        0.005,
        f"Model predictions, not measurements. {DISCLAIMER}",
        ha="center",
        fontsize=8,
        style="italic",
    )
    fig.tight_layout(rect=(0, 0.02, 1, 0.97))
    return fig


def plot_simulation(result: TreatmentSimulation, path: Path, *, subject: str | None = None) -> Path:
    """Write the figure of ``result`` to ``path`` (PNG, SVG or PDF by its suffix)."""
    fig = simulation_figure(result, subject=subject)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path
