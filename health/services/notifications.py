"""The reminder outbox: a row per family (guardian account), child and item that became due, sent
later by one sender (:mod:`health.notify`) and shown on the parent's home page.

**Making rows** (:func:`make_notifications`, one pass over every guardian's children under 7
years on the local ``today``): the items due that day come from
:func:`health.services.reminders.due_reminders` (set-based, the same items the home page and the
calendar feed list). Each gets one row per guardian, keyed by the item's stable key
(:func:`item_key`; a recheck's key carries its date, so a moved recheck is a new item), so a
second pass makes nothing new (the table's unique key holds it too). Rows not yet sent nor read
whose item is no longer due (the check was done, the window closed, the guardian left) are
removed: the family is not told about something already over.

**When** (``send_after``): never in quiet hours (default 21:00 to 08:00 local, both ends
inclusive of the start and exclusive of the end: 20:59 sends, 21:00 waits until 08:00;
``CHILDHEALTH_QUIET_HOURS=HH:MM-HH:MM``, ``off`` for none), and at most one reminder per family
per local day: a family's new items, oldest due first, take its free days in turn from the first
allowed instant (that day at once, later days at the end of their quiet hours); a day already
holding one of its rows (waiting or sent) is skipped.

**Delivering** (:func:`deliver`): nothing in quiet hours; each waiting row whose time has come
goes to the sender as a :class:`health.notify.Message` in the guardian's language, with a text
from the screening catalogue that names neither the child nor any health detail
(``notify.reminder``). A row the guardian already read on the home page is not sent. A family
that already got one that local day waits for the next. Sent:
``sent_at``, ``channel``, ``attempts`` + 1. Failed (the sender raised): ``attempts`` + 1 and
``send_after`` moved on by 10 minutes doubling per attempt, at most a day, out of quiet hours;
the family's other rows wait for the next pass. The logs get row ids only.

**Reading** (:func:`inbox`, :func:`mark_read`): the home page shows a guardian's unread rows
whose time has come, newest first, and marks them read once shown.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Select, delete, insert, select, update
from sqlalchemy.orm import Session

from health.clock import Clock, Moment
from health.models import Child, Guardianship, Notification, User
from health.models.enums import Role
from health.notify import Message, Sender
from health.services import audit
from health.services.reminders import Reminder, due_reminders, reminder_name_of
from screening.messages import text
from screening.vocabulary import add_years

log = logging.getLogger("childhealth.notify")

QUIET_VARIABLE = "CHILDHEALTH_QUIET_HOURS"
MESSAGE_ID = "notify.reminder"
"""The catalogue text every reminder sends: no name, no health detail."""
NOTIFICATION_OF_ITEM = {
    "check": "check_due",
    "screening": "screening_age",
    "recheck": "recheck",
    "remeasure": "remeasure",
}
"""Reminder item kind → the outbox row's ``kind``."""
UNDER_YEARS = 7  # children this old or older on ``today`` are not scanned
FIRST_RETRY = dt.timedelta(minutes=10)
LONGEST_RETRY = dt.timedelta(days=1)
OUTBOX_ROLE = "outbox"  # the audit's role of a pass (no account behind it)


class QuietHoursSettingError(ValueError):
    """``CHILDHEALTH_QUIET_HOURS`` is not ``HH:MM-HH:MM`` nor ``off`` (the message names it)."""


@dataclass(frozen=True)
class QuietHours:
    """Local times between which nothing is sent: from ``start`` (quiet) to ``end`` (no longer
    quiet), across midnight when ``start`` is later than ``end``; equal times: never quiet."""

    start: dt.time = dt.time(21, 0)
    end: dt.time = dt.time(8, 0)

    def is_quiet(self, local: dt.time) -> bool:
        """Whether the local time of day ``local`` is in quiet hours."""
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def first_allowed(self, instant: dt.datetime, clock: Clock) -> dt.datetime:
        """``instant`` itself (UTC) when it is outside quiet hours, else the next end of quiet
        hours in the deployment's zone."""
        local = clock.local(instant)
        if not self.is_quiet(local.time().replace(tzinfo=None)):
            return instant.astimezone(dt.UTC)
        day = local.date()
        end = clock.at_local(day, self.end)
        if end <= instant:
            end = clock.at_local(day + dt.timedelta(days=1), self.end)
        return end

    def day_opens(self, day: dt.date, clock: Clock) -> dt.datetime:
        """The first instant of local ``day`` outside quiet hours (UTC)."""
        return self.first_allowed(clock.at_local(day, dt.time(0, 0)), clock)


