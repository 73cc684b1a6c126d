"""consent records, diary links and entries, follow-up flags

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 00:30:00

Four new tables; nothing existing changes. The patient's typed name and drawn signature are not
columns here: they live in ``personal_value`` (erasable) and ``consent_record`` keeps their keyed
hashes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _when(name: str, *, nullable: bool) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "consent_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("text_version", sa.String(length=32), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("statements", sa.JSON(), nullable=False),
        sa.Column("signer_name_ref", sa.String(length=64), nullable=True),
        sa.Column("signature_ref", sa.String(length=64), nullable=True),
        _when("signed_at", nullable=False),
        sa.Column("witnessed_by", sa.String(length=128), nullable=False),
        _when("withdrawn_at", nullable=True),
        sa.Column("withdrawn_by", sa.String(length=128), nullable=True),
        sa.Column("withdrawal_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('treatment', 'research_photos')", name=op.f("ck_consent_record_kind")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_consent_record_patient_id_patient")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_record")),
    )
    op.create_index(
        op.f("ix_consent_record_patient_id"), "consent_record", ["patient_id"], unique=False
    )
    op.create_table(
        "diary_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        _when("created_at", nullable=False),
        _when("expires_at", nullable=False),
        _when("revoked_at", nullable=True),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_session.id"],
            name=op.f("fk_diary_link_session_id_treatment_session"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_diary_link")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_diary_link_token_sha256")),
    )
    op.create_index(op.f("ix_diary_link_session_id"), "diary_link", ["session_id"], unique=False)
    op.create_table(
        "follow_up_flag",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        _when("raised_at", nullable=False),
        _when("acknowledged_at", nullable=True),
        sa.Column("acknowledged_by", sa.String(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_follow_up_flag_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_session.id"],
            name=op.f("fk_follow_up_flag_session_id_treatment_session"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up_flag")),
    )
    op.create_index(
        op.f("ix_follow_up_flag_patient_id"), "follow_up_flag", ["patient_id"], unique=False
    )
    op.create_table(
        "diary_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("redness", sa.Integer(), nullable=False),
        sa.Column("pain", sa.Integer(), nullable=False),
        sa.Column("swelling", sa.Integer(), nullable=False),
        sa.Column("signs", sa.JSON(), nullable=False),
        sa.Column("photo_id", sa.Integer(), nullable=True),
        _when("entered_at", nullable=False),
        sa.CheckConstraint("day BETWEEN 0 AND 60", name=op.f("ck_diary_entry_day")),
        sa.CheckConstraint("pain BETWEEN 0 AND 10", name=op.f("ck_diary_entry_pain")),
        sa.CheckConstraint("redness BETWEEN 0 AND 10", name=op.f("ck_diary_entry_redness")),
        sa.CheckConstraint("swelling BETWEEN 0 AND 10", name=op.f("ck_diary_entry_swelling")),
        sa.ForeignKeyConstraint(
            ["link_id"], ["diary_link.id"], name=op.f("fk_diary_entry_link_id_diary_link")
        ),
        sa.ForeignKeyConstraint(
            ["photo_id"], ["photo.id"], name=op.f("fk_diary_entry_photo_id_photo")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_session.id"],
            name=op.f("fk_diary_entry_session_id_treatment_session"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_diary_entry")),
        sa.UniqueConstraint("session_id", "day", name=op.f("uq_diary_entry_session_id")),
    )
    op.create_index(op.f("ix_diary_entry_session_id"), "diary_entry", ["session_id"], unique=False)


def downgrade() -> None:
    for table, column in (
        ("diary_entry", "session_id"),
        ("follow_up_flag", "patient_id"),
        ("diary_link", "session_id"),
        ("consent_record", "patient_id"),
    ):
        op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
        op.drop_table(table)
