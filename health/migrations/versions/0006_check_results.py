"""check results recorded with a check: hearing screen per ear, red reflex, eye position, visual
behaviour, visual acuity per eye (5-point record), decayed teeth, vitamin D given

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

STRING = sqlmodel.sql.sqltypes.AutoString
COLUMNS = (
    ("hearing_left", STRING(length=8)),
    ("hearing_right", STRING(length=8)),
    ("red_reflex", STRING(length=8)),
    ("eye_position", STRING(length=8)),
    ("visual_behaviour", STRING(length=8)),
    ("acuity_left", sa.Float()),
    ("acuity_right", sa.Float()),
    ("caries_teeth", sa.Integer()),
    ("vitamin_d_given", sa.Boolean()),
)


def upgrade() -> None:
    # plain ADD COLUMN: no batch copy of a table the coverage indexes live on
    for name, type_ in COLUMNS:
        op.add_column("checks", sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    for name, _ in reversed(COLUMNS):
        op.execute(f"ALTER TABLE checks DROP COLUMN {name}")
