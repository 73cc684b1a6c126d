"""The patient's healing diary after a session, held against the predicted redness course, and the
follow-up flags it raises.

A diary link carries a random token (256 bits, shown once); only its SHA-256 is stored. A token
opens the diary of its own session and nothing else, for ``LINK_DAYS`` days, until revoked.

Late redness: redness at or above the stated level (``warning_signs.yaml: late_redness``) on a
day after the upper end (95th percentile) of the predicted settling interval of that session, or,
when no interval can be had, after the longest clinically reported redness at that depth
(``healing.yaml: redness_reports``). Any warning sign the patient ticks, and redness beyond a week,
raise a warning-sign flag. A flag stays open until a clinician acknowledges it.

References
----------
Chu S, Foulad DP, Atanaskova Mesinkovska N. Safety profile for microneedling: a systematic review.
Dermatol Surg. 2021;47(9):1249-1254 (transient erythema up to 7 days; infection, herpes).
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from microneedling.core.errors import MicroneedlingError, ValidationError
from microneedling.core.parsing import check_id, utcnow
from microneedling.protocol.warning_signs import warning_signs
from microneedling.records import models
from microneedling.records.audit import ACTOR_KEY
from microneedling.records.consent import DiaryEntry, DiaryLink, FollowUpFlag
from microneedling.services.lookups import by_id, patient_by_code
from microneedling.services.views import record
from microneedling.simulate import healing
from microneedling.simulate.validation import redness_reports

LINK_DAYS = 14
TOKEN_BYTES = 32
DIARY_MAX_DAY = 60
PREDICTED_DAYS = 15
SCORES = ("redness", "pain", "swelling")
FLAG_KINDS = ("late_redness", "warning_sign")


class DiaryLinkRefusedError(MicroneedlingError):
    """A diary token that is unknown, expired or revoked: it opens nothing."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _actor(db: Session) -> str:
    return str(db.info.get(ACTOR_KEY, "system"))


def session_date(row: models.TreatmentSession) -> date:
    """The day the session was done: when its treatment phase started (else its schedule)."""
    for phase in ("treatment", "preparation"):
        for record_ in row.phases:
            if record_.phase == phase:
                return record_.started_at.date()
    return row.scheduled_for


# --- links -------------------------------------------------------------------------------------


def issue_link(
    db: Session, *, session_id: int, now: datetime | None = None, days: int = LINK_DAYS
) -> dict[str, Any]:
    """A new diary link for a treated session. The token is in the answer once and never again."""
    row = by_id(db, models.TreatmentSession, session_id, "session")
    if row.phase not in ("post_treatment", "completed"):
        raise ValidationError(
            "session_id", f"session {session_id} is not treated yet (phase {row.phase})"
        )
    if not 1 <= days <= LINK_DAYS:
        raise ValidationError("days", f"a diary link lasts 1–{LINK_DAYS} days")
    token = secrets.token_urlsafe(TOKEN_BYTES)
    created = now or utcnow()
    link = DiaryLink(
        session_id=row.id,
        token_sha256=_hash(token),
        created_at=created,
        expires_at=created + timedelta(days=days),
        created_by=_actor(db),
    )
    db.add(link)
    db.flush()
    return link_view(link) | {"token": token, "path": f"/diary/{token}"}


def link_view(link: DiaryLink) -> dict[str, Any]:
    return record(link, exclude=("token_sha256",))


def revoke_link(db: Session, *, link_id: int, now: datetime | None = None) -> dict[str, Any]:
    link = by_id(db, DiaryLink, link_id, "diary link")
    if link.revoked_at is not None:
        raise ValidationError("link_id", f"diary link {link_id} is already revoked")
    link.revoked_at = now or utcnow()
    db.flush()
    return link_view(link)


def links_of(db: Session, session_id: int) -> list[dict[str, Any]]:
    rows = db.scalars(select(DiaryLink).where(DiaryLink.session_id == session_id))
    return [link_view(r) for r in rows]


