"""Flags raised by the screening rules, the case (one open case per child), its audit trail,
and re-measure requests for implausible values."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, String, text
from sqlmodel import Field, SQLModel

from health.models.enums import CaseStatus, Outcome, Severity, sql_in
from health.models.ids import BIG_ID


class FlagBase(SQLModel):
    """A stored screening flag (the ``screening.flags.Flag`` fields plus where it came from)."""

    code: str = Field(max_length=64)
    domain: str = Field(max_length=32)
    severity: Severity = Field(sa_type=String(16))
    parent_message_id: str = Field(default="", max_length=128)
    clinician_message_id: str = Field(default="", max_length=128)
    source_kind: str = Field(max_length=32, description="measurement, milestone, feeding, ...")
    source_id: int | None = Field(default=None, sa_type=BIG_ID)  # the id of a source_kind row


class FlagPublic(FlagBase):
    """Output: a stored flag."""

    id: int
    child_id: int
    case_id: int | None
    evidence: dict[str, Any]
    raised_at: dt.datetime
    resolved_at: dt.datetime | None


class FlagRecord(FlagBase, table=True):
    """A flag as stored; open while ``resolved_at`` is empty."""

    __tablename__ = "flags"
    __table_args__ = (
        CheckConstraint(f"severity IN ({sql_in(Severity)})", name="ck_flags_severity"),
        Index("ix_flags_child", "child_id"),
        Index("ix_flags_case", "case_id"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_ID)
    child_id: int = Field(foreign_key="children.id")
    case_id: int | None = Field(default=None, foreign_key="cases.id", sa_type=BIG_ID)
    evidence: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    raised_at: dt.datetime
    resolved_at: dt.datetime | None = None


class CaseBase(SQLModel):
    """A case: one child with one or more flags, in the queue of one clinic."""

    status: CaseStatus = Field(default=CaseStatus.open, sa_type=String(16))
    severity: Severity = Field(sa_type=String(16), description="Most urgent flag of the case")
    outcome: Outcome | None = Field(default=None, sa_type=String(16))
    outcome_note: str | None = Field(default=None, max_length=2000)
    recheck_on: dt.date | None = None
    facility_advice: str | None = Field(
        default=None, max_length=500, description="Advice the doctor marked for the facility"
    )


class CaseClose(SQLModel):
    """Input: how a doctor resolves a case."""

    outcome: Outcome
    outcome_note: str | None = Field(default=None, max_length=2000)
    recheck_on: dt.date | None = None
    facility_advice: str | None = Field(
        default=None, max_length=500, description="Advice the doctor marked for the facility"
    )
    note_for_family: bool = Field(
        default=False,
        description="Whether the family sees outcome_note (a referral's institution always)",
    )


class CasePublic(CaseBase):
    """Output: a case."""

    id: int
    child_id: int
    clinic_id: int | None
    opened_at: dt.datetime
    updated_at: dt.datetime
    oldest_flag_at: dt.datetime
    closed_at: dt.datetime | None
    closed_by_id: int | None


class Case(CaseBase, table=True):
    """A case; at most one open case per child (partial unique index)."""

    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint(f"status IN ({sql_in(CaseStatus)})", name="ck_cases_status"),
        CheckConstraint(f"severity IN ({sql_in(Severity)})", name="ck_cases_severity"),
        CheckConstraint(
            f"outcome IS NULL OR outcome IN ({sql_in(Outcome)})", name="ck_cases_outcome"
        ),
        Index(
            "uq_cases_one_open_per_child",
            "child_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_cases_clinic_status", "clinic_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_ID)
    child_id: int = Field(foreign_key="children.id")
    clinic_id: int | None = Field(default=None, foreign_key="clinics.id")
    opened_at: dt.datetime
    updated_at: dt.datetime
    oldest_flag_at: dt.datetime
    closed_at: dt.datetime | None = None
    closed_by_id: int | None = Field(default=None, foreign_key="users.id")


class CaseEvent(SQLModel, table=True):
    """Audit trail of a case: who did what, when (``action``: opened, flag_added, escalated,
    rerouted, closed)."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case", "case_id"),)

    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_ID)
    case_id: int = Field(foreign_key="cases.id", sa_type=BIG_ID)
    at: dt.datetime
    actor_id: int | None = Field(default=None, foreign_key="users.id")
    action: str = Field(max_length=32)
    detail: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


class RemeasureRequest(SQLModel, table=True):
    """A request to measure again because a value was implausible (never a case until confirmed)."""

    __tablename__ = "remeasure_requests"
    __table_args__ = (
        CheckConstraint(
            "status IN ('pending', 'confirmed', 'replaced', 'cancelled')",
            name="ck_remeasure_status",
        ),
        Index("ix_remeasure_child", "child_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_ID)
    child_id: int = Field(foreign_key="children.id")
    measurement_id: int = Field(foreign_key="measurements.id", sa_type=BIG_ID)
    indicators: list[str] = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=16)
    requested_at: dt.datetime
    resolved_at: dt.datetime | None = None
