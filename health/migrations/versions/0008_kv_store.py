"""the web service's shared key/value store: kv_store (server-side sessions and short-lived
caches, shared by every process and machine when no Valkey/Redis is configured)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UTC_DATETIME = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "kv_store",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", UTC_DATETIME(), nullable=True),
        sa.PrimaryKeyConstraint("key"),
    )
    with op.batch_alter_table("kv_store", schema=None) as batch_op:
        batch_op.create_index("ix_kv_store_expires_at", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_table("kv_store")
