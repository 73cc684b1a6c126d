"""A small line chart as SVG text: one metric of one zone over the days of a course.

Pure function, every text escaped, no script: the page embeds it as it is. The x axis is days
since the plan's first session; points are joined in date order and each carries a ``<title>``
with its date and value, so the figures are readable by a screen reader and on hover.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 320.0, 170.0
LEFT, RIGHT, TOP, BOTTOM = 46.0, 12.0, 26.0, 30.0


def _fmt(value: float) -> str:
    return f"{value:.3g}"


def line_chart_svg(
    points: Sequence[tuple[float, float, str]],
    *,
    title: str,
    unit: str = "",
    colour: str = "#0b5cad",
    dashed: bool = False,
) -> str:
    """``points`` as (day, value, label) in a labelled line chart; non-finite values are left
    out, and a chart with no point says so."""
    kept = [(d, v, lab) for d, v, lab in points if math.isfinite(d) and math.isfinite(v)]
    heading = f"{title} ({unit})" if unit else title
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH:g} '
        f'{HEIGHT:g}" role="img" aria-label="{escape(heading)}" font-family="sans-serif">',
        f"<title>{escape(heading)}</title>",
        f'<text x="4" y="15" font-size="12" font-weight="bold">{escape(heading)}</text>',
    ]
    if not kept:
        parts.append('<text x="46" y="90" font-size="12">no values yet</text></svg>')
        return "".join(parts)
    days = [d for d, _, _ in kept]
    values = [v for _, v, _ in kept]
    d0, d1 = min(days), max(days)
    v0, v1 = min(values), max(values)
    if d1 == d0:
        d0, d1 = d0 - 1, d1 + 1
    if v1 == v0:
        pad = abs(v0) * 0.1 or 1.0
        v0, v1 = v0 - pad, v1 + pad
    span_x, span_y = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: float) -> float:
        return LEFT + (day - d0) / (d1 - d0) * span_x

    def y(value: float) -> float:
        return TOP + (1 - (value - v0) / (v1 - v0)) * span_y

    parts += [
        f'<line x1="{LEFT:g}" y1="{TOP:g}" x2="{LEFT:g}" y2="{TOP + span_y:g}" stroke="#57606a"/>',
        f'<line x1="{LEFT:g}" y1="{TOP + span_y:g}" x2="{LEFT + span_x:g}" y2="{TOP + span_y:g}" '
        'stroke="#57606a"/>',
        f'<text x="{LEFT - 4:g}" y="{TOP + 4:g}" font-size="10" text-anchor="end">'
        f"{escape(_fmt(v1))}</text>",
        f'<text x="{LEFT - 4:g}" y="{TOP + span_y:g}" font-size="10" text-anchor="end">'
        f"{escape(_fmt(v0))}</text>",
        f'<text x="{LEFT:g}" y="{HEIGHT - 10:g}" font-size="10">day {escape(_fmt(d0))}</text>',
        f'<text x="{LEFT + span_x:g}" y="{HEIGHT - 10:g}" font-size="10" text-anchor="end">'
        f"day {escape(_fmt(d1))}</text>",
    ]
    ordered = sorted(kept)
    path = " ".join(
        f"{'M' if i == 0 else 'L'} {x(d):.1f} {y(v):.1f}" for i, (d, v, _) in enumerate(ordered)
    )
    dash = ' stroke-dasharray="5 3"' if dashed else ""
    parts.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
    for d, v, label in ordered:
        parts.append(
            f'<circle cx="{x(d):.1f}" cy="{y(v):.1f}" r="3.5" fill="{colour}">'
            f"<title>{escape(label)}: {escape(_fmt(v))}{escape(' ' + unit if unit else '')}"
            "</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)
