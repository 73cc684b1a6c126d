"""A planned zone's depth changed within the protocol's limits, and the editor's zone detail."""

from typing import Any

import pytest

from microneedling.core.errors import ValidationError
from microneedling.protocol.knowledge import Knowledge
from microneedling.records.database import Database
from microneedling.services import plan_zones
from tests.services.conftest import make_plan, screen
from tests.services.test_sessions import start


@pytest.fixture
def plan(database: Database, knowledge: Knowledge, clinic: Any) -> dict[str, Any]:
    screen(database, knowledge)
    return make_plan(database, knowledge)


def set_depth(database: Database, knowledge: Knowledge, plan_id: int, **kwargs: Any) -> Any:
    args = {"zone": "cheek_left", "clinician": "Dr A"} | kwargs
    with database.transaction("dr") as s:
        return plan_zones.set_zone_depth(s, knowledge, plan_id=plan_id, **args)


def test_zone_detail_names_every_limit(
    database: Database, knowledge: Knowledge, plan: dict[str, Any]
) -> None:
    with database.reading() as s:
        details = plan_zones.plan_details(s, knowledge, plan["id"])["zone_details"]
    cheek = next(z for z in details if z["zone"] == "cheek_left")
    assert (cheek["range_min_mm"], cheek["range_max_mm"]) == (1.0, 1.0)  # acne scars, cheek
    assert cheek["zone_limit_mm"] == 1.0 and cheek["zone_limit_source"] == "drpen_chart"
    assert (cheek["allowed_min_mm"], cheek["allowed_max_mm"]) == (0.2, 1.0)  # Pen16 from 0.2
    assert "effective" in cheek["reach"] and cheek["layer"] == "papillary_dermis"


def test_depth_changes_keep_the_limits(
    database: Database, knowledge: Knowledge, plan: dict[str, Any]
) -> None:
    pid = plan["id"]
    with pytest.raises(ValidationError, match=r"outside 0\.2–1 mm"):
        set_depth(database, knowledge, pid, depth_mm=1.25, reason="deep scars")
    with pytest.raises(ValidationError, match=r"multiple of 0\.05"):
        set_depth(database, knowledge, pid, depth_mm=0.83, reason="x")
    with pytest.raises(ValidationError, match=r"reason: .*say why"):
        set_depth(database, knowledge, pid, depth_mm=0.8)
    with pytest.raises(ValidationError, match="does not treat"):
        set_depth(database, knowledge, pid, zone="chin", depth_mm=1.0)
    view = set_depth(database, knowledge, pid, depth_mm=0.8, reason="thin skin")
    cheek = next(z for z in view["zones"] if z["zone"] == "cheek_left")
    assert cheek["depth_mm"] == 0.8
    assert cheek["rationale"].startswith("set to 0.8 mm by Dr A (was 1 mm); reason: thin skin")
    start(database, knowledge, pid)
    with pytest.raises(ValidationError, match="has a session started"):
        set_depth(database, knowledge, pid, depth_mm=0.9, reason="x")
