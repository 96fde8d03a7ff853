"""A child's check schedule from the database, and review flags for recently missed checks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from health.models import Check, Child, FlagRecord
from health.registry import NotFoundError
from health.schedule import CheckStatus, child_schedule, next_due
from health.services.cases import raise_flags

MISSED_FLAG = "SCHEDULE_CHECK_MISSED"
RECENT_DAYS = 90  # only windows closed this recently raise a flag


def schedule_for_child(
    session: Session, child_id: int, today: dt.date
) -> tuple[list[CheckStatus], CheckStatus | None]:
    """Every scheduled check with its status on ``today``, and the next one to do."""
    child = session.get(Child, child_id)
    if child is None:
        raise NotFoundError("child", child_id)
    done = session.exec(
        select(Check.check_date, Check.kind).where(Check.child_id == child_id)
    ).all()
    statuses = child_schedule(child.birth_date, [(d, str(k)) for d, k in done], today)
    return statuses, next_due(statuses)


@dataclass(frozen=True)
class _Evidence:
    rule: str
    rule_version: str
    values: dict[str, Any]
    instrument: str | None = None
    instrument_version: str | None = None
    z: dict[str, float] = field(default_factory=dict)
    item_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScheduleFlag:
    """A flag of the ``schedule`` domain, shaped like ``screening.flags.Flag``."""

    code: str
    domain: str
    severity: str
    evidence: _Evidence
    parent_message_id: str = "flag.schedule_check_missed.parent"
    clinician_message_id: str = "flag.schedule_check_missed.clinician"


def flag_missed_checks(
    session: Session, child_id: int, *, today: dt.date, now: dt.datetime
) -> list[ScheduleFlag]:
    """Review flags (to the clinic's queue) for scheduled checks whose window closed in the
    last 90 days without a visit; a check already flagged is not flagged again."""
    statuses, _ = schedule_for_child(session, child_id, today)
    child = session.get(Child, child_id)
    assert child is not None
    flagged = {
        (r.evidence or {}).get("values", {}).get("check")
        for r in session.exec(
            select(FlagRecord).where(
                FlagRecord.child_id == child_id, col(FlagRecord.code) == MISSED_FLAG
            )
        )
    }
    flags = [
        ScheduleFlag(
            MISSED_FLAG,
            "schedule",
            "review",
            _Evidence(
                MISSED_FLAG,
                "schedule-1.0",
                {"check": s.code, "target": s.target.isoformat(), "closed": s.closes.isoformat()},
            ),
        )
        for s in statuses
        if s.status == "missed" and (today - s.closes).days <= RECENT_DAYS and s.code not in flagged
    ]
    for flag in flags:  # one flag per check, each its own row
        raise_flags(session, child, [flag], source_kind="schedule", source_id=None, now=now)
    return flags
