"""parent journeys: share_links (summary links that expire, calendar feeds until revoked);
measurements.withdrawn_at / withdrawn_by_id / corrects_id (an entry withdrawn or corrected by
its author stays stored); children.registered_on and children.guardian_phone

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UTC_DATETIME = sqlmodel.sql.sqltypes.UTCDateTime
STRING = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "share_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("kind", STRING(length=16), nullable=False),
        sa.Column("token_sha256", STRING(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME(), nullable=False),
        sa.Column("expires_at", UTC_DATETIME(), nullable=True),
        sa.Column("revoked_at", UTC_DATETIME(), nullable=True),
        sa.CheckConstraint("kind IN ('summary', 'calendar')", name="ck_share_links_kind"),
        sa.ForeignKeyConstraint(["child_id"], ["children.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_sha256"),
    )
    with op.batch_alter_table("share_links", schema=None) as batch_op:
        batch_op.create_index("ix_share_links_child", ["child_id", "kind"], unique=False)
    # plain ADD COLUMN (no batch copy: other tables reference these)
    op.add_column("measurements", sa.Column("withdrawn_at", UTC_DATETIME(), nullable=True))
    # a column with its reference in one plain statement (SQLite cannot add the constraint
    # apart, and a batch copy would drop a table that others reference)
    op.execute("ALTER TABLE measurements ADD COLUMN withdrawn_by_id INTEGER REFERENCES users (id)")
    op.execute(
        "ALTER TABLE measurements ADD COLUMN corrects_id INTEGER REFERENCES measurements (id)"
    )
    op.add_column("children", sa.Column("registered_on", sa.Date(), nullable=True))
    op.add_column("children", sa.Column("guardian_phone", STRING(length=32), nullable=True))


def downgrade() -> None:
    for table, column in (
        ("children", "guardian_phone"),
        ("children", "registered_on"),
        ("measurements", "corrects_id"),
        ("measurements", "withdrawn_by_id"),
        ("measurements", "withdrawn_at"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    op.drop_table("share_links")
