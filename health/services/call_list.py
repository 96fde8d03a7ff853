"""The call list of a clinic or a childcare facility, and the clinic's contact attempts.

On a local date ``on`` the list holds, for the children of the unit's scope (a clinic: children
living in its township or enrolled now at a facility linked to it; a facility: the children
enrolled there now; under 7 years on ``on``):

- **closing**: the first scheduled check due on ``on`` (window open, no visit in it; see
  :func:`health.schedule.due_entries`) whose window closes within ``within`` days
  (``0 <= window_end - on <= within``);
- **pivotal**: the children without whom the unit cannot reach the infant-and-toddler
  health-management target (coverage.md §2, year ``Y = on.year``). The unit's figures:
  ``denominator`` = its resident children with a routine check due in Y (birth + k months in Y,
  k in the coverage's routine months, :func:`health.coverage.due_segments`), ``numerator`` =
  those with at least as many routine checks dated in Y as due; ``gap`` =
  ``max(0, ⌈0.95 × denominator⌉ − numerator)`` (:func:`health.stats.target_gap`). A child of
  the denominator not yet counted is *countable* when the routine windows of its checks due in
  Y that are not done and close on or after ``on`` are at least as many as the checks it still
  lacks (it can still be counted by being seen in its windows). When ``gap > 0`` and the
  countable children are no more than ``gap``, every one of them is needed: missing any one
  alone keeps the unit below 95 %, so each is *pivotal* and listed with its first such window,
  however far away it closes. With one countable child more than the gap, none is pivotal.

The unit's children for the figures are those the coverage counts for it: for a clinic, the
children whose responsible clinic it is (the clinic linked to the facility they are enrolled in
now, else the lowest-id clinic of their township); for a facility, its enrolled children.

Rows are ordered by days left, then child id; each carries the child's age (days), the check
(its exchange name, e.g. ``routine_6m``, and the schedule's code for words), the guardian's
phone (personal: a view shows it to clinic roles only) and the child's last contact attempt.
Everything over the scope's children is numpy (one pass per scheduled check).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from health.clock import Moment
from health.coverage import due_segments
from health.errors import RecordError
from health.models import Check, Child, Clinic, Enrolment, Facility
from health.models.outreach import CONTACT_RESULTS, ContactAttempt
from health.periods import Period
from health.registry import plain_text
from health.schedule import ScheduledCheck, due_entries, load_schedule
from health.services import audit
from health.services.schedule import DUE_UNDER_YEARS
from health.services.scopes import clinic_children, facility_children
from screening.vocabulary import add_years

WITHIN_CHOICES = (7, 14, 30)
"""The list's horizons offered on the pages (any 0..366 is accepted by the service)."""
MAX_WITHIN = 366
NOTE_LENGTH = 500
BOOK_WITHIN_DAYS = 365  # a booked visit lies from today to a year ahead
CHUNK = 900  # ids bound per IN list (SQLite's historical limit is 999 parameters)
UnitKind = Literal["clinic", "facility"]


@dataclass(frozen=True)
class Unit:
    """The clinic or facility whose call list it is."""

    kind: UnitKind
    id: int


def exchange_check(item: ScheduledCheck) -> str:
    """The check's name in the exchange and the CLI: ``routine_<months>m`` for a routine
    check (``m6`` → ``routine_6m``, ``y4`` → ``routine_48m``), else its kind
    (``newborn_visit``, ``full_month``)."""
    if item.kind == "routine":
        return f"routine_{item.target.months}m"
    return item.kind


def check_by_name(name: str) -> ScheduledCheck | None:
    """The scheduled check with exchange name or schedule code ``name``, or None."""
    for item in load_schedule().checks:
        if name in (exchange_check(item), item.code):
            return item
    return None


@dataclass(frozen=True)
class LastAttempt:
    """A child's latest contact attempt (``attempted_at`` in UTC)."""

    attempted_at: dt.datetime
    result: str
    check: str
    booked_on: dt.date | None


