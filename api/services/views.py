"""What the pages and the JSON API read: measurements, schedules, flags and questionnaires, the
case queue, missed checks and due lists. Read-only (results come from :mod:`health.pipeline`),
except that each list of children the handlers show is read through one of the audited readers
at the end (:func:`children_read`, :func:`queue_read`, :func:`missed_read`, :func:`due_read`),
which add its access-audit entry (:func:`api.audit.record_list`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from litestar.connection import ASGIConnection
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import audit
from api.access import DOCTOR, CurrentUser, child_scope, open_enrolment
from api.request_scope import Caller
from health.models import (
    Case,
    CaseEvent,
    Child,
    Enrolment,
    Facility,
    FlagRecord,
    Measurement,
    User,
)
from health.models.enums import SEVERITY_RANK, CaseStatus
from health.schedule import load_schedule
from health.services import schedule as schedule_service
from health.services.cases import WITHDRAWN_CLOSE, queue_order
from health.services.schedule import DueRow


def measurements(session: Session, child_id: int, *, withdrawn: bool = False) -> list[Measurement]:
    """The child's measurements, oldest first: those that count (the latest result, the chart,
    the z-score table), or with ``withdrawn`` also the withdrawn and corrected ones."""
    stmt = select(Measurement).where(Measurement.child_id == child_id)
    if not withdrawn:
        stmt = stmt.where(Measurement.withdrawn_at.is_(None))
    return list(session.execute(stmt.order_by(Measurement.measured_on, Measurement.id)).scalars())


@dataclass(frozen=True)
class HistoryRow:
    """One measurement of the child's history: the row; for a withdrawn one who withdrew it
    (display name, else the sign-in name) and whether a later entry corrects it; whether the
    viewer entered it and so may correct or withdraw it (``own``, never for a withdrawn row)."""

    measurement: Measurement
    withdrawn_by: str | None
    corrected: bool
    own: bool


def measurement_history(session: Session, child_id: int, viewer_id: int) -> list[HistoryRow]:
    """Every measurement of the child, withdrawn ones included, oldest first, as
    :class:`HistoryRow` for ``viewer_id``."""
    rows = measurements(session, child_id, withdrawn=True)
    ids = {m.withdrawn_by_id for m in rows if m.withdrawn_by_id is not None}
    names = {
        uid: display or username
        for uid, display, username in session.execute(
            select(User.id, User.display_name, User.username).where(User.id.in_(ids))
        )
    }
    corrected = {m.corrects_id for m in rows if m.corrects_id is not None}
    return [
        HistoryRow(
            measurement=m,
            withdrawn_by=names.get(m.withdrawn_by_id) if m.withdrawn_by_id is not None else None,
            corrected=m.id in corrected,
            own=m.withdrawn_at is None and m.entered_by_id == viewer_id,
        )
        for m in rows
    ]


def open_flags(session: Session, child_id: int) -> list[FlagRecord]:
    """The child's flags (open first, then by severity and time)."""
    rows = session.execute(
        select(FlagRecord).where(FlagRecord.child_id == child_id).order_by(FlagRecord.raised_at)
    ).scalars()
    return sorted(rows, key=lambda f: (f.resolved_at is not None, SEVERITY_RANK[f.severity]))


@dataclass(frozen=True)
class QueueEntry:
    """One open case of the queue without the child's name (the JSON API: no name is needed to
    triage; the doctor opens the child)."""

    case_id: int
    child_id: int
    child_code: str
    sex: str
    age_days: int
    severity: str
    domains: str
    oldest_flag_at: dt.datetime
    recheck_on: dt.date | None
    facility: str | None

    @classmethod
    def of(cls, row: QueueEntry) -> QueueEntry:
        """The entry of a queue row, without the name."""
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})


@dataclass(frozen=True)
class QueueRow(QueueEntry):
    """A queue entry with the child's name, for the doctor's page."""

    child_name: str | None


