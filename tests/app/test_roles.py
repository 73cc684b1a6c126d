"""The role matrix: every route of the app x every role and logged out, allowed or refused as the
permission table says; CSRF refused without the token; a researcher never receives an image.

The routes come from the app itself, so a route added without a permission entry fails here.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from starlette.responses import Response

from microneedling.app import create_app
from microneedling.app.permissions import LOGGED_IN, PUBLIC, READ, allows
from microneedling.app.security import CSRF_HEADER, REFUSAL_HEADER, app_routes
from microneedling.records.accounts import ROLES
from microneedling.records.database import Database
from microneedling.services import patients
from tests.app.conftest import Web, log_in

SAMPLE_PARAMS = {"code": "P1", "username": "nobody"}
PARAM = re.compile(r"{(\w+)(?::\w+)?}")


def concrete(path: str) -> str:
    """A route's path with a sample value for each parameter (an id: 1)."""
    return PARAM.sub(lambda m: SAMPLE_PARAMS.get(m.group(1), "1"), path)


def requests(web: Web) -> list[tuple[str, str]]:
    """Every (method, path) of the app; log-out last, since it ends the session."""
    keys = sorted({key for route in app_routes(web.app) for key in route.permission_keys()})
    return sorted(keys, key=lambda k: k == ("POST", "/logout"))


def test_every_route_has_a_permission_entry(web: Web) -> None:
    table = web.app.state.clinic.permissions
    missing = [f"{m} {p}" for m, p in requests(web) if (m, p) not in table]
    assert not missing, f"routes without a permission entry: {missing}"


def test_no_permission_entry_names_a_missing_route(web: Web) -> None:
    routes = set(requests(web))
    stale = [f"{m} {p}" for m, p in web.app.state.clinic.permissions if (m, p) not in routes]
    assert not stale, f"permission entries for routes that do not exist: {stale}"


def _send(client: TestClient, method: str, path: str, csrf: str | None) -> Response:
    headers = {CSRF_HEADER: csrf} if csrf else {}
    return client.request(method, concrete(path), headers=headers, follow_redirects=False)  # type: ignore[return-value]


@pytest.mark.parametrize("role", [None, *ROLES])
def test_role_matrix(web: Web, role: str | None) -> None:
    with web.database.transaction("setup") as db:
        patients.register_patient(db, code="P1", birth_year=1980, fitzpatrick="III")
    client = web.anonymous() if role is None else web(role)
    csrf = None if role is None else web.csrf(role)
    table = web.app.state.clinic.permissions
    wrong = []
    for method, path in requests(web):
        response = _send(client, method, path, csrf)
        allowed = allows(table.get((method, path)), role)
        refused = REFUSAL_HEADER in response.headers
        if response.status_code >= 500:
            wrong.append(f"{method} {path}: server error {response.status_code}")
        elif allowed == refused:
            wrong.append(f"{method} {path}: {response.status_code}, expected allowed={allowed}")
        elif refused:
            expected = (303, 401) if role is None else (403,)
            if response.status_code not in expected:
                wrong.append(f"{method} {path}: refused with {response.status_code}")
        if role == "researcher":
            kind = response.headers.get("content-type", "")
            assert not kind.startswith("image/"), f"{method} {path} sent a researcher an image"
    assert not wrong, "\n".join(wrong)


def test_table_rules_are_as_the_roles_describe(web: Web) -> None:
    table = web.app.state.clinic.permissions
    assert table[("GET", "/login")] == PUBLIC and table[("POST", "/logout")] == LOGGED_IN
    assert table[("POST", "/api/v1/plans")] == frozenset({"admin", "clinician"})
    assert "assistant" not in table[("POST", "/api/v1/plans")]
    for (method, _), rule in table.items():  # researchers are read-only
        if method != "GET" and rule not in (PUBLIC, LOGGED_IN):
            assert "researcher" not in rule


def test_page_forms_are_refused_without_the_csrf_token(web: Web) -> None:
    client = web("clinician")
    form = {"code": "P9", "birth_year": "1990", "fitzpatrick": "II"}
    refused = client.post("/patients", data=form, follow_redirects=False)
    assert refused.status_code == 403 and "CSRF" in refused.text
    wrong = client.post("/patients", data=form | {"csrf_token": "forged"}, follow_redirects=False)
    assert wrong.status_code == 403
    done = client.post(
        "/patients", data=form | {"csrf_token": web.csrf("clinician")}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/patients/P9"


def test_a_researcher_never_receives_an_image(database: Database) -> None:
    app = create_app(database=database, job_workers=1)

    def picture() -> Response:
        return Response(b"\x89PNG\r\n\x1a\n", media_type="image/png")

    app.add_api_route("/test-picture", picture)  # as a photo page would send one
    app.state.clinic.permissions[("GET", "/test-picture")] = READ
    web = Web(app, database)
    assert web("clinician").get("/test-picture").status_code == 200
    researcher = web("researcher").get("/test-picture")
    assert researcher.status_code == 403
    assert not researcher.headers["content-type"].startswith("image/")
    token = web.api("researcher").get("/test-picture")
    assert token.status_code == 403
    log_in  # noqa: B018 - the conftest helper logs in the accounts used here
