"""Reminders for a family: what is coming for one child from a local ``today``, each item with
its window of local dates and the screening-catalogue message id of its name.

Four sources, each read where it is kept (nothing is decided twice):

- **scheduled checks**: :func:`health.services.schedule.schedule_for_child`, the checks whose
  status is *due* or *upcoming* (done, missed and before-registration checks are no reminder);
  the window is the schedule's ``[opens, closes]``.
- **screening ages**: the bands of the parent milestone checklist (``milestone-checklist`` in
  ``reference_data/instruments/``) that carry a reminder: standardised developmental screening
  at 9, 18, 24 and 30 months and autism screening at 18 and 24 months (AAP, see
  ``shared/domain/screening.md`` §1b and ``reference_data/PROVENANCE.md``). The window is the
  days on which the instrument's own age rule (:func:`screening.development.age_used`, corrected
  age for a baby born before 37 weeks until 24 months) puts the child in that band; a window
  that closed before ``today`` is no reminder.
- **a recheck date** a doctor set on the child's open case (``Case.recheck_on``): that one day,
  due now once it is today or past.
- **a waiting re-measure request** (pending, its measurement not withdrawn): due from the local
  day it was asked for, with no end (``closes`` None) until a new measurement settles it.

Items are ordered by the first day of their window, then the last (open-ended last), then key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from types import MappingProxyType

import numpy as np
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from health.clock import Clock
from health.models import Case, Check, Child, Measurement, RemeasureRequest
from health.models.enums import CaseStatus, CheckState, RequestStatus
from health.schedule import CheckStatus, due_entries, load_schedule
from health.services.schedule import schedule_for_child
from screening import development, reference
from screening.reference import Instrument

CHECKLIST = "milestone-checklist"
"""The instrument whose age bands carry the screening reminders."""
SCREENING_MESSAGES = {
    "standardised_screening": "reminder.screening.development",
    "autism_screening": "reminder.screening.autism",
}
"""Reminder named in the instrument file → message id of its name (``{months}`` placeholder)."""
SCREENING_KEYS = {"standardised_screening": "development", "autism_screening": "autism"}
HORIZON_YEARS = 8  # screening windows are looked for from birth up to this many years
ITEM_KINDS = ("check", "screening", "recheck", "remeasure")


@dataclass(frozen=True)
class Reminder:
    """One thing to do for a child: ``kind`` (one of :data:`ITEM_KINDS`), a ``key`` stable for
    the child across days (``check.m6``, ``screening.autism.18m``, ``recheck.<case id>``,
    ``remeasure.<request id>``), the catalogue message ``message_id`` with its ``params``, and
    the window of local dates ``[opens, closes]`` (``closes`` None: until done)."""

    kind: str
    key: str
    message_id: str
    opens: dt.date
    closes: dt.date | None
    params: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    def due_on(self, today: dt.date) -> bool:
        """Whether the window is open on ``today`` (a recheck date already past stays due)."""
        return self.opens <= today

    def starts_within(self, today: dt.date, days: int) -> bool:
        """Due on ``today`` or opening within the next ``days`` days (``today + days``
        included)."""
        return self.opens <= today + dt.timedelta(days=days)


def _sort_key(item: Reminder) -> tuple[dt.date, dt.date, str]:
    return item.opens, item.closes or dt.date.max, item.key


# --------------------------------------------------------------------------------------------
# scheduled checks


def check_message(code: str) -> tuple[str, dict[str, int]]:
    """The message id and parameters naming scheduled check ``code`` (``newborn_visit``,
    ``full_month``, ``m<months>``, ``y<years>``)."""
    if code in ("newborn_visit", "full_month"):
        return f"reminder.check.{code}", {}
    if code[:1] in ("m", "y") and code[1:].isdigit():
        unit = "months" if code[0] == "m" else "years"
        return f"reminder.check.{unit}", {unit: int(code[1:])}
    raise ValueError(f"scheduled check {code!r} has no reminder text")


def check_reminders(statuses: Iterable[CheckStatus]) -> list[Reminder]:
    """The due and upcoming checks of a child's schedule as reminders."""
    out = []
    for status in statuses:
        if status.status not in (CheckState.due, CheckState.upcoming):
            continue
        message_id, params = check_message(status.code)
        out.append(Reminder("check", f"check.{status.code}", message_id, status.opens,
                            status.closes, MappingProxyType(params)))  # fmt: skip
    return out


# --------------------------------------------------------------------------------------------
# screening ages


def _band_position(inst: Instrument, birth: dt.date, weeks: float | None, on: dt.date) -> int:
    """Index of the band the instrument puts the child in on ``on``; -1 before the first band,
    ``len(bands)`` after the last (bands are contiguous, ``reference`` checks it)."""
    age = development.age_used(inst, birth_date=birth, gestational_weeks=weeks, assessment_date=on)
    for position, band in enumerate(inst.bands):
        if band.contains(age.completed_months):
            return position
    return -1 if age.completed_months < inst.bands[0].low_months else len(inst.bands)