def case_queue(
    session: Session,
    user: CurrentUser,
    today: dt.date,
    *,
    facility_id: int | None = None,
    domain: str | None = None,
) -> list[QueueRow]:
    """Open cases of the doctor's clinic (admin: all) by severity, then oldest open flag first;
    filtered to children enrolled now at ``facility_id`` and/or with an open ``domain`` flag."""
    stmt = (
        select(Case, Child)
        .join(Child, Child.id == Case.child_id)
        .where(Case.status == CaseStatus.open, child_scope(user))
    )
    if user.role == DOCTOR:
        stmt = stmt.where(Case.clinic_id == user.clinic_id)
    if facility_id is not None:
        stmt = stmt.where(open_enrolment(Enrolment.facility_id == facility_id))
    if domain:
        stmt = stmt.where(
            select(FlagRecord.id)
            .where(
                FlagRecord.case_id == Case.id,
                FlagRecord.domain == domain,
                FlagRecord.resolved_at.is_(None),
            )
            .exists()
        )
    rows = session.execute(stmt).all()
    ids = [c.id for c, _ in rows]
    domains: dict[int, set[str]] = {}
    for case_id, dom in session.execute(
        select(FlagRecord.case_id, FlagRecord.domain).where(
            FlagRecord.case_id.in_(ids), FlagRecord.resolved_at.is_(None)
        )
    ):
        domains.setdefault(case_id, set()).add(dom)
    facilities = dict(
        session.execute(
            select(Enrolment.child_id, Facility.name)
            .join(Facility, Facility.id == Enrolment.facility_id)
            .where(Enrolment.child_id.in_([ch.id for _, ch in rows]), Enrolment.end_date.is_(None))
        ).all()
    )
    out = [
        QueueRow(
            case_id=c.id,
            child_id=ch.id,
            child_code=ch.code,
            child_name=ch.name,
            sex=str(ch.sex),
            age_days=(today - ch.birth_date).days,
            severity=str(c.severity),
            domains=", ".join(sorted(domains.get(c.id, ()))),
            oldest_flag_at=c.oldest_flag_at,
            recheck_on=c.recheck_on,
            facility=facilities.get(ch.id),
        )
        for c, ch in rows
    ]
    return sorted(out, key=lambda r: queue_order(r.severity, r.oldest_flag_at, r.case_id))


@dataclass(frozen=True)
class OutcomeEntry:
    """One outcome a doctor recorded for the child: when, by whom (display name, else the
    sign-in name), the outcome (``normal``, ``advice``, ``recheck``, ``referred``; ``withdrawn``
    when the case closed because its entries were withdrawn, by the one who withdrew them), the
    recheck date and the note (for a referral: the institution); whether the doctor marked the
    note for the family, and the advice for the facility."""

    at: dt.datetime
    by: str | None
    outcome: str
    recheck_on: dt.date | None
    note: str | None
    note_for_family: bool = False
    facility_advice: str | None = None
    case_id: int | None = None
    """The case of the outcome (a referral's letter: ``/cases/{id}/referral.pdf``)."""


OUTCOME_ACTIONS = ("recheck_planned", "closed", WITHDRAWN_CLOSE)


def outcome_history(session: Session, child_id: int) -> list[OutcomeEntry]:
    """Every outcome of the child's cases, newest first, from the cases' events. An event
    written before the events kept the note takes its case's note when it is the case's last
    outcome."""
    rows = session.execute(
        select(CaseEvent, Case, User.display_name, User.username)
        .join(Case, Case.id == CaseEvent.case_id)
        .outerjoin(User, User.id == CaseEvent.actor_id)
        .where(Case.child_id == child_id, CaseEvent.action.in_(OUTCOME_ACTIONS))
        .order_by(CaseEvent.at.desc(), CaseEvent.id.desc())
    ).all()
    out, seen = [], set()
    for event, case, display_name, username in rows:
        detail = event.detail or {}
        last = case.id not in seen
        seen.add(case.id)
        outcome = detail.get("outcome") or (
            "recheck" if event.action == "recheck_planned" else case.outcome
        )
        recheck = detail.get("recheck_on")
        recheck = None if recheck in (None, "", "None") else dt.date.fromisoformat(recheck)
        note = detail.get("note") if "note" in detail else (case.outcome_note if last else None)
        out.append(
            OutcomeEntry(
                at=event.at,
                by=display_name or username,
                outcome=str(outcome or ""),
                recheck_on=recheck,
                note=note,
                note_for_family=detail.get("note_for_family") is True,
                facility_advice=detail.get("facility_advice") or None,
                case_id=case.id,
            )
        )
    return out


