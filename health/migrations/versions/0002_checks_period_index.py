"""checks: covering index for the checks of a period (coverage reports)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_checks_date_child_kind",
        "checks",
        ["check_date", "child_id", "kind"],
        unique=False,
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_index("ix_checks_date_child_kind", table_name="checks")
