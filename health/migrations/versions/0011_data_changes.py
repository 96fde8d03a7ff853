"""the stamp of the data the coverage figures are made of: data_changes and its triggers

``data_changes`` holds counters of committed changes to ``checks``, ``children``,
``enrolments``, ``areas``, ``clinics`` and ``facilities``, moved by triggers on those tables
(PostgreSQL: one statement-level trigger per table, 16 counter slots; SQLite: row triggers on
updates and deletes, and on inserts of the small tables; appends to the big ones are seen
through their largest id). The bureau dashboard keys its shared figures by the stamp, so no
process shows a figure older than the data (``health/models/changes.py``,
``api/services/dashboard.py``).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from health.models.changes import POSTGRES_DDL, POSTGRES_DROP, SQLITE_DDL, SQLITE_DROP

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_changes",
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("changes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("slot"),
    )
    dialect = op.get_bind().dialect.name
    for sql in {"sqlite": SQLITE_DDL, "postgresql": POSTGRES_DDL}.get(dialect, ()):
        op.execute(sql)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for sql in {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}.get(dialect, ()):
        op.execute(sql)
    op.drop_table("data_changes")
