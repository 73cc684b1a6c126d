"""Render the patient report (``services.reports.report_data``) as HTML and as PDF.

One Jinja2 template (``templates/patient_report.html``, autoescaped: stored text is shown as
text) is shown as HTML and rendered to PDF by WeasyPrint. Every image is embedded as a data URI
(the face diagrams as SVG, the charts drawn by Matplotlib as PNG, photos as JPEG thumbnails), so
nothing is fetched while rendering.

Why WeasyPrint: it installs from PyPI with the Pango text library that Debian packages
(``libpango-1.0-0 libpangoft2-1.0-0``), needs no browser or TeX, and renders the same HTML the
web app shows, with paged-media CSS (A4 pages, page numbers).
"""

from __future__ import annotations

import base64
import io
from functools import cache
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from jinja2 import Environment, PackageLoader, select_autoescape

from microneedling.core.errors import MicroneedlingError
from microneedling.core.vocabulary import display

CHART_DPI = 150
THUMB_PX = 520
REDNESS_FLOOR = 0.01  # the predicted redness axis starts here (× the visible threshold)
PANGO_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0"


class PdfUnavailableError(MicroneedlingError):
    """WeasyPrint, or the Pango library it needs, is not installed."""


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("microneedling.reports", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["mm"] = lambda v: f"{float(v):.2f} mm"
    env.filters["num"] = lambda v, digits=2: "" if v is None else f"{float(v):.{digits}f}"
    env.filters["words"] = lambda v, kind: display(kind, v)
    return env


def data_uri(data: bytes, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _png(figure: Any) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=CHART_DPI, bbox_inches="tight")
    plt.close(figure)
    return out.getvalue()


def redness_chart(view: dict[str, Any]) -> bytes:
    """The diary's redness (0-10, right axis) beside the predicted redness in units of the
    visible threshold with its p5-p95 band (left axis); a line where redness becomes late."""
    figure, ax = plt.subplots(figsize=(6.4, 2.8))
    predicted = view["predicted"]
    if predicted is not None:
        days = predicted["days"]
        clip = np.clip  # redness falls by orders of magnitude: a log axis, floored
        low, value, high = (clip(predicted[k], REDNESS_FLOOR, None) for k in ("p5", "value", "p95"))
        ax.fill_between(days, low, high, alpha=0.2, color="tab:red", label="predicted, p5–p95")
        ax.plot(days, value, color="tab:red", label="predicted")
        ax.axhline(1.0, color="grey", linewidth=0.8, linestyle=":", label="visible threshold")
        ax.set_yscale("log")
        ax.set_ylim(REDNESS_FLOOR, max(10.0, float(np.max(high)) * 1.5))
    ax.set_xlabel("days after the session")
    ax.set_ylabel("predicted redness\n(× visible threshold, log)")
    ax.set_xlim(0, 14)
    diary_ax = ax.twinx()
    entries = view["entries"]
    diary_ax.plot([e["day"] for e in entries], [e["redness"] for e in entries], "o-",
                  color="black", label="diary redness")  # fmt: skip
    diary_ax.set_ylim(0, 10.5)
    diary_ax.set_ylabel("diary redness (0–10)")
    if view.get("late_after"):
        ax.axvline(view["late_after"]["day"], color="tab:orange", linestyle="--",
                   label="later than predicted")  # fmt: skip
    lines = ax.get_legend_handles_labels()
    more = diary_ax.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], fontsize=7, loc="upper right")
    ax.set_title(f"Session {view['session_number']} on {view['session_date']}", fontsize=9)
    return _png(figure)


def collagen_chart(prediction: dict[str, Any]) -> bytes | None:
    """The predicted change in collagen per week for each zone of the plan, with its band."""
    zones = prediction["summary"].get("zones") or []
    if not zones:
        return None
    figure, ax = plt.subplots(figsize=(6.4, 2.8))
    for zone in zones:
        weekly = zone.get("weekly") or {}
        if "week" not in weekly or "collagen_pct" not in weekly:
            continue
        name = display("zone", zone["zone"])
        line = ax.plot(weekly["week"], weekly["collagen_pct"], label=name)[0]
        if "collagen_pct_p5" in weekly and "collagen_pct_p95" in weekly:
            low, high = weekly["collagen_pct_p5"], weekly["collagen_pct_p95"]
            ax.fill_between(weekly["week"], low, high, alpha=0.15, color=line.get_color())
    ax.set_xlabel("weeks from the first session")
    ax.set_ylabel("predicted collagen change (%)")
    ax.legend(fontsize=7)
    return _png(figure)


def photo_thumbnail(photo: Any) -> str | None:
    """A stored photo as a small JPEG data URI; ``None`` when its file cannot be read."""
    from PIL import Image

    from microneedling.services.photos import _stored_bytes

    try:
        data = _stored_bytes(photo)
        with Image.open(io.BytesIO(data)) as image:
            image.thumbnail((THUMB_PX, THUMB_PX))
            out = io.BytesIO()
            image.convert("RGB").save(out, format="JPEG", quality=80)
    except (MicroneedlingError, OSError):
        return None
    return data_uri(out.getvalue(), "image/jpeg")


def _diagram(view: dict[str, Any], kind: str) -> str | None:
    try:
        from microneedling.reports import face_diagram
    except ImportError:  # the face diagram module may be absent: the tables carry the values
        return None
    svg = face_diagram.plan_diagram(view) if kind == "plan" else face_diagram.session_diagram(view)
    return data_uri(svg.encode("utf-8"), "image/svg+xml")


def figures(data: dict[str, Any]) -> dict[str, Any]:
    """Every image of the report as data URIs, keyed by what it shows."""
    photos = data["photos"]
    prediction = data["prediction"]
    collagen = collagen_chart(prediction) if prediction else None
    return {
        "plans": {p["id"]: _diagram(p["view"], "plan") for p in data["plans"]},
        "sessions": {
            s["id"]: _diagram(s["view"], "session") for s in data["sessions"] if s["zones"]
        },
        "redness": {
            d["session_id"]: data_uri(redness_chart(d), "image/png") for d in data["diaries"]
        },
        "collagen": None if collagen is None else data_uri(collagen, "image/png"),
        "before": photo_thumbnail(photos["before"]) if photos["before"] is not None else None,
        "after": photo_thumbnail(photos["after"]) if photos["after"] is not None else None,
    }


def render_html(data: dict[str, Any]) -> str:
    """The report as one self-contained HTML page."""
    template = environment().get_template("patient_report.html")
    return template.render(report=data, figures=figures(data))


def render_pdf(html: str) -> bytes:
    """The HTML rendered to PDF by WeasyPrint (imported here: the CLI starts without it)."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:
        raise PdfUnavailableError(
            "PDF output needs WeasyPrint and the Pango library "
            f"(Debian/Ubuntu: apt-get install {PANGO_PACKAGES}): {exc}"
        ) from None
    pdf = HTML(string=html, base_url=None).write_pdf()
    assert isinstance(pdf, bytes)
    return pdf
