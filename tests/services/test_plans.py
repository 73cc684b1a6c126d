from typing import Any

import pytest
from sqlalchemy import func, select

from microneedling.core.errors import ContraindicatedError, NotFoundError, ValidationError
from microneedling.protocol.knowledge import Knowledge
from microneedling.records import models
from microneedling.records.database import Database
from microneedling.services import screenings
from tests.services.conftest import make_plan, screen


def plan_count(database: Database) -> int:
    with database.reading() as s:
        return s.scalar(select(func.count()).select_from(models.TreatmentPlan)) or 0


def test_no_plan_without_screening(database: Database, knowledge: Knowledge, clinic: Any) -> None:
    with pytest.raises(ContraindicatedError, match="has not been screened"):
        make_plan(database, knowledge)
    assert plan_count(database) == 0


def test_absolute_contraindication_blocks_plan(
    database: Database, knowledge: Knowledge, clinic: Any
) -> None:
    screen(database, knowledge, isotretinoin=True)
    with pytest.raises(ContraindicatedError, match="absolute contraindication \\(isotretinoin\\)"):
        make_plan(database, knowledge)
    assert plan_count(database) == 0


def test_relative_needs_recorded_acknowledgement(
    database: Database, knowledge: Knowledge, clinic: Any
) -> None:
    screening = screen(database, knowledge, anticoagulants=True)
    with pytest.raises(ContraindicatedError, match="acknowledge"):
        make_plan(database, knowledge)
    with database.transaction("dr") as s:
        acknowledged = screenings.acknowledge(
            s, screening_id=screening["id"], clinician="Dr B", note="INR checked"
        )
    assert acknowledged["acknowledged_by"] == "Dr B"
    assert acknowledged["acknowledged_at"] is not None
    plan = make_plan(database, knowledge)
    assert plan["screening_id"] == screening["id"]
    with (
        pytest.raises(ValidationError, match="already acknowledged"),
        database.transaction("dr") as s,
    ):
        screenings.acknowledge(s, screening_id=screening["id"], clinician="Dr B")


def test_latest_screening_decides(database: Database, knowledge: Knowledge, clinic: Any) -> None:
    screen(database, knowledge)
    screen(database, knowledge, herpes_outbreak=True)
    with pytest.raises(ContraindicatedError):
        make_plan(database, knowledge)


def test_absolute_screening_cannot_be_acknowledged(
    database: Database, knowledge: Knowledge, clinic: Any
) -> None:
    screening = screen(database, knowledge, pregnancy=True)
    with (
        pytest.raises(ContraindicatedError, match="cannot be acknowledged"),
        database.transaction("dr") as s,
    ):
        screenings.acknowledge(s, screening_id=screening["id"], clinician="Dr B")


def test_plan_explains_per_zone_depths(
    database: Database, knowledge: Knowledge, clinic: Any
) -> None:
    screen(database, knowledge)
    plan = make_plan(database, knowledge, first_session=None)
    zones = {z["zone"]: z for z in plan["zones"]}
    assert set(zones) == {"cheek_left", "cheek_right"}  # the assessed zones
    # the cheek zone includes the cheekbone: 1.0 mm at most (drpen_chart), whatever the grade
    assert zones["cheek_left"]["depth_mm"] == 1.0  # grade 4 of 4
    assert zones["cheek_right"]["depth_mm"] == pytest.approx(1.0)  # grade 2
    assert "1 mm nominal → about 0.20 mm effective" in zones["cheek_left"]["rationale"]
    assert "Goodman-Baron" in zones["cheek_left"]["rationale"]
    assert any("not medical advice" in line for line in plan["rationale"])
    assert [s["number"] for s in plan["sessions"]] == [1]
    assert plan["sessions"][0]["phase"] == "scheduled"


def test_plan_with_named_zone_and_unknown_device(
    database: Database, knowledge: Knowledge, clinic: Any
) -> None:
    screen(database, knowledge)
    with pytest.raises(NotFoundError, match="device 'Nope'"), database.transaction("dr") as s:
        from microneedling.services.plans import create_plan

        create_plan(
            s,
            knowledge,
            patient_code="P1",
            indication="acne_scars",
            clinician="Dr A",
            device="Nope",
        )
    plan = make_plan(database, knowledge, zones=["chin"])
    assert [z["zone"] for z in plan["zones"]] == ["chin"]
    assert plan["zones"][0]["depth_mm"] == 1.0
    with pytest.raises(ValidationError, match="unknown zone 'ear'"):
        make_plan(database, knowledge, zones=["ear"])
