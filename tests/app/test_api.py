"""The JSON API over a real database: tokens, the error contract, and the same services as the
CLI (a plan made through the API is the planning service's plan)."""

from __future__ import annotations

from typing import Any

import pytest

from microneedling.protocol.knowledge import Knowledge
from microneedling.services import accounts, devices
from tests.app.conftest import Web, research_consent


def no_to_all(knowledge: Knowledge) -> dict[str, bool]:
    return {c.code: False for c in knowledge.contraindications}


def test_without_a_token_the_api_answers_401(web: Web) -> None:
    response = web.anonymous().get("/api/v1/patients")
    assert response.status_code == 401
    assert response.json() == {
        "ok": False,
        "status": 401,
        "title": "Not logged in",
        "error": "log in first",
    }
    assert response.headers["www-authenticate"] == "Bearer"
    forged = web.anonymous().get("/api/v1/me", headers={"Authorization": "Bearer mn_forged"})
    assert forged.status_code == 401


def test_a_revoked_token_stops_working(web: Web) -> None:
    client = web.api("clinician")
    assert client.get("/api/v1/me").json() == {
        "username": "clinician",
        "role": "clinician",
        "via": "token",
    }
    with web.database.transaction("admin") as db:
        for token in accounts.list_tokens(db, username="clinician"):
            accounts.revoke_token(db, token_id=token["id"])
    assert client.get("/api/v1/me").status_code == 401


def test_wrong_role_is_403(web: Web) -> None:
    response = web.api("researcher").post("/api/v1/patients", json={})
    assert (
        response.status_code == 403
        and response.json()["error"] == "the researcher role may not do this"
    )


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        (
            {"code": "P 1", "birth_year": 1990, "fitzpatrick": "II"},
            "code",
            "not a valid patient code",
        ),
        ({"code": "P1", "birth_year": 1850, "fitzpatrick": "II"}, "birth_year", "1900"),
        ({"code": "P1", "birth_year": 1990, "fitzpatrick": "VII"}, "fitzpatrick", "unknown value"),
        ({"code": "P1", "birth_year": "1990", "fitzpatrick": "II"}, "birth_year", "integer"),
        ({"code": "P1", "birth_year": True, "fitzpatrick": "II"}, "birth_year", "integer"),
        ({"code": "P1", "fitzpatrick": "II"}, "birth_year", "required"),
        ({"code": "P1\x1b[2J", "birth_year": 1990, "fitzpatrick": "II"}, "code", "valid"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_the_reason(
    web: Web, body: dict[str, Any], field: str, reason: str
) -> None:
    response = web.api("clinician").post("/api/v1/patients", json=body)
    assert response.status_code == 422, response.text
    error = response.json()
    assert error["field"] == field and reason in error["reason"]
    assert error["error"] == f"{field}: {error['reason']}"


def test_malformed_json_and_nan_are_422(web: Web) -> None:
    client = web.api("clinician")
    broken = client.post(
        "/api/v1/patients", content=b"{", headers={"content-type": "application/json"}
    )
    assert broken.status_code == 422
    client.post("/api/v1/patients", json={"code": "P1", "birth_year": 1990, "fitzpatrick": "II"})
    nan = client.post(
        "/api/v1/patients/P1/assessments",
        content=b'{"zone": "cheek_left", "scale": "glogau", "score": NaN}',
        headers={"content-type": "application/json"},
    )
    assert nan.status_code == 422 and nan.json()["field"] == "score"


def test_a_patient_walks_from_registration_to_a_plan(web: Web, knowledge: Knowledge) -> None:
    client = web.api("clinician")
    made = client.post(
        "/api/v1/patients", json={"code": "MN-7", "birth_year": 1985, "fitzpatrick": "III"}
    )
    assert made.status_code == 201 and made.json()["code"] == "MN-7"
    with web.database.transaction("setup") as db:
        devices.add_device(
            db, model="Pen16", kind="pen", needle_count=16, depth_min_mm=0.2, depth_max_mm=3.0
        )
    blocked = client.post(
        "/api/v1/plans", json={"patient_code": "MN-7", "indication": "acne_scars"}
    )
    assert blocked.status_code == 409  # no screening yet: contraindicated until screened
    screened = client.post(
        "/api/v1/patients/MN-7/screenings", json={"answers": no_to_all(knowledge)}
    )
    assert screened.status_code == 201 and screened.json()["outcome"] == "clear"
    graded = client.post(
        "/api/v1/patients/MN-7/assessments",
        json={
            "zone": "cheek_left",
            "scale": "goodman_baron_qualitative",
            "score": 3,
            "indication": "acne_scars",
        },
    )
    assert graded.status_code == 201 and graded.json()["rater"] == "clinician"
    plan = client.post(
        "/api/v1/plans",
        json={"patient_code": "MN-7", "indication": "acne_scars", "device": "Pen16"},
    )
    assert plan.status_code == 201, plan.text
    plan_id = plan.json()["id"]
    assert [z["zone"] for z in plan.json()["zones"]] == ["cheek_left"]
    assert client.get(f"/api/v1/plans/{plan_id}").json()["zones"] == plan.json()["zones"]
    assert client.get(f"/api/v1/plans/{plan_id}/predictions").json() == []
    timeline = client.get("/api/v1/patients/MN-7/timeline").json()
    assert [e["kind"] for e in timeline["events"]] == ["screening", "assessment", "plan", "session"]
    research_consent(web.database, "MN-7")
    research = web.api("researcher").get("/api/v1/patients/MN-7/timeline").json()
    assert "'clinician'" not in str(research)  # no names for a researcher
    assert "'created_by'" not in str(research) and "'screened_by'" not in str(research)
    assert web.api("researcher").get(f"/api/v1/plans/{plan_id}").json()["zones"]
    trend = client.get("/api/v1/patients/MN-7/trend")
    assert trend.status_code == 200 and trend.json()["points"] == []
    listed = client.get("/api/v1/patients?q=mn&limit=1").json()
    assert listed["total"] == 1 and listed["patients"][0]["code"] == "MN-7"


def test_job_status_through_the_api(web: Web) -> None:
    runner = web.app.state.clinic.jobs
    job_id = runner.submit("example", lambda progress: {"answer": 42}, actor="clinician")
    runner.wait(job_id, 10)
    job = web.api("researcher").get(f"/api/v1/jobs/{job_id}").json()
    assert job["status"] == "done" and job["result"] == {"answer": 42}
    page = web("assistant").get(f"/jobs/{job_id}")
    assert page.status_code == 200 and "done" in page.text
    assert web.api("clinician").get("/api/v1/jobs/99999").status_code == 404
    assert web.api("clinician").get("/api/v1/jobs/0").json()["field"] == "job_id"


def test_openapi_schema_covers_the_api_only(web: Web) -> None:
    schema = web.anonymous().get("/api/v1/openapi.json").json()
    assert "/api/v1/patients" in schema["paths"] and "/login" not in schema["paths"]
    assert "HTTPBearer" in schema["components"]["securitySchemes"]
