"""``/api/v1/plans``: read a plan, create one through the planning service, its predictions."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from microneedling.app.api.common import TOKEN, RecordId, for_actor, research_gate
from microneedling.app.deps import ClinicDep, CurrentAccount
from microneedling.services import plans, predictions

router = APIRouter(prefix="/plans", tags=["plans"], dependencies=TOKEN)

Text64 = Annotated[str, Field(max_length=64)]


class PlanIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    patient_code: Text64
    indication: Text64
    zones: Annotated[list[Text64], Field(max_length=20)] | None = None
    device: Annotated[str, Field(max_length=128)] | None = None
    sessions: Annotated[int, Field(ge=1, le=12)] | None = None
    interval_days: Annotated[int, Field(ge=1, le=365)] | None = None
    first_session: Annotated[date, Field(strict=False)] | None = None


@router.post("", status_code=201)
def create_plan(body: PlanIn, clinic: ClinicDep, actor: CurrentAccount) -> dict[str, Any]:
    """Plan a series (screening gate, per-zone depths with reasons); the planner is the account."""
    with clinic.transaction(actor) as db:
        return plans.create_plan(
            db, clinic.knowledge, clinician=actor.username, **body.model_dump()
        )


@router.get("/{plan_id}")
def get_plan(plan_id: RecordId, clinic: ClinicDep, actor: CurrentAccount) -> dict[str, Any]:
    with clinic.reading() as db:
        research_gate(db, actor, plan_id=plan_id)
        return dict(for_actor(actor, plans.show_plan(db, plan_id)))


@router.get("/{plan_id}/predictions")
def list_predictions(
    plan_id: RecordId, clinic: ClinicDep, actor: CurrentAccount
) -> list[dict[str, Any]]:
    """The stored simulations of the plan (inputs, summary, model version)."""
    with clinic.reading() as db:
        plans.show_plan(db, plan_id)  # 404 for an unknown plan
        research_gate(db, actor, plan_id=plan_id)
        return predictions.list_predictions(db, plan_id=plan_id)
