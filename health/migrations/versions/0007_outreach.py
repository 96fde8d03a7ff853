"""reaching families and facilities: contact_attempts (a clinic's calls about a due check),
notifications (the reminder outbox), facility_visits (health advisors' visits), and
cases.facility_advice (advice a doctor marks for the child's facility)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UTC_DATETIME = sqlmodel.sql.sqltypes.UTCDateTime
STRING = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "contact_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("check_code", STRING(length=32), nullable=False),
        sa.Column("attempted_at", UTC_DATETIME(), nullable=False),
        sa.Column("by_user_id", sa.Integer(), nullable=False),
        sa.Column("result", STRING(length=16), nullable=False),
        sa.Column("booked_on", sa.Date(), nullable=True),
        sa.Column("note", STRING(length=500), nullable=True),
        sa.CheckConstraint(
            "result IN ('reached', 'booked', 'refused', 'unreachable')",
            name="ck_contact_attempts_result",
        ),
        sa.ForeignKeyConstraint(["child_id"], ["children.id"]),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"]),
        sa.ForeignKeyConstraint(["by_user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("contact_attempts", schema=None) as batch_op:
        batch_op.create_index("ix_contact_attempts_child", ["child_id", "attempted_at"])
        batch_op.create_index("ix_contact_attempts_clinic", ["clinic_id", "attempted_at"])
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("kind", STRING(length=24), nullable=False),
        sa.Column("item_key", STRING(length=96), nullable=False),
        sa.Column("message_id", STRING(length=128), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("created_at", UTC_DATETIME(), nullable=False),
        sa.Column("send_after", UTC_DATETIME(), nullable=False),
        sa.Column("sent_at", UTC_DATETIME(), nullable=True),
        sa.Column("channel", STRING(length=16), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("read_at", UTC_DATETIME(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('check_due', 'screening_age', 'recheck', 'remeasure')",
            name="ck_notifications_kind",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["child_id"], ["children.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "child_id", "item_key", name="uq_notifications_item"),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index("ix_notifications_pending", ["sent_at", "send_after"])
        batch_op.create_index("ix_notifications_user", ["user_id", "created_at"])
    op.create_table(
        "facility_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("advisor_id", sa.Integer(), nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("children_seen", sa.Integer(), nullable=False),
        sa.Column("note", STRING(length=500), nullable=True),
        sa.Column("created_at", UTC_DATETIME(), nullable=False),
        sa.ForeignKeyConstraint(["facility_id"], ["facilities.id"]),
        sa.ForeignKeyConstraint(["clinic_id"], ["clinics.id"]),
        sa.ForeignKeyConstraint(["advisor_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("facility_visits", schema=None) as batch_op:
        batch_op.create_index("ix_facility_visits_facility", ["facility_id", "visited_on"])
    op.add_column("cases", sa.Column("facility_advice", STRING(length=500), nullable=True))


def downgrade() -> None:
    op.execute("ALTER TABLE cases DROP COLUMN facility_advice")
    op.drop_table("facility_visits")
    op.drop_table("notifications")
    op.drop_table("contact_attempts")