def quiet_hours_from_env(environ: Mapping[str, str] = os.environ) -> QuietHours:
    """Quiet hours from ``CHILDHEALTH_QUIET_HOURS`` (``21:00-08:00`` when unset or empty,
    ``off``: none); :class:`QuietHoursSettingError` naming the variable otherwise."""
    value = environ.get(QUIET_VARIABLE, "").strip()
    if not value:
        return QuietHours()
    if value.lower() in ("off", "none"):
        return QuietHours(dt.time(0, 0), dt.time(0, 0))
    try:
        start, end = (dt.time.fromisoformat(part.strip()) for part in value.split("-"))
    except ValueError:
        raise QuietHoursSettingError(
            f"{QUIET_VARIABLE} must be HH:MM-HH:MM (such as 21:00-08:00) or off, not {value!r}"
        ) from None
    return QuietHours(start, end)


def language_of(locale: str | None) -> str:
    """The catalogue language of an account's locale (``en…`` → ``en``, anything else zh-CN)."""
    return "en" if (locale or "").lower().startswith("en") else "zh-CN"


def item_key(item: Reminder) -> str:
    """The outbox's stable key of an item: its reminder key, a recheck's with its date."""
    if item.kind == "recheck":
        return f"{item.key}.{item.opens.isoformat()}"
    return item.key


# --------------------------------------------------------------------------------------------
# making rows


@dataclass(frozen=True)
class MakeReport:
    """What one pass made: new rows, waiting rows removed (item over), families with new rows."""

    made: int
    removed: int
    families: int


def _guardian_scope(today: dt.date) -> Select[tuple[int, int, str]]:
    """Active parent accounts and their children under :data:`UNDER_YEARS` on ``today``."""
    return (
        select(Guardianship.user_id, Guardianship.child_id, User.locale)
        .join(User, User.id == Guardianship.user_id)
        .join(Child, Child.id == Guardianship.child_id)
        .where(
            User.active.is_(True),
            User.role == Role.parent,
            Child.birth_date > add_years(today, -UNDER_YEARS),
        )
    )


def _taken_days(
    rows: list[tuple[int, dt.datetime, dt.datetime | None]], clock: Clock, first_day: dt.date
) -> dict[int, set[dt.date]]:
    """User → local days from ``first_day`` that already hold one of its rows (the day it was
    sent, or the day it waits for)."""
    taken: dict[int, set[dt.date]] = {}
    for user_id, send_after, sent_at in rows:
        day = clock.local_date(sent_at or send_after)
        if day >= first_day:
            taken.setdefault(int(user_id), set()).add(day)
    return taken


