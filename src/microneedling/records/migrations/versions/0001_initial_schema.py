"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 11:54:29.792028
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


# The audit log is append-only: the database itself refuses updates and deletes.
SQLITE_TRIGGERS = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
)
POSTGRES_TRIGGERS = (
    "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
)


def _create_audit_triggers() -> None:
    dialect = op.get_bind().dialect.name
    statements = POSTGRES_TRIGGERS if dialect == "postgresql" else SQLITE_TRIGGERS
    for statement in statements:
        op.execute(statement)


def _drop_audit_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_table(
        "device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("needle_count", sa.Integer(), nullable=False),
        sa.Column("depth_min_mm", sa.Float(), nullable=False),
        sa.Column("depth_max_mm", sa.Float(), nullable=False),
        sa.CheckConstraint(
            "depth_min_mm > 0 AND depth_min_mm <= depth_max_mm", name=op.f("ck_device_depth_range")
        ),
        sa.CheckConstraint("needle_count > 0", name=op.f("ck_device_needle_count")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device")),
        sa.UniqueConstraint("model", name=op.f("uq_device_model")),
    )
    op.create_table(
        "patient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=False),
        sa.Column("fitzpatrick", sa.String(length=3), nullable=False),
        sa.Column("history", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("birth_year >= 1900", name=op.f("ck_patient_birth_year")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient")),
        sa.UniqueConstraint("code", name=op.f("uq_patient_code")),
    )
    op.create_table(
        "assessment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("zone", sa.String(length=32), nullable=False),
        sa.Column("indication", sa.String(length=32), nullable=True),
        sa.Column("scale", sa.String(length=64), nullable=False),
        sa.Column("scale_version", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("rater_role", sa.String(length=32), nullable=False),
        sa.Column("rater", sa.String(length=128), nullable=False),
        sa.Column("time_point", sa.String(length=64), nullable=False),
        sa.Column("assessed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("photos", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_assessment_patient_id_patient")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assessment")),
    )
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assessment_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "cartridge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("lot", sa.String(length=64), nullable=False),
        sa.Column("needle_count", sa.Integer(), nullable=False),
        sa.Column("expiry", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_cartridge_device_id_device")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cartridge")),
        sa.UniqueConstraint("device_id", "lot", name=op.f("uq_cartridge_device_id")),
    )
    with op.batch_alter_table("cartridge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cartridge_device_id"), ["device_id"], unique=False)

    op.create_table(
        "screening",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("findings", sa.JSON(), nullable=False),
        sa.Column("screened_by", sa.String(length=128), nullable=False),
        sa.Column("screened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_by", sa.String(length=128), nullable=True),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("acknowledgement_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_screening_patient_id_patient")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_screening")),
    )
    with op.batch_alter_table("screening", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_screening_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "treatment_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("screening_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=True),
        sa.Column("indication", sa.String(length=32), nullable=False),
        sa.Column("sessions_planned", sa.Integer(), nullable=False),
        sa.Column("interval_days", sa.Integer(), nullable=False),
        sa.Column("rationale", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "interval_days BETWEEN 1 AND 365", name=op.f("ck_treatment_plan_interval")
        ),
        sa.CheckConstraint(
            "sessions_planned BETWEEN 1 AND 12", name=op.f("ck_treatment_plan_sessions")
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_treatment_plan_device_id_device")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_treatment_plan_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["screening_id"],
            ["screening.id"],
            name=op.f("fk_treatment_plan_screening_id_screening"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatment_plan")),
    )
    with op.batch_alter_table("treatment_plan", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_treatment_plan_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "plan_zone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("zone", sa.String(length=32), nullable=False),
        sa.Column("depth_mm", sa.Float(), nullable=False),
        sa.Column("range_min_mm", sa.Float(), nullable=False),
        sa.Column("range_max_mm", sa.Float(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.CheckConstraint("depth_mm > 0 AND depth_mm <= 3.0", name=op.f("ck_plan_zone_depth")),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["treatment_plan.id"], name=op.f("fk_plan_zone_plan_id_treatment_plan")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_zone")),
        sa.UniqueConstraint("plan_id", "zone", name=op.f("uq_plan_zone_plan_id")),
    )
    with op.batch_alter_table("plan_zone", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_plan_zone_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "treatment_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("scheduled_for", sa.Date(), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("clinician", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["treatment_plan.id"],
            name=op.f("fk_treatment_session_plan_id_treatment_plan"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_treatment_session")),
        sa.UniqueConstraint("plan_id", "number", name=op.f("uq_treatment_session_plan_id")),
    )
    with op.batch_alter_table("treatment_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_treatment_session_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "adverse_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("onset", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("reported_by", sa.String(length=128), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_adverse_event_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_session.id"],
            name=op.f("fk_adverse_event_session_id_treatment_session"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_adverse_event")),
    )
    with op.batch_alter_table("adverse_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_adverse_event_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "phase_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("warnings", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_session.id"],
            name=op.f("fk_phase_record_session_id_treatment_session"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phase_record")),
        sa.UniqueConstraint("session_id", "phase", name=op.f("uq_phase_record_session_id")),
    )
    with op.batch_alter_table("phase_record", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_phase_record_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "zone_treatment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("zone", sa.String(length=32), nullable=False),
        sa.Column("depth_mm", sa.Float(), nullable=False),
        sa.Column("passes", sa.Integer(), nullable=False),
        sa.Column("pattern", sa.String(length=16), nullable=False),
        sa.Column("endpoint", sa.String(length=32), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("cartridge_id", sa.Integer(), nullable=False),
        sa.Column("deviation_reason", sa.Text(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "depth_mm > 0 AND depth_mm <= 3.0", name=op.f("ck_zone_treatment_depth")
        ),
        sa.CheckConstraint("passes BETWEEN 1 AND 20", name=op.f("ck_zone_treatment_passes")),
        sa.ForeignKeyConstraint(
            ["cartridge_id"],
            ["cartridge.id"],
            name=op.f("fk_zone_treatment_cartridge_id_cartridge"),
        ),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_zone_treatment_device_id_device")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_session.id"],
            name=op.f("fk_zone_treatment_session_id_treatment_session"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zone_treatment")),
    )
    with op.batch_alter_table("zone_treatment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_zone_treatment_session_id"), ["session_id"], unique=False
        )
    _create_audit_triggers()


def downgrade() -> None:
    _drop_audit_triggers()
    with op.batch_alter_table("zone_treatment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_zone_treatment_session_id"))

    op.drop_table("zone_treatment")
    with op.batch_alter_table("phase_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_phase_record_session_id"))

    op.drop_table("phase_record")
    with op.batch_alter_table("adverse_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_adverse_event_patient_id"))

    op.drop_table("adverse_event")
    with op.batch_alter_table("treatment_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_treatment_session_plan_id"))

    op.drop_table("treatment_session")
    with op.batch_alter_table("plan_zone", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_plan_zone_plan_id"))

    op.drop_table("plan_zone")
    with op.batch_alter_table("treatment_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_treatment_plan_patient_id"))

    op.drop_table("treatment_plan")
    with op.batch_alter_table("screening", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_screening_patient_id"))

    op.drop_table("screening")
    with op.batch_alter_table("cartridge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cartridge_device_id"))

    op.drop_table("cartridge")
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assessment_patient_id"))

    op.drop_table("assessment")
    op.drop_table("patient")
    op.drop_table("device")
    op.drop_table("audit_log")
