"""Lot recall: every session and patient a cartridge lot touched."""

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from microneedling.core.errors import NotFoundError, ValidationError
from microneedling.protocol.knowledge import Knowledge
from microneedling.records import models
from microneedling.records.database import Database
from microneedling.services import devices, lots, patients
from tests.services.conftest import give_consent, make_plan, screen
from tests.services.test_sessions import post, prepare, start, treat


@pytest.fixture
def treated(database: Database, knowledge: Knowledge, clinic: Any) -> dict[str, Any]:
    """P1 treated on both cheeks with lot GOOD; another device's cartridge shares the number;
    P2 exists but was never treated."""
    screen(database, knowledge)
    plan = make_plan(database, knowledge, sessions=3, interval_days=28)
    sid = start(database, knowledge, plan["id"])
    prepare(database, knowledge, sid)
    treat(database, sid, zone="cheek_left")
    treat(database, sid, zone="cheek_right")
    post(database, sid)
    with database.transaction("setup") as s:
        roller = devices.add_device(
            s, model="Roller", kind="roller", needle_count=192, depth_min_mm=0.5, depth_max_mm=1.5
        )
        devices.add_cartridge(s, device_id=roller["id"], lot="GOOD", expiry=date(2099, 1, 1))
        patients.register_patient(s, code="P2", birth_year=1980, fitzpatrick="II")
        give_consent(s, "P2")
    return {"plan": plan, "session": sid}


def test_recall_finds_every_session_and_patient(database: Database, treated: Any) -> None:
    with database.transaction("dr") as s:
        found = lots.recall_lot(s, " GOOD ")
    assert found["lot"] == "GOOD"
    assert sorted(c["device"] for c in found["cartridges"]) == ["Pen16", "Roller"]
    (session,) = found["sessions"]
    assert session["session_id"] == treated["session"]
    assert session["patient"] == "P1" and session["zones"] == ["cheek_left", "cheek_right"]
    assert session["device"] == "Pen16" and session["phase"] == "post_treatment"
    assert found["patients"] == [
        {
            "patient": "P1",
            "sessions": [treated["session"]],
            "first_treated_on": session["treated_on"],
            "last_treated_on": session["treated_on"],
        }
    ]
    with database.reading() as s:
        reads = s.execute(
            select(models.AuditEntry.entity, models.AuditEntry.entity_id).where(
                models.AuditEntry.action == "read", models.AuditEntry.actor == "dr"
            )
        ).all()
        p1 = s.scalar(select(models.Patient.id).where(models.Patient.code == "P1"))
    assert ("patient", p1) in [tuple(r) for r in reads]  # who was shown is logged


def test_a_lot_never_used_gives_no_one(database: Database, treated: Any) -> None:
    with database.transaction("dr") as s:
        found = lots.recall_lot(s, "OLD")
    assert found["sessions"] == [] and found["patients"] == []
    assert [c["expiry"] for c in found["cartridges"]] == ["2020-01-01"]


@pytest.mark.parametrize(
    ("lot", "error", "fragment"),
    [
        ("NOPE", NotFoundError, "cartridge lot NOPE not found"),
        ("   ", ValidationError, "lot: name the cartridge lot"),
        ("A\x1b[31m", ValidationError, "control characters"),
        ("L" * 65, ValidationError, "at most 64 characters"),
    ],
)
def test_bad_lots_are_refused(
    database: Database, clinic: Any, lot: str, error: type[Exception], fragment: str
) -> None:
    with database.transaction("dr") as s, pytest.raises(error, match=fragment.replace("[", r"\[")):
        lots.recall_lot(s, lot)
