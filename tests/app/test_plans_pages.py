"""The plan editor and the session runner, page by page, over a real database."""

from __future__ import annotations

import re
from datetime import date

from microneedling.services import assessments, devices, patients, screenings
from tests.app.conftest import Web, research_consent
from tests.services.conftest import give_consent, no_to_all


def graded_patient(web: Web) -> None:
    """P1 screened clear, graded on both cheeks, consenting; a pen with an in-date lot."""
    from microneedling.protocol.knowledge import load_knowledge

    knowledge = load_knowledge()
    with web.database.transaction("setup") as s:
        patients.register_patient(s, code="P1", birth_year=1990, fitzpatrick="III")
        pen = devices.add_device(
            s, model="Pen16", kind="pen", needle_count=16, depth_min_mm=0.2, depth_max_mm=3.0
        )
        devices.add_cartridge(s, device_id=pen["id"], lot="LOT-7", expiry=date(2099, 1, 1))
        for zone, grade in (("cheek_left", 4), ("cheek_right", 2)):
            assessments.record_assessment(
                s, knowledge, patient_code="P1", zone=zone, scale="goodman_baron_qualitative",
                score=grade, rater="Dr A", indication="acne_scars",
            )  # fmt: skip
        screenings.screen_patient(
            s, knowledge, patient_code="P1", answers=no_to_all(knowledge), clinician="Dr A"
        )
        give_consent(s, "P1")


def post(web: Web, role: str, path: str, **data: str) -> str:
    """Post a form as ``role`` and follow the redirect; returns the final page."""
    response = web(role).post(path, data=data | {"csrf_token": web.csrf(role)})
    assert response.status_code == 200, response.text
    return response.text


def test_plan_on_the_face_diagram_then_a_whole_session(web: Web) -> None:
    graded_patient(web)
    form = web("clinician").get("/patients/P1/plans/new")
    assert form.status_code == 200 and 'data-action="toggle"' in form.text
    page = post(
        web, "clinician", "/patients/P1/plans", indication="acne_scars", device="1",
        zones="cheek_left",
    )  # fmt: skip
    assert 'id="plan-zone-cheek_left"' in page and 'aria-label="Left cheek: 1.00 mm' in page
    assert 'aria-label="Chin: none"' in page  # not planned
    assert "Dr. Pen needle depth guide" in page and "drpen_chart" not in page
    assert 'id="zone-detail-cheek_left"' in page and "Zone limit" in page
    # a clinician changes the depth; outside the range a reason is needed; the limit holds
    refused = web("clinician").post(
        "/plans/1/zones/cheek_left", data={"depth_mm": "0.8", "csrf_token": web.csrf("clinician")}
    )
    assert refused.status_code == 422 and "say why" in refused.text
    too_deep = web("clinician").post(
        "/plans/1/zones/cheek_left",
        data={"depth_mm": "1.5", "reason": "x", "csrf_token": web.csrf("clinician")},
    )
    assert too_deep.status_code == 422 and "outside 0.2–1 mm" in too_deep.text
    page = post(web, "clinician", "/plans/1/zones/cheek_left", depth_mm="0.8", reason="thin skin")
    assert 'aria-label="Left cheek: 0.80 mm' in page and "set to 0.8 mm by clinician" in page
    # assistants may not plan; researchers read
    assistant = web("assistant").post(
        "/plans/1/zones/cheek_left", data={"depth_mm": "0.9", "csrf_token": web.csrf("assistant")}
    )
    assert assistant.status_code == 403
    assert web("researcher").get("/plans/1").status_code == 403  # no research consent yet
    research_consent(web.database, "P1")
    assert web("researcher").get("/plans/1").status_code == 200

    # the session: the assistant starts and prepares, the clinician treats and finishes
    page = post(web, "assistant", "/plans/1/sessions")
    session_id = re.search(r'action="/sessions/(\d+)/preparation"', page)
    assert session_id, page
    sid = session_id.group(1)
    assert 'id="timer"' in page and "EMLA" in page
    page = post(
        web, "assistant", f"/sessions/{sid}/preparation", cleansed="yes", numbing_product="emla",
        dwell_minutes="20", anaesthetic_area="cheeks",
    )  # fmt: skip
    assert "outside its stated 60–300 min" in page  # the protocol's warning, shown
    refused = web("assistant").post(
        f"/sessions/{sid}/zones",
        data={"zone": "cheek_left", "csrf_token": web.csrf("assistant")},
    )
    assert refused.status_code == 403
    page = post(
        web, "clinician", f"/sessions/{sid}/zones", zone="cheek_left", depth_mm="0.8",
        passes="3", pattern="crosshatch", endpoint="uniform_erythema", cartridge_lot="LOT-7",
        deviation_reason="thin skin, as planned",
    )  # fmt: skip
    assert "Left cheek: 0.80 mm, 3 passes, Cross-hatch, Even redness" in page
    page = post(web, "assistant", f"/sessions/{sid}/post", product="HA serum", sterile="yes")
    assert "A clinician finishes the session" in page
    assert 'id="finish"' in web("clinician").get(f"/sessions/{sid}").text
    sheet = post(web, "clinician", f"/sessions/{sid}/finish")
    assert "Aftercare after your microneedling session" in sheet and "@media print" not in sheet
    assert web("clinician").get("/static/clinical.css").text.count("@media print") == 1
    # the plan shows what was done on the same diagram
    plan = web("clinician").get("/plans/1").text
    assert 'id="session-zone-cheek_left"' in plan

    # lot recall finds the patient
    recall = web("assistant").get("/lots", params={"lot": "LOT-7"})
    assert recall.status_code == 200 and "Patients to contact (1)" in recall.text
    assert web("researcher").get("/lots").status_code == 403
    assert web("clinician").get("/lots", params={"lot": "NOPE"}).status_code == 404
