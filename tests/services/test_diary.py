"""The healing diary: a token opens only its own session's diary (not another patient's, not
once expired or revoked); late redness after a 0.5 mm session raises a flag on day 8 and not
when it settles by day 2; warning signs raise a flag; a clinician acknowledges it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from microneedling.core.errors import ValidationError
from microneedling.core.parsing import utcnow
from microneedling.protocol.knowledge import Knowledge
from microneedling.records import models
from microneedling.records.database import Database
from microneedling.services import assessments, diary, patients, plans, screenings, sessions
from tests.services.conftest import give_consent, no_to_all


def treated_session(
    database: Database, knowledge: Knowledge, code: str = "P1", depth_mm: float = 0.5
) -> int:
    """A new patient (unless P1 of the clinic) screened, consented, planned and treated at
    ``depth_mm`` on the left cheek; the session's id."""
    with database.transaction("Dr A") as s:
        if code != "P1":
            patients.register_patient(s, code=code, birth_year=1985, fitzpatrick="II")
            assessments.record_assessment(
                s,
                knowledge,
                patient_code=code,
                zone="cheek_left",
                scale="goodman_baron_qualitative",
                score=3,
                rater="Dr A",
                indication="acne_scars",
            )
            give_consent(s, code)
        screenings.screen_patient(
            s, knowledge, patient_code=code, answers=no_to_all(knowledge), clinician="Dr A"
        )
        plan = plans.create_plan(
            s, knowledge, patient_code=code, indication="acne_scars", clinician="Dr A",
            device="Pen16",
        )  # fmt: skip
    with database.transaction("Dr A") as s:
        sid = int(sessions.start_session(s, knowledge, plan_id=plan["id"], clinician="Dr A")["id"])
        now = utcnow()
        sessions.record_preparation(
            s, knowledge, session_id=sid, cleansed=True, numbing_product="emla",
            applied_at=now - timedelta(minutes=45), removed_at=now, anaesthetic_area="cheek",
        )  # fmt: skip
        sessions.record_zone(
            s, session_id=sid, zone="cheek_left", depth_mm=depth_mm, passes=3,
            pattern="crosshatch", endpoint="uniform_erythema", cartridge_lot="GOOD",
            deviation_reason="superficial pass, as agreed",
        )  # fmt: skip
        sessions.record_post_treatment(s, session_id=sid, product="HA serum", sterile=True)
        sessions.finish_session(s, knowledge, session_id=sid)
    return sid


def enter(database: Database, sid: int, days: dict[int, int], **extra: Any) -> list[Any]:
    raised = []
    for day, redness in days.items():
        with database.transaction("Dr A") as s:
            view = diary.record_entry(
                s, session_id=sid, day=day, redness=redness, pain=1, swelling=1, **extra
            )
        raised += view["flags_raised"]
    return raised


@pytest.fixture
def sid(database: Database, knowledge: Knowledge, clinic: Any) -> int:
    return treated_session(database, knowledge)


def test_a_token_opens_only_its_own_diary(
    database: Database, knowledge: Knowledge, sid: int
) -> None:
    other = treated_session(database, knowledge, code="P2", depth_mm=1.0)
    with database.transaction("Dr A") as s:
        mine = diary.issue_link(s, session_id=sid)
        theirs = diary.issue_link(s, session_id=other)
    assert mine["token"] != theirs["token"] and len(mine["token"]) >= 43
    later = utcnow() + timedelta(days=1)
    with database.transaction("patient") as s:
        diary.add_entry(s, token=mine["token"], redness=4, pain=2, swelling=1, now=later)
        view = diary.patient_diary(s, mine["token"], now=later)
    assert view["day"] == 1 and view["entered_today"]
    assert [e["redness"] for e in view["entries"]] == [4]
    assert "P1" not in str(view) and "patient" not in view  # the patient page names no record
    with database.reading() as s:
        assert [e["day"] for e in diary.diary_view(s, sid)["entries"]] == [1]
        assert diary.diary_view(s, other)["entries"] == []  # the other diary is untouched
        assert diary.patient_diary(s, theirs["token"], now=later)["entries"] == []
        with pytest.raises(ValidationError, match="already filled in"):
            diary.add_entry(s, token=mine["token"], redness=1, pain=1, swelling=1, now=later)


def test_expired_revoked_and_unknown_tokens_open_nothing(
    database: Database, knowledge: Knowledge, sid: int
) -> None:
    with database.transaction("Dr A") as s:
        link = diary.issue_link(s, session_id=sid)
        revoked = diary.issue_link(s, session_id=sid)
        diary.revoke_link(s, link_id=revoked["id"])
    cases = [
        (link["token"], utcnow() + timedelta(days=14, seconds=1), "expired"),
        (revoked["token"], utcnow(), "withdrawn by the clinic"),
        (link["token"][:-2] + "xx", utcnow(), "not valid"),
        ("short", utcnow(), "not valid"),
    ]
    with database.reading() as s:
        assert diary.patient_diary(s, link["token"])["day"] == 0
        for token, when, fragment in cases:
            with pytest.raises(diary.DiaryLinkRefusedError, match=fragment):
                diary.patient_diary(s, token, now=when)
            with pytest.raises(diary.DiaryLinkRefusedError):
                diary.add_entry(s, token=token, redness=1, pain=1, swelling=1, now=when)


