"""The clinic's records as SQLAlchemy 2 models. Vocabularies are stored as their string values."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from microneedling.core.parsing import utcnow
from microneedling.records.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[Any]: JSON(),
        str: String(255),
    }

    def as_dict(self) -> dict[str, Any]:
        """Column values, for export and the audit log."""
        return {c.key: getattr(self, c.key) for c in self.__mapper__.column_attrs}


class Patient(Base):
    __tablename__ = "patient"
    __table_args__ = (CheckConstraint("birth_year >= 1900", name="birth_year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    birth_year: Mapped[int]
    fitzpatrick: Mapped[str] = mapped_column(String(3))
    history: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    assessments: Mapped[list[Assessment]] = relationship(
        back_populates="patient", order_by="Assessment.id"
    )
    screenings: Mapped[list[Screening]] = relationship(
        back_populates="patient", order_by="Screening.id"
    )
    plans: Mapped[list[TreatmentPlan]] = relationship(
        back_populates="patient", order_by="TreatmentPlan.id"
    )
    adverse_events: Mapped[list[AdverseEvent]] = relationship(
        back_populates="patient", order_by="AdverseEvent.id"
    )


class Assessment(Base):
    """One score on a named scale for one zone, by one rater, at one time point."""

    __tablename__ = "assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    zone: Mapped[str] = mapped_column(String(32))
    indication: Mapped[str | None] = mapped_column(String(32))
    scale: Mapped[str] = mapped_column(String(64))
    scale_version: Mapped[str] = mapped_column(String(32))
    score: Mapped[float] = mapped_column(Float)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    rater_role: Mapped[str] = mapped_column(String(32))
    rater: Mapped[str] = mapped_column(String(128))
    time_point: Mapped[str] = mapped_column(String(64))
    assessed_at: Mapped[datetime] = mapped_column(default=utcnow)
    photos: Mapped[list[Any]] = mapped_column(default=list)
    notes: Mapped[str | None] = mapped_column(Text)

    patient: Mapped[Patient] = relationship(back_populates="assessments")


class Screening(Base):
    __tablename__ = "screening"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    answers: Mapped[dict[str, Any]]
    outcome: Mapped[str] = mapped_column(String(16))
    findings: Mapped[list[Any]] = mapped_column(default=list)
    screened_by: Mapped[str] = mapped_column(String(128))
    screened_at: Mapped[datetime] = mapped_column(default=utcnow)
    acknowledged_by: Mapped[str | None] = mapped_column(String(128))
    acknowledged_at: Mapped[datetime | None]
    acknowledgement_note: Mapped[str | None] = mapped_column(Text)

    patient: Mapped[Patient] = relationship(back_populates="screenings")


class Device(Base):
    __tablename__ = "device"
    __table_args__ = (
        CheckConstraint("depth_min_mm > 0 AND depth_min_mm <= depth_max_mm", name="depth_range"),
        CheckConstraint("needle_count > 0", name="needle_count"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    model: Mapped[str] = mapped_column(String(128), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    needle_count: Mapped[int]
    depth_min_mm: Mapped[float] = mapped_column(Float)
    depth_max_mm: Mapped[float] = mapped_column(Float)
    # Geometry for simulation (revision 0005), each optional; which ones a kind needs:
    # pen: footprint_mm, frequency_min_hz, frequency_max_hz; roller: rows, drum_diameter_mm,
    # drum_width_mm; stamp: rows (of the needle grid), pitch_mm.
    needle_diameter_mm: Mapped[float | None] = mapped_column(Float, default=None)
    footprint_mm: Mapped[float | None] = mapped_column(Float, default=None)
    frequency_min_hz: Mapped[float | None] = mapped_column(Float, default=None)
    frequency_max_hz: Mapped[float | None] = mapped_column(Float, default=None)
    rows: Mapped[int | None] = mapped_column(default=None)
    drum_diameter_mm: Mapped[float | None] = mapped_column(Float, default=None)
    drum_width_mm: Mapped[float | None] = mapped_column(Float, default=None)
    pitch_mm: Mapped[float | None] = mapped_column(Float, default=None)

    cartridges: Mapped[list[Cartridge]] = relationship(
        back_populates="device", order_by="Cartridge.id"
    )


class Cartridge(Base):
    __tablename__ = "cartridge"
    __table_args__ = (UniqueConstraint("device_id", "lot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"), index=True)
    lot: Mapped[str] = mapped_column(String(64))
    needle_count: Mapped[int]
    expiry: Mapped[date] = mapped_column(Date)

    device: Mapped[Device] = relationship(back_populates="cartridges")


class TreatmentPlan(Base):
    __tablename__ = "treatment_plan"
    __table_args__ = (
        CheckConstraint("sessions_planned BETWEEN 1 AND 12", name="sessions"),
        CheckConstraint("interval_days BETWEEN 1 AND 365", name="interval"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    screening_id: Mapped[int] = mapped_column(ForeignKey("screening.id"))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("device.id"))
    indication: Mapped[str] = mapped_column(String(32))
    sessions_planned: Mapped[int]
    interval_days: Mapped[int]
    rationale: Mapped[list[Any]] = mapped_column(default=list)
    created_by: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    patient: Mapped[Patient] = relationship(back_populates="plans")
    device: Mapped[Device | None] = relationship()
    zones: Mapped[list[PlanZone]] = relationship(back_populates="plan", order_by="PlanZone.id")
    sessions: Mapped[list[TreatmentSession]] = relationship(
        back_populates="plan", order_by="TreatmentSession.number"
    )


class PlanZone(Base):
    __tablename__ = "plan_zone"
    __table_args__ = (
        UniqueConstraint("plan_id", "zone"),
        CheckConstraint("depth_mm > 0 AND depth_mm <= 3.0", name="depth"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("treatment_plan.id"), index=True)
    zone: Mapped[str] = mapped_column(String(32))
    depth_mm: Mapped[float] = mapped_column(Float)
    range_min_mm: Mapped[float] = mapped_column(Float)
    range_max_mm: Mapped[float] = mapped_column(Float)
    rationale: Mapped[str] = mapped_column(Text)

    plan: Mapped[TreatmentPlan] = relationship(back_populates="zones")


class TreatmentSession(Base):
    __tablename__ = "treatment_session"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("treatment_plan.id"), index=True)
    number: Mapped[int]
    scheduled_for: Mapped[date] = mapped_column(Date)
    phase: Mapped[str] = mapped_column(String(16), default="scheduled")
    clinician: Mapped[str | None] = mapped_column(String(128))

    plan: Mapped[TreatmentPlan] = relationship(back_populates="sessions")
    phases: Mapped[list[PhaseRecord]] = relationship(
        back_populates="session", order_by="PhaseRecord.id"
    )
    zone_treatments: Mapped[list[ZoneTreatmentRecord]] = relationship(
        back_populates="session", order_by="ZoneTreatmentRecord.id"
    )


class PhaseRecord(Base):
    """When a phase started and ended, and what was recorded in it."""

    __tablename__ = "phase_record"
    __table_args__ = (UniqueConstraint("session_id", "phase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_session.id"), index=True)
    phase: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    warnings: Mapped[list[Any]] = mapped_column(default=list)

    session: Mapped[TreatmentSession] = relationship(back_populates="phases")


class ZoneTreatmentRecord(Base):
    __tablename__ = "zone_treatment"
    __table_args__ = (
        CheckConstraint("depth_mm > 0 AND depth_mm <= 3.0", name="depth"),
        CheckConstraint("passes BETWEEN 1 AND 20", name="passes"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_session.id"), index=True)
    zone: Mapped[str] = mapped_column(String(32))
    depth_mm: Mapped[float] = mapped_column(Float)
    passes: Mapped[int]
    pattern: Mapped[str] = mapped_column(String(16))
    endpoint: Mapped[str] = mapped_column(String(32))
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"))
    cartridge_id: Mapped[int] = mapped_column(ForeignKey("cartridge.id"))
    deviation_reason: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    session: Mapped[TreatmentSession] = relationship(back_populates="zone_treatments")
    device: Mapped[Device] = relationship()
    cartridge: Mapped[Cartridge] = relationship()


class AdverseEvent(Base):
    __tablename__ = "adverse_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("treatment_session.id"))
    kind: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16))
    onset: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text)
    reported_by: Mapped[str] = mapped_column(String(128))
    reported_at: Mapped[datetime] = mapped_column(default=utcnow)

    patient: Mapped[Patient] = relationship(back_populates="adverse_events")


class AuditEntry(Base):
    """Append-only and hash-chained: who changed or read what, when.

    ``seq`` counts entries from 1 without gaps; ``prev_hash`` is the ``entry_hash`` of entry
    ``seq - 1`` and ``entry_hash`` the SHA-256 of ``prev_hash`` and this entry's content
    (records/audit_chain.py). Database triggers refuse updates, deletes and entries that do not
    extend the chain. Personal values in ``changes`` are kept as keyed hashes (``PersonalValue``).
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(16))
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[int]
    changes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class PersonalValue(Base):
    """A name, signature or free text that the audit log refers to by its keyed hash.

    Deleting the row (erasure) leaves the audit entry, and so the chain, unchanged: the entry keeps
    ``digest`` (HMAC-SHA256 of the value under ``salt``), which without the salt reveals nothing.
    Never audited itself.
    """

    __tablename__ = "personal_value"

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    salt: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)
    entity: Mapped[str] = mapped_column(String(64))
    entity_id: Mapped[int] = mapped_column(index=True)
    field: Mapped[str] = mapped_column(String(64))


