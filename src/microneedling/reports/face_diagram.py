"""The face diagram: the treatment zones drawn from their outlines, each coloured by a value.

One pure function, :func:`face_diagram_svg`, returns SVG text: the zones of
``zone_geometry.yaml`` on a frontal view (the patient faces the viewer, so the patient's left is
on the viewer's right), each zone filled by its value on one fixed colour scale with a legend, its
name from the vocabulary, and the patient's left and right marked. Each zone is a focusable,
clickable group with an ``id`` (``zone-cheek_left``), ``data-zone`` and an ``aria-label`` saying
the zone and its value, so a page can open the zone on a click or Enter. Every text is escaped.

:func:`plan_diagram` colours a plan's zones by planned depth; :func:`session_diagram` colours a
session's treated zones by the depth used, with passes and pattern in the label: the same
diagram shows what was planned and what was done.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from html import escape
from typing import Any

import numpy as np
from matplotlib.path import Path as MplPath
from numpy.typing import NDArray

from microneedling.core.errors import ValidationError
from microneedling.core.vocabulary import display
from microneedling.core.zones import FacialZone, parse_zone
from microneedling.simulate.geometry import zone_outlines

DEPTH_SCALE_MAX_MM = 2.0
"""The top of the depth colour scale: the deepest zone limit in ``zones.yaml`` (chin, 2.0 mm).
One fixed scale, so the same colour is the same depth on every diagram."""

LOW_RGB = (255, 245, 235)
HIGH_RGB = (127, 39, 4)
"""The ends of the sequential scale (light to dark orange): shallow is pale, deep is dark."""

EMPTY_FILL = "#e5e5e5"
"""A zone without a value (not planned, not treated)."""

# The drawing in mm: x to the patient's left (the viewer's right), SVG y down = -y.
_VIEW_BOX = (-100.0, -96.0, 262.0, 300.0)
_LEGEND_X = 96.0
_LEGEND_TOP = -50.0
_LEGEND_HEIGHT = 110.0
_LEGEND_WIDTH = 10.0
_LEGEND_TICKS = 5


@dataclass(frozen=True)
class ZoneValue:
    """What one zone shows: its value (None: nothing there) and an optional caption line."""

    value: float | None
    caption: str = ""


def _fmt(number: float) -> str:
    """A coordinate with one decimal, no trailing zero."""
    return f"{number:.1f}".rstrip("0").rstrip(".")


def scale_colour(value: float, high: float, low: float = 0.0) -> str:
    """The fill for ``value`` on the linear scale ``low``–``high`` (clipped), as ``#rrggbb``."""
    fraction = 0.0 if high <= low else min(max((value - low) / (high - low), 0.0), 1.0)
    rgb = [round(a + fraction * (b - a)) for a, b in zip(LOW_RGB, HIGH_RGB, strict=True)]
    return "#" + "".join(f"{c:02x}" for c in rgb)


