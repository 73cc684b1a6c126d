"""device geometry: what a clinic's own device needs to be simulated

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 21:50:00

Nullable columns on ``device``: needle diameter, a pen's cartridge footprint and frequency range,
a roller's rows and drum, a stamp's grid rows and pitch. Existing devices keep NULL until the
clinic records them; ``simulate`` names what a device lacks.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

COLUMNS = (
    ("needle_diameter_mm", sa.Float()),
    ("footprint_mm", sa.Float()),
    ("frequency_min_hz", sa.Float()),
    ("frequency_max_hz", sa.Float()),
    ("rows", sa.Integer()),
    ("drum_diameter_mm", sa.Float()),
    ("drum_width_mm", sa.Float()),
    ("pitch_mm", sa.Float()),
)


def upgrade() -> None:
    for name, kind in COLUMNS:
        op.add_column("device", sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    # ALTER TABLE ... DROP COLUMN, not a batch copy: on SQLite a batch drops and recreates the
    # table, which the foreign keys of cartridges and plans refuse (SQLite 3.35+ drops in place).
    for name, _ in reversed(COLUMNS):
        op.drop_column("device", name)