@dataclass(frozen=True)
class CallRow:
    """One child to call about one scheduled check."""

    child_id: int
    child_code: str
    child_name: str | None
    birth_date: dt.date
    age_days: int  # age on the list's day
    check: str  # exchange name, e.g. routine_6m
    code: str  # the schedule's code, e.g. m6 (for the check's words)
    opens: dt.date
    window_end: dt.date
    days_left: int  # window_end − the list's day (negative never: closing rows are due)
    closing: bool  # the window closes within the list's horizon
    pivotal: bool  # needed for the unit to reach 95 % (module docstring)
    guardian_phone: str | None = None
    last_attempt: LastAttempt | None = None


@dataclass(frozen=True)
class Standing:
    """The unit's infant-and-toddler figures for the year of the list's day."""

    year: int
    denominator: int
    numerator: int
    gap: int
    countable: int  # not yet counted, still countable in their windows
    pivotal: bool  # gap > 0 and countable <= gap: each countable child is needed


@dataclass(frozen=True)
class CallList:
    """The call list of a unit on a day."""

    on: dt.date
    within: int
    rows: list[CallRow]
    standing: Standing
    children: int = field(default=0)  # children in the scope under 7 years


def unit_scope(unit: Unit) -> ColumnElement[bool]:
    """The children a unit's staff may see (:mod:`health.services.scopes`, as the web guard)."""
    if unit.kind == "facility":
        return facility_children(unit.id)
    return clinic_children(unit.id)


def _dates(values: list[dt.date | None]) -> np.ndarray:
    return np.array(values, dtype="datetime64[D]")


