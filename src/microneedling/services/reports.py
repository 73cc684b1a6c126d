"""The patient report: everything it shows, gathered from the records in one plain dict.

The same dict is rendered as HTML and PDF (reports/patient_report.py), so the numbers in the PDF
are the stored ones. Reading a patient's record for a report is logged with the actor.

Sections: the plan on the face diagram; the sessions (what was done per zone); photos before and
after; measured changes per zone with their repeatability band (when two analysed photos exist
and ``repeats`` > 0, the comparison of the first and last is run; otherwise the stored values are
set side by side without a band); the healing diary beside the predicted redness; the predicted
collagen course; the aftercare sheet with the warning signs; the statement that the software
records, predicts and measures and the clinician decides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from microneedling import DISCLAIMER, __version__
from microneedling.core.errors import MicroneedlingError, ValidationError
from microneedling.core.parsing import utcnow
from microneedling.core.vocabulary import display, metric_label, unit
from microneedling.protocol.aftercare import aftercare_sheet
from microneedling.protocol.knowledge import Knowledge
from microneedling.protocol.warning_signs import warning_signs
from microneedling.records import models
from microneedling.records.audit import log_access
from microneedling.services import consent, diary
from microneedling.services.lookups import patient_by_code
from microneedling.services.views import plan_view, session_view

SCALED = ("before", "after", "change", "noise")
# The metrics a patient report shows, in this order (the full set stays in the photo pages).
REPORT_METRICS = (
    "a_star",
    "red_area_fraction",
    "roughness_l",
    "pores_per_cm2",
    "wrinkle_length_mm_per_cm2",
    "scar_count",
)


def _zone(key: str) -> str:
    return display("zone", key)


def _plan_section(plan: models.TreatmentPlan) -> dict[str, Any]:
    view = plan_view(plan)
    return {
        "view": view,
        "id": plan.id,
        "indication": display("indication", plan.indication),
        "device": view["device"],
        "sessions_planned": plan.sessions_planned,
        "interval_days": plan.interval_days,
        "zones": [
            {
                "zone": _zone(z.zone),
                "depth_mm": z.depth_mm,
                "range_min_mm": z.range_min_mm,
                "range_max_mm": z.range_max_mm,
            }
            for z in plan.zones
        ],
    }


def _session_section(row: models.TreatmentSession) -> dict[str, Any]:
    view = session_view(row)
    done = row.phase in ("post_treatment", "completed")
    return {
        "view": view,
        "id": row.id,
        "number": row.number,
        "date": (diary.session_date(row) if done else row.scheduled_for).isoformat(),
        "phase": display("phase", row.phase),
        "done": done,
        "clinician": row.clinician,
        "zones": [
            {
                "zone": _zone(z.zone),
                "depth_mm": z.depth_mm,
                "passes": z.passes,
                "pattern": display("pattern", z.pattern),
                "endpoint": display("endpoint", z.endpoint),
            }
            for z in row.zone_treatments
        ],
    }


def _analysed_photos(db: Session, patient: models.Patient) -> list[models.Photo]:
    photos = db.scalars(
        select(models.Photo)
        .where(models.Photo.patient_id == patient.id, models.Photo.view == "front")
        .order_by(models.Photo.taken_on, models.Photo.id)
    ).all()
    return [p for p in photos if p.analyses]


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _stored_changes(before: models.Photo, after: models.Photo) -> list[dict[str, Any]]:
    """Per zone and metric, the stored values of two photos side by side (no band)."""
    first = {z["zone"]: z for z in before.analyses[-1].summary["zones"]}
    last = {z["zone"]: z for z in after.analyses[-1].summary["zones"]}
    rows = []
    for zone, b in first.items():
        a = last.get(zone)
        if a is None:
            continue
        for metric in REPORT_METRICS:
            vb, va = _finite(b.get(metric)), _finite(a.get(metric))
            if vb is None or va is None:
                continue
            rows.append(
                {
                    "zone": zone,
                    "metric": metric,
                    "before": round(vb, 4),
                    "after": round(va, 4),
                    "change": round(va - vb, 4),
                    "noise": None,
                    "verdict": "no noise estimate",
                }
            )
    return rows


def _compared_changes(
    before: models.Photo, after: models.Photo, repeats: int
) -> tuple[list[dict[str, Any]], str | None]:
    """The comparison of two stored photos with ``repeats`` repeatability runs; on failure the
    stored values without a band and the reason."""
    from microneedling.analysis.images import analysis_ipd_px, decode_photo
    from microneedling.services.photos import _stored_bytes, compare_photos

    try:
        decoded = [
            decode_photo(_stored_bytes(p), f"photo {p.id}", reduce_to_ipd_px=analysis_ipd_px())
            for p in (before, after)
        ]
        comparison = compare_photos(decoded[0], decoded[1], repeats=repeats)
    except MicroneedlingError as exc:
        return _stored_changes(before, after), str(exc)
    rows = [r for r in comparison.changes() if r["metric"] in REPORT_METRICS]
    comparable = comparison.summary()["comparable"]
    reasons = [*comparable["reasons"], *comparable["colour_reasons"]]
    return rows, ("not comparable: " + "; ".join(reasons)) if reasons else None


def _as_shown(row: dict[str, Any]) -> dict[str, Any]:
    """A change as its unit reads: a fraction whose unit is a percentage is shown in %."""
    if not (row["metric"].endswith("_fraction") and unit(row["metric"]).startswith("%")):
        return row
    scaled = {k: None if row.get(k) is None else 100.0 * float(row[k]) for k in SCALED}
    return row | scaled


def _photo_section(db: Session, patient: models.Patient, repeats: int) -> dict[str, Any]:
    photos = _analysed_photos(db, patient)
    if len(photos) < 2:
        return {"before": photos[0] if photos else None, "after": None, "changes": [], "note": None}
    before, after = photos[0], photos[-1]
    if repeats > 0:
        rows, note = _compared_changes(before, after, repeats)
    else:
        rows, note = _stored_changes(before, after), "no repeatability runs were asked for"
    changes = [
        _as_shown(r)
        | {
            "zone_label": _zone(r["zone"]),
            "metric_label": metric_label(r["metric"]),
            "verdict_label": display("verdict", r["verdict"]),
        }
        for r in rows
    ]
    return {"before": before, "after": after, "changes": changes, "note": note}


def _prediction(db: Session, plan: models.TreatmentPlan | None) -> dict[str, Any] | None:
    if plan is None:
        return None
    row = db.scalar(
        select(models.Prediction)
        .where(models.Prediction.plan_id == plan.id)
        .order_by(models.Prediction.id.desc())
        .limit(1)
    )
    if row is None:
        return None
    return {"id": row.id, "model_version": row.model_version, "summary": row.summary}


def _consent_section(db: Session, code: str) -> list[dict[str, Any]]:
    status = consent.consent_status(db, code)
    return [
        {"kind": kind.replace("_", " "), "state": s["state"], "version": s["current_version"]}
        for kind, s in status["status"].items()
    ]


def report_data(
    db: Session,
    knowledge: Knowledge,
    patient_code: str,
    *,
    repeats: int = 0,
    today: date | None = None,
) -> dict[str, Any]:
    """Every section of the patient's report as plain values (photos as records)."""
    patient = patient_by_code(db, patient_code)
    log_access(db, "export", patient)
    plans = [_plan_section(p) for p in patient.plans]
    rows = [s for p in patient.plans for s in p.sessions]
    sessions = [_session_section(s) for s in rows]
    treated = [s for s in rows if s.phase in ("post_treatment", "completed")]
    diaries = [diary.diary_view(db, s.id) for s in treated]
    latest_plan = patient.plans[-1] if patient.plans else None
    last_done = treated[-1] if treated else None
    following = None
    if last_done is not None:
        following = next(
            (s for s in last_done.plan.sessions if s.number == last_done.number + 1), None
        )
    sheet = aftercare_sheet(
        knowledge,
        patient_code=patient.code,
        session_date=diary.session_date(last_done) if last_done else (today or date.today()),
        next_session=following.scheduled_for if following else None,
    )
    return {
        "patient": {
            "code": patient.code,
            "birth_year": patient.birth_year,
            "fitzpatrick": patient.fitzpatrick,
        },
        "generated_at": utcnow().strftime("%Y-%m-%d %H:%M UTC"),
        "version": __version__,
        "plans": plans,
        "sessions": sessions,
        "photos": _photo_section(db, patient, repeats),
        "diaries": [d for d in diaries if d["entries"]],
        "prediction": _prediction(db, latest_plan),
        "consent": _consent_section(db, patient.code),
        "peers": _peer_section(db, patient.code, today),
        "aftercare": sheet,
        "warning_signs": [s.label for s in warning_signs().signs],
        "disclaimer": DISCLAIMER,
    }


