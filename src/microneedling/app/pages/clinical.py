"""Clinical entry pages: the screening form (built from the screening questions) and assessment
entry on the clinical scales. Both call the same services as the CLI."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from microneedling.app.clinic import Actor
from microneedling.app.deps import ClinicDep, CurrentAccount
from microneedling.app.rendering import render
from microneedling.core.clinical import Indication, RaterRole
from microneedling.core.errors import ValidationError
from microneedling.core.parsing import MAX_COUNT, check_text, parse_float, parse_int
from microneedling.core.zones import FacialZone
from microneedling.protocol.knowledge import Knowledge
from microneedling.services import assessments, screenings
from microneedling.services.lookups import patient_by_code

router = APIRouter()
ANSWERS = {"yes": True, "no": False}
MAX_FORM_TEXT = 10_000


async def form_values(request: Request) -> dict[str, str]:
    """The posted form as text values (a file field is refused: these forms take none)."""
    form = await request.form()
    values: dict[str, str] = {}
    for key, value in form.multi_items():
        if not isinstance(value, str):
            raise ValidationError(key, "a file was sent where text was expected")
        values[key] = value
    return values


def screening_answers(knowledge: Knowledge, values: dict[str, str]) -> dict[str, bool]:
    """Every question answered yes or no (``answer_<code>`` fields)."""
    answers = {}
    for question in screenings.screening_questions(knowledge):
        answer = values.get(f"answer_{question['code']}", "").strip().lower()
        if answer not in ANSWERS:
            raise ValidationError(f"answers.{question['code']}", "answer yes or no")
        answers[question["code"]] = ANSWERS[answer]
    return answers


def _patient_code(clinic: ClinicDep, code: str) -> str:
    with clinic.reading() as db:
        return patient_by_code(db, code).code


@router.get("/patients/{code}/screening")
def screening_form(
    request: Request, code: str, clinic: ClinicDep, actor: CurrentAccount
) -> Response:
    return render(
        request,
        "screening_form.html",
        {
            "title": "Screening",
            "code": _patient_code(clinic, code),
            "questions": screenings.screening_questions(clinic.knowledge),
        },
    )


@router.post("/patients/{code}/screening")
async def screen(request: Request, code: str, clinic: ClinicDep, actor: CurrentAccount) -> Response:
    values = await form_values(request)
    answers = screening_answers(clinic.knowledge, values)
    view = await _run(
        clinic,
        actor,
        lambda db: screenings.screen_patient(
            db, clinic.knowledge, patient_code=code, answers=answers, clinician=actor.username
        ),
    )
    return RedirectResponse(f"/patients/{view['patient']}#screening-{view['id']}", status_code=303)


async def _run(clinic: ClinicDep, actor: Actor, work: Any) -> dict[str, Any]:
    """``work(db)`` in one transaction, off the event loop."""
    from starlette.concurrency import run_in_threadpool

    def call() -> dict[str, Any]:
        with clinic.transaction(actor) as db:
            result: dict[str, Any] = work(db)
            return result

    return await run_in_threadpool(call)


def assessment_fields(knowledge: Knowledge, values: dict[str, str]) -> dict[str, Any]:
    """The assessment form's values, parsed; each error names its field."""
    scale = knowledge.scale(values.get("scale", ""), "scale")
    score = parse_float(values.get("score", ""), "score")
    counts: dict[str, int] = {}
    for name in scale.counts:
        raw = values.get(f"count_{name}", "").strip()
        if raw:
            counts[name] = parse_int(raw, f"counts.{name}", low=0, high=MAX_COUNT)
    notes = check_text(values.get("notes", ""), "notes", max_length=MAX_FORM_TEXT, multiline=True)
    time_point = check_text(values.get("time_point", "").strip(), "time_point", max_length=64)
    return {
        "zone": values.get("zone", ""),
        "scale": values.get("scale", ""),
        "score": score,
        "rater_role": values.get("rater_role", RaterRole.INVESTIGATOR.value),
        "time_point": time_point or "baseline",
        "indication": values.get("indication") or None,
        "counts": counts,
        "notes": notes.strip() or None,
    }


@router.get("/patients/{code}/assessment")
def assessment_form(
    request: Request, code: str, clinic: ClinicDep, actor: CurrentAccount
) -> Response:
    return render(
        request,
        "assessment_form.html",
        {
            "title": "Assessment",
            "code": _patient_code(clinic, code),
            "zones": [z.value for z in FacialZone],
            "scales": clinic.knowledge.scales,
            "roles": [r.value for r in RaterRole],
            "indications": [i.value for i in Indication],
        },
    )


@router.post("/patients/{code}/assessment")
async def assess(request: Request, code: str, clinic: ClinicDep, actor: CurrentAccount) -> Response:
    fields = assessment_fields(clinic.knowledge, await form_values(request))
    view = await _run(
        clinic,
        actor,
        lambda db: assessments.record_assessment(
            db, clinic.knowledge, patient_code=code, rater=actor.username, **fields
        ),
    )
    return RedirectResponse(f"/patients/{view['patient']}#assessment-{view['id']}", status_code=303)
