"""Patients: the list with search and paging, a new patient, and a patient's record."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from microneedling.app.api.common import research_gate, research_ids
from microneedling.app.deps import ClinicDep, CurrentAccount
from microneedling.app.rendering import render
from microneedling.core.parsing import LATEST_DATE, MIN_BIRTH_YEAR, parse_int
from microneedling.services import diary as diary_service
from microneedling.services import patients as service
from microneedling.services import timeline as timeline_service
from microneedling.services.paging import Page

router = APIRouter()
PAGE_SIZE = 50
LIST_FIELDS = ("code", "birth_year", "fitzpatrick", "created_at")


@router.get("/patients")
def patient_list(
    request: Request,
    clinic: ClinicDep,
    actor: CurrentAccount,
    q: Annotated[str, Query(max_length=64)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    window = Page(PAGE_SIZE, (page - 1) * PAGE_SIZE)
    with clinic.reading() as db:
        among = research_ids(db, actor)
        rows, total = service.search_patients(db, q, window, LIST_FIELDS, among=among)
        flags = diary_service.open_flag_counts(db) if not actor.is_researcher else {}
    return render(
        request,
        "patients.html",
        {
            "title": "Patients",
            "rows": rows,
            "q": q,
            "page": page,
            "shown": window.describe(len(rows), total),
            "has_more": window.has_more(len(rows), total),
            "flags": flags,  # open follow-up flags per patient (flags_badge.html)
        },
    )


@router.get("/patients/new")
def new_patient_form(request: Request, actor: CurrentAccount) -> Response:
    return render(request, "patient_new.html", {"title": "New patient", "values": {}})


@router.post("/patients")
def new_patient(
    request: Request,
    clinic: ClinicDep,
    actor: CurrentAccount,
    code: Annotated[str, Form(max_length=200)] = "",
    birth_year: Annotated[str, Form(max_length=20)] = "",
    fitzpatrick: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    year = parse_int(birth_year, "birth_year", low=MIN_BIRTH_YEAR, high=LATEST_DATE.year)
    with clinic.transaction(actor) as db:
        view = service.register_patient(db, code=code, birth_year=year, fitzpatrick=fitzpatrick)
    return RedirectResponse(f"/patients/{view['code']}", status_code=303)


@router.get("/patients/{code}")
def patient_record(
    request: Request, code: str, clinic: ClinicDep, actor: CurrentAccount
) -> Response:
    """A patient's record as one timeline (the reading is logged with the actor)."""
    with clinic.transaction(actor) as db:
        research_gate(db, actor, code=code)
        timeline = timeline_service.patient_timeline(db, code, researcher=actor.is_researcher)
    return render(
        request,
        "patient.html",
        {"title": f"Patient {timeline['patient']['code']}", **timeline},
    )