def scope_children(session: Session, user: CurrentUser, *, limit: int = 500) -> list[Child]:
    """Children in ``user``'s scope, youngest first (at most ``limit``)."""
    return list(
        session.execute(
            select(Child)
            .where(child_scope(user))
            .order_by(Child.birth_date.desc(), Child.id)
            .limit(limit)
        ).scalars()
    )


def due_list(
    session: Session,
    user: CurrentUser,
    today: dt.date,
    statuses: tuple[str, ...] = ("due", "missed"),
) -> list[DueRow]:
    """Children in ``user``'s scope with a check due or recently missed
    (:func:`health.services.schedule.due_list`)."""
    return schedule_service.due_list(session, child_scope(user), today, statuses)


# -- the audited readers: one access-audit entry per list of children shown ----------------------

Connection = ASGIConnection[Any, Any, Any, Any]


def child_count(rows: Sequence[QueueEntry | DueRow]) -> int:
    """How many children ``rows`` name (a child with two checks due counts once)."""
    return len({r.child_id for r in rows})


def children_read(connection: Connection, caller: Caller) -> list[Child]:
    """:func:`scope_children` of the caller, audited (``children.list``)."""
    rows = scope_children(caller.db, caller.user)
    audit.record_list(connection, caller.db, caller.user, "children.list", len(rows))
    return rows


def queue_read(
    connection: Connection,
    caller: Caller,
    *,
    facility_id: int | None = None,
    domain: str | None = None,
) -> list[QueueRow]:
    """:func:`case_queue` of the caller on its local today, audited (``cases.list``)."""
    rows = case_queue(caller.db, caller.user, caller.at.today, facility_id=facility_id,
                      domain=domain)  # fmt: skip
    audit.record_list(connection, caller.db, caller.user, "cases.list", child_count(rows))
    return rows


def missed_read(connection: Connection, caller: Caller) -> list[DueRow]:
    """The caller's missed checks (:func:`due_list`), audited (``missed.list``)."""
    rows = due_list(caller.db, caller.user, caller.at.today, ("missed",))
    audit.record_list(connection, caller.db, caller.user, "missed.list", child_count(rows))
    return rows


MISSED_PER_PAGE = 50


@dataclass(frozen=True)
class MissedPage:
    """One page of the caller's missed checks: its ``rows``, how many missed checks (and
    children) the filter keeps, the page number and count, and the checks one may filter by
    (the schedule's codes, in its order)."""

    rows: list[DueRow]
    total: int
    children: int
    page: int
    pages: int
    check: str | None
    checks: tuple[str, ...]


def missed_page(
    connection: Connection,
    caller: Caller,
    *,
    check: str | None = None,
    page: int = 1,
    per_page: int = MISSED_PER_PAGE,
) -> MissedPage:
    """:func:`missed_read` kept to one scheduled ``check`` (None: all) and cut into pages of
    ``per_page`` rows (a page past the last shows the last)."""
    rows = missed_read(connection, caller)
    codes = tuple(c.code for c in load_schedule().checks)
    if check is not None:
        rows = [r for r in rows if r.check == check]
    pages = max(1, -(-len(rows) // per_page))
    page = min(max(page, 1), pages)
    return MissedPage(
        rows=rows[(page - 1) * per_page : page * per_page],
        total=len(rows),
        children=child_count(rows),
        page=page,
        pages=pages,
        check=check,
        checks=codes,
    )


def due_read(connection: Connection, caller: Caller) -> list[DueRow]:
    """The caller's checks due now or missed (:func:`due_list`), audited (``due.list``)."""
    rows = due_list(caller.db, caller.user, caller.at.today)
    audit.record_list(connection, caller.db, caller.user, "due.list", child_count(rows))
    return rows
