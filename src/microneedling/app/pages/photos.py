"""Photos: upload (analysed off the request path), capture quality with its reasons, the analysis
overlay, a before/after comparison (aligned, side by side and a slider) and each metric's chart
over time beside the predicted course.

Uploads are checked before any work is queued (``services.photo_jobs.check_upload``: size, type
by header, decompression bombs); the analysis and the comparison run as jobs
(``services.jobs``) through the same service functions as ``microneedling analyze`` and
``compare``. Every route that sends a face image is ``NO_PHOTOS``: never a researcher.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from sqlalchemy import select
from starlette.responses import RedirectResponse, Response

from microneedling.analysis.pipeline import METRIC_NAMES
from microneedling.app.api.common import research_gate
from microneedling.app.clinic import Actor
from microneedling.app.deps import ClinicDep, CurrentAccount, require_role
from microneedling.app.pages.plans import diagram
from microneedling.app.permissions import NO_PHOTOS, READ, STAFF
from microneedling.app.rendering import render
from microneedling.core.errors import NotFoundError, ValidationError
from microneedling.core.parsing import MAX_ID, check_not_future, parse_date, parse_int
from microneedling.core.vocabulary import display, metric_label, unit
from microneedling.records import models
from microneedling.reports.trend_chart import line_chart_svg
from microneedling.services import photo_jobs
from microneedling.services import photos as photo_service
from microneedling.services.lookups import patient_by_code
from microneedling.services.predictions import list_predictions

router = APIRouter()

PERMISSIONS = {
    "GET /patients/{code}/photos/new": STAFF,
    "POST /patients/{code}/photos": STAFF,
    "GET /photos/{photo_id}": NO_PHOTOS,
    "GET /photos/{photo_id}/image": NO_PHOTOS,
    "GET /photos/{photo_id}/overlay": NO_PHOTOS,
    "GET /patients/{code}/compare": NO_PHOTOS,
    "POST /patients/{code}/compare": NO_PHOTOS,
    "GET /comparisons/{key}": NO_PHOTOS,
    "GET /comparisons/{key}/{name}": NO_PHOTOS,
    "GET /patients/{code}/trend": READ,
}

Staff = Annotated[Actor, Depends(require_role("clinician", "assistant"))]
PhotoId = Annotated[int, Path(ge=1, le=MAX_ID)]
Key = Annotated[str, Path(max_length=64)]
TREND_METRICS = (
    "a_star",
    "red_area_fraction",
    "roughness_l",
    "pores_per_cm2",
    "wrinkle_length_mm_per_cm2",
    "scar_count",
)
"""The metrics the trend charts (the CLI's trend table shows the same)."""
NO_STORE = {"Cache-Control": "no-store"}


def _patient_photos(db: Any, code: str) -> tuple[str, list[dict[str, Any]]]:
    patient = patient_by_code(db, code)
    rows = db.scalars(
        select(models.Photo)
        .where(models.Photo.patient_id == patient.id)
        .order_by(models.Photo.taken_on, models.Photo.id)
    ).all()
    return patient.code, [
        {
            "id": p.id,
            "taken_on": p.taken_on.isoformat(),
            "view": p.view,
            "analysed": bool(p.analyses),
        }
        for p in rows
    ]


@router.get("/patients/{code}/photos/new")
def upload_form(request: Request, code: str, clinic: ClinicDep, actor: Staff) -> Response:
    with clinic.reading() as db:
        the_code, photos = _patient_photos(db, code)
    return render(
        request,
        "photo_upload.html",
        {
            "title": f"Photos · {the_code}",
            "code": the_code,
            "photos": photos,
            "views": photo_service.VIEWS,
            "max_mb": photo_jobs.MAX_UPLOAD_BYTES // 1_000_000,
        },
    )


@router.post("/patients/{code}/photos")
async def upload(
    request: Request,
    code: str,
    clinic: ClinicDep,
    actor: Staff,
    photo: Annotated[UploadFile, File()],
    view: Annotated[str, Form(max_length=16)] = "front",
    taken_on: Annotated[str, Form(max_length=20)] = "",
    session_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    data = await photo.read(photo_jobs.MAX_UPLOAD_BYTES + 1)
    return _queue_upload(clinic, actor, code, data, view, taken_on, session_id)


def _queue_upload(
    clinic: Any, actor: Actor, code: str, data: bytes, view: str, taken_on: str, session_id: str
) -> Response:
    photo_jobs.check_upload(data)
    if view not in photo_service.VIEWS:
        raise ValidationError("view", f"{view!r} is not one of {', '.join(photo_service.VIEWS)}")
    day = check_not_future(parse_date(taken_on, "taken_on"), "taken_on") if taken_on else None
    session = parse_int(session_id, "session_id", low=1, high=MAX_ID) if session_id else None
    with clinic.reading() as db:
        the_code = patient_by_code(db, code).code
    work = partial(
        photo_jobs.analyse_upload,
        clinic.database,
        actor.username,
        patient_code=the_code,
        data=data,
        view=view,
        session_id=session,
        taken_on=day,
    )
    job_id = clinic.jobs.submit(
        "photo-analysis",
        lambda progress: work(progress=progress),
        actor=actor.username,
        params={"patient": the_code, "view": view},
    )
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


@router.get("/photos/{photo_id}")
def photo_page(
    request: Request, photo_id: PhotoId, clinic: ClinicDep, actor: CurrentAccount
) -> Response:
    with clinic.reading() as db:
        view = photo_jobs.photo_view(db, photo_id)
    analysis = view["analysis"] or {}
    return render(
        request,
        "photo.html",
        {
            "title": f"Photo {photo_id}",
            "photo": view,
            "analysis": analysis,
            "quality": analysis.get("quality", {}),
            "metrics": TREND_METRICS,
        },
    )


@router.get("/photos/{photo_id}/image")
def photo_image(photo_id: PhotoId, clinic: ClinicDep, actor: CurrentAccount) -> Response:
    with clinic.transaction(actor) as db:
        data, media_type = photo_jobs.stored_image(db, photo_id)
    return Response(data, media_type=media_type, headers=NO_STORE)


@router.get("/photos/{photo_id}/overlay")
def photo_overlay(photo_id: PhotoId, clinic: ClinicDep, actor: CurrentAccount) -> Response:
    with clinic.reading() as db:
        photo = db.get(models.Photo, photo_id)
        path = photo_jobs.overlay_file(photo) if photo is not None else None
    if path is None:
        raise NotFoundError("photo", photo_id)
    if not path.is_file():
        raise NotFoundError("overlay of photo", photo_id)
    return Response(path.read_bytes(), media_type="image/png", headers=NO_STORE)


@router.get("/patients/{code}/compare")
def compare_form(request: Request, code: str, clinic: ClinicDep, actor: CurrentAccount) -> Response:
    with clinic.reading() as db:
        the_code, photos = _patient_photos(db, code)
    analysed = [p for p in photos if p["analysed"]]
    return render(
        request,
        "photo_compare_form.html",
        {"title": f"Compare photos · {the_code}", "code": the_code, "photos": analysed},
    )


@router.post("/patients/{code}/compare")
def compare(
    request: Request,
    code: str,
    clinic: ClinicDep,
    actor: CurrentAccount,
    before_id: Annotated[str, Form(max_length=20)] = "",
    after_id: Annotated[str, Form(max_length=20)] = "",
    repeats: Annotated[str, Form(max_length=4)] = "3",
    allow_poor_quality: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    before = parse_int(before_id, "before_id", low=1, high=MAX_ID)
    after = parse_int(after_id, "after_id", low=1, high=MAX_ID)
    runs = parse_int(repeats, "repeats", low=0, high=20)
    photo_service.check_repeats(runs)
    with clinic.reading() as db:
        patient = patient_by_code(db, code)
        the_code = patient.code
        for photo_id, field in ((before, "before_id"), (after, "after_id")):
            photo = db.get(models.Photo, photo_id)
            if photo is None or photo.patient_id != patient.id:
                raise ValidationError(field, f"photo {photo_id} is not {the_code}'s")
    work = partial(
        photo_jobs.compare_stored,
        clinic.database,
        actor.username,
        before_id=before,
        after_id=after,
        repeats=runs,
        allow_poor_quality=allow_poor_quality == "yes",
    )
    job_id = clinic.jobs.submit(
        "photo-comparison",
        lambda progress: work(progress=progress),
        actor=actor.username,
        params={"patient": the_code, "before": before, "after": after},
    )
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


@router.get("/comparisons/{key}")
def comparison_page(request: Request, key: Key, actor: CurrentAccount) -> Response:
    view = photo_jobs.comparison_view(key)
    changes = sorted(
        view["changes"], key=lambda r: (r["beyond_noise"] is not True, r["zone"], r["metric"])
    )
    return render(
        request,
        "photo_compare.html",
        {
            "title": f"Before and after · {view['patient']}",
            "view": view,
            "changes": [r for r in changes if r["metric"] in TREND_METRICS],
            "other_changes": [r for r in changes if r["metric"] not in TREND_METRICS],
        },
    )


@router.get("/comparisons/{key}/{name}")
def comparison_image(
    key: Key, name: Annotated[str, Path(max_length=32)], actor: CurrentAccount
) -> Response:
    stem = name.removesuffix(".png")
    return Response(
        photo_jobs.comparison_image(key, stem), media_type="image/png", headers=NO_STORE
    )


def _predicted_course(db: Any, code: str) -> dict[str, list[tuple[float, float, str]]]:
    """Per zone, the collagen course (% of baseline by week) of the newest stored prediction of
    the patient's newest plan; empty without one."""
    patient = patient_by_code(db, code)
    if not patient.plans:
        return {}
    stored = list_predictions(db, plan_id=patient.plans[-1].id)
    if not stored:
        return {}
    courses: dict[str, list[tuple[float, float, str]]] = {}
    for zone in stored[-1].get("summary", {}).get("zones", []):
        weekly = zone.get("weekly") or {}
        weeks, values = weekly.get("week", []), weekly.get("collagen_pct", [])
        courses[zone["zone"]] = [
            (7.0 * float(w), float(v), f"week {w}") for w, v in zip(weeks, values, strict=False)
        ]
    return courses


@router.get("/patients/{code}/trend")
def trend_page(
    request: Request,
    code: str,
    clinic: ClinicDep,
    actor: CurrentAccount,
    zone: Annotated[str, Query(max_length=64)] = "",
    view: Annotated[str, Query(max_length=16)] = "front",
) -> Response:
    with clinic.transaction(actor) as db:  # the reading is logged
        research_gate(db, actor, code=code)
        result = photo_service.trend(db, code, view=view)
        course_by_zone = _predicted_course(db, code)
    zones = sorted(
        {z["zone"] for p in result["points"] for z in p["zones"]},
        key=lambda z: display("zone", z),
    )
    chosen = zone if zone in zones else (zones[0] if zones else "")
    charts = []
    predicted: list[tuple[float, float, str]] = []
    for metric in TREND_METRICS:
        series = []
        for point in result["points"]:
            entry = next((z for z in point["zones"] if z["zone"] == chosen), None)
            if entry is None or point["day"] is None or entry.get(metric) is None:
                continue
            series.append((float(point["day"]), float(entry[metric]), point["taken_on"]))
            if metric == TREND_METRICS[0] and entry.get("predicted_collagen_pct") is not None:
                predicted.append(
                    (float(point["day"]), float(entry["predicted_collagen_pct"]), point["taken_on"])
                )
        charts.append(
            {
                "metric": metric,
                "svg": diagram(
                    line_chart_svg(series, title=display("metric", metric), unit=unit(metric))
                ),
            }
        )
    if chosen in course_by_zone:
        predicted = course_by_zone[chosen]
    course = diagram(
        line_chart_svg(
            predicted,
            title="Predicted collagen (model)",
            unit="% of baseline",
            colour="#9a6700",
            dashed=True,
        )
    )
    return render(
        request,
        "photo_trend.html",
        {
            "title": f"Trend · {result.get('patient', code)}",
            "code": code,
            "result": result,
            "zones": zones,
            "zone": chosen,
            "charts": charts,
            "course": course,
            "metric_names": METRIC_NAMES,
            "labels": {m: metric_label(m) for m in TREND_METRICS},
        },
    )
