from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from microneedling.core.errors import PhaseOrderError, ValidationError
from microneedling.core.parsing import utcnow
from microneedling.protocol.knowledge import Knowledge
from microneedling.records import models
from microneedling.records.database import Database
from microneedling.services import sessions
from tests.services.conftest import make_plan, screen


@pytest.fixture
def plan(database: Database, knowledge: Knowledge, clinic: Any) -> dict[str, Any]:
    screen(database, knowledge)
    return make_plan(database, knowledge, sessions=3, interval_days=28)


def start(database: Database, knowledge: Knowledge, plan_id: int) -> int:
    with database.transaction("dr") as s:
        return int(sessions.start_session(s, knowledge, plan_id=plan_id, clinician="Dr A")["id"])


def prepare(database: Database, knowledge: Knowledge, session_id: int, minutes: int = 60) -> Any:
    now = utcnow()
    with database.transaction("dr") as s:
        return sessions.record_preparation(
            s,
            knowledge,
            session_id=session_id,
            cleansed=True,
            numbing_product="emla",
            applied_at=now - timedelta(minutes=minutes),
            removed_at=now,
            anaesthetic_area="cheeks",
        )


def treat(database: Database, session_id: int, **kwargs: Any) -> Any:
    args = {
        "zone": "cheek_left",
        "depth_mm": 1.0,
        "passes": 3,
        "pattern": "crosshatch",
        "endpoint": "pinpoint_bleeding",
        "cartridge_lot": "GOOD",
    } | kwargs
    with database.transaction("dr") as s:
        return sessions.record_zone(s, session_id=session_id, **args)


def post(database: Database, session_id: int, sterile: bool = True) -> Any:
    with database.transaction("dr") as s:
        return sessions.record_post_treatment(
            s, session_id=session_id, product="HA serum", sterile=sterile
        )


def finish(database: Database, knowledge: Knowledge, session_id: int) -> Any:
    with database.transaction("dr") as s:
        return sessions.finish_session(s, knowledge, session_id=session_id)


def test_whole_session(database: Database, knowledge: Knowledge, plan: dict[str, Any]) -> None:
    session_id = start(database, knowledge, plan["id"])
    assert prepare(database, knowledge, session_id)["warnings"] == []
    treat(database, session_id)
    treat(database, session_id, zone="cheek_right", depth_mm=1.0)
    post(database, session_id)
    done = finish(database, knowledge, session_id)
    assert done["phase"] == "completed"
    assert [p["phase"] for p in done["phases"]] == ["preparation", "treatment", "post_treatment"]
    for phase in done["phases"]:
        assert phase["started_at"] <= phase["ended_at"]
    assert done["phases"][0]["data"]["dwell_minutes"] == pytest.approx(60)
    assert done["next_session"] == (date.today() + timedelta(days=28)).isoformat()
    assert "mild sunburn" in done["aftercare"]
    assert "not medical advice" in done["aftercare"]
    with database.reading() as s:
        aftercare = sessions.aftercare_for_session(s, knowledge, session_id)
        scheduled = s.scalars(
            select(models.TreatmentSession).where(models.TreatmentSession.number == 2)
        ).one()
        assert scheduled.phase == "scheduled"
    assert aftercare["aftercare"] == done["aftercare"]


def test_series_ends_after_planned_sessions(
    database: Database, knowledge: Knowledge, plan: dict[str, Any]
) -> None:
    for number in (1, 2, 3):
        session_id = start(database, knowledge, plan["id"])
        prepare(database, knowledge, session_id)
        treat(database, session_id)
        post(database, session_id)
        done = finish(database, knowledge, session_id)
        assert done["number"] == number
    assert done["next_session"] is None
    with pytest.raises(ValidationError, match="no scheduled session left"):
        start(database, knowledge, plan["id"])


@pytest.mark.parametrize("step", ["treat", "post", "finish"])
def test_phases_cannot_be_skipped(
    database: Database, knowledge: Knowledge, plan: dict[str, Any], step: str
) -> None:
    session_id = start(database, knowledge, plan["id"])
    with pytest.raises(PhaseOrderError, match="phase 'preparation'"):
        if step == "treat":
            treat(database, session_id)
        elif step == "post":
            post(database, session_id)
        else:
            finish(database, knowledge, session_id)
    with database.reading() as s:
        row = s.get_one(models.TreatmentSession, session_id)
        assert row.phase == "preparation"
        assert row.zone_treatments == []


def test_phases_cannot_be_repeated(
    database: Database, knowledge: Knowledge, plan: dict[str, Any]
) -> None:
    session_id = start(database, knowledge, plan["id"])
    prepare(database, knowledge, session_id)
    with pytest.raises(PhaseOrderError, match="cannot record preparation"):
        prepare(database, knowledge, session_id)
    with pytest.raises(ValidationError, match="at least one treated zone"):
        post(database, session_id)
    with pytest.raises(ValidationError, match="still in progress"):
        start(database, knowledge, plan["id"])


def test_depth_outside_plan_needs_recorded_reason(
    database: Database, knowledge: Knowledge, plan: dict[str, Any]
) -> None:
    session_id = start(database, knowledge, plan["id"])
    prepare(database, knowledge, session_id)
    with pytest.raises(ValidationError) as err:
        treat(database, session_id, zone="cheek_right", depth_mm=2.5)
    assert err.value.field == "deviation_reason"
    view = treat(database, session_id, zone="cheek_right", depth_mm=2.5, deviation_reason="boxcar")
    assert "boxcar" in view["warnings"][0]
    assert view["zone_treatments"][0]["deviation_reason"] == "boxcar"


def test_cartridge_and_zone_checks(
    database: Database, knowledge: Knowledge, plan: dict[str, Any]
) -> None:
    session_id = start(database, knowledge, plan["id"])
    prepare(database, knowledge, session_id)
    with pytest.raises(ValidationError, match="expired on 2020-01-01"):
        treat(database, session_id, cartridge_lot="OLD")
    with pytest.raises(ValidationError, match="not registered"):
        treat(database, session_id, cartridge_lot="NOPE")
    with pytest.raises(ValidationError, match="not in the plan"):
        treat(database, session_id, zone="forehead", depth_mm=0.5)
    with pytest.raises(ValidationError, match="outside the device's range"):
        treat(database, session_id, depth_mm=0.1)
    treat(database, session_id)
    with pytest.raises(ValidationError, match="already recorded"):
        treat(database, session_id)


def test_short_numbing_and_non_sterile_product_are_recorded_warnings(
    database: Database, knowledge: Knowledge, plan: dict[str, Any]
) -> None:
    session_id = start(database, knowledge, plan["id"])
    assert (
        "outside its stated" in prepare(database, knowledge, session_id, minutes=15)["warnings"][0]
    )
    treat(database, session_id)
    view = post(database, session_id, sterile=False)
    assert "granulomas" in view["warnings"][0]
    stored = {p["phase"]: p["warnings"] for p in view["phases"]}
    assert stored["preparation"] and stored["post_treatment"]


def test_each_visit_rechecks_screening(
    database: Database, knowledge: Knowledge, plan: dict[str, Any]
) -> None:
    screen(database, knowledge, active_infection=True)
    from microneedling.core.errors import ContraindicatedError

    with pytest.raises(ContraindicatedError):
        start(database, knowledge, plan["id"])
