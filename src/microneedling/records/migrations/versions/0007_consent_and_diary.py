"""consent records, diary links and entries, follow-up flags

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 00:30:00
"""

from __future__ import annotations

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
