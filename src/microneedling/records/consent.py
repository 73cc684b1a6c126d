"""Consent records, the patient's healing diary and follow-up flags.

A consent is never edited, only withdrawn (the withdrawal is recorded on the same row). The
patient's typed name and drawn signature are personal data: they live in the erasable
``personal_value`` table (records/personal.py) and the consent row keeps only their keyed hashes
(``signer_name_ref``, ``signature_ref``), so the audit log never sees them.

A diary link stores only the SHA-256 of its random token; the token itself is shown once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from microneedling.core.parsing import utcnow
from microneedling.records.models import Base

CONSENT_KINDS = ("treatment", "research_photos")


class ConsentRecord(Base):
    """A patient's consent to one version of a consent text, witnessed by a clinician."""

    __tablename__ = "consent_record"
    __table_args__ = (CheckConstraint("kind IN ('treatment', 'research_photos')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    text_version: Mapped[str] = mapped_column(String(32))
    text_sha256: Mapped[str] = mapped_column(String(64))
    statements: Mapped[list[Any]] = mapped_column(default=list)
    # keyed hashes (HMAC-SHA256) of the values held in personal_value; None when not given
    signer_name_ref: Mapped[str | None] = mapped_column(String(64))
    signature_ref: Mapped[str | None] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)
    witnessed_by: Mapped[str] = mapped_column(String(128))
    withdrawn_at: Mapped[datetime | None]
    withdrawn_by: Mapped[str | None] = mapped_column(String(128))
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)


class DiaryLink(Base):
    """A patient's personal link to the healing diary of one session (token kept as a hash)."""

    __tablename__ = "diary_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_session.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(128))


class DiaryEntry(Base):
    """One day of the patient's diary: redness, pain and swelling on 0-10, warning signs."""

    __tablename__ = "diary_entry"
    __table_args__ = (
        UniqueConstraint("session_id", "day"),
        CheckConstraint("day BETWEEN 0 AND 60", name="day"),
        CheckConstraint("redness BETWEEN 0 AND 10", name="redness"),
        CheckConstraint("pain BETWEEN 0 AND 10", name="pain"),
        CheckConstraint("swelling BETWEEN 0 AND 10", name="swelling"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int | None] = mapped_column(ForeignKey("diary_link.id"))
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_session.id"), index=True)
    day: Mapped[int]
    redness: Mapped[int]
    pain: Mapped[int]
    swelling: Mapped[int]
    signs: Mapped[list[Any]] = mapped_column(default=list)
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("photo.id"))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)


class FollowUpFlag(Base):
    """Something a clinician should look at (late redness, a warning sign) until acknowledged."""

    __tablename__ = "follow_up_flag"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("treatment_session.id"))
    kind: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by: Mapped[str | None] = mapped_column(String(128))
