"""A background job's progress and, when done, its result (the page refreshes itself)."""

from __future__ import annotations

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from microneedling.app.deps import ClinicDep, CurrentAccount
from microneedling.app.rendering import render
from microneedling.core.parsing import MAX_ID
from microneedling.services import jobs

router = APIRouter()


@router.get("/jobs/{job_id}")
def job_page(
    request: Request,
    clinic: ClinicDep,
    actor: CurrentAccount,
    job_id: int = Path(ge=1, le=MAX_ID),
) -> Response:
    with clinic.reading() as db:
        job = jobs.read_job(db, job_id)
    return render(request, "job.html", {"title": f"Job {job_id}", "job": job})
