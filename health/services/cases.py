"""Flags → cases: one open case per child, in the queue of the responsible clinic, with an
audit trail (``case_events``) of every change.

Flags of severity ``advice`` are stored for the family but never open a case. A flag whose code
is already open on the child's case refreshes that flag's evidence instead of adding a copy.
Advice from a questionnaire (:data:`STANDING_ADVICE_SOURCES`: milestones, feeding recalls) is the
child's standing advice, one flag per rule: a new questionnaire of the same kind refreshes the
open advice flag of the same code (evidence, source, time) instead of adding a copy, and resolves
the open advice flags of that kind it no longer raises. Advice about one measurement (an
implausible value) stays with that measurement, whose result is read back from its flags.

A doctor's outcome ``normal``, ``advice`` or ``referred`` closes the case. ``recheck`` keeps it
open until the recheck: the case stays in the clinic's queue with ``outcome`` = recheck and
``recheck_on`` set (event ``recheck_planned``), its flags stay open, new flags of the child join
it, and the doctor's outcome after the recheck closes it (another ``recheck`` moves the date).

A withdrawn entry takes its flags back (:func:`withdraw_flags`, event ``flag_withdrawn``); a case
then left without an open flag closes (:func:`settle_after_withdrawal`, event
``closed_withdrawn``), otherwise its severity follows its remaining flags (``deescalated``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from functools import cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Date, bindparam, insert, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from health.clock import Clock, Moment, zone_from_env
from health.errors import RecordError
from health.models import Case, CaseClose, CaseEvent, Child, FlagRecord
from health.models.enums import SEVERITY_RANK, CaseStatus, Outcome, Severity
from health.registry import plain_text
from health.services.routing import responsible_clinic

RECHECK_WITHIN_DAYS = 366
"""A recheck is planned after the outcome's day and at most this many days ahead."""
NOTE_LENGTH = 2000  # the column's length
ADVICE_LENGTH = 500
"""The longest advice for the facility (``cases.facility_advice``), in characters after NFC."""


STANDING_ADVICE_SOURCES = frozenset({"feeding", "milestone"})
"""Record kinds whose advice flags stand for the child, one per rule (see the module's text)."""


class CaseStateError(ValueError):
    """A case action that its state does not allow (e.g. closing a closed case)."""


def _plain(value: Any) -> Any:
    """JSON-safe copy of evidence values (mappings, tuples, NaN → None)."""
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def evidence_dict(flag: Any) -> dict[str, Any]:
    """The evidence of a ``screening.flags.Flag`` as plain JSON data."""
    ev = flag.evidence
    return _plain(
        {
            "rule": ev.rule,
            "rule_version": ev.rule_version,
            "instrument": ev.instrument,
            "instrument_version": ev.instrument_version,
            "values": ev.values,
            "z": ev.z,
            "item_ids": ev.item_ids,
        }
    )


def _event(
    session: Session, case: Case, action: str, now: dt.datetime, actor_id: int | None, **detail: Any
) -> None:
    session.add(
        CaseEvent(case_id=case.id, at=now, actor_id=actor_id, action=action, detail=_plain(detail))
    )


def open_case_of(session: Session, child_id: int) -> Case | None:
    """The child's open case, if any."""
    return session.exec(
        select(Case).where(Case.child_id == child_id, Case.status == CaseStatus.open)
    ).first()


def _more_urgent(a: str, b: str) -> str:
    return a if SEVERITY_RANK[a] <= SEVERITY_RANK[b] else b


