"""``/api/v1/patients``: list, register, read, the timeline, screenings, assessments, trend."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from microneedling.app.api.common import TOKEN, PatientCode, for_actor, research_gate, research_ids
from microneedling.app.clinic import Actor, Clinic
from microneedling.app.deps import ClinicDep, CurrentAccount
from microneedling.core.clinical import RaterRole
from microneedling.records.models import Patient
from microneedling.services import assessments, screenings, timeline
from microneedling.services import patients as service
from microneedling.services import photos as photo_service
from microneedling.services.lookups import patient_by_code
from microneedling.services.paging import MAX_LIMIT, MAX_OFFSET, Page
from microneedling.services.views import record

router = APIRouter(prefix="/patients", tags=["patients"], dependencies=TOKEN)
LIST_FIELDS = ("code", "birth_year", "fitzpatrick", "created_at")

Text64 = Annotated[str, Field(max_length=64)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class PatientIn(Strict):
    code: Text64
    birth_year: int
    fitzpatrick: Annotated[str, Field(max_length=8)]
    history: Annotated[
        dict[Text64, Annotated[str, Field(max_length=10_000)]], Field(max_length=50)
    ] = {}


class ScreeningIn(Strict):
    answers: Annotated[dict[Text64, bool], Field(max_length=200)]


class AssessmentIn(Strict):
    zone: Text64
    scale: Text64
    score: Annotated[float, Field(allow_inf_nan=False)]
    rater_role: Text64 = RaterRole.INVESTIGATOR.value
    time_point: Text64 = "baseline"
    indication: Text64 | None = None
    counts: Annotated[dict[Text64, int], Field(max_length=20)] = {}
    notes: Annotated[str, Field(max_length=10_000)] | None = None
    assessed_at: datetime | None = None


class PatientPage(BaseModel):
    patients: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


@router.get("")
def list_patients(
    clinic: ClinicDep,
    actor: CurrentAccount,
    q: Annotated[str, Query(max_length=64)] = "",
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> PatientPage:
    """Patients by code whose code contains ``q``, one page at a time."""
    with clinic.reading() as db:
        among = research_ids(db, actor)
        rows, total = service.search_patients(db, q, Page(limit, offset), LIST_FIELDS, among=among)
    return PatientPage(patients=rows, total=total, limit=limit, offset=offset)


@router.post("", status_code=201)
def create_patient(body: PatientIn, clinic: ClinicDep, actor: CurrentAccount) -> dict[str, Any]:
    """Register a patient under a pseudonymous code."""
    with clinic.transaction(actor) as db:
        return service.register_patient(db, **body.model_dump())


@router.get("/{code}")
def get_patient(code: PatientCode, clinic: ClinicDep, actor: CurrentAccount) -> dict[str, Any]:
    """One patient (the reading is logged)."""
    with clinic.transaction(actor) as db:
        research_gate(db, actor, code=code)
        return dict(for_actor(actor, service.show_patient(db, code)))


@router.get("/{code}/timeline")
def get_timeline(code: PatientCode, clinic: ClinicDep, actor: CurrentAccount) -> dict[str, Any]:
    """Everything recorded about the patient, oldest first (researchers: metrics, no names)."""
    with clinic.transaction(actor) as db:
        research_gate(db, actor, code=code)
        view = timeline.patient_timeline(db, code, researcher=actor.is_researcher)
    return dict(for_actor(actor, view))


def _patient_rows(
    clinic: Clinic, actor: Actor, code: str, rows_of: Callable[[Patient], list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Rows read from one patient's record (inside the read), as the account may see them."""
    with clinic.reading() as db:
        research_gate(db, actor, code=code)
        rows = rows_of(patient_by_code(db, code))
    return list(for_actor(actor, rows))


@router.get("/{code}/screenings")
def list_screenings(
    code: PatientCode, clinic: ClinicDep, actor: CurrentAccount
) -> list[dict[str, Any]]:
    return _patient_rows(
        clinic, actor, code, lambda p: [screenings.screening_view(s) for s in p.screenings]
    )


@router.post("/{code}/screenings", status_code=201)
def create_screening(
    code: PatientCode, body: ScreeningIn, clinic: ClinicDep, actor: CurrentAccount
) -> dict[str, Any]:
    """Store a screening's answers (code: yes/no); the outcome and findings come back."""
    with clinic.transaction(actor) as db:
        return screenings.screen_patient(
            db, clinic.knowledge, patient_code=code, answers=body.answers, clinician=actor.username
        )


@router.get("/{code}/assessments")
def list_assessments(
    code: PatientCode, clinic: ClinicDep, actor: CurrentAccount
) -> list[dict[str, Any]]:
    return _patient_rows(
        clinic, actor, code, lambda p: [record(a, exclude=("patient_id",)) for a in p.assessments]
    )


@router.post("/{code}/assessments", status_code=201)
def create_assessment(
    code: PatientCode, body: AssessmentIn, clinic: ClinicDep, actor: CurrentAccount
) -> dict[str, Any]:
    """Record one score on a clinical scale for one zone; the rater is the logged-in account."""
    with clinic.transaction(actor) as db:
        return assessments.record_assessment(
            db, clinic.knowledge, patient_code=code, rater=actor.username, **body.model_dump()
        )


@router.get("/{code}/trend")
def get_trend(
    code: PatientCode,
    clinic: ClinicDep,
    actor: CurrentAccount,
    view: Annotated[str, Query(max_length=16)] = "front",
) -> dict[str, Any]:
    """Every analysed photo's metrics in date order beside the predicted course (no images)."""
    with clinic.transaction(actor) as db:
        research_gate(db, actor, code=code)
        return dict(for_actor(actor, photo_service.trend(db, code, view=view)))
