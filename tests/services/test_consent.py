"""Consent gates the session start (none, withdrawn, a newer version in effect), stores the hash
of the text shown, and keeps the patient's name and signature out of the audit and erasable."""

from __future__ import annotations

import base64
import copy
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from PIL import Image
from sqlalchemy import select

from microneedling.core.data import read_data
from microneedling.core.errors import ValidationError
from microneedling.protocol.consent import CONSENT_FILE_ENV
from microneedling.protocol.knowledge import Knowledge
from microneedling.records import models
from microneedling.records.consent import ConsentRecord
from microneedling.records.database import Database
from microneedling.services import consent, erasure, sessions
from tests.services.conftest import give_consent, make_plan, screen

NAME = "Zoë Quill-Patient"


def signature_png() -> bytes:
    image = Image.new("RGBA", (300, 100), (255, 255, 255, 0))
    for x in range(20, 280):
        image.putpixel((x, 50 + (x % 7)), (0, 0, 0, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def plan(database: Database, knowledge: Knowledge, clinic: Any) -> dict[str, Any]:
    screen(database, knowledge)
    return make_plan(database, knowledge, sessions=3, interval_days=28)


def start(database: Database, knowledge: Knowledge, plan_id: int) -> dict[str, Any]:
    with database.transaction("Dr A") as s:
        return sessions.start_session(s, knowledge, plan_id=plan_id, clinician="Dr A")


def refused(database: Database, knowledge: Knowledge, plan_id: int, fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment) as caught:
        start(database, knowledge, plan_id)
    assert caught.value.field == "consent"


def test_no_consent_refuses_the_session(database: Database, knowledge: Knowledge) -> None:
    """A patient who never consented: the gate names it (the fixture's P1 has consented)."""
    from microneedling.services import patients

    with database.transaction("Dr A") as s:
        patients.register_patient(s, code="P9", birth_year=1980, fitzpatrick="II")
        patient = s.scalars(select(models.Patient).where(models.Patient.code == "P9")).one()
        with pytest.raises(ValidationError, match="P9 has no treatment consent"):
            consent.require_treatment_consent(s, patient)
        give_consent(s, "P9", kind="research_photos")
        assert consent.has_research_consent(s, patient)
        with pytest.raises(ValidationError, match="no treatment consent"):
            consent.require_treatment_consent(s, patient)  # research consent is not treatment


def test_withdrawal_refuses_the_next_session(
    database: Database, knowledge: Knowledge, plan: dict[str, Any]
) -> None:
    with database.reading() as s:
        status = consent.consent_status(s, "P1")
    assert status["status"]["treatment"]["state"] == "given"
    with database.transaction("Dr A") as s:
        withdrawn = consent.withdraw_consent(
            s, consent_id=status["status"]["treatment"]["consent_id"], reason="patient's wish"
        )
    assert withdrawn["withdrawn"] and withdrawn["withdrawn_by"] == "Dr A"
    refused(database, knowledge, plan["id"], "P1 withdrew their treatment consent on")
    with database.transaction("Dr A") as s, pytest.raises(ValidationError, match="already"):
        consent.withdraw_consent(s, consent_id=withdrawn["id"], reason="again")
    with database.transaction("Dr A") as s:
        give_consent(s, "P1")
    assert start(database, knowledge, plan["id"])["phase"] == "preparation"


def test_a_new_version_in_effect_refuses_until_consented(
    database: Database,
    knowledge: Knowledge,
    plan: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old_form = consent.consent_form("treatment")
    raw = read_data("consent.yaml")
    revised = copy.deepcopy(raw["treatment"][0]) | {"version": "2", "effective": "2026-06-01"}
    revised["sections"][0]["text"] += " The needles are single-use and sterile."
    raw["treatment"].append(revised)
    path = tmp_path / "consent.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    monkeypatch.setenv(CONSENT_FILE_ENV, str(path))

    refused(database, knowledge, plan["id"], "version 2 of the treatment consent is in effect")
    with database.transaction("Dr A") as s, pytest.raises(ValidationError, match="text shown"):
        consent.record_consent(
            s,
            patient_code="P1",
            kind="treatment",
            statements=[i["id"] for i in old_form["statements"]],
            signer_name=NAME,
            shown_sha256=old_form["text_sha256"],  # the old text, shown before the change
        )
    with database.transaction("Dr A") as s:
        view = give_consent(s, "P1")
    assert view["text_version"] == "2"
    assert start(database, knowledge, plan["id"])["phase"] == "preparation"


def test_stored_hash_is_the_hash_of_the_text_shown(database: Database, clinic: Any) -> None:
    form = consent.consent_form("treatment")
    with database.transaction("Dr A") as s:
        view = consent.record_consent(
            s,
            patient_code="P1",
            kind="treatment",
            statements=[i["id"] for i in form["statements"]],
            signer_name=NAME,
            signature=signature_png(),
            text_version=form["version"],
            shown_sha256=form["text_sha256"],
        )
    with database.reading() as s:
        row = s.get_one(ConsentRecord, view["id"])
        assert row.text_sha256 == hashlib.sha256(form["text"].encode("utf-8")).hexdigest()
        assert row.witnessed_by == "Dr A" and row.statements == [
            i["id"] for i in form["statements"]
        ]
        assert consent.signature_png(s, view["id"]) == signature_png()


def test_required_statements_and_signatures_are_checked(database: Database, clinic: Any) -> None:
    form = consent.consent_form("treatment")
    ids = [i["id"] for i in form["statements"]]
    cases = [
        ({"statements": ids[1:]}, "statements: required statements not ticked"),
        ({"statements": [*ids, "made_up"]}, "unknown statement 'made_up'"),
        ({"statements": ids, "signer_name": "  "}, "signer_name"),
        ({"statements": ids, "signature": b"\x89PNG\r\n\x1a\nrubbish"}, "not a readable PNG"),
        ({"statements": ids, "signature": "data:image/jpeg;base64,AAAA"}, "PNG data URL"),
        ({"statements": ids, "text_version": "0"}, "text_version"),
    ]
    for extra, fragment in cases:
        args = {"signer_name": NAME} | extra
        with database.transaction("Dr A") as s, pytest.raises(ValidationError, match=fragment):
            consent.record_consent(s, patient_code="P1", kind="treatment", **args)


def test_name_and_signature_stay_out_of_the_audit_and_are_erased(
    database: Database, clinic: Any
) -> None:
    png = signature_png()
    url = "data:image/png;base64," + base64.b64encode(png).decode()
    form = consent.consent_form("treatment")
    with database.transaction("Dr A") as s:
        view = consent.record_consent(
            s,
            patient_code="P1",
            kind="treatment",
            statements=[i["id"] for i in form["statements"]],
            signer_name=NAME,
            signature=url,
        )
    with database.reading() as s:
        audit = json.dumps([e.changes for e in s.scalars(select(models.AuditEntry))])
        kept = {
            (p.field, json.loads(p.value))
            for p in s.scalars(
                select(models.PersonalValue).where(
                    models.PersonalValue.entity == "consent_record",
                    models.PersonalValue.entity_id == view["id"],
                )
            )
        }
    assert NAME not in audit and base64.b64encode(png).decode()[:40] not in audit
    assert view["signer_name_ref"] in audit  # the keyed hash is what the audit keeps
    assert ("signer_name", NAME) in kept and {f for f, _ in kept} == {
        "signer_name",
        "signature_png",
        "witnessed_by",  # staff names are kept out of the audit like every other name
    }
    with database.transaction("Dr A") as s:
        erasure.erase_patient(s, "P1", reason="patient's request")
    with database.reading() as s:
        assert consent.signature_png(s, view["id"]) is None
        left = s.scalars(
            select(models.PersonalValue).where(models.PersonalValue.entity == "consent_record")
        ).all()
        assert left == []
        assert s.get_one(ConsentRecord, view["id"]).text_sha256 == form["text_sha256"]