def make_notifications(
    session: Session, at: Moment, clock: Clock, quiet: QuietHours | None = None
) -> MakeReport:
    """Add the outbox rows of every item that became due by ``at.today`` (see the module
    docstring) and audit the pass (``reminders.make``, the number of rows made). The caller
    holds the write lock and commits."""
    quiet = quiet or QuietHours()
    pairs = session.execute(_guardian_scope(at.today)).all()
    children = _guardian_scope(at.today).with_only_columns(Guardianship.child_id)
    scope = Child.id.in_(children)
    due = due_reminders(session, scope, at.today, clock) if pairs else {}
    wanted: dict[tuple[int, int, str], Reminder] = {}
    for user_id, child_id, _ in pairs:
        for item in due.get(int(child_id), ()):
            wanted[(int(user_id), int(child_id), item_key(item))] = item
    users = {int(p.user_id) for p in pairs}
    existing = session.execute(
        select(Notification.id, Notification.user_id, Notification.child_id,
               Notification.item_key, Notification.send_after, Notification.sent_at,
               Notification.read_at).where(Notification.child_id.in_(children))
    ).all()  # fmt: skip
    stale = [r.id for r in existing if r.sent_at is None and r.read_at is None
             and (int(r.user_id), int(r.child_id), r.item_key) not in wanted]  # fmt: skip
    for start in range(0, len(stale), 500):
        session.execute(delete(Notification).where(Notification.id.in_(stale[start : start + 500])))
    gone = set(stale)
    first = quiet.first_allowed(at.now, clock)
    first_day = clock.local_date(first)
    kept = [(r.user_id, r.send_after, r.sent_at) for r in existing if r.id not in gone]
    if users:  # rows of these families for children out of the scan still hold their days
        families = _guardian_scope(at.today).with_only_columns(Guardianship.user_id)
        kept += session.execute(
            select(Notification.user_id, Notification.send_after, Notification.sent_at).where(
                Notification.user_id.in_(families), ~Notification.child_id.in_(children)
            )
        ).all()
    taken = _taken_days(kept, clock, first_day)
    have = {(int(r.user_id), int(r.child_id), r.item_key) for r in existing if r.id not in gone}
    new = sorted(
        (key for key in wanted if key not in have),
        key=lambda k: (k[0], wanted[k].opens, k[1], k[2]),
    )
    days = _plan_days([k[0] for k in new], taken, first_day)
    opens: dict[dt.date, dt.datetime] = {first_day: first}
    rows = []
    for (user_id, child_id, key), day in zip(new, days, strict=True):
        if day not in opens:
            opens[day] = quiet.day_opens(day, clock)
        item = wanted[(user_id, child_id, key)]
        rows.append({
            "user_id": user_id, "child_id": child_id, "kind": NOTIFICATION_OF_ITEM[item.kind],
            "item_key": key, "message_id": MESSAGE_ID, "due_on": item.opens,
            "created_at": at.now, "send_after": opens[day], "attempts": 0,
        })  # fmt: skip
    for start in range(0, len(rows), 1000):
        session.execute(insert(Notification), rows[start : start + 1000])
    audit.record(session, actor_id=None, role=OUTBOX_ROLE, action="reminders.make",
                 object_kind="notifications", object_ref=len(rows), at=at.now)  # fmt: skip
    return MakeReport(len(rows), len(stale), len({k[0] for k in new}))


def _plan_days(
    user_ids: list[int], taken: dict[int, set[dt.date]], first_day: dt.date
) -> list[dt.date]:
    """The local day of each new row (``user_ids`` sorted so that a family's rows are together,
    oldest due first): the family's n-th new row takes its n-th free day from ``first_day``.
    Families without a taken day: ``first_day + n`` (numpy); the others day by day."""
    if not user_ids:
        return []
    users = np.asarray(user_ids, dtype=np.int64)
    starts = np.r_[0, np.flatnonzero(np.diff(users)) + 1]
    sizes = np.diff(np.r_[starts, users.size])
    rank = np.arange(users.size) - np.repeat(starts, sizes)
    days = [first_day + dt.timedelta(days=int(n)) for n in rank]
    for start, size in zip(starts.tolist(), sizes.tolist(), strict=True):
        busy = taken.get(int(users[start]))
        if not busy:
            continue
        day = first_day
        for position in range(start, start + size):
            while day in busy:
                day += dt.timedelta(days=1)
            days[position] = day
            day += dt.timedelta(days=1)
    return days


# --------------------------------------------------------------------------------------------
# delivering


@dataclass(frozen=True)
class DeliveryReport:
    """One delivery pass: rows sent, failed attempts, rows moved to a later day."""

    sent: int
    failed: int
    postponed: int