def _peer_section(db: Session, code: str, today: date | None) -> dict[str, Any]:
    """The patient's metrics as percentiles among the clinic's own peers, or why there are none."""
    from microneedling.services.cohort_peers import peer_percentiles

    try:
        peers = peer_percentiles(db, code, today=today)
    except ValidationError as error:
        return {"rows": [], "reason": error.reason, "min_group": None}
    rows = [
        {**row, "zone_label": _zone(row["zone"]), "metric_label": metric_label(row["metric"])}
        for row in peers["zones"]
    ]
    return {"rows": rows, "reason": None, "min_group": peers["min_group"]}


@dataclass(frozen=True)
class RenderedReport:
    patient: str
    html: str
    pdf: bytes | None
    data: dict[str, Any]


def patient_report(
    db: Session,
    knowledge: Knowledge,
    patient_code: str,
    *,
    pdf: bool = True,
    repeats: int = 0,
) -> RenderedReport:
    """The patient's report as HTML and (``pdf``) PDF, from the same template and data."""
    from microneedling.reports.patient_report import render_html, render_pdf
    from microneedling.services.photos import check_repeats

    check_repeats(repeats)
    data = report_data(db, knowledge, patient_code, repeats=repeats)
    html = render_html(data)
    return RenderedReport(data["patient"]["code"], html, render_pdf(html) if pdf else None, data)
