"""kept area sums of the coverage figures: tallies, tally_areas, tally_changes, tally_state

The bureau's figures are sums over every resident child. ``tallies`` and ``tally_areas`` keep
those sums per counted period and area; triggers on ``checks`` and ``children`` note in
``tally_changes`` which areas changed (PostgreSQL: statement-level triggers with transition
tables; SQLite: row triggers on updates and deletes, appends seen through ``tally_state``'s
ids), so a view computes again only the areas that changed (``health/models/tallies.py``,
``health/tally.py``). Nothing is kept until a view asks for it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

from health.models.ids import BIG_ID
from health.models.tallies import (
    POSTGRES_DDL,
    POSTGRES_DROP,
    SQLITE_DDL,
    SQLITE_DROP,
    VALUES,
)

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tallies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("end", sa.Date(), nullable=False),
        sa.Column("rules", sa.String(length=16), nullable=False),
        sa.Column("made_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_tallies_kind_period", "tallies", ["kind", "start", "end", "rules"], unique=True
    )
    op.create_table(
        "tally_areas",
        sa.Column("tally_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        *(sa.Column(f"v{i}", sa.BigInteger(), nullable=False) for i in range(VALUES)),
        sa.ForeignKeyConstraint(["tally_id"], ["tallies.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("tally_id", "area_id", "part"),
    )
    op.create_table(
        "tally_changes",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "tally_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checks_seen", sa.BigInteger(), nullable=False),
        sa.Column("children_seen", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    dialect = op.get_bind().dialect.name
    for sql in {"sqlite": SQLITE_DDL, "postgresql": POSTGRES_DDL}.get(dialect, ()):
        op.execute(sql)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for sql in {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}.get(dialect, ()):
        op.execute(sql)
    for table in ("tally_state", "tally_changes", "tally_areas", "tallies"):
        op.drop_table(table)
