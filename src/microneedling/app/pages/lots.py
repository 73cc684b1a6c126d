"""Lot recall: every session and patient treated with a cartridge lot (``services.lots``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from microneedling.app.clinic import Actor
from microneedling.app.deps import ClinicDep, require_role
from microneedling.app.permissions import STAFF
from microneedling.app.rendering import NavItem, render
from microneedling.services.lots import recall_lot

router = APIRouter()

PERMISSIONS = {"GET /lots": STAFF}
NAV = [NavItem("Lot recall", "/lots", STAFF, order=50)]


@router.get("/lots")
def lots_page(
    request: Request,
    clinic: ClinicDep,
    actor: Annotated[Actor, Depends(require_role("clinician", "assistant"))],
    lot: Annotated[str, Query(max_length=80)] = "",
) -> Response:
    """The recall form; with ``lot``, who was treated with it (the reading is logged)."""
    recall = None
    if lot:
        with clinic.transaction(actor) as db:
            recall = recall_lot(db, lot)
    return render(request, "lots.html", {"title": "Lot recall", "lot": lot, "recall": recall})
