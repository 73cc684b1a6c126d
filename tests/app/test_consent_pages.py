"""Consent on the tablet: the page shows the text whose hash is stored, records the ticked
statements, typed name and drawn signature with the logged-in clinician as witness; a consent
withdrawn on the web stops the next session; the report downloads as a PDF."""

from __future__ import annotations

import base64
import hashlib
import html
import io
import re

from pypdf import PdfReader
from sqlalchemy import select

from microneedling.core.errors import ValidationError
from microneedling.protocol.knowledge import load_knowledge
from microneedling.records import models
from microneedling.records.consent import ConsentRecord
from microneedling.services import consent, patients, sessions
from tests.app.conftest import Web
from tests.app.test_diary_pages import diary_clinic
from tests.services.test_consent import signature_png

TEXT = re.compile(r'<div id="consent-text"[^>]*>(.*?)</div>', re.S)


def test_consent_page_stores_the_hash_of_the_text_it_shows(web: Web) -> None:
    with web.database.transaction("setup") as s:
        patients.register_patient(s, code="P1", birth_year=1990, fitzpatrick="III")
    page = web("clinician").get("/patients/P1/consent")
    assert page.status_code == 200
    shown = html.unescape(TEXT.search(page.text).group(1))  # type: ignore[union-attr]
    statements = re.findall(r'name="statements" value="([a-z_]+)"', page.text)
    hashed = re.search(r'name="text_sha256" value="([0-9a-f]{64})"', page.text)
    assert hashed and statements
    form = {
        "kind": "treatment",
        "text_version": "1",
        "text_sha256": hashed.group(1),
        "statements": statements,
        "signer_name": "Zoë <b>Patient</b>",
        "signature": "data:image/png;base64," + base64.b64encode(signature_png()).decode(),
    }
    refused = web("clinician").post("/patients/P1/consent", data=form)  # no CSRF token
    assert refused.status_code == 403
    done = web("clinician").post(
        "/patients/P1/consent", data=form | {"csrf_token": web.csrf("clinician")}
    )
    assert done.status_code == 200, done.text
    assert "Zoë" not in done.text  # the name is not shown back
    with web.database.reading() as s:
        row = s.query(ConsentRecord).one()
        assert row.text_sha256 == hashlib.sha256(shown.encode("utf-8")).hexdigest()
        assert row.witnessed_by == "clinician" and row.statements == statements
        row_id = row.id
    signature = web("clinician").get(f"/consents/{row_id}/signature")
    assert signature.headers["content-type"] == "image/png"
    assert signature.content == signature_png()
    assert web("researcher").get(f"/consents/{row_id}/signature").status_code == 403
    missing = web("clinician").post(
        "/patients/P1/consent",
        data=form | {"statements": statements[1:], "csrf_token": web.csrf("clinician")},
    )
    assert missing.status_code == 422 and "required statements not ticked" in missing.text


def test_withdrawal_on_the_web_stops_the_next_session_and_the_report_downloads(
    web: Web,
) -> None:
    diary_clinic(web.database)
    with web.database.reading() as s:
        consent_id = consent.consent_status(s, "P1")["status"]["treatment"]["consent_id"]
        plan_id = s.scalars(select(models.TreatmentPlan.id)).one()
    response = web("clinician").post(
        f"/consents/{consent_id}/withdraw",
        data={"reason": "changed her mind", "csrf_token": web.csrf("clinician")},
    )
    assert response.status_code == 200 and "Withdrawn" in response.text
    with web.database.transaction("Dr A") as s:
        try:
            sessions.start_session(s, load_knowledge(), plan_id=plan_id, clinician="Dr A")
        except ValidationError as exc:
            assert exc.field == "consent" and "withdrew" in exc.reason
        else:
            raise AssertionError("a session started after the consent was withdrawn")
    pdf = web("clinician").get("/patients/P1/report.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert "attachment" in pdf.headers["content-disposition"]
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Your treatment plan" in text and "withdrawn" in text
    assert web("researcher").get("/patients/P1/report.pdf").status_code == 403