def _first_day(inst: Instrument, birth: dt.date, weeks: float | None, position: int) -> dt.date:
    """The first day on which the child's band is at ``position`` or later (the band of a date
    never goes back: completed months only grow, and leaving the corrected age at 24 months
    jumps forward). Bisection over the days from birth to :data:`HORIZON_YEARS` years."""
    low, high = 0, HORIZON_YEARS * 366
    while low < high:
        middle = (low + high) // 2
        on = birth + dt.timedelta(days=middle)
        if _band_position(inst, birth, weeks, on) >= position:
            high = middle
        else:
            low = middle + 1
    return birth + dt.timedelta(days=low)


@lru_cache(maxsize=8192)  # one entry per birth date and gestation seen
def _screening_windows(
    birth: dt.date, weeks: float | None, version: str
) -> tuple[tuple[str, str, int, dt.date, dt.date], ...]:
    """``(reminder, band nominal, months, opens, closes)`` of every reminder band."""
    inst = reference.instrument(CHECKLIST, version)
    out = []
    for position, band in enumerate(inst.bands):
        if not band.reminders:
            continue
        opens = _first_day(inst, birth, weeks, position)
        closes = _first_day(inst, birth, weeks, position + 1) - dt.timedelta(days=1)
        for reminder in band.reminders:
            out.append((reminder, band.nominal, band.low_months, opens, closes))
    return tuple(out)


def screening_reminders(
    birth: dt.date, gestational_weeks: float | None, today: dt.date
) -> list[Reminder]:
    """The screening ages whose window has not closed on ``today`` (see the module docstring);
    ``gestational_weeks`` None is scored as term, as the instrument does."""
    version = reference.instrument(CHECKLIST).version
    out = []
    for reminder, nominal, months, opens, closes in _screening_windows(
        birth, gestational_weeks, version
    ):
        if closes < today or reminder not in SCREENING_MESSAGES:
            continue
        key = f"screening.{SCREENING_KEYS[reminder]}.{nominal}"
        out.append(Reminder("screening", key, SCREENING_MESSAGES[reminder], opens, closes,
                            MappingProxyType({"months": months})))  # fmt: skip
    return out


# --------------------------------------------------------------------------------------------
# the doctor's recheck date and a waiting re-measure request


def recheck_reminder(case_id: int, recheck_on: dt.date) -> Reminder:
    """The recheck date a doctor set on the open case ``case_id``: that one day."""
    return Reminder("recheck", f"recheck.{case_id}", "reminder.recheck", recheck_on, recheck_on)


def remeasure_reminder(request_id: int, asked_on: dt.date) -> Reminder:
    """A pending re-measure request asked on the local day ``asked_on``: due until done."""
    return Reminder("remeasure", f"remeasure.{request_id}", "reminder.remeasure", asked_on, None)


def child_reminders(session: Session, child: Child, today: dt.date, clock: Clock) -> list[Reminder]:
    """Every reminder of ``child`` on the local ``today`` (``clock``: the deployment's clock,
    for the local day of a re-measure request stored in UTC), ordered by date."""
    statuses, _ = schedule_for_child(session, child, today)
    items = check_reminders(statuses)
    items += screening_reminders(child.birth_date, child.gestational_weeks, today)
    case = session.execute(
        select(Case.id, Case.recheck_on).where(
            Case.child_id == child.id, Case.status == CaseStatus.open
        )
    ).first()
    if case is not None and case.recheck_on is not None:
        items.append(recheck_reminder(int(case.id), case.recheck_on))
    pending = session.execute(
        select(RemeasureRequest.id, RemeasureRequest.requested_at)
        .join(Measurement, Measurement.id == RemeasureRequest.measurement_id)
        .where(
            RemeasureRequest.child_id == child.id,
            RemeasureRequest.status == RequestStatus.pending,
            Measurement.withdrawn_at.is_(None),
        )
        .order_by(RemeasureRequest.id.desc())
    ).first()
    if pending is not None:
        items.append(remeasure_reminder(int(pending.id), clock.local_date(pending.requested_at)))
    return sorted(items, key=_sort_key)


def next_reminders(items: Iterable[Reminder], today: dt.date, days: int = 90) -> list[Reminder]:
    """The items due on ``today`` and those opening within ``days`` days, due ones first."""
    chosen = [item for item in items if item.starts_within(today, days)]
    return sorted(chosen, key=lambda item: (not item.due_on(today), *_sort_key(item)))


# --------------------------------------------------------------------------------------------
# many children at once: the items due on a day (the notification outbox scans with it)


def reminder_name_of(key: str) -> tuple[str, dict[str, int]]:
    """The message id and parameters naming the item whose stable ``key`` is given (the same
    name :func:`child_reminders` gives it); :class:`ValueError` for a key no item has."""
    kind, _, rest = key.partition(".")
    if kind == "check":
        return check_message(rest)
    if kind in ("recheck", "remeasure") and rest:
        return f"reminder.{kind}", {}
    if kind == "screening":
        which, _, nominal = rest.partition(".")
        names = {short: SCREENING_MESSAGES[long] for long, short in SCREENING_KEYS.items()}
        inst = reference.instrument(CHECKLIST)
        band = next((b for b in inst.bands if b.nominal == nominal), None)
        if which in names and band is not None:
            return names[which], {"months": band.low_months}
    raise ValueError(f"no reminder item has the key {key!r}")


