"""The healing diary in the web app: the patient's link opens its own diary without a log-in and
nothing else (another patient's token shows only theirs; expired, revoked and made-up tokens are
refused); the clinician sees the diary against the prediction with the late-redness flag,
acknowledges it, and it leaves the follow-up list."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import update

from microneedling.core.parsing import utcnow
from microneedling.protocol.knowledge import Knowledge, load_knowledge
from microneedling.records.consent import DiaryEntry, DiaryLink
from microneedling.records.database import Database
from microneedling.services import assessments, devices, diary, patients
from tests.app.conftest import Web
from tests.services.conftest import give_consent
from tests.services.test_diary import treated_session


def diary_clinic(database: Database) -> tuple[Knowledge, int]:
    """P1 graded, consenting and treated at 0.5 mm with the Pen16; the session's id."""
    knowledge = load_knowledge()
    with database.transaction("setup") as s:
        patients.register_patient(s, code="P1", birth_year=1990, fitzpatrick="III")
        pen = devices.add_device(
            s, model="Pen16", kind="pen", needle_count=16, depth_min_mm=0.2, depth_max_mm=3.0
        )
        devices.add_cartridge(s, device_id=pen["id"], lot="GOOD", expiry=date(2099, 1, 1))
        assessments.record_assessment(
            s, knowledge, patient_code="P1", zone="cheek_left", scale="goodman_baron_qualitative",
            score=3, rater="Dr A", indication="acne_scars",
        )  # fmt: skip
        give_consent(s, "P1")
    return knowledge, treated_session(database, knowledge, depth_mm=0.5)


def shows_code(text: str, code: str) -> bool:
    """Whether ``code`` appears on the page as a patient code, not inside a random token (a
    diary link's token is URL-safe base64 and may contain "P2" by chance)."""
    return re.search(rf"(?<![A-Za-z0-9_-]){re.escape(code)}(?![A-Za-z0-9_-])", text) is not None


def issue(web: Web, sid: int) -> str:
    """Issue a link from the clinician's page; the token as the page shows it once."""
    page = web("clinician").post(
        f"/sessions/{sid}/diary/links", data={"csrf_token": web.csrf("clinician")}
    )
    assert page.status_code == 200, page.text
    found = re.search(r'id="diary-link">https?://[^<]*/diary/([A-Za-z0-9_-]+)<', page.text)
    assert found, page.text
    return found.group(1)


def test_a_diary_link_opens_only_its_own_diary(web: Web) -> None:
    knowledge, sid = diary_clinic(web.database)
    other = treated_session(web.database, knowledge, code="P2", depth_mm=1.0)
    mine, theirs = issue(web, sid), issue(web, other)
    patient = web.anonymous()  # no log-in

    page = patient.get(f"/diary/{mine}")
    assert page.status_code == 200 and "day 0" in page.text and 'name="redness"' in page.text
    assert not shows_code(page.text, "P1") and "/patients" not in page.text  # nothing else
    assert shows_code(f"<p>{'P1'}</p>", "P1") and not shows_code("/diary/aY70P1ph", "P1")
    saved = patient.post(
        f"/diary/{mine}",
        data={"redness": "6", "pain": "2", "swelling": "1", "signs": ["fever"]},
        follow_redirects=True,
    )
    assert saved.status_code == 200 and "today's entry is saved" in saved.text
    assert 'id="done-today"' in saved.text
    assert not shows_code(patient.get(f"/diary/{theirs}").text, "P2")
    assert "<td>6</td>" not in patient.get(f"/diary/{theirs}").text  # P1's entry is not there
    with web.database.reading() as s:
        rows = s.query(DiaryEntry).all()
        assert [(r.session_id, r.redness) for r in rows] == [(sid, 6)]
    # the clinician's list shows the warning sign; the patient's client reaches no record
    assert patient.get("/patients/P1", follow_redirects=False).status_code in (303, 401)
    assert patient.get(f"/sessions/{sid}/diary", follow_redirects=False).status_code in (303, 401)
    flags = web("clinician").get("/flags").text
    assert "Fever" in flags and "P1" in flags


def test_expired_revoked_and_made_up_links_are_refused(web: Web) -> None:
    _, sid = diary_clinic(web.database)
    expired, revoked = issue(web, sid), issue(web, sid)
    with web.database.transaction("setup") as s:
        s.execute(
            update(DiaryLink)
            .where(DiaryLink.token_sha256 == diary._hash(expired))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        link_id = s.query(DiaryLink).filter_by(token_sha256=diary._hash(revoked)).one().id
    response = web("clinician").post(
        f"/diary-links/{link_id}/revoke", data={"csrf_token": web.csrf("clinician")}
    )
    assert response.status_code == 200, response.text
    patient = web.anonymous()
    for token, fragment in (
        (expired, "expired"),
        (revoked, "withdrawn by the clinic"),
        ("x" * 43, "not valid"),
        ("..%2F..%2Fpatients", ""),  # not a diary address at all: 404
    ):
        for response in (
            patient.get(f"/diary/{token}"),
            patient.post(f"/diary/{token}", data={"redness": "1", "pain": "1", "swelling": "1"}),
        ):
            assert response.status_code == 404, (token, response.status_code)
            assert fragment in response.text
            assert 'name="redness"' not in response.text
    with web.database.reading() as s:
        assert s.query(DiaryEntry).count() == 0


def test_the_clinician_sees_late_redness_and_acknowledges_it(web: Web) -> None:
    _, sid = diary_clinic(web.database)
    with web.database.transaction("Dr A") as s:
        for day, redness in ((0, 7), (1, 6), (8, 5)):
            diary.record_entry(s, session_id=sid, day=day, redness=redness, pain=1, swelling=1)
    page = web("clinician").get(f"/sessions/{sid}/diary").text
    assert "Late redness" in page and "day 8" in page
    assert 'src="data:image/png;base64,' in page  # the chart against the prediction
    listed = web("clinician").get("/patients").text
    assert 'class="badge-flag"' in listed and "2 follow-up" in listed  # on the patient list
    record = web("clinician").get("/patients/P1").text
    assert f'href="/sessions/{sid}/diary"' in record and "/patients/P1/report.pdf" in record
    flag_ids = re.findall(r'action="/flags/(\d+)/ack"', page)
    assert len(flag_ids) == 2  # late redness; and redness beyond a week, a warning sign
    csrf = {"csrf_token": web.csrf("assistant")}
    assert web("assistant").post(f"/flags/{flag_ids[0]}/ack", data=csrf).status_code == 403
    for flag_id in flag_ids:
        done = web("clinician").post(
            f"/flags/{flag_id}/ack", data={"csrf_token": web.csrf("clinician")}
        )
        assert done.status_code == 200 and "acknowledged by clinician" in done.text
    assert 'id="no-flags"' in web("clinician").get("/flags").text
    assert 'class="badge-flag"' not in web("clinician").get("/patients").text
