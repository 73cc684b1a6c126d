"""Dependencies a page or API route declares: the clinic, the logged-in account, a role check.

    from microneedling.app.deps import ClinicDep, CurrentAccount, require_role

    @router.post("/plans")
    def create(clinic: ClinicDep, actor: Annotated[Actor, Depends(require_role("clinician"))]):
        with clinic.transaction(actor) as db:  # the audit log names actor.username
            ...

The permission table (``permissions.py``) already refused the request when the role may not use
the route at all; ``require_role`` is for a finer check inside a route (and says so in the
OpenAPI schema's security).

These dependencies only read the request's state, so they are ``async def``: FastAPI runs a
``def`` dependency in the thread pool, one thread hop per dependency per request, and under load
each hop waits for the interpreter lock (measured with ``benchmarks/bench_web.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request

from microneedling.app.clinic import Actor, Clinic
from microneedling.app.errors import Forbidden, NotLoggedIn
from microneedling.app.security import get_clinic
from microneedling.records.accounts import ROLES


def _logged_in(request: Request) -> Actor:
    actor = getattr(request.state, "actor", None)
    if not isinstance(actor, Actor):
        raise NotLoggedIn()
    return actor


async def current_account(request: Request) -> Actor:
    """The logged-in account (401 when there is none)."""
    return _logged_in(request)


async def optional_account(request: Request) -> Actor | None:
    actor = getattr(request.state, "actor", None)
    return actor if isinstance(actor, Actor) else None


async def request_clinic(request: Request) -> Clinic:
    """The application's shared state (``get_clinic``, without a thread hop)."""
    return get_clinic(request)


def require_role(*roles: str) -> Callable[[Request], Coroutine[Any, Any, Actor]]:
    """A dependency that is the logged-in account if its role is one of ``roles`` (admin always
    is), else refuses with 403."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")
    allowed = frozenset(roles) | {"admin"}

    async def dependency(request: Request) -> Actor:
        actor = _logged_in(request)
        if actor.role not in allowed:
            raise Forbidden(f"the {actor.role} role may not do this")
        return actor

    return dependency


ClinicDep = Annotated[Clinic, Depends(request_clinic)]
CurrentAccount = Annotated[Actor, Depends(current_account)]
OptionalAccount = Annotated[Actor | None, Depends(optional_account)]