def test_redness_on_day_8_after_half_a_millimetre_raises_the_late_flag(
    database: Database, knowledge: Knowledge, sid: int
) -> None:
    raised = enter(database, sid, {0: 7, 1: 6, 2: 5, 8: 4})
    kinds = [f["kind"] for f in raised]
    assert "late_redness" in kinds
    late = next(f for f in raised if f["kind"] == "late_redness")
    assert "day 8" in late["reason"] and "0.5 mm" in late["reason"]
    with database.reading() as s:
        view = diary.diary_view(s, sid)
        assert view["predicted"]["depth_mm"] == 0.5
        assert 2.0 < view["late_after"]["day"] < 8.0  # the interval's upper end, 0.5 mm
        assert diary.open_flag_counts(s) == {"P1": len(raised)}
    with database.transaction("Dr B") as s:
        for flag in raised:
            acked = diary.acknowledge_flag(s, flag_id=flag["id"])
            assert acked["acknowledged_by"] == "Dr B" and not acked["open"]
    with database.reading() as s:
        assert diary.open_flag_counts(s) == {}
        assert len(diary.list_flags(s, patient_code="P1", open_only=False)) == len(raised)


def test_redness_that_settles_by_day_2_raises_no_flag(database: Database, sid: int) -> None:
    assert enter(database, sid, {0: 8, 1: 4, 2: 1, 3: 0, 8: 0}) == []
    with database.reading() as s:
        assert diary.list_flags(s) == []


def test_a_warning_sign_raises_a_flag(database: Database, sid: int) -> None:
    raised = enter(database, sid, {1: 3}, signs=["fever", "pus"])
    assert [f["kind"] for f in raised] == ["warning_sign"]
    assert "Fever" in raised[0]["reason"] and "infection" in raised[0]["reason"]
    with database.transaction("Dr A") as s, pytest.raises(ValidationError, match="unknown"):
        diary.record_entry(s, session_id=sid, day=2, redness=1, pain=1, swelling=1, signs=["itchy"])
    with database.transaction("Dr A") as s, pytest.raises(ValidationError, match="redness"):
        diary.record_entry(s, session_id=sid, day=3, redness=11, pain=1, swelling=1)


def test_a_stored_session_prediction_is_the_basis(database: Database, sid: int) -> None:
    """With a stored prediction of the session, its deepest zone's course and the widest
    settling interval decide when redness is late (a made-up summary keeps this quick)."""
    daily = {"day_after_last": [0.0, 1.0, 2.0], "value": [3.0, 1.0, 0.2]}
    daily |= {"p5": [2.0, 0.5, 0.1], "p95": [5.0, 2.0, 0.9]}
    summary = {
        "zones": [
            {
                "zone": "cheek_left",
                "depth_mm": 0.5,
                "erythema_daily": daily,
                "erythema_settled_day_interval": {"p5": 0.9, "p50": 1.2, "p95": 6.5},
            }
        ]
    }
    with database.transaction("Dr A") as s:
        s.add(
            models.Prediction(
                session_id=sid, kind="session", model_version="test", inputs={}, summary=summary
            )
        )
    with database.reading() as s:
        view = diary.diary_view(s, sid)
    assert view["predicted"]["basis"].startswith("stored prediction")
    assert view["late_after"]["day"] == 6.5
    assert enter(database, sid, {6: 5}) == []  # not late before the stored interval's end
    assert [f["kind"] for f in enter(database, sid, {7: 5})] == ["late_redness"]


def test_a_diary_photo_is_analysed_and_its_redness_measured(database: Database, sid: int) -> None:
    """The photo goes through the same measuring as any upload; its mean a* is held beside the
    patient's score (the web runs this as a job)."""
    from tests.app.test_photos_pages import face_jpeg

    if database.url.get_backend_name() != "sqlite":
        pytest.skip("the measuring is the same on every database; run once, on SQLite")
    enter(database, sid, {1: 4})
    steps: list[str] = []
    done = diary.attach_photo(
        database, "patient", session_id=sid, day=1, data=face_jpeg(6.0),
        progress=lambda fraction, message: steps.append(message),
    )  # fmt: skip
    assert steps and done["day"] == 1
    with database.reading() as s:
        view = diary.diary_view(s, sid)
    assert view["entries"][0]["photo_id"] == done["photo_id"]
    assert view["measured_a_star"][1] > 0  # a red face measures a positive a*
