"""Who is asking, and may they: authentication, the permission table, CSRF and cookies.

Every request passes ``Guard`` (an ASGI middleware) before any handler or body parsing: it finds
the route, authenticates the request (``Authorization: Bearer`` API token, else the session
cookie), and refuses it with 401 or 403 per ``permissions.PERMISSIONS``. A researcher is never
sent an image, whatever route produced it. Forms are checked by ``csrf_guard`` (a dependency
of every route): a cookie-authenticated POST/PUT/PATCH/DELETE must carry the session's CSRF
token, in the ``csrf_token`` form field or the ``X-CSRF-Token`` header, or it is refused with 403.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from microneedling.app.clinic import Actor, Clinic
from microneedling.app.errors import AppError, Forbidden, NotLoggedIn, error_response, to_app_error
from microneedling.app.permissions import allows
from microneedling.app.rendering import CSRF_FIELD
from microneedling.services import accounts

SESSION_COOKIE = "mn_session"
LOGIN_CSRF_COOKIE = "mn_login_csrf"
CSRF_HEADER = "X-CSRF-Token"
# Set on a response refused by the permission table (or the no-photos rule), so a refusal by
# role can be told from a refusal for a missing CSRF token or bad input (the role-matrix test).
REFUSAL_HEADER = "X-Refused-By"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]", "testserver"})
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
    ),
}


def get_clinic(request: Request) -> Clinic:
    clinic = request.app.state.clinic
    assert isinstance(clinic, Clinic)
    return clinic


@dataclass(frozen=True)
class RouteInfo:
    """One route of the app, flattened out of its included routers."""

    path: str  # as declared, with the prefix: "/api/v1/patients/{code}"
    methods: frozenset[str]  # empty for a mount (static files): GET only
    route: Any  # something with ``matches(scope)``
    is_mount: bool

    def permission_keys(self) -> list[tuple[str, str]]:
        """The permission table's keys of this route: ``[("GET", "/patients/{code}")]``."""
        methods = self.methods - {"HEAD"} if self.methods else frozenset({"GET"})
        return [(m, self.path) for m in sorted(methods)]


def app_routes(app: FastAPI) -> list[RouteInfo]:
    """Every route of the app, those of included routers too, in matching order."""
    try:  # FastAPI 0.13x+ keeps included routers as one route each; look inside them
        from fastapi.routing import iter_route_contexts

        contexts: list[Any] = list(iter_route_contexts(app.router.routes))
    except ImportError:
        contexts = list(app.router.routes)
    found = []
    for context in contexts:
        original = getattr(context, "original_route", context)
        is_mount = isinstance(original, Mount)
        path = original.path if is_mount else (getattr(context, "path_format", None) or "")
        methods = frozenset(getattr(context, "methods", None) or ())
        found.append(RouteInfo(path, methods, context, is_mount))
    return found


def route_key(route: RouteInfo, method: str) -> tuple[str, str]:
    """The permission table's key of a request to ``route``."""
    return ("GET" if method == "HEAD" else method), route.path


def matched_route(routes: list[RouteInfo], request: Request) -> RouteInfo | None:
    """The route the request will reach (None: no route, or the wrong method; the router then
    answers 404 or 405 itself)."""
    for route in routes:
        match, _ = route.route.matches(request.scope)
        if match == Match.FULL:
            return route
    return None


def cookie_secure(clinic: Clinic, request: Request) -> bool:
    """Secure cookies unless the browser reached the app on localhost over plain HTTP.

    Behind a TLS proxy uvicorn's proxy headers make the scheme ``https`` (and the cookie Secure).
    """
    if clinic.secure_cookies is not None:
        return clinic.secure_cookies
    return request.url.scheme == "https" or (request.url.hostname or "") not in LOCAL_HOSTS


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