def raise_flags(
    session: Session,
    child: Child,
    flags: Iterable[Any],
    *,
    source_kind: str,
    source_id: int | None,
    at: Moment,
    actor_id: int | None = None,
) -> Case | None:
    """Store ``flags`` (``screening.flags.Flag`` objects) for ``child`` and open or update its
    one open case with those that are not advice, in the queue of the clinic responsible on the
    local ``at.today``. Returns the open case, or None when no flag needed a doctor."""
    flags = list(flags)
    now = at.now
    advice = [f for f in flags if f.severity == Severity.advice]
    _store_advice(session, child, advice, source_kind, source_id, now)
    serious = [f for f in flags if f.severity != Severity.advice]
    if not serious:
        session.flush()
        return None
    case, open_flags, clinic_id = _case_flags_and_clinic(session, child, at.today)
    # the trail, worked out before the one upsert of the case (its id is known after it)
    events: list[tuple[str, dict[str, Any]]] = []
    severity = min((str(f.severity) for f in serious), key=SEVERITY_RANK.__getitem__)
    if case is not None:
        severity = case.severity
        if case.clinic_id != clinic_id:
            events.append(("rerouted", {"clinic_from": case.clinic_id, "clinic_to": clinic_id}))
    added: dict[str, list[Any]] = {}
    for flag in serious:
        if flag.code in open_flags or flag.code in added:
            events.append(("flag_updated", {"code": flag.code}))
        else:
            events.append(("flag_added", {"code": flag.code, "severity": str(flag.severity)}))
            worse = _more_urgent(str(flag.severity), severity)
            if worse != severity:
                events.append(("escalated", {"severity_from": severity, "severity_to": worse}))
                severity = worse
        added.setdefault(flag.code, []).append(flag)
    read = case
    case = _upsert_case(session, child, severity=severity, clinic_id=clinic_id, at=at)
    if read is None and _same_instant(case.opened_at, now):  # the case this call opened
        events.insert(0, ("opened", {"severity": case.severity, "clinic_id": case.clinic_id}))
    new_flags = []
    for code, same in added.items():
        record = open_flags.get(code)
        if record is None:  # a new flag: stored as first raised, with the last one's evidence
            record = _record(child, same[0], source_kind, source_id, now, case_id=case.id)
            new_flags.append(record)
        record.evidence = evidence_dict(same[-1])
        record.source_kind, record.source_id = source_kind, source_id
    session.flush()  # the refreshed flags, if any
    _insert_all(session, new_flags)
    _insert_all(session, [
        CaseEvent(case_id=case.id, at=now, actor_id=actor_id, action=action,
                  detail=_plain(detail))
        for action, detail in events
    ])  # fmt: skip
    return case


def _insert_all(session: Session, rows: Sequence[Any]) -> None:
    """New rows of one table in one executemany ``INSERT`` (no ids fetched back: nothing reads
    them in this transaction)."""
    if rows:
        columns = [c.key for c in type(rows[0]).__table__.columns if c.key != "id"]
        session.execute(insert(type(rows[0])), [{k: getattr(r, k) for k in columns} for r in rows])


@cache
def _case_flags_and_clinic_query() -> Any:
    """The statement of :func:`_case_flags_and_clinic`, built once over bind parameters
    (``child_id``, ``area_id``, ``on``): no statement construction nor cache key per call."""
    children = Child.__table__.c  # type: ignore[attr-defined]
    child_id = bindparam("child_id", type_=children.id.type)
    area_id = bindparam("area_id", type_=children.area_id.type)
    stand_in = SimpleNamespace(id=child_id, area_id=area_id)  # what responsible_clinic reads
    on = bindparam("on", type_=Date())
    clinic = select(responsible_clinic(stand_in, on).label("clinic_id")).subquery()  # type: ignore[arg-type]
    return (
        select(clinic.c.clinic_id, Case, FlagRecord)
        .select_from(clinic)
        .outerjoin(Case, (col(Case.child_id) == child_id) & (col(Case.status) == CaseStatus.open))
        .outerjoin(
            FlagRecord,
            (col(FlagRecord.case_id) == col(Case.id)) & col(FlagRecord.resolved_at).is_(None),
        )
        .order_by(col(FlagRecord.id))
    )


def _case_flags_and_clinic(
    session: Session, child: Child, on: dt.date
) -> tuple[Case | None, dict[str, Any], int | None]:
    """The child's open case, its open flags by code and the clinic responsible on ``on``
    (``health.services.routing.responsible_clinic``), in one query: the clinic's one-row
    select, outer-joined to the open case and its open flags."""
    rows = session.execute(
        _case_flags_and_clinic_query(),
        {"child_id": child.id, "area_id": child.area_id, "on": on},
    ).all()
    case = rows[0][1] if rows else None
    clinic_id = rows[0][0] if rows else None
    return case, {flag.code: flag for _, _, flag in rows if flag is not None}, clinic_id


