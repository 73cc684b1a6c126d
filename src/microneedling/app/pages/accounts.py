"""Accounts (admin only): list, create, disable and enable again."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from microneedling.app.deps import ClinicDep, CurrentAccount
from microneedling.app.errors import AppError
from microneedling.app.permissions import ADMIN
from microneedling.app.rendering import NavItem, render
from microneedling.records.accounts import ROLES
from microneedling.services import accounts as service

router = APIRouter()
NAV = [NavItem("Accounts", "/accounts", ADMIN, order=90)]


@router.get("/accounts")
def account_list(request: Request, clinic: ClinicDep, actor: CurrentAccount) -> Response:
    with clinic.reading() as db:
        rows = service.list_accounts(db)
    return render(request, "accounts.html", {"title": "Accounts", "rows": rows, "roles": ROLES})


@router.post("/accounts")
def create_account(
    clinic: ClinicDep,
    actor: CurrentAccount,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=4096)] = "",
    role: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    with clinic.transaction(actor) as db:
        service.create_account(db, username=username, password=password, role=role)
    return RedirectResponse("/accounts", status_code=303)


@router.post("/accounts/{username}/active")
def set_active(
    clinic: ClinicDep,
    actor: CurrentAccount,
    username: str,
    active: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    if active not in ("yes", "no"):
        raise AppError(422, "active: answer yes or no", "active", "answer yes or no")
    if username == actor.username and active == "no":
        raise AppError(409, "you cannot disable your own account")
    with clinic.transaction(actor) as db:
        service.set_active(db, username=username, active=active == "yes")
    return RedirectResponse("/accounts", status_code=303)