def text_colour(fill: str) -> str:
    """Black or white, whichever reads better on ``fill`` (WCAG relative luminance)."""
    channels = [int(fill[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#000000" if luminance > 0.18 else "#ffffff"


def _path(parts: Sequence[NDArray[np.float64]]) -> str:
    return " ".join(
        "M " + " L ".join(f"{_fmt(x)} {_fmt(-y)}" for x, y in part) + " Z" for part in parts
    )


def _edge_distance(points: NDArray[np.float64], part: NDArray[np.float64]) -> NDArray[np.float64]:
    """Each point's distance to the nearest edge of the polygon ``part``."""
    start, end = part, np.roll(part, -1, axis=0)
    edge = end - start
    length2 = np.maximum((edge**2).sum(axis=1), 1e-12)
    rel = points[:, None, :] - start[None, :, :]
    t = np.clip((rel * edge[None]).sum(axis=2) / length2[None], 0.0, 1.0)
    nearest = start[None] + t[..., None] * edge[None]
    return np.sqrt(((points[:, None, :] - nearest) ** 2).sum(axis=2)).min(axis=1)


@cache
def label_points(zone: FacialZone) -> tuple[tuple[float, float], ...]:
    """Where a zone's name goes, one point per part, in SVG coordinates: the point farthest from
    every edge (on a 1 mm grid; among near-ties the one nearest the part's box centre), so an
    L-shaped zone's label stays inside it."""
    points = []
    for part in zone_outlines()[zone].parts:
        low, high = part.min(axis=0), part.max(axis=0)
        gx, gy = np.meshgrid(np.arange(low[0], high[0] + 1.0), np.arange(low[1], high[1] + 1.0))
        grid = np.column_stack([gx.ravel(), gy.ravel()])
        inside = grid[MplPath(part).contains_points(grid)]
        room = _edge_distance(inside, part)
        near_best = inside[room >= room.max() - 1.0]
        centre = (low + high) / 2
        best = near_best[int(np.argmin(((near_best - centre) ** 2).sum(axis=1)))]
        points.append((float(best[0]), float(-best[1])))
    return tuple(points)


def _checked(values: Mapping[Any, ZoneValue | float | None]) -> dict[FacialZone, ZoneValue]:
    checked: dict[FacialZone, ZoneValue] = {}
    for key, item in values.items():
        zone = key if isinstance(key, FacialZone) else parse_zone(str(key), "zones")
        entry = item if isinstance(item, ZoneValue) else ZoneValue(item)
        if entry.value is not None and not math.isfinite(entry.value):
            raise ValidationError(f"zones.{zone.value}", f"{entry.value} is not a number")
        checked[zone] = entry
    return checked


def _zone_group(
    zone: FacialZone,
    entry: ZoneValue | None,
    *,
    unit: str,
    scale_max: float,
    id_prefix: str,
    selected: bool,
) -> str:
    outline = zone_outlines()[zone]
    value = None if entry is None else entry.value
    fill = EMPTY_FILL if value is None else scale_colour(value, scale_max)
    ink = text_colour(fill)
    name = display("zone", zone)
    shown = "—" if value is None else f"{value:.2f} {unit}".strip()
    caption = "" if entry is None else entry.caption
    label = f"{name}: {'none' if value is None else shown}" + (f", {caption}" if caption else "")
    size = 4.2 if outline.area_mm2 > 1200 else 3.4
    value_text = "" if value is None else f"{value:.2f}"
    classes = (
        "zone" + (" zone-selected" if selected else "") + (" zone-empty" if value is None else "")
    )
    return (
        f'<g id="{escape(id_prefix + zone.value)}" class="{classes}" tabindex="0" role="button" '
        f'data-zone="{zone.value}" data-value="{"" if value is None else value}" '
        f'aria-label="{escape(label)}"'
        + (' aria-pressed="true"' if selected else ' aria-pressed="false"')
        + ">"
        f"<title>{escape(label)}</title>"
        f'<path d="{_path(outline.parts)}" fill="{fill}" stroke="#333333" '
        f'stroke-width="{1.6 if selected else 0.6}"/>'
        + "".join(_zone_label(zone, x, y, size, ink, value_text) for x, y in label_points(zone))
        + "</g>"
    )


def _zone_label(zone: FacialZone, x: float, y: float, size: float, ink: str, value: str) -> str:
    """The zone's short name and, below it, its value, centred on (x, y)."""
    lines = [display("zone_short", zone)] + ([value] if value else [])
    top = y - (len(lines) - 1) * size * 0.6
    return "".join(
        f'<text x="{_fmt(x)}" y="{_fmt(top + i * size * 1.2 + size * 0.35)}" font-size="{size}" '
        f'text-anchor="middle" fill="{ink}" aria-hidden="true">{escape(line)}</text>'
        for i, line in enumerate(lines)
    )


def _signed_area(part: NDArray[np.float64]) -> float:
    x, y = part[:, 0], part[:, 1]
    return float(0.5 * (np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def _legend(value_label: str, unit: str, scale_max: float, gradient_id: str) -> str:
    x, top, height, width = _LEGEND_X, _LEGEND_TOP, _LEGEND_HEIGHT, _LEGEND_WIDTH
    title = f"{value_label} ({unit})" if unit else value_label
    parts = [
        '<g class="legend" aria-hidden="true">',
        f'<linearGradient id="{escape(gradient_id)}" x1="0" y1="1" x2="0" y2="0">'
        f'<stop offset="0" stop-color="{scale_colour(0, 1)}"/>'
        f'<stop offset="1" stop-color="{scale_colour(1, 1)}"/></linearGradient>',
        f'<text x="{_fmt(x)}" y="{_fmt(top - 6)}" font-size="4.5">{escape(title)}</text>',
        f'<rect x="{_fmt(x)}" y="{_fmt(top)}" width="{_fmt(width)}" height="{_fmt(height)}" '
        f'fill="url(#{escape(gradient_id)})" stroke="#333333" stroke-width="0.4"/>',
    ]
    for i in range(_LEGEND_TICKS):
        value = scale_max * i / (_LEGEND_TICKS - 1)
        ty = top + height * (1 - i / (_LEGEND_TICKS - 1))
        parts.append(
            f'<line x1="{_fmt(x + width)}" y1="{_fmt(ty)}" x2="{_fmt(x + width + 2)}" '
            f'y2="{_fmt(ty)}" stroke="#333333" stroke-width="0.4"/>'
            f'<text x="{_fmt(x + width + 3.5)}" y="{_fmt(ty + 1.5)}" font-size="4">'
            f"{escape(f'{value:.2f}'.rstrip('0').rstrip('.'))}</text>"
        )
    empty_y = top + height + 10
    parts.append(
        f'<rect x="{_fmt(x)}" y="{_fmt(empty_y)}" width="{_fmt(width)}" height="6" '
        f'fill="{EMPTY_FILL}" stroke="#333333" stroke-width="0.4"/>'
        f'<text x="{_fmt(x + width + 3.5)}" y="{_fmt(empty_y + 4.5)}" font-size="4">none</text>'
        "</g>"
    )
    return "".join(parts)


def face_diagram_svg(
    values: Mapping[Any, ZoneValue | float | None],
    *,
    title: str,
    value_label: str = "Planned depth",
    unit: str = "mm",
    scale_max: float = DEPTH_SCALE_MAX_MM,
    selected: str | FacialZone | None = None,
    id_prefix: str = "zone-",
) -> str:
    """The face diagram as SVG text.

    Parameters
    ----------
    values
        Per zone (a :class:`FacialZone` or its key), its value in ``unit`` or a
        :class:`ZoneValue` with a caption (e.g. "3 passes, cross-hatch"); zones left out or None
        are drawn grey ("none").
    title
        The diagram's accessible title (escaped like every text).
    value_label, unit
        What the colour means, for the legend and each zone's ``aria-label``.
    scale_max
        The value drawn darkest; the scale starts at 0. Values beyond it are drawn darkest.
    selected
        A zone drawn with a heavy outline and ``aria-pressed="true"``.
    id_prefix
        Prefix of each zone's element id, so two diagrams can share a page.
    """
    if not math.isfinite(scale_max) or scale_max <= 0:
        raise ValidationError("scale_max", f"{scale_max} is not a positive number")
    entries = _checked(values)
    chosen = None if selected is None else parse_zone(str(selected), "selected")
    x0, y0, width, height = _VIEW_BOX
    gradient_id = f"{id_prefix}scale"
    groups = "".join(
        _zone_group(
            zone,
            entries.get(zone),
            unit=unit,
            scale_max=scale_max,
            id_prefix=id_prefix,
            selected=zone == chosen,
        )
        for zone in FacialZone
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="face-diagram" '
        f'viewBox="{_fmt(x0)} {_fmt(y0)} {_fmt(width)} {_fmt(height)}" role="group" '
        f'aria-label="{escape(title)}" font-family="sans-serif">'
        f"<title>{escape(title)}</title>"
        f'<text x="-95" y="-84" font-size="6" font-weight="bold">{escape(title)}</text>'
        '<text x="-95" y="-30" font-size="4.5" class="side-mark">'
        '<tspan x="-95">Patient\'s</tspan><tspan x="-95" dy="5">right</tspan></text>'
        '<text x="72" y="-30" font-size="4.5" class="side-mark">'
        '<tspan x="72">Patient\'s</tspan><tspan x="72" dy="5">left</tspan></text>'
        f"{groups}{_legend(value_label, unit, scale_max, gradient_id)}</svg>"
    )


def plan_diagram(plan: Mapping[str, Any], *, selected: str | None = None) -> str:
    """A plan view (``services.views.plan_view``) with each zone coloured by planned depth."""
    values = {z["zone"]: ZoneValue(float(z["depth_mm"])) for z in plan["zones"]}
    title = f"Plan {plan['id']}: planned depth per zone"
    return face_diagram_svg(values, title=title, selected=selected, id_prefix="plan-zone-")


def session_diagram(session: Mapping[str, Any], *, selected: str | None = None) -> str:
    """A session view (``services.views.session_view``) with each treated zone coloured by the
    depth used and its passes, pattern and endpoint in the label: what was actually done."""
    values = {
        z["zone"]: ZoneValue(
            float(z["depth_mm"]),
            f"{z['passes']} passes, {display('pattern', z['pattern'])}, "
            f"{display('endpoint', z['endpoint'])}",
        )
        for z in session.get("zone_treatments", [])
    }
    title = f"Session {session['id']}: depth used per zone"
    return face_diagram_svg(
        values,
        title=title,
        value_label="Depth used",
        selected=selected,
        id_prefix="session-zone-",
    )
