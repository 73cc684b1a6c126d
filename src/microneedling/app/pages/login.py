"""Log-in and log-out pages, and the home address.

The log-in form has no session yet, so it is protected by a double-submit token: a random value
in a short-lived cookie that the form must echo. Attempts are limited per client address
(``login_attempts_per_minute``); repeated failures lock the account (``services.accounts``).
"""

from __future__ import annotations

import contextlib
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from microneedling.app.deps import ClinicDep, CurrentAccount, OptionalAccount
from microneedling.app.errors import AppError, Forbidden
from microneedling.app.rendering import render
from microneedling.app.security import LOGIN_CSRF_COOKIE, SESSION_COOKIE, cookie_secure
from microneedling.core.errors import ValidationError
from microneedling.services import accounts

router = APIRouter()
HOME = "/patients"
LOGIN_CSRF_MAX_AGE_S = 3600


def safe_next(target: str | None) -> str:
    """A local address to go to after logging in (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return HOME
    if any(ord(ch) < 32 for ch in target) or len(target) > 2000:
        return HOME
    return target


def _login_page(
    request: Request,
    clinic: ClinicDep,
    next_url: str,
    *,
    message: str | None = None,
    username: str = "",
    status_code: int = 200,
) -> Response:
    token = secrets.token_urlsafe(32)
    request.state.login_csrf = token
    response = render(
        request,
        "login.html",
        {"title": "Log in", "next": next_url, "message": message, "username": username},
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        max_age=LOGIN_CSRF_MAX_AGE_S,
        httponly=True,
        samesite="lax",
        secure=cookie_secure(clinic, request),
        path="/login",
    )
    return response


@router.get("/login")
def login_form(
    request: Request, clinic: ClinicDep, actor: OptionalAccount, next: str | None = None
) -> Response:
    if actor is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, clinic, safe_next(next))


@router.post("/login")
def login(
    request: Request,
    clinic: ClinicDep,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=4096)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = HOME,
) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not secrets.compare_digest(expected.encode(), csrf_token.encode()):
        raise Forbidden("the log-in form expired; reload the page and log in again")
    client = request.client.host if request.client else "unknown"
    if not clinic.login_limiter.allow(client):
        raise AppError(429, "too many log-in attempts from this address; wait a minute")
    try:
        actor = accounts.check_username(username)
    except ValidationError:
        actor = "login"
    refused: accounts.LoginRefused | None = None
    with clinic.transaction(actor) as db:
        try:
            account = accounts.authenticate(db, username=username, password=password)
        except accounts.LoginRefused as exc:  # the failure count is committed all the same
            refused = exc
        else:
            started = accounts.start_session(db, account)
    if refused is not None:
        return _login_page(
            request,
            clinic,
            safe_next(next),
            message=str(refused),
            username=username,
            status_code=401,
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        started.cookie,
        max_age=int(accounts.load_policy().session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=cookie_secure(clinic, request),
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, clinic: ClinicDep, actor: CurrentAccount) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE, "")
    with clinic.transaction(actor) as db, contextlib.suppress(ValidationError):
        accounts.end_session(db, cookie)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/")
def home(actor: CurrentAccount) -> Response:
    return RedirectResponse(HOME, status_code=303)