def resolve_token(db: Session, token: str, now: datetime | None = None) -> DiaryLink:
    """The link of ``token`` if known, in date and not revoked; else ``DiaryLinkRefusedError``."""
    if not isinstance(token, str) or not 16 <= len(token) <= 128 or not token.isascii():
        raise DiaryLinkRefusedError("this diary link is not valid")
    link = db.scalar(select(DiaryLink).where(DiaryLink.token_sha256 == _hash(token)))
    if link is None:
        raise DiaryLinkRefusedError("this diary link is not valid")
    if link.revoked_at is not None:
        raise DiaryLinkRefusedError(
            "this diary link was withdrawn by the clinic; ask them for a new one"
        )
    if (now or utcnow()) >= link.expires_at:
        raise DiaryLinkRefusedError("this diary link has expired; ask the clinic for a new one")
    return link


# --- entries -----------------------------------------------------------------------------------


def _score(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10:
        raise ValidationError(field, f"{value!r} is not a whole number from 0 to 10")
    return value


def _signs(codes: list[str]) -> list[str]:
    catalogue = warning_signs()
    return [catalogue.sign(code).code for code in dict.fromkeys(codes)]


def record_entry(
    db: Session,
    *,
    session_id: int,
    day: int,
    redness: int,
    pain: int,
    swelling: int,
    signs: list[str] | None = None,
    photo_id: int | None = None,
    link_id: int | None = None,
) -> dict[str, Any]:
    """One diary day of a session (once a day), then the session's flags are re-evaluated."""
    row = by_id(db, models.TreatmentSession, session_id, "session")
    if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= DIARY_MAX_DAY:
        raise ValidationError("day", f"{day!r} is not a day from 0 to {DIARY_MAX_DAY}")
    scores = {
        name: _score(value, name)
        for name, value in zip(SCORES, (redness, pain, swelling), strict=True)
    }
    if photo_id is not None:
        photo = by_id(db, models.Photo, photo_id, "photo")
        if photo.patient_id != row.plan.patient_id:
            raise ValidationError("photo_id", f"photo {photo_id} is not this patient's")
    taken = db.scalar(
        select(DiaryEntry).where(DiaryEntry.session_id == row.id, DiaryEntry.day == day)
    )
    if taken is not None:
        raise ValidationError("day", f"day {day} of this diary is already filled in")
    entry = DiaryEntry(
        session_id=row.id,
        link_id=link_id,
        day=day,
        signs=_signs(signs or []),
        photo_id=photo_id,
        **scores,
    )
    db.add(entry)
    db.flush()
    raised = evaluate_flags(db, row)
    return record(entry) | {"flags_raised": raised}


def add_entry(
    db: Session,
    *,
    token: str,
    redness: int,
    pain: int,
    swelling: int,
    signs: list[str] | None = None,
    photo_id: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The patient's entry for today through their link (the day counts from the session)."""
    link = resolve_token(db, token, now)
    row = by_id(db, models.TreatmentSession, link.session_id, "session")
    day = ((now or utcnow()).date() - session_date(row)).days
    entry = record_entry(
        db,
        session_id=row.id,
        day=day,
        redness=redness,
        pain=pain,
        swelling=swelling,
        signs=signs,
        photo_id=photo_id,
        link_id=link.id,
    )
    return {k: entry[k] for k in ("day", *SCORES, "signs")}


def patient_diary(db: Session, token: str, now: datetime | None = None) -> dict[str, Any]:
    """What the patient's page shows: their session's date, today's day, the entries so far and
    the warning signs to tick. Nothing else (no code, no other record)."""
    link = resolve_token(db, token, now)
    row = by_id(db, models.TreatmentSession, link.session_id, "session")
    treated = session_date(row)
    today = ((now or utcnow()).date() - treated).days
    entries = _entries(db, row.id)
    catalogue = warning_signs()
    return {
        "session_date": treated.isoformat(),
        "day": today,
        "expires_at": link.expires_at.isoformat(),
        "entered_today": any(e["day"] == today for e in entries),
        "entries": [{k: e[k] for k in ("day", *SCORES, "signs")} for e in entries],
        "warning_signs": [s.model_dump() for s in catalogue.signs],
    }


def _entries(db: Session, session_id: int) -> list[dict[str, Any]]:
    rows = db.scalars(
        select(DiaryEntry).where(DiaryEntry.session_id == session_id).order_by(DiaryEntry.day)
    )
    return [record(r) for r in rows]


# --- the prediction ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PredictedRedness:
    """The predicted redness after a session, in units of the visible threshold, for
    ``PREDICTED_DAYS`` days; the settling interval (days); where it came from."""

    days: list[float]
    value: list[float]
    p5: list[float]
    p95: list[float]
    settled_day: dict[str, float]
    depth_mm: float
    basis: str
    reported_days: float | None

    def upper_day(self) -> tuple[float, str]:
        """The day after which redness is late, and why that day."""
        upper = self.settled_day.get("p95", math.nan)
        if upper is not None and math.isfinite(upper):
            return upper, "the upper end (95th percentile) of the predicted settling interval"
        if self.reported_days is not None:
            return self.reported_days, "the longest clinically reported redness at this depth"
        return float(warning_signs().redness_beyond_days.days), "one week"


def _from_prediction(
    summary: dict[str, Any], depth_mm: float, prediction_id: int
) -> PredictedRedness | None:
    zones = summary.get("zones") or []
    daily = [z.get("erythema_daily") for z in zones if z.get("erythema_daily")]
    bands = [z.get("erythema_settled_day_interval") or {} for z in zones]
    if not daily or not bands:
        return None
    deepest = max(range(len(zones)), key=lambda i: float(zones[i].get("depth_mm", 0.0)))
    series = daily[min(deepest, len(daily) - 1)]
    band = max(bands, key=lambda b: float(b.get("p95", -1.0) or -1.0))
    return PredictedRedness(
        days=list(series["day_after_last"]),
        value=list(series["value"]),
        p5=list(series["p5"]),
        p95=list(series["p95"]),
        settled_day={k: float(v) for k, v in band.items() if v is not None},
        depth_mm=depth_mm,
        basis=f"stored prediction {prediction_id} of this session",
        reported_days=_reported_days(depth_mm),
    )


def _reported_days(depth_mm: float) -> float | None:
    """The longest redness that clinical studies report at this depth (not manufacturer or
    downtime figures)."""
    days = [max(r["days"]) for r in redness_reports(depth_mm) if r["kind"] == "clinical"]
    return max(days) if days else None


def reference_redness(depth_mm: float) -> PredictedRedness:
    """The healing model's redness after one reference session at ``depth_mm``, with the interval
    across its parameter ranges (:func:`microneedling.simulate.healing.healing_interval`)."""
    dose = healing.reference_dose(depth_mm)
    course = healing.healing_course([0.0], [dose], until_day=30.0)
    interval = healing.healing_interval([0.0], [dose], until_day=30.0)
    days = np.arange(0.0, float(PREDICTED_DAYS))
    band = interval.settled_day.rounded(2)
    return PredictedRedness(
        days=days.tolist(),
        value=np.round(np.interp(days, course.days, course.erythema), 3).tolist(),
        p5=np.round(np.interp(days, interval.days, interval.erythema.p5), 3).tolist(),
        p95=np.round(np.interp(days, interval.days, interval.erythema.p95), 3).tolist(),
        settled_day={k: float(v) for k, v in band.items()},
        depth_mm=depth_mm,
        basis=f"the healing model's reference session at {depth_mm:g} mm",
        reported_days=_reported_days(depth_mm),
    )


def predicted_redness(db: Session, row: models.TreatmentSession) -> PredictedRedness | None:
    """The session's stored prediction if there is one, else the reference session at its
    deepest treated zone; ``None`` when no zone was recorded."""
    if not row.zone_treatments:
        return None
    depth = max(z.depth_mm for z in row.zone_treatments)
    stored = db.scalar(
        select(models.Prediction)
        .where(models.Prediction.session_id == row.id)
        .order_by(models.Prediction.id.desc())
        .limit(1)
    )
    if stored is not None:
        found = _from_prediction(stored.summary, depth, stored.id)
        if found is not None:
            return found
    return reference_redness(depth)


# --- flags -------------------------------------------------------------------------------------


def _open_flag(db: Session, row: models.TreatmentSession, kind: str) -> FollowUpFlag | None:
    return db.scalar(
        select(FollowUpFlag).where(
            FollowUpFlag.session_id == row.id,
            FollowUpFlag.kind == kind,
            FollowUpFlag.acknowledged_at.is_(None),
        )
    )


def _raise(
    db: Session, row: models.TreatmentSession, kind: str, reason: str
) -> dict[str, Any] | None:
    if _open_flag(db, row, kind) is not None:
        return None  # one open flag of a kind per session; the clinician sees the diary
    flag = FollowUpFlag(patient_id=row.plan.patient_id, session_id=row.id, kind=kind, reason=reason)
    db.add(flag)
    db.flush()
    return flag_view(flag, row.plan.patient.code)


def late_redness(
    entries: list[dict[str, Any]], predicted: PredictedRedness | None
) -> tuple[dict[str, Any], float, str] | None:
    """The first entry with redness at or above the stated level after the upper day, with that
    day and why it is the limit; ``None`` when there is none."""
    level = warning_signs().late_redness.level
    if predicted is None:
        return None
    upper, why = predicted.upper_day()
    for entry in entries:
        if entry["redness"] >= level and entry["day"] > upper:
            return entry, upper, why
    return None


def evaluate_flags(db: Session, row: models.TreatmentSession) -> list[dict[str, Any]]:
    """Raise the flags the session's diary calls for (late redness; warning signs)."""
    entries = _entries(db, row.id)
    catalogue = warning_signs()
    level = catalogue.late_redness.level
    raised: list[dict[str, Any] | None] = []
    late = late_redness(entries, predicted_redness(db, row))
    if late is not None:
        entry, upper, why = late
        depth_mm = max(z.depth_mm for z in row.zone_treatments)
        reason = (
            f"redness {entry['redness']}/10 reported on day {entry['day']} after the session, "
            f"later than day {upper:.1f} ({why}, at {depth_mm:g} mm)"
        )
        raised.append(_raise(db, row, "late_redness", reason))
    signs = [(e["day"], code) for e in entries for code in e["signs"]]
    beyond = catalogue.redness_beyond_days.days
    week = [e for e in entries if e["redness"] >= level and e["day"] > beyond]
    reasons = [
        f"day {day}: {catalogue.sign(code).label} ({catalogue.sign(code).why})"
        for day, code in signs
    ]
    if week:
        reasons.append(
            f"day {week[0]['day']}: redness {week[0]['redness']}/10, beyond {beyond} days"
        )
    if reasons:
        raised.append(_raise(db, row, "warning_sign", "; ".join(reasons)))
    return [flag for flag in raised if flag is not None]


def flag_view(flag: FollowUpFlag, patient_code: str) -> dict[str, Any]:
    return record(flag, exclude=("patient_id",)) | {
        "patient": patient_code,
        "kind_label": flag.kind.replace("_", " "),
        "open": flag.acknowledged_at is None,
    }


def acknowledge_flag(
    db: Session, *, flag_id: int, by: str | None = None, now: datetime | None = None
) -> dict[str, Any]:
    flag = by_id(db, FollowUpFlag, flag_id, "flag")
    if flag.acknowledged_at is not None:
        raise ValidationError("flag_id", f"flag {flag_id} is already acknowledged")
    flag.acknowledged_at = now or utcnow()
    flag.acknowledged_by = by or _actor(db)
    db.flush()
    patient = db.get(models.Patient, flag.patient_id)
    assert patient is not None
    return flag_view(flag, patient.code)


def list_flags(
    db: Session, *, patient_code: str | None = None, open_only: bool = True
) -> list[dict[str, Any]]:
    query = select(FollowUpFlag, models.Patient.code).join(
        models.Patient, models.Patient.id == FollowUpFlag.patient_id
    )
    if patient_code is not None:
        query = query.where(FollowUpFlag.patient_id == patient_by_code(db, patient_code).id)
    if open_only:
        query = query.where(FollowUpFlag.acknowledged_at.is_(None))
    return [flag_view(flag, code) for flag, code in db.execute(query.order_by(FollowUpFlag.id))]


def open_flag_counts(db: Session) -> dict[str, int]:
    """Open flags per patient code, for the patient list's badge."""
    rows = db.execute(
        select(models.Patient.code, func.count(FollowUpFlag.id))
        .join(FollowUpFlag, FollowUpFlag.patient_id == models.Patient.id)
        .where(FollowUpFlag.acknowledged_at.is_(None))
        .group_by(models.Patient.code)
    )
    return {code: int(count) for code, count in rows}


# --- the clinician's view ----------------------------------------------------------------------


def diary_view(db: Session, session_id: int) -> dict[str, Any]:
    """A session's diary beside its predicted redness course, with its links and flags."""
    row = by_id(db, models.TreatmentSession, check_id(session_id, "session_id"), "session")
    predicted = predicted_redness(db, row)
    entries = _entries(db, row.id)
    late_after: dict[str, Any] | None = None
    if predicted is not None:
        upper, why = predicted.upper_day()
        late_after = {"day": round(upper, 2), "why": why}
    flags = db.scalars(
        select(FollowUpFlag).where(FollowUpFlag.session_id == row.id).order_by(FollowUpFlag.id)
    )
    return {
        "session_id": row.id,
        "session_number": row.number,
        "patient": row.plan.patient.code,
        "session_date": session_date(row).isoformat(),
        "entries": entries,
        "measured_a_star": measured_redness(db, entries),
        "predicted": None if predicted is None else predicted.__dict__,
        "late_after": late_after,
        "late_level": warning_signs().late_redness.level,
        "links": links_of(db, row.id),
        "flags": [flag_view(f, row.plan.patient.code) for f in flags],
    }


def diaries_of_patient(db: Session, patient_code: str) -> list[dict[str, Any]]:
    """Every diary of the patient's sessions that has entries or links (for the timeline)."""
    patient = patient_by_code(db, patient_code)
    ids = {
        sid
        for (sid,) in db.execute(
            select(DiaryLink.session_id)
            .join(models.TreatmentSession, models.TreatmentSession.id == DiaryLink.session_id)
            .join(models.TreatmentPlan, models.TreatmentPlan.id == models.TreatmentSession.plan_id)
            .where(models.TreatmentPlan.patient_id == patient.id)
        )
    }
    ids |= {
        sid
        for (sid,) in db.execute(
            select(DiaryEntry.session_id)
            .join(models.TreatmentSession, models.TreatmentSession.id == DiaryEntry.session_id)
            .join(models.TreatmentPlan, models.TreatmentPlan.id == models.TreatmentSession.plan_id)
            .where(models.TreatmentPlan.patient_id == patient.id)
        )
    }
    return [diary_view(db, sid) for sid in sorted(ids)]


def attach_photo(
    database: Any,
    actor: str,
    *,
    session_id: int,
    day: int,
    data: bytes,
    progress: Any,
) -> dict[str, Any]:
    """A diary photo, analysed like any photo (redness per zone), then linked to its diary day
    (a job's work: ``services.photo_jobs.analyse_upload`` does the measuring and storing)."""
    from microneedling.services import photo_jobs

    with database.reading() as db:
        row = by_id(db, models.TreatmentSession, session_id, "session")
        code = row.plan.patient.code
    stored = photo_jobs.analyse_upload(
        database, actor, patient_code=code, data=data, session_id=session_id, progress=progress
    )
    with database.transaction(actor) as db:
        entry = db.scalar(
            select(DiaryEntry).where(DiaryEntry.session_id == session_id, DiaryEntry.day == day)
        )
        if entry is not None:
            entry.photo_id = int(stored["photo_id"])
    return {"photo_id": stored["photo_id"], "day": day}


def measured_redness(db: Session, entries: list[dict[str, Any]]) -> dict[int, float]:
    """Per diary day with an analysed photo, the mean CIELAB a* over its zones (redness as
    measured, to hold beside the patient's score and the prediction)."""
    out: dict[int, float] = {}
    for entry in entries:
        if entry.get("photo_id") is None:
            continue
        photo = db.get(models.Photo, entry["photo_id"])
        if photo is None or not photo.analyses:
            continue
        values = [
            float(z["a_star"])
            for z in photo.analyses[-1].summary.get("zones", [])
            if z.get("a_star") is not None and math.isfinite(float(z["a_star"]))
        ]
        if values:
            out[int(entry["day"])] = round(sum(values) / len(values), 2)
    return out