def authenticate(clinic: Clinic, request: Request) -> Actor | None:
    """The account of the request's API token or session cookie, else None (database work:
    run it in a worker thread)."""
    token = _bearer(request)
    if token is not None:
        if not token:
            return None
        with clinic.reading() as db:
            account = accounts.account_for_token(db, token, touch=False)
            if account is None:
                return None
            actor = Actor(account.id, account.username, account.role, "token")
            due = accounts.token_touch_due(db, token)
        if due:  # note when the token was last used (at most every few minutes)
            with clinic.transaction(actor) as db:
                accounts.account_for_token(db, token)
        return actor
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    with clinic.reading() as db:
        row = accounts.session_for_cookie(db, cookie)
        if row is None:
            return None
        account = row.account
        return Actor(account.id, account.username, account.role, "session", row.csrf_token)


def install_guard(app: FastAPI) -> None:
    """Authenticate every request and apply the permission table before any handler runs."""
    app.add_middleware(Guard, application=app)


class Guard:
    """The ASGI middleware behind ``install_guard`` (plain ASGI: the response streams through
    untouched, except its start, which gets the security headers)."""

    def __init__(self, app: ASGIApp, application: FastAPI) -> None:
        self.app = app
        self.application = application
        self.routes: list[RouteInfo] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        clinic = get_clinic(request)
        if not self.routes:  # every router is included by the first request
            self.routes.extend(app_routes(self.application))
        route = matched_route(self.routes, request)
        actor: Actor | None = None
        if route is not None:
            rule = clinic.permissions.get(route_key(route, request.method))
            if rule != "public" or not route.is_mount:
                try:
                    actor = await run_in_threadpool(authenticate, clinic, request)
                except Exception as exc:  # e.g. the database is unreachable
                    await _secured(error_response(request, to_app_error(exc)))(scope, receive, send)
                    return
            request.state.actor = actor
            refusal = _refusal(rule, actor)
            if refusal is not None:
                response = error_response(request, refusal)
                response.headers[REFUSAL_HEADER] = "permissions"
                await _secured(response)(scope, receive, send)
                return
        no_images = actor is not None and actor.is_researcher
        await self.app(scope, receive, _Sender(send, request, no_images))


class _Sender:
    """Adds the security headers to the response's start; for a researcher, replaces an image
    response with a 403 (and drops the image's body)."""

    def __init__(self, send: Send, request: Request, no_images: bool) -> None:
        self.send = send
        self.request = request
        self.no_images = no_images
        self.refused = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            if self.no_images and headers.get("content-type", "").lower().startswith("image/"):
                self.refused = True
                refusal = error_response(self.request, Forbidden("researchers see no face photos"))
                refusal.headers[REFUSAL_HEADER] = "no-photos"
                _secured(refusal)
                await self.send(
                    {
                        "type": "http.response.start",
                        "status": refusal.status_code,
                        "headers": refusal.raw_headers,
                    }
                )
                await self.send({"type": "http.response.body", "body": refusal.body})
                return
            for name, value in SECURITY_HEADERS.items():
                if name not in headers:
                    headers[name] = value
        elif self.refused:  # the image's body: not sent
            return
        await self.send(message)


def _refusal(rule: object, actor: Actor | None) -> AppError | None:
    if rule is None:
        return Forbidden("this address has no permission entry; it is closed to everyone")
    if allows(rule, actor.role if actor else None):  # type: ignore[arg-type]
        return None
    if actor is None:
        return NotLoggedIn()
    return Forbidden(f"the {actor.role} role may not do this")


def _secured(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


async def csrf_guard(request: Request) -> None:
    """Refuse a cookie-authenticated change without the session's CSRF token (403).

    API-token requests carry no ambient credential, so they need no token; the log-in form has
    its own double-submit check (no session exists yet).
    """
    if request.method not in UNSAFE_METHODS:
        return
    actor = getattr(request.state, "actor", None)
    if not isinstance(actor, Actor) or actor.via != "session" or not actor.csrf_token:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not sent or not secrets.compare_digest(sent.encode(), actor.csrf_token.encode()):
        raise Forbidden("the form's CSRF token is missing or wrong; reload the page and retry")