def call_list(
    session: Session,
    unit: Unit,
    on: dt.date,
    within: int,
    *,
    scope: ColumnElement[bool] | None = None,
) -> CallList:
    """The call list of ``unit`` on the local date ``on`` for windows closing within
    ``within`` days (0..366), over the children of :func:`unit_scope` that also match
    ``scope`` (the caller's scope, e.g. the web guard's rule; None: no further condition)."""
    if not 0 <= within <= MAX_WITHIN:
        raise ValueError(f"within must be 0..{MAX_WITHIN} days")
    schedule = load_schedule()
    params = schedule.coverage
    year = Period.year(on.year)
    # the unit's children first (index reads), then their rows by id: neither database then
    # reads every child of the province
    candidates = [int(i) for i in session.execute(select(Child.id).where(unit_scope(unit)))
                  .scalars()]  # fmt: skip
    in_scope = and_(
        Child.id.is_not(None) if scope is None else scope,
        Child.birth_date > add_years(on, -DUE_UNDER_YEARS),
        Child.birth_date <= on,
    )
    facility_now = (
        select(func.min(Enrolment.facility_id))
        .where(Enrolment.child_id == Child.id, Enrolment.end_date.is_(None))
        .scalar_subquery()
    )
    kids = [
        row
        for start in range(0, len(candidates), CHUNK)
        for row in session.execute(
            select(Child.id, Child.code, Child.name, Child.birth_date, Child.registered_on,
                   Child.guardian_phone, Child.resident, Child.area_id,
                   facility_now.label("facility_id"))
            .where(Child.id.in_(candidates[start : start + CHUNK]), in_scope)
        )
    ]  # fmt: skip
    empty = Standing(on.year, 0, 0, 0, 0, False)
    if not kids:
        return CallList(on, within, [], empty, 0)
    n = len(kids)
    ids = np.array([k.id for k in kids], dtype=np.int64)
    births = _dates([k.birth_date for k in kids])
    order = np.argsort(ids)
    records = [
        row
        for start in range(0, n, CHUNK)  # the children's ids, bound: each an index lookup
        for row in session.execute(
            select(Check.child_id, Check.check_date, Check.kind).where(
                Check.child_id.in_([int(i) for i in ids[start : start + CHUNK]])
            )
        )
    ]
    rows_of = order[np.searchsorted(ids[order], np.array([r[0] for r in records], np.int64))]
    dates = _dates([r[1] for r in records])
    kinds = np.array([str(r[2]) for r in records], dtype=object)

    # -- the unit's children for its figures (coverage's unit of a child)
    facility_ids = np.array([k.facility_id or 0 for k in kids], dtype=np.int64)
    if unit.kind == "facility":
        member = facility_ids == unit.id
    else:
        linked = dict(session.execute(select(Facility.id, Facility.clinic_id)).all())
        township = dict(
            session.execute(
                select(Clinic.area_id, func.min(Clinic.id)).group_by(Clinic.area_id)
            ).all()
        )
        responsible = np.array(
            [linked.get(k.facility_id) if k.facility_id else township.get(k.area_id)
             for k in kids], dtype=object,
        )  # fmt: skip
        member = responsible == unit.id
    member &= np.array([bool(k.resident) for k in kids])

    # -- infant-and-toddler figures of year Y (coverage.md §2)
    due = np.zeros(n, dtype=np.int64)
    for lo, hi, count in due_segments(year, params.routine_months):
        due[(births >= np.datetime64(lo)) & (births <= np.datetime64(hi))] = count
    routine = kinds == "routine"
    in_year = routine & (dates >= np.datetime64(year.start)) & (dates <= np.datetime64(year.end))
    n_routine = np.bincount(rows_of[in_year], minlength=n)
    den = member & (due > 0) & (births <= np.datetime64(year.end))
    num = den & (n_routine >= due)

    # -- windows still to keep in Y: routine checks due in Y, not done, closing on or after on
    day = np.datetime64(on, "D")
    remaining = np.zeros(n, dtype=np.int64)
    first = np.full(n, -1, dtype=np.int64)
    windows: list[tuple[ScheduledCheck, np.ndarray, np.ndarray]] = []
    for position, item in enumerate(schedule.checks):
        target, opens, closes = item.windows(births)
        windows.append((item, opens, closes))
        if (
            item.kind != "routine"
            or item.target.days
            or item.target.months not in (params.routine_months)
        ):
            continue
        rows = rows_of[routine]
        inside = (dates[routine] >= opens[rows]) & (dates[routine] <= closes[rows])
        done = np.zeros(n, dtype=bool)
        done[rows[inside]] = True
        keep = (
            (target >= np.datetime64(year.start))
            & (target <= np.datetime64(year.end))
            & ~done
            & (closes >= day)
        )
        remaining += keep
        first[keep & (first < 0)] = position
    countable = den & ~num & (remaining >= due - n_routine)
    gap_values = _gap(int(num.sum()), int(den.sum()), params.infant_target)
    n_countable = int(countable.sum())
    pivotal_unit = gap_values > 0 and n_countable <= gap_values
    standing = Standing(on.year, int(den.sum()), int(num.sum()), gap_values, n_countable,
                        pivotal_unit)  # fmt: skip
    pivotal = countable if pivotal_unit else np.zeros(n, dtype=bool)

    # -- the rows
    picked: dict[int, tuple[int, bool]] = {}  # child index → (check position, closing)
    codes = {item.code: i for i, (item, _, _) in enumerate(windows)}
    registered = _dates([k.registered_on for k in kids])
    for e in due_entries(births, rows_of, dates, kinds, on, ("due",), registered=registered):
        if (e.closes - on).days <= within:
            picked[e.index] = (codes[e.code], True)
    for index in np.flatnonzero(pivotal & (first >= 0)):
        picked.setdefault(int(index), (int(first[index]), False))
    last = _last_attempts(session, [int(ids[i]) for i in picked])
    out = []
    for index, (position, closing) in picked.items():
        item, opens, closes = windows[position]
        kid = kids[index]
        end = closes[index].item()
        out.append(
            CallRow(
                child_id=kid.id, child_code=kid.code, child_name=kid.name,
                birth_date=kid.birth_date, age_days=(on - kid.birth_date).days,
                check=exchange_check(item), code=item.code, opens=opens[index].item(),
                window_end=end, days_left=(end - on).days, closing=closing,
                pivotal=bool(pivotal[index]), guardian_phone=kid.guardian_phone,
                last_attempt=last.get(kid.id),
            )
        )  # fmt: skip
    out.sort(key=lambda r: (r.days_left, r.child_id))
    return CallList(on, within, out, standing, n)