def _same_instant(a: dt.datetime, b: dt.datetime) -> bool:
    """Whether two instants are equal (a naive one is UTC, as SQLite gives them back)."""
    return a.replace(tzinfo=a.tzinfo or dt.UTC) == b.replace(tzinfo=b.tzinfo or dt.UTC)


_CASE_VALUES = ("child_id", "clinic_id", "status", "severity", "opened_at", "updated_at",
                "oldest_flag_at")  # fmt: skip


@cache
def _upsert_statement(dialect: str) -> Any:
    """The case upsert of :func:`_upsert_case` for ``dialect``, built once over bind
    parameters named as the columns (building ``excluded`` alone copies the whole table)."""
    module: Any = postgresql if dialect == "postgresql" else sqlite
    columns = Case.__table__.c  # type: ignore[attr-defined]
    stmt = module.insert(Case).values(
        {name: bindparam(name, type_=columns[name].type) for name in _CASE_VALUES}
    )
    return stmt.on_conflict_do_update(
        index_elements=["child_id"],
        index_where=text("status = 'open'"),
        set_={
            "severity": stmt.excluded.severity,
            "clinic_id": stmt.excluded.clinic_id,
            "updated_at": stmt.excluded.updated_at,
        },
    ).returning(Case)


def _upsert_case(
    session: Session, child: Child, *, severity: str, clinic_id: int | None, at: Moment
) -> Case:
    """One statement for the child's open case: ``INSERT … ON CONFLICT`` on the partial unique
    index (one open case per child) ``DO UPDATE`` its severity, clinic and ``updated_at``,
    ``RETURNING`` the row into the session. A case another request opened meanwhile (the index
    refuses a second one) is updated instead."""
    values = {
        "child_id": child.id, "clinic_id": clinic_id, "status": str(CaseStatus.open),
        "severity": severity, "opened_at": at.now, "updated_at": at.now,
        "oldest_flag_at": at.now,
    }  # fmt: skip
    stmt = _upsert_statement(session.get_bind().dialect.name)
    return session.execute(stmt, values, execution_options={"populate_existing": True}).scalar_one()


def _store_advice(
    session: Session,
    child: Child,
    advice: Sequence[Any],
    source_kind: str,
    source_id: int | None,
    now: dt.datetime,
) -> None:
    """Store the advice flags of one record: per record, or as the child's standing advice
    (one open flag per rule) for :data:`STANDING_ADVICE_SOURCES`."""
    if source_kind not in STANDING_ADVICE_SOURCES:
        _insert_all(session, [_record(child, f, source_kind, source_id, now, case_id=None)
                              for f in advice])  # fmt: skip
        return
    new: list[FlagRecord] = []
    standing: dict[str, FlagRecord] = {}
    for record in session.exec(
        select(FlagRecord)
        .where(
            FlagRecord.child_id == child.id,
            col(FlagRecord.case_id).is_(None),
            FlagRecord.severity == Severity.advice,
            FlagRecord.source_kind == source_kind,
            col(FlagRecord.resolved_at).is_(None),
        )
        .order_by(col(FlagRecord.id))
    ):
        if record.code in standing:  # a copy stored before advice stood: resolve it
            record.resolved_at = now
            session.add(record)
        else:
            standing[record.code] = record
    for flag in advice:
        existing = standing.pop(flag.code, None)
        if existing is None:
            new.append(_record(child, flag, source_kind, source_id, now, case_id=None))
            continue
        existing.evidence = evidence_dict(flag)
        existing.source_id, existing.raised_at = source_id, now
        existing.parent_message_id = flag.parent_message_id
        existing.clinician_message_id = flag.clinician_message_id
        session.add(existing)
    for gone in standing.values():  # no longer raised by the newest record of the kind
        gone.resolved_at = now
        session.add(gone)
    _insert_all(session, new)  # one executemany for the new advice flags