def screening_due(
    birth: dt.date, gestational_weeks: float | None, today: dt.date
) -> list[Reminder]:
    """The screening items due on ``today``: those of the band the instrument puts the child in
    today (:func:`screening_reminders` filtered by ``due_on``, bands being contiguous), with
    only that band's window worked out (two bisections instead of all the bands')."""
    inst = reference.instrument(CHECKLIST)
    position = _band_position(inst, birth, gestational_weeks, today)
    if not 0 <= position < len(inst.bands) or not inst.bands[position].reminders:
        return []
    band = inst.bands[position]
    opens = _first_day(inst, birth, gestational_weeks, position)
    closes = _first_day(inst, birth, gestational_weeks, position + 1) - dt.timedelta(days=1)
    out = [
        Reminder("screening", f"screening.{SCREENING_KEYS[name]}.{band.nominal}",
                 SCREENING_MESSAGES[name], opens, closes,
                 MappingProxyType({"months": band.low_months}))
        for name in band.reminders
        if name in SCREENING_MESSAGES
    ]  # fmt: skip
    return sorted(out, key=_sort_key)


def due_reminders(
    session: Session, scope: ColumnElement[bool], today: dt.date, clock: Clock
) -> dict[int, list[Reminder]]:
    """Child id → the items due on ``today`` (:meth:`Reminder.due_on`) of every child matching
    ``scope`` (a SQL condition on ``Child``): the same items as :func:`child_reminders`
    filtered by ``due_on``, computed for all children together. Checks: one
    :func:`health.schedule.due_entries` call (numpy over all children) per scheduled check, so
    that two checks of different kinds due on one day are both listed; screening windows: once
    per distinct birth date and gestation, the current band only (:func:`screening_due`);
    rechecks and re-measure requests: one query each.
    Children without a due item are left out."""
    kids = session.execute(
        select(Child.id, Child.birth_date, Child.gestational_weeks, Child.registered_on)
        .where(scope)
        .order_by(Child.id)
    ).all()
    out: dict[int, list[Reminder]] = {}
    if not kids:
        return out
    ids = np.array([k.id for k in kids], dtype=np.int64)  # ascending (ordered by id)
    scoped = select(Child.id).where(scope)
    records = session.execute(
        select(Check.child_id, Check.check_date, Check.kind).where(Check.child_id.in_(scoped))
    ).all()
    births = np.array([k.birth_date for k in kids], dtype="datetime64[D]")
    rows = np.searchsorted(ids, np.array([r[0] for r in records], dtype=np.int64))
    dates = np.array([r[1] for r in records], dtype="datetime64[D]")
    kinds = np.array([str(r[2]) for r in records], dtype=object)
    registered = np.array([k.registered_on for k in kids], dtype="datetime64[D]")
    schedule = load_schedule()
    for item in schedule.checks:
        single = replace(schedule, checks=(item,))
        for entry in due_entries(births, rows, dates, kinds, today, ("due",), single, registered):
            message_id, params = check_message(entry.code)
            found = Reminder("check", f"check.{entry.code}", message_id, entry.opens,
                             entry.closes, MappingProxyType(params))  # fmt: skip
            out.setdefault(int(ids[entry.index]), []).append(found)
    groups: dict[tuple[dt.date, float | None], list[int]] = {}
    for k in kids:
        groups.setdefault((k.birth_date, k.gestational_weeks), []).append(int(k.id))
    for (birth, weeks), members in groups.items():
        due = screening_due(birth, weeks, today)
        for child_id in members if due else ():
            out.setdefault(child_id, []).extend(due)
    rechecks = session.execute(
        select(Case.child_id, Case.id, Case.recheck_on).where(
            Case.child_id.in_(scoped),
            Case.status == CaseStatus.open,
            Case.recheck_on.is_not(None),
            Case.recheck_on <= today,
        )
    ).all()
    for child_id, case_id, recheck_on in rechecks:
        out.setdefault(int(child_id), []).append(recheck_reminder(int(case_id), recheck_on))
    pending = session.execute(
        select(RemeasureRequest.child_id, RemeasureRequest.id, RemeasureRequest.requested_at)
        .join(Measurement, Measurement.id == RemeasureRequest.measurement_id)
        .where(
            RemeasureRequest.child_id.in_(scoped),
            RemeasureRequest.status == RequestStatus.pending,
            Measurement.withdrawn_at.is_(None),
        )
        .order_by(RemeasureRequest.id)
    ).all()
    latest = {int(row.child_id): row for row in pending}  # the last request of each child
    for child_id, row in latest.items():
        asked_on = clock.local_date(row.requested_at)
        if asked_on <= today:
            out.setdefault(child_id, []).append(remeasure_reminder(int(row.id), asked_on))
    return {child_id: sorted(items, key=_sort_key) for child_id, items in out.items()}
