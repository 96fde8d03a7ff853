"""A child's check schedule from the database, and the due/missed list of a scope of children."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from health.models import Check, Child
from health.models.enums import CheckState
from health.registry import NotFoundError
from health.schedule import CheckStatus, child_schedule, due_entries, next_due
from screening.vocabulary import add_years

DUE_UNDER_YEARS = 7  # the due list covers children under this age on ``today``


def schedule_for_child(
    session: Session, child: Child | int, today: dt.date
) -> tuple[list[CheckStatus], CheckStatus | None]:
    """Every scheduled check of ``child`` (the row, or its id) with its status on ``today``
    (a check whose window closed before the child's ``registered_on`` is *before
    registration*, see :mod:`health.schedule`), and the next one to do."""
    if not isinstance(child, Child):
        found = session.get(Child, child)
        if found is None:
            raise NotFoundError("child", child)
        child = found
    done = session.execute(
        select(Check.check_date, Check.kind).where(Check.child_id == child.id)
    ).all()
    statuses = child_schedule(
        child.birth_date, [(d, str(k)) for d, k in done], today,
        registered_on=child.registered_on,
    )  # fmt: skip
    return statuses, next_due(statuses)


@dataclass(frozen=True)
class DueRow:
    """A child with a check due now or missed (window closed without a visit)."""

    child_id: int
    child_code: str
    child_name: str | None
    birth_date: dt.date
    check: str
    status: str
    opens: dt.date
    closes: dt.date
    age_days: int = 0  # the child's age on the list's day
    days_overdue: int = 0  # days since a missed check's window closed (0 while due)
    guardian_phone: str | None = None  # personal: for clinic roles only (None: none on file)


def due_list(
    session: Session,
    scope: ColumnElement[bool],
    today: dt.date,
    statuses: tuple[str, ...] = ("due", "missed"),
) -> list[DueRow]:
    """Per child matching ``scope`` (a SQL condition on ``Child``) and under 7 years on
    ``today``: the first scheduled check due now and the first one missed in the last year
    (:func:`health.schedule.due_entries`; a window that closed before the child's
    ``registered_on`` is not missed and not listed), due first, then by window end and child
    id; each row with the child's age, for a missed check the days since its window closed, and
    the guardian's phone (personal: a view shows it to clinic roles only)."""
    in_scope = and_(scope, Child.birth_date > add_years(today, -DUE_UNDER_YEARS))
    kids = session.execute(
        select(Child.id, Child.code, Child.name, Child.birth_date, Child.registered_on,
               Child.guardian_phone).where(in_scope)
    ).all()  # fmt: skip
    if not kids:
        return []
    ids = np.array([k.id for k in kids], dtype=np.int64)
    order = np.argsort(ids)
    records = session.execute(
        select(Check.child_id, Check.check_date, Check.kind).where(
            Check.child_id.in_(select(Child.id).where(in_scope))
        )
    ).all()
    child_ids = np.array([r[0] for r in records], dtype=np.int64)
    index = order[np.searchsorted(ids[order], child_ids)]
    entries = due_entries(
        np.array([k.birth_date for k in kids], dtype="datetime64[D]"),
        index,
        np.array([r[1] for r in records], dtype="datetime64[D]"),
        np.array([str(r[2]) for r in records], dtype=object),
        today,
        statuses,
        registered=np.array([k.registered_on for k in kids], dtype="datetime64[D]"),
    )
    out = [
        DueRow(kids[e.index].id, kids[e.index].code, kids[e.index].name,
               kids[e.index].birth_date, e.code, e.status, e.opens, e.closes,
               age_days=(today - kids[e.index].birth_date).days,
               days_overdue=max((today - e.closes).days, 0),
               guardian_phone=kids[e.index].guardian_phone)
        for e in entries
    ]  # fmt: skip
    return sorted(out, key=lambda r: (r.status != CheckState.due, r.closes, r.child_id))
