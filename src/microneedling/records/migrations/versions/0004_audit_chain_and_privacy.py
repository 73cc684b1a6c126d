"""audit chain and privacy: hash-chained audit log, erasable personal values, photos without names

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 18:00:00

Existing audit entries are chained in id order; their personal values move to ``personal_value``
and the source paths of photos leave the audit log, the photo table and the stored analyses.
Downgrading drops ``personal_value`` (the audit entries keep only the hashes) and cannot bring
back the original file names.
"""

from __future__ import annotations

import json
from pathlib import PurePath
from typing import Any

import sqlalchemy as sa
from alembic import op

from microneedling.records import audit_chain
from microneedling.records.personal import pseudonymize

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

OLD_SQLITE_TRIGGERS = ("audit_log_no_update", "audit_log_no_delete")
OLD_SQLITE_DDL = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
)
OLD_POSTGRES_DDL = (
    "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
    "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
)
SUMMARY_PATH_KEYS = ("photo", "overlay", "source")

audit_log = sa.table(
    "audit_log",
    sa.column("id", sa.Integer),
    sa.column("seq", sa.Integer),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor", sa.String),
    sa.column("action", sa.String),
    sa.column("entity", sa.String),
    sa.column("entity_id", sa.Integer),
    sa.column("changes", sa.JSON),
    sa.column("prev_hash", sa.String),
    sa.column("entry_hash", sa.String),
)
personal_value = sa.table(
    "personal_value",
    sa.column("digest", sa.String),
    sa.column("salt", sa.String),
    sa.column("value", sa.Text),
    sa.column("entity", sa.String),
    sa.column("entity_id", sa.Integer),
    sa.column("field", sa.String),
)
photo = sa.table("photo", sa.column("id", sa.Integer), sa.column("stored_path", sa.String))
photo_analysis = sa.table(
    "photo_analysis", sa.column("id", sa.Integer), sa.column("summary", sa.JSON)
)


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _drop_triggers() -> None:
    if _postgres():
        for name in audit_chain.POSTGRES_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON audit_log")
        for function in audit_chain.POSTGRES_FUNCTIONS:
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    else:
        for name in audit_chain.SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")


def _relative(path: str) -> str:
    """``ab/abcdef….jpg`` (stored files are named by their hash) from wherever the store was."""
    name = PurePath(path).name
    return f"{name[:2]}/{name}"


def _scrub_photo(changes: dict[str, Any]) -> dict[str, Any]:
    scrubbed = {k: v for k, v in changes.items() if k != "original_name"}
    if isinstance(scrubbed.get("stored_path"), str):
        scrubbed["stored_path"] = _relative(scrubbed["stored_path"])
    return scrubbed


def _scrub_summary(summary: Any) -> Any:
    if isinstance(summary, dict):
        return {k: v for k, v in summary.items() if k not in SUMMARY_PATH_KEYS}
    return summary


def _chain_existing_entries() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.select(audit_log).order_by(audit_log.c.id)).mappings().all()
    prev, personal = audit_chain.GENESIS, []
    for seq, row in enumerate(rows, start=1):
        entry = dict(row)
        changes = entry["changes"] or {}
        if entry["entity"] == "photo":
            changes = _scrub_photo(changes)
        if entry["entity"] == "photo_analysis" and "summary" in changes:
            changes["summary"] = _scrub_summary(changes["summary"])
        changes, values = pseudonymize(
            entry["entity"], entry["entity_id"], changes, update=entry["action"] == "update"
        )
        personal.extend(values)
        entry.update(seq=seq, changes=json.loads(json.dumps(changes)), prev_hash=prev)
        prev = audit_chain.link_hash(prev, entry)
        bind.execute(
            sa.update(audit_log)
            .where(audit_log.c.id == entry["id"])
            .values(
                seq=seq, changes=entry["changes"], prev_hash=entry["prev_hash"], entry_hash=prev
            )
        )
    if personal:
        bind.execute(sa.insert(personal_value), personal)


def _scrub_photo_tables() -> None:
    bind = op.get_bind()
    for photo_id, path in bind.execute(sa.select(photo.c.id, photo.c.stored_path)).all():
        bind.execute(
            sa.update(photo).where(photo.c.id == photo_id).values(stored_path=_relative(path))
        )
    for analysis_id, summary in bind.execute(
        sa.select(photo_analysis.c.id, photo_analysis.c.summary)
    ).all():
        bind.execute(
            sa.update(photo_analysis)
            .where(photo_analysis.c.id == analysis_id)
            .values(summary=_scrub_summary(summary))
        )


def upgrade() -> None:
    _drop_triggers()
    op.create_table(
        "personal_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_personal_value")),
        sa.UniqueConstraint("digest", name=op.f("uq_personal_value_digest")),
    )
    with op.batch_alter_table("personal_value", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_personal_value_entity_id"), ["entity_id"], unique=False
        )
    op.create_table(
        "erasure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("erased_by", sa.String(length=128), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("photos_removed", sa.Integer(), nullable=False),
        sa.Column("values_removed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_erasure_patient_id_patient")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure")),
    )
    with op.batch_alter_table("erasure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_erasure_patient_id"), ["patient_id"], unique=False)

    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("entry_hash", sa.String(length=64), nullable=True))
    _chain_existing_entries()
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("entry_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_audit_log_seq"), ["seq"])

    # native ALTER TABLE on SQLite too: recreating ``photo`` would trip photo_analysis's foreign key
    op.add_column(
        "photo", sa.Column("orientation", sa.Integer(), nullable=False, server_default="1")
    )
    op.execute("ALTER TABLE photo DROP COLUMN original_name")
    _scrub_photo_tables()

    if _postgres():
        for statement in audit_chain.postgres_ddl():
            op.execute(statement)
    else:
        for statement in audit_chain.SQLITE_TRIGGERS.values():
            op.execute(statement)


def downgrade() -> None:
    _drop_triggers()
    op.add_column(
        "photo",
        sa.Column("original_name", sa.String(length=255), nullable=False, server_default=""),
    )
    op.execute("ALTER TABLE photo DROP COLUMN orientation")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_log_seq"), type_="unique")
        batch_op.drop_column("entry_hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
    with op.batch_alter_table("erasure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_erasure_patient_id"))
    op.drop_table("erasure")
    with op.batch_alter_table("personal_value", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_personal_value_entity_id"))
    op.drop_table("personal_value")
    for statement in OLD_POSTGRES_DDL if _postgres() else OLD_SQLITE_DDL:
        op.execute(statement)
