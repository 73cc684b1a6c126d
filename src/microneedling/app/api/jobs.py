"""``/api/v1/jobs/{job_id}``: a background job's status, progress, result or error; ``/me``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from microneedling.app.api.common import TOKEN, RecordId
from microneedling.app.deps import ClinicDep, CurrentAccount
from microneedling.services import jobs

router = APIRouter(tags=["jobs"], dependencies=TOKEN)


@router.get("/jobs/{job_id}")
def get_job(job_id: RecordId, clinic: ClinicDep, actor: CurrentAccount) -> dict[str, Any]:
    with clinic.reading() as db:
        return jobs.read_job(db, job_id)


@router.get("/me")
def me(actor: CurrentAccount) -> dict[str, Any]:
    """Who the token or session belongs to."""
    return {"username": actor.username, "role": actor.role, "via": actor.via}