def retry_delay(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failed attempt: 10 minutes, doubling, at most a day."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


def deliver(
    session: Session,
    sender: Sender,
    now: dt.datetime,
    clock: Clock,
    quiet: QuietHours | None = None,
    limit: int | None = None,
) -> DeliveryReport:
    """Send the waiting rows whose ``send_after`` has come (at most ``limit``), oldest first,
    through ``sender`` (see the module docstring). The caller holds the write lock and
    commits."""
    quiet = quiet or QuietHours()
    if quiet.is_quiet(clock.local(now).time().replace(tzinfo=None)):
        return DeliveryReport(0, 0, 0)
    today = clock.local_date(now)
    midnight = clock.at_local(today, dt.time(0, 0))
    tomorrow = quiet.day_opens(today + dt.timedelta(days=1), clock)
    query = (
        select(Notification, User.locale)
        .join(User, User.id == Notification.user_id)
        .where(
            Notification.sent_at.is_(None),
            Notification.read_at.is_(None),  # seen in the app already: nothing to send
            Notification.send_after <= now,
        )
        .order_by(Notification.send_after, Notification.id)
    )
    waiting = session.execute(query if limit is None else query.limit(limit)).all()
    served = set(  # families that already got one today
        session.execute(
            select(Notification.user_id).where(Notification.sent_at >= midnight).distinct()
        ).scalars()
    )
    failing: set[int] = set()
    sent = failed = postponed = 0
    for row, locale in waiting:
        if row.user_id in failing:
            continue
        if row.user_id in served:
            row.send_after = tomorrow
            postponed += 1
            continue
        language = language_of(locale)
        message = Message(int(row.id), int(row.user_id), language, text(MESSAGE_ID, language))
        row.attempts += 1
        try:
            sender.send(message)
        except Exception as error:  # any failure of a deployment's sender is one attempt
            row.send_after = quiet.first_allowed(now + retry_delay(row.attempts), clock)
            failing.add(row.user_id)
            failed += 1
            log.warning("reminder %s not sent (attempt %s): %s", row.id, row.attempts,
                        type(error).__name__)  # fmt: skip
            continue
        row.sent_at, row.channel = now, sender.channel
        served.add(row.user_id)
        sent += 1
    session.flush()
    return DeliveryReport(sent, failed, postponed)


# --------------------------------------------------------------------------------------------
# the parent's home page


@dataclass(frozen=True)
class InboxItem:
    """An unread reminder of a guardian: the row's id, the child, the item's name (message id
    and parameters, as the home page lists it) and the local date it became due."""

    id: int
    child_id: int
    kind: str
    name_id: str
    name_params: Mapping[str, int]
    due_on: dt.date


def inbox(session: Session, user_id: int, now: dt.datetime) -> list[InboxItem]:
    """The unread rows of account ``user_id`` whose time has come (``send_after`` <= ``now``),
    newest first."""
    rows = session.execute(
        select(Notification)
        .where(
            Notification.user_id == user_id,
            Notification.read_at.is_(None),
            Notification.send_after <= now,
        )
        .order_by(Notification.send_after.desc(), Notification.id.desc())
    ).scalars()
    out = []
    for row in rows:
        name_id, params = reminder_name_of(row.item_key)
        out.append(InboxItem(int(row.id), row.child_id, row.kind, name_id, params, row.due_on))  # type: ignore[arg-type]
    return out


def mark_read(session: Session, user_id: int, ids: list[int], now: dt.datetime) -> int:
    """Mark rows ``ids`` of account ``user_id`` read at ``now`` (others' rows are untouched);
    the number marked."""
    if not ids:
        return 0
    done = session.execute(
        update(Notification)
        .where(
            Notification.user_id == user_id,
            Notification.id.in_(ids),
            Notification.read_at.is_(None),
        )
        .values(read_at=now)
    )
    return int(done.rowcount or 0)  # type: ignore[attr-defined]


def send_reminders(
    session: Session, sender: Sender, at: Moment, clock: Clock, quiet: QuietHours | None = None
) -> tuple[MakeReport, DeliveryReport]:
    """One pass of the outbox: :func:`make_notifications` then :func:`deliver` at ``at.now``,
    committed together (the caller's ``session`` should be a writing one, see
    :func:`health.db.session_scope`)."""
    made = make_notifications(session, at, clock, quiet)
    sent = deliver(session, sender, at.now, clock, quiet)
    session.commit()
    return made, sent
