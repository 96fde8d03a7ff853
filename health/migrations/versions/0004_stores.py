"""stores shared by the web service's processes: idempotent-write answers, the sign-in
throttle; users.password_changed_at and users.sessions_valid_after (sessions begun before
either are over)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UTC_DATETIME = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "sign_in_throttle",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", UTC_DATETIME(), nullable=False),
        sa.Column("blocked_until", UTC_DATETIME(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "idempotency_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("media_type", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("location", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", UTC_DATETIME(), nullable=False),
        sa.Column("expires_at", UTC_DATETIME(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "key", name="uq_idempotency_records_user_key"),
    )
    with op.batch_alter_table("idempotency_records", schema=None) as batch_op:
        batch_op.create_index("ix_idempotency_records_expires_at", ["expires_at"], unique=False)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("password_changed_at", UTC_DATETIME(), nullable=True))
        batch_op.add_column(sa.Column("sessions_valid_after", UTC_DATETIME(), nullable=True))


def downgrade() -> None:
    # a plain DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch copy of ``users`` would drop the
    # table that every other table references
    for column in ("sessions_valid_after", "password_changed_at"):
        op.execute(f"ALTER TABLE users DROP COLUMN {column}")
    op.drop_table("idempotency_records")
    op.drop_table("sign_in_throttle")