def _record(
    child: Child,
    flag: Any,
    source_kind: str,
    source_id: int | None,
    now: dt.datetime,
    *,
    case_id: int | None,
) -> FlagRecord:
    return FlagRecord(
        child_id=child.id,  # type: ignore[arg-type]
        case_id=case_id,
        code=flag.code,
        domain=str(flag.domain),
        severity=str(flag.severity),  # type: ignore[arg-type]
        parent_message_id=flag.parent_message_id,
        clinician_message_id=flag.clinician_message_id,
        source_kind=source_kind,
        source_id=source_id,
        evidence=evidence_dict(flag),
        raised_at=now,
    )


def close_case(
    session: Session,
    case_id: int,
    data: CaseClose,
    *,
    actor_id: int | None,
    now: dt.datetime,
    today: dt.date | None = None,
) -> Case:
    """Record a doctor's outcome on the local ``today`` (default: the local date of ``now`` in
    the deployment's zone). ``normal``, ``advice`` and ``referred`` (the institution named in
    ``outcome_note``) close the case and resolve its open flags; ``recheck`` keeps it open with
    ``recheck_on`` (see the module's text). The note is cleaned like a name (NFC, line breaks
    kept, no other control characters); ``recheck_on`` falls after ``today`` and at most
    :data:`RECHECK_WITHIN_DAYS` days ahead. The advice for the facility (optional, at most
    :data:`ADVICE_LENGTH` characters) is cleaned the same way and replaces the case's earlier
    advice. Refusals are :class:`~health.errors.RecordError`; an outcome for a closed case is a
    :class:`CaseStateError`. Each outcome's event (``recheck_planned`` or ``closed``) keeps the
    outcome, the recheck date, the note, whether the note is for the family
    (``note_for_family``) and the advice for the facility, so the history of a child's outcomes
    survives the next outcome."""
    case = session.get(Case, case_id)
    if case is None:
        raise LookupError(f"unknown case {case_id}")
    if case.status != CaseStatus.open:
        raise CaseStateError(f"case {case_id} is already closed")
    today = today or Clock(zone=zone_from_env()).local_date(now)
    note = plain_text(
        data.outcome_note, "error.record.note_characters", "outcome_note", limit=NOTE_LENGTH,
        lines=True,
    )  # fmt: skip
    advice = plain_text(
        data.facility_advice, "error.record.note_characters", "facility_advice",
        limit=ADVICE_LENGTH, lines=True,
    )  # fmt: skip
    _check_recheck(data, today)
    if data.outcome == Outcome.referred and note is None:
        raise RecordError(
            "error.record.referral_needs_institution", "outcome_note",
            "a referral names the institution",
        )  # fmt: skip
    case.outcome = data.outcome  # type: ignore[assignment]
    case.outcome_note, case.recheck_on, case.updated_at = note, data.recheck_on, now
    case.facility_advice = advice
    shared = {"note_for_family": bool(data.note_for_family and note), "facility_advice": advice}
    if data.outcome == Outcome.recheck:
        _event(session, case, "recheck_planned", now, actor_id, outcome=str(data.outcome),
               recheck_on=str(data.recheck_on), note=note, **shared)  # fmt: skip
        session.add(case)
        session.flush()
        return case
    case.status = CaseStatus.closed
    case.closed_at, case.closed_by_id = now, actor_id
    for flag in session.exec(
        select(FlagRecord).where(
            FlagRecord.case_id == case_id, col(FlagRecord.resolved_at).is_(None)
        )
    ):
        flag.resolved_at = now
        session.add(flag)
    _event(session, case, "closed", now, actor_id, outcome=str(data.outcome),
           recheck_on=data.recheck_on.isoformat() if data.recheck_on else None,
           note=note, **shared)  # fmt: skip
    session.add(case)
    session.flush()
    return case


