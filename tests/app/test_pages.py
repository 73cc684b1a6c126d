"""Pages over a real database: the patient list, a record, screening and assessment entry, and
stored text shown as text."""

from __future__ import annotations

from typing import Any

from microneedling.protocol.knowledge import Knowledge
from microneedling.services import patients
from tests.app.conftest import Web, research_consent, withdraw_research_consent

HOSTILE = '<script>alert("x")</script><b onmouseover="x()">bold</b> & "quotes"'


def post(web: Web, role: str, path: str, data: dict[str, Any]) -> Any:
    return web(role).post(path, data=data | {"csrf_token": web.csrf(role)}, follow_redirects=False)


def test_stored_markup_comes_back_escaped(web: Web) -> None:
    with web.database.transaction("setup") as db:
        patients.register_patient(
            db, code="P1", birth_year=1980, fitzpatrick="III", history={"note": HOSTILE}
        )
    page = web("clinician").get("/patients/P1")
    assert page.status_code == 200
    assert "<script>alert" not in page.text and 'onmouseover="x()"' not in page.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text
    assert "&amp; &#34;quotes&#34;" in page.text


def test_patient_list_searches_and_pages(web: Web) -> None:
    with web.database.transaction("setup") as db:
        for number in range(1, 56):
            patients.register_patient(
                db, code=f"MN-{number:03d}", birth_year=1980, fitzpatrick="II"
            )
        patients.register_patient(db, code="OTHER-1", birth_year=1980, fitzpatrick="II")
    client = web("assistant")
    first = client.get("/patients")
    assert "rows 1–50 of 56" in first.text and 'rel="next"' in first.text
    second = client.get("/patients?page=2")
    assert "rows 51–56 of 56" in second.text and "OTHER-1" in second.text
    found = client.get("/patients?q=mn-05")
    assert "rows 1–6 of 6" in found.text and "OTHER-1" not in found.text
    wildcard = client.get("/patients?q=%25")  # a LIKE wildcard is searched for, not expanded
    assert "No patient matches" in wildcard.text


def test_new_patient_form_and_its_errors(web: Web) -> None:
    form = web("assistant").get("/patients/new")
    assert form.status_code == 200 and '<label for="code">' in form.text
    done = post(
        web, "assistant", "/patients", {"code": "MN-1", "birth_year": "1990", "fitzpatrick": "IV"}
    )
    assert done.status_code == 303 and done.headers["location"] == "/patients/MN-1"
    again = post(
        web, "assistant", "/patients", {"code": "mn-1", "birth_year": "1990", "fitzpatrick": "IV"}
    )
    assert again.status_code == 422 and "code" in again.text and "too like" in again.text
    bad_year = post(
        web,
        "assistant",
        "/patients",
        {"code": "MN-2", "birth_year": "１９９０", "fitzpatrick": "IV"},
    )
    assert bad_year.status_code == 422 and "birth_year" in bad_year.text


def test_screening_form_lists_every_question_and_records_the_answers(
    web: Web, knowledge: Knowledge
) -> None:
    with web.database.transaction("setup") as db:
        patients.register_patient(db, code="P1", birth_year=1980, fitzpatrick="III")
    form = web("clinician").get("/patients/P1/screening")
    codes = [c.code for c in knowledge.contraindications]
    assert all(f'name="answer_{code}"' in form.text for code in codes)
    partial = post(web, "clinician", "/patients/P1/screening", {f"answer_{codes[0]}": "no"})
    assert partial.status_code == 422 and f"answers.{codes[1]}" in partial.text
    answers = {f"answer_{code}": "no" for code in codes} | {f"answer_{codes[0]}": "yes"}
    done = post(web, "clinician", "/patients/P1/screening", answers)
    assert done.status_code == 303
    record = web("clinician").get(done.headers["location"])
    assert "Outcome:" in record.text and "by clinician" in record.text


def test_assessment_entry_checks_the_scale(web: Web) -> None:
    with web.database.transaction("setup") as db:
        patients.register_patient(db, code="P1", birth_year=1980, fitzpatrick="III")
    form = web("clinician").get("/patients/P1/assessment")
    assert 'name="score"' in form.text and "Left cheek" in form.text
    fields = {
        "zone": "cheek_left",
        "scale": "goodman_baron_qualitative",
        "rater_role": "investigator",
    }
    out_of_range = post(web, "clinician", "/patients/P1/assessment", fields | {"score": "7"})
    assert out_of_range.status_code == 422 and "score" in out_of_range.text
    done = post(
        web, "clinician", "/patients/P1/assessment", fields | {"score": "3", "notes": HOSTILE}
    )
    research_consent(web.database, "P1")
    assert done.status_code == 303
    record = web("researcher").get("/patients/P1")
    assert "Left cheek" in record.text and "<strong>3</strong>" in record.text
    assert "alert" not in record.text and "by clinician" not in record.text  # no names, no notes
    unknown = web("clinician").get("/patients/NOPE")
    assert unknown.status_code == 404 and "patient NOPE not found" in unknown.text


def test_a_researcher_sees_only_patients_with_research_consent(web: Web) -> None:
    with web.database.transaction("setup") as db:
        for code in ("P1", "P2"):
            patients.register_patient(db, code=code, birth_year=1980, fitzpatrick="III")
    research_consent(web.database, "P2")
    researcher = web("researcher")
    listed = researcher.get("/patients")
    assert "rows 1–1 of 1" in listed.text and "/patients/P2" in listed.text
    assert "/patients/P1" not in listed.text
    refused = researcher.get("/patients/P1")
    assert refused.status_code == 403 and "not consented to research" in refused.text
    assert researcher.get("/patients/P2").status_code == 200
    assert researcher.get("/patients/P1/trend").status_code == 403  # the clinical pages too
    assert researcher.get("/patients/P2/trend").status_code == 200
    api = web.api("researcher")
    assert [p["code"] for p in api.get("/api/v1/patients").json()["patients"]] == ["P2"]
    for path in ("", "/timeline", "/trend", "/assessments", "/screenings"):
        assert api.get(f"/api/v1/patients/P1{path}").status_code == 403
        assert api.get(f"/api/v1/patients/P2{path}").status_code == 200
    withdraw_research_consent(web.database, "P2")
    assert researcher.get("/patients/P2").status_code == 403
    assert api.get("/api/v1/patients").json()["total"] == 0
    assert web("clinician").get("/patients/P1").status_code == 200  # staff see everyone