def _gap(numerator: int, denominator: int, target: float) -> int:
    from health.stats import target_gap

    return target_gap(numerator, denominator, target)


def _last_attempts(session: Session, child_ids: list[int]) -> dict[int, LastAttempt]:
    """The latest contact attempt of each child of ``child_ids`` (by instant, then id)."""
    out: dict[int, LastAttempt] = {}
    for start in range(0, len(child_ids), CHUNK):
        chunk = child_ids[start : start + CHUNK]
        for row in session.execute(
            select(ContactAttempt.child_id, ContactAttempt.attempted_at, ContactAttempt.result,
                   ContactAttempt.check_code, ContactAttempt.booked_on)
            .where(ContactAttempt.child_id.in_(chunk))
            .order_by(ContactAttempt.attempted_at, ContactAttempt.id)
        ):  # fmt: skip
            out[int(row[0])] = LastAttempt(row[1], str(row[2]), str(row[3]), row[4])
    return out


@dataclass(frozen=True)
class AttemptEntry:
    """A contact attempt as entered: the check (exchange name or schedule code), the result,
    the booked visit's date (for ``booked`` only) and a note."""

    check: str
    result: str
    booked_on: dt.date | None = None
    note: str | None = None


def record_contact_attempt(
    session: Session,
    child: Child,
    entry: AttemptEntry,
    *,
    clinic_id: int | None,
    by_user_id: int,
    role: str,
    at: Moment,
) -> ContactAttempt:
    """Store a clinic's try to reach ``child``'s family about one scheduled check, and its
    access-audit entry (``contact.record``, the child's id), in the caller's transaction.

    Refusals (:class:`~health.errors.RecordError`, nothing written): a caller without a clinic;
    a check the schedule does not have; a result not one of reached, booked, refused,
    unreachable; ``booked`` without its date, a date for another result, a booked date before
    ``at.today`` or more than :data:`BOOK_WITHIN_DAYS` days ahead; a note with control
    characters or over :data:`NOTE_LENGTH` characters."""
    if clinic_id is None:
        raise RecordError("error.record.contact_needs_clinic", "clinic", "no clinic account")
    item = check_by_name(entry.check.strip())
    if item is None:
        raise RecordError("error.record.contact_check", "check", f"unknown check {entry.check}")
    if entry.result not in CONTACT_RESULTS:
        raise RecordError(
            "error.record.contact_result", "result", f"result {entry.result!r} is not one of "
            + ", ".join(CONTACT_RESULTS),
        )  # fmt: skip
    booked = entry.booked_on
    if entry.result == "booked" and booked is None:
        raise RecordError("error.record.booked_needs_date", "booked_on", "booked needs its date")
    if entry.result != "booked" and booked is not None:
        raise RecordError("error.record.booked_only", "booked_on", "a date only for booked")
    if booked is not None:
        latest = at.today + dt.timedelta(days=BOOK_WITHIN_DAYS)
        if not at.today <= booked <= latest:
            raise RecordError(
                "error.record.booked_date", "booked_on", f"{booked} is not {at.today}..{latest}",
                date=booked.isoformat(), today=at.today.isoformat(), latest=latest.isoformat(),
            )  # fmt: skip
    note = plain_text(entry.note, "error.record.note_characters", "note", limit=NOTE_LENGTH,
                      lines=True)  # fmt: skip
    attempt = ContactAttempt(
        child_id=int(child.id),  # type: ignore[arg-type]
        clinic_id=clinic_id,
        check_code=exchange_check(item),
        attempted_at=at.now,
        by_user_id=by_user_id,
        result=entry.result,
        booked_on=booked,
        note=note,
    )
    session.add(attempt)
    audit.record(
        session,
        actor_id=by_user_id,
        role=role,
        action="contact.record",
        object_kind="child",
        object_ref=int(child.id),
        at=at.now,
    )  # type: ignore[arg-type]
    session.flush()
    return attempt
