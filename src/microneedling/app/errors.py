"""One error contract, rendered by one handler (after datasette's ``handle_exception``).

Every refusal, whatever raised it, becomes an ``AppError`` with a status, a title, a message and,
for bad input, the field and the reason. The API answers it as JSON::

    {"ok": false, "status": 422, "title": "Invalid value", "error": "depth_mm: ...",
     "field": "depth_mm", "reason": "..."}

and a page renders ``error.html`` with the same values (a 401 on a page sends the browser to the
log-in page instead). Core errors map as: ValidationError 422, NotFoundError 404,
ContraindicatedError and PhaseOrderError 409, a refused log-in 401, a researcher asking for a
patient without research consent 403, any other user error 400. An
unexpected exception is a 500 that names no internals; bad input never reaches it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response

from microneedling.core.errors import (
    ContraindicatedError,
    DatabaseError,
    MicroneedlingError,
    NotFoundError,
    PhaseOrderError,
    ValidationError,
)
from microneedling.services.accounts import LoginRefused
from microneedling.services.research import ResearchRefused

LOG = logging.getLogger(__name__)
API_PREFIX = "/api/"

TITLES = {
    400: "Bad request",
    401: "Not logged in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Too large",
    422: "Invalid value",
    429: "Too many attempts",
    500: "Internal error",
    503: "Database unavailable",
}


@dataclass
class AppError(Exception):
    """A refusal with everything both renderings need."""

    status: int
    message: str
    field: str | None = None
    reason: str | None = None
    headers: dict[str, str] | None = None

    @property
    def title(self) -> str:
        return TITLES.get(self.status, "Error")

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "status": self.status,
            "title": self.title,
            "error": self.message,
        }
        if self.field is not None:
            body |= {"field": self.field, "reason": self.reason}
        return body


class NotLoggedIn(AppError):  # noqa: N818 - named as the user reads it
    def __init__(self, message: str = "log in first") -> None:
        super().__init__(401, message, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(AppError):  # noqa: N818 - named as the user reads it
    def __init__(self, message: str = "your role may not do this") -> None:
        super().__init__(403, message)


def _field_of(loc: Sequence[Any]) -> str:
    """A request-validation location as a field name: ``body.depth_mm`` -> ``depth_mm``,
    ``query.limit`` -> ``limit``, nested ``body.zones.0.depth_mm`` -> ``zones[0].depth_mm``."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form"):
        parts = parts[1:]
    name = ""
    for part in parts:
        name += f"[{part}]" if isinstance(part, int) else (f".{part}" if name else str(part))
    return name or "body"


def to_app_error(exc: BaseException) -> AppError:
    """The contract's view of any exception a request can raise."""
    if isinstance(exc, AppError):
        return exc
    if isinstance(exc, ValidationError):
        return AppError(422, str(exc), exc.field, exc.reason)
    if isinstance(exc, NotFoundError):
        return AppError(404, str(exc))
    if isinstance(exc, (ContraindicatedError, PhaseOrderError)):
        return AppError(409, str(exc))
    if isinstance(exc, LoginRefused):
        return AppError(401, str(exc))
    if isinstance(exc, ResearchRefused):
        return AppError(403, str(exc))
    if isinstance(exc, DatabaseError):
        refused = str(exc).startswith("change refused")
        return AppError(409 if refused else 503, str(exc))
    if isinstance(exc, MicroneedlingError):
        return AppError(400, str(exc))
    if isinstance(exc, RequestValidationError):
        errors = exc.errors()
        first = errors[0] if errors else {"loc": ("body",), "msg": "invalid request"}
        field = _field_of(first.get("loc", ("body",)))
        reason = str(first.get("msg", "invalid value"))
        return AppError(422, f"{field}: {reason}", field, reason)
    if isinstance(exc, StarletteHTTPException):
        headers = dict(exc.headers) if exc.headers else None
        return AppError(exc.status_code, str(exc.detail), headers=headers)
    LOG.error("unexpected error", exc_info=exc)
    return AppError(500, "internal error; the request was not completed")


def wants_json(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def error_response(request: Request, error: AppError) -> Response:
    """The one rendering of a refusal: JSON for the API, a page (or the log-in page) otherwise."""
    if wants_json(request):
        return JSONResponse(error.as_json(), status_code=error.status, headers=error.headers)
    if error.status == 401 and request.method in ("GET", "HEAD"):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='/')}", status_code=303)
    from microneedling.app.rendering import render

    return render(
        request,
        "error.html",
        {"error": error, "title": error.title},
        status_code=error.status,
        headers=error.headers,
    )


async def handle_exception(request: Request, exc: Exception) -> Response:
    return error_response(request, to_app_error(exc))


def install_error_handlers(app: FastAPI) -> None:
    """Route every exception through ``handle_exception``."""
    for kind in (
        AppError,
        MicroneedlingError,
        RequestValidationError,
        StarletteHTTPException,
        Exception,
    ):
        app.add_exception_handler(kind, handle_exception)