def _check_recheck(data: CaseClose, today: dt.date) -> None:
    """A recheck names its date; any ``recheck_on`` falls after ``today`` and within
    :data:`RECHECK_WITHIN_DAYS` days."""
    if data.outcome == Outcome.recheck and data.recheck_on is None:
        raise RecordError("error.record.recheck_needs_date", "recheck_on", "needs its date")
    if data.recheck_on is None:
        return
    day, latest = data.recheck_on, today + dt.timedelta(days=RECHECK_WITHIN_DAYS)
    if day <= today:
        raise RecordError(
            "error.record.recheck_not_after_today", "recheck_on", f"{day} is not after {today}",
            date=day.isoformat(), today=today.isoformat(),
        )  # fmt: skip
    if day > latest:
        raise RecordError(
            "error.record.recheck_too_far", "recheck_on", f"{day} is after {latest}",
            date=day.isoformat(), latest=latest.isoformat(), days=RECHECK_WITHIN_DAYS,
        )  # fmt: skip


WITHDRAWN_CLOSE = "closed_withdrawn"
"""The event of a case closed because the entries behind its flags were withdrawn (its
``detail.outcome`` is ``withdrawn``; the child's outcome history lists it)."""


def withdraw_flags(
    session: Session,
    child_id: int,
    *,
    source_kind: str,
    source_id: int,
    at: Moment,
    actor_id: int | None,
) -> tuple[list[FlagRecord], Case | None]:
    """Resolve (at ``at.now``) the open flags that one withdrawn record raised, advice
    included; each flag of a case gets a ``flag_withdrawn`` event with its code and the record.
    Returns the flags resolved and the open case they belonged to (None when none did). The
    case itself is settled by :func:`settle_after_withdrawal`."""
    flags = list(
        session.exec(
            select(FlagRecord)
            .where(
                FlagRecord.child_id == child_id,
                FlagRecord.source_kind == source_kind,
                FlagRecord.source_id == source_id,
                col(FlagRecord.resolved_at).is_(None),
            )
            .order_by(col(FlagRecord.id))
        )
    )
    case = None
    for flag in flags:
        flag.resolved_at = at.now
        session.add(flag)
        if flag.case_id is not None:
            case = session.get(Case, flag.case_id)
            if case is not None:
                _event(session, case, "flag_withdrawn", at.now, actor_id, code=flag.code,
                       source_kind=source_kind, source_id=source_id)  # fmt: skip
    session.flush()
    if case is not None and case.status != CaseStatus.open:
        case = None
    return flags, case


def settle_after_withdrawal(
    session: Session, case: Case, *, at: Moment, actor_id: int | None, source_id: int
) -> bool:
    """After flags of ``case`` were withdrawn: with no open flag left the case closes (event
    :data:`WITHDRAWN_CLOSE`, closed by ``actor_id``, its outcome column untouched) and True is
    returned; otherwise its severity follows its most urgent open flag (event ``deescalated``
    when that is lower) and it stays in the queue."""
    remaining = [
        str(f.severity)
        for f in session.exec(
            select(FlagRecord).where(
                FlagRecord.case_id == case.id, col(FlagRecord.resolved_at).is_(None)
            )
        )
    ]
    case.updated_at = at.now
    if not remaining:
        case.status = CaseStatus.closed
        case.closed_at, case.closed_by_id = at.now, actor_id
        _event(session, case, WITHDRAWN_CLOSE, at.now, actor_id, outcome="withdrawn",
               source_kind="measurement", source_id=source_id)  # fmt: skip
        session.add(case)
        session.flush()
        return True
    worst = min(remaining, key=SEVERITY_RANK.__getitem__)
    if worst != case.severity:
        _event(session, case, "deescalated", at.now, actor_id, severity_from=case.severity,
               severity_to=worst)  # fmt: skip
        case.severity = worst  # type: ignore[assignment]
    session.add(case)
    session.flush()
    return False


def queue_order(severity: str, oldest_flag_at: dt.datetime, case_id: int) -> tuple[Any, ...]:
    """The sort key of a clinic's queue: most urgent first, then the oldest open flag first
    (the case id breaks ties)."""
    return (SEVERITY_RANK[severity], oldest_flag_at, case_id)


def open_queue(session: Session, clinic_id: int) -> list[Case]:
    """A clinic's open cases in :func:`queue_order`."""
    cases = session.exec(
        select(Case).where(Case.clinic_id == clinic_id, Case.status == CaseStatus.open)
    ).all()
    return sorted(cases, key=lambda c: queue_order(c.severity, c.oldest_flag_at, c.id))