class Erasure(Base):
    """A patient's photos and personal data were erased: when, by whom and why."""

    __tablename__ = "erasure"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    erased_by: Mapped[str] = mapped_column(String(128))
    erased_at: Mapped[datetime] = mapped_column(default=utcnow)
    photos_removed: Mapped[int]
    values_removed: Mapped[int]


class Prediction(Base):
    """A stored simulation: its inputs, its summary and the model version that produced it."""

    __tablename__ = "prediction"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("treatment_plan.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("treatment_session.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    model_version: Mapped[str] = mapped_column(String(64))
    inputs: Mapped[dict[str, Any]]
    summary: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Photo(Base):
    """A face photo, stored once by content hash beside the database and never overwritten."""

    __tablename__ = "photo"
    __table_args__ = (UniqueConstraint("patient_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patient.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("treatment_session.id"))
    view: Mapped[str] = mapped_column(String(16))
    sha256: Mapped[str] = mapped_column(String(64))
    stored_path: Mapped[str] = mapped_column(String(512))  # relative to the photo directory
    orientation: Mapped[int] = mapped_column(default=1)  # the EXIF orientation that was applied
    width: Mapped[int]
    height: Mapped[int]
    taken_on: Mapped[date] = mapped_column(Date)
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)

    analyses: Mapped[list[PhotoAnalysisRecord]] = relationship(
        back_populates="photo", order_by="PhotoAnalysisRecord.id"
    )


class PhotoAnalysisRecord(Base):
    """Per-zone metrics of one photo, with quality checks and the analysis version."""

    __tablename__ = "photo_analysis"

    id: Mapped[int] = mapped_column(primary_key=True)
    photo_id: Mapped[int] = mapped_column(ForeignKey("photo.id"), index=True)
    version: Mapped[str] = mapped_column(String(64))
    quality_ok: Mapped[bool]
    summary: Mapped[dict[str, Any]]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    photo: Mapped[Photo] = relationship(back_populates="analyses")


# Tables kept in modules of their own; imported here so that ``Base.metadata`` (migrations, the
# schema check, the bounds) always holds every table.
from microneedling.records import accounts, consent, jobs  # noqa: E402, F401
