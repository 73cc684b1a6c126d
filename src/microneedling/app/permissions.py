"""Who may use which route: the one permission table of the app.

A route is ``(METHOD, path)`` with the path as declared (``/patients/{code}``); its entry is
``PUBLIC`` (anyone, logged in or not), ``LOGGED_IN`` (any role) or a set of roles. A route with
no entry is refused to everyone (and fails the role-matrix test), so a new route is closed until
it is given one. Page and API modules of other features declare their routes' entries in a
module-level ``PERMISSIONS`` dict of the same shape (``{"GET /plans/{plan_id}": READ}``); the app
merges them into this table when it starts (``permission_table``).

The roles:

- admin: everything, accounts included;
- clinician: everything clinical;
- assistant: records preparation and post-treatment; cannot plan or finish a session;
- researcher: read-only, pseudonymous codes, metrics, never a face photo (also enforced on every
  response: see ``security.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import ModuleType

from microneedling.records.accounts import ROLES

PUBLIC = "public"
LOGGED_IN = "logged-in"

ADMIN = frozenset({"admin"})
CLINICAL = frozenset({"admin", "clinician"})  # plan, finish a session, screen, assess
STAFF = frozenset({"admin", "clinician", "assistant"})  # patient care, not research
READ = frozenset(ROLES)  # every role may read (researchers see metrics only)
NO_PHOTOS = frozenset({"admin", "clinician", "assistant"})  # face images: never researchers

Rule = frozenset[str] | str

PERMISSIONS: dict[str, Rule] = {
    # log-in, static assets
    "GET /login": PUBLIC,
    "POST /login": PUBLIC,
    "POST /logout": LOGGED_IN,
    "GET /static": PUBLIC,
    # home, patients
    "GET /": LOGGED_IN,
    "GET /patients": READ,
    "GET /patients/new": STAFF,
    "POST /patients": STAFF,
    "GET /patients/{code}": READ,
    "GET /patients/{code}/screening": CLINICAL,
    "POST /patients/{code}/screening": CLINICAL,
    "GET /patients/{code}/assessment": CLINICAL,
    "POST /patients/{code}/assessment": CLINICAL,
    "GET /jobs/{job_id}": READ,
    # accounts (admin)
    "GET /accounts": ADMIN,
    "POST /accounts": ADMIN,
    "POST /accounts/{username}/active": ADMIN,
    # JSON API
    "GET /api/v1/openapi.json": PUBLIC,
    "GET /api/v1/me": LOGGED_IN,
    "GET /api/v1/patients": READ,
    "POST /api/v1/patients": STAFF,
    "GET /api/v1/patients/{code}": READ,
    "GET /api/v1/patients/{code}/timeline": READ,
    "GET /api/v1/patients/{code}/screenings": READ,
    "POST /api/v1/patients/{code}/screenings": CLINICAL,
    "GET /api/v1/patients/{code}/assessments": READ,
    "POST /api/v1/patients/{code}/assessments": CLINICAL,
    "GET /api/v1/patients/{code}/trend": READ,
    "GET /api/v1/plans/{plan_id}": READ,
    "POST /api/v1/plans": CLINICAL,
    "GET /api/v1/plans/{plan_id}/predictions": READ,
    "GET /api/v1/jobs/{job_id}": READ,
}


def parse_key(key: str) -> tuple[str, str]:
    method, _, path = key.partition(" ")
    if not method.isupper() or not path.startswith("/"):
        raise ValueError(f"permission key {key!r} is not 'METHOD /path'")
    return method, path


def check_rule(key: str, rule: Rule) -> Rule:
    if isinstance(rule, str):
        if rule not in (PUBLIC, LOGGED_IN):
            raise ValueError(f"permission {key!r}: unknown rule {rule!r}")
        return rule
    unknown = set(rule) - set(ROLES)
    if unknown:
        raise ValueError(f"permission {key!r}: unknown roles {sorted(unknown)}")
    return frozenset(rule)


def permission_table(modules: Iterable[ModuleType] = ()) -> dict[tuple[str, str], Rule]:
    """This table and the ``PERMISSIONS`` of ``modules``; a route given twice is an error."""
    table: dict[tuple[str, str], Rule] = {}
    sources: list[Mapping[str, Rule]] = [PERMISSIONS]
    sources += [m.PERMISSIONS for m in modules if isinstance(getattr(m, "PERMISSIONS", None), dict)]
    for entries in sources:
        for key, rule in entries.items():
            route = parse_key(key)
            if route in table:
                raise ValueError(f"permission {key!r} is declared twice")
            table[route] = check_rule(key, rule)
    return table


def allows(rule: Rule | None, role: str | None) -> bool:
    """Whether ``role`` (None: logged out) may use a route under ``rule`` (None: no entry)."""
    if rule is None:
        return False
    if rule == PUBLIC:
        return True
    if role is None:
        return False
    return rule == LOGGED_IN or role in rule
