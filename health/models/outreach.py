"""Reaching families and facilities: the clinic's contact attempts for a due check, the
notification outbox of reminders to families, and the health advisor's visits to facilities."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from health.models.ids import BIG_ID

CONTACT_RESULTS = ("reached", "booked", "refused", "unreachable")
NOTIFICATION_KINDS = ("check_due", "screening_age", "recheck", "remeasure")


class ContactAttempt(SQLModel, table=True):
    """One try by a clinic to reach a child's family about one scheduled check."""

    __tablename__ = "contact_attempts"
    __table_args__ = (
        CheckConstraint(
            "result IN ('reached', 'booked', 'refused', 'unreachable')",
            name="ck_contact_attempts_result",
        ),
        Index("ix_contact_attempts_child", "child_id", "attempted_at"),
        Index("ix_contact_attempts_clinic", "clinic_id", "attempted_at"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_ID)
    child_id: int = Field(foreign_key="children.id")
    clinic_id: int = Field(foreign_key="clinics.id")
    check_code: str = Field(max_length=32, description="The scheduled check, e.g. routine_6m")
    attempted_at: dt.datetime
    by_user_id: int = Field(foreign_key="users.id")
    result: str = Field(max_length=16)
    booked_on: dt.date | None = Field(default=None, description="The visit date, when booked")
    note: str | None = Field(default=None, max_length=500)


class Notification(SQLModel, table=True):
    """A reminder for one family about one child's item (outbox row): made once per
    ``item_key``, sent by a sender no earlier than ``send_after`` (quiet hours, one a day)."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('check_due', 'screening_age', 'recheck', 'remeasure')",
            name="ck_notifications_kind",
        ),
        UniqueConstraint("user_id", "child_id", "item_key", name="uq_notifications_item"),
        Index("ix_notifications_pending", "sent_at", "send_after"),
        Index("ix_notifications_user", "user_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_ID)
    user_id: int = Field(foreign_key="users.id", description="The guardian it is for")
    child_id: int = Field(foreign_key="children.id")
    kind: str = Field(max_length=24)
    item_key: str = Field(max_length=96, description="Stable key of the reminder item")
    message_id: str = Field(max_length=128, description="Catalogue id of the text")
    due_on: dt.date = Field(description="Local date the item is due")
    created_at: dt.datetime
    send_after: dt.datetime
    sent_at: dt.datetime | None = None
    channel: str | None = Field(default=None, max_length=16, description="The sender used")
    attempts: int = 0
    read_at: dt.datetime | None = None


class FacilityVisit(SQLModel, table=True):
    """A visit of a clinic's health advisor to a linked childcare facility."""

    __tablename__ = "facility_visits"
    __table_args__ = (Index("ix_facility_visits_facility", "facility_id", "visited_on"),)

    id: int | None = Field(default=None, primary_key=True)
    facility_id: int = Field(foreign_key="facilities.id")
    clinic_id: int = Field(foreign_key="clinics.id")
    advisor_id: int = Field(foreign_key="users.id")
    visited_on: dt.date
    children_seen: int = Field(default=0, ge=0)
    note: str | None = Field(default=None, max_length=500)
    created_at: dt.datetime
