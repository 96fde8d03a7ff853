"""The reminder outbox (``health.services.notifications``) and its senders (``health.notify``).

Hand-worked world (deployment zone Asia/Shanghai, UTC+8, unless a test says otherwise): on
2026-06-15 child A (born 2025-12-01) has one item due, the 6-month check (window 2026-05-17 to
2026-07-01: target 2026-06-01 minus 15 days to plus a month); child B (born 2025-01-10) has one,
the 18-month check (window 2026-06-10 to 2026-08-10); their screenings at 9 and 18 months open
later (2026-09-01, 2026-07-10). 10:00 local on 2026-06-15 is 02:00 UTC.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlmodel import Session

from health.clock import Clock, Moment
from health.models import AuditEntry, Check, Child, Notification, User
from health.notify import Message, SendError, SenderSettingError, load_sender
from health.notify.file import FileSender
from health.registry import add_guardian
from health.services.notifications import (
    QuietHours,
    QuietHoursSettingError,
    deliver,
    inbox,
    make_notifications,
    mark_read,
    quiet_hours_from_env,
    retry_delay,
)
from health.services.reminders import child_reminders, due_reminders
from tests.health.health_builders import add_child, build_geography, d

CLOCK = Clock(zone=ZoneInfo("Asia/Shanghai"))
UTC = dt.UTC


def utc(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def at(*parts: int) -> Moment:
    """The moment of the UTC instant ``parts`` with its Shanghai date."""
    now = utc(*parts)
    return Moment(now=now, today=CLOCK.local_date(now))


def parent(session: Session, name: str, *children: Child, locale: str = "zh-CN") -> User:
    user = User(username=name, role="parent", locale=locale, password_hash="-",
                created_at=utc(2026, 1, 1))  # fmt: skip
    session.add(user)
    session.flush()
    for child in children:
        add_guardian(session, user, child)
    return user


def rows(session: Session, user: User) -> list[Notification]:
    found = session.execute(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    ).scalars()
    return list(found)


def naive(instant: dt.datetime | None) -> dt.datetime | None:
    """An instant as the database gives it back (SQLite: naive UTC)."""
    return None if instant is None else instant.astimezone(UTC).replace(tzinfo=None)


def same(stored: dt.datetime | None, expected: dt.datetime) -> bool:
    return naive(stored) == naive(expected)


class Recorder:
    """A sender that keeps what it sent; fails its first ``failures`` calls."""

    channel = "test"

    def __init__(self, failures: int = 0) -> None:
        self.failures, self.sent = failures, []  # type: ignore[var-annotated]

    def send(self, message: Message) -> None:
        if self.failures:
            self.failures -= 1
            raise SendError("gateway down")
        self.sent.append(message)


@pytest.fixture
def family(session: Session) -> tuple[User, Child, Child]:
    build_geography(session)
    a = add_child(session, "K-A", "2025-12-01")
    b = add_child(session, "K-B", "2025-01-10")
    return parent(session, "p1", a, b), a, b


# --------------------------------------------------------------------------------------------
# quiet hours


@pytest.mark.parametrize(
    ("zone", "instant", "expected"),
    [
        ("Asia/Shanghai", utc(2026, 6, 15, 12, 59), utc(2026, 6, 15, 12, 59)),  # 20:59: at once
        ("Asia/Shanghai", utc(2026, 6, 15, 13, 0), utc(2026, 6, 16, 0, 0)),  # 21:00: 08:00 next
        ("Asia/Shanghai", utc(2026, 6, 15, 15, 59), utc(2026, 6, 16, 0, 0)),  # 23:59
        ("Asia/Shanghai", utc(2026, 6, 15, 16, 0), utc(2026, 6, 16, 0, 0)),  # 00:00 local
        ("Asia/Shanghai", utc(2026, 6, 15, 23, 59), utc(2026, 6, 16, 0, 0)),  # 07:59
        ("Asia/Shanghai", utc(2026, 6, 16, 0, 0), utc(2026, 6, 16, 0, 0)),  # 08:00: at once
        # New York in June is UTC-4: 00:59 UTC is 20:59 the day before, 01:00 UTC is 21:00
        ("America/New_York", utc(2026, 6, 15, 0, 59), utc(2026, 6, 15, 0, 59)),
        ("America/New_York", utc(2026, 6, 15, 1, 0), utc(2026, 6, 15, 12, 0)),
        # the same 13:00 UTC that is 21:00 in Shanghai is 09:00 in New York
        ("America/New_York", utc(2026, 6, 15, 13, 0), utc(2026, 6, 15, 13, 0)),
    ],
)
def test_quiet_hours_follow_the_deployment_zone(
    zone: str, instant: dt.datetime, expected: dt.datetime
) -> None:
    assert QuietHours().first_allowed(instant, Clock(zone=ZoneInfo(zone))) == expected


def test_quiet_hours_setting() -> None:
    assert quiet_hours_from_env({}) == QuietHours(dt.time(21), dt.time(8))
    custom = quiet_hours_from_env({"CHILDHEALTH_QUIET_HOURS": "22:30-07:00"})
    assert custom == QuietHours(dt.time(22, 30), dt.time(7))
    assert custom.is_quiet(dt.time(22, 30)) and not custom.is_quiet(dt.time(22, 29, 59))
    assert not quiet_hours_from_env({"CHILDHEALTH_QUIET_HOURS": "off"}).is_quiet(dt.time(3))
    daytime = QuietHours(dt.time(12), dt.time(14))  # a siesta: not across midnight
    assert daytime.is_quiet(dt.time(13)) and not daytime.is_quiet(dt.time(14))
    with pytest.raises(QuietHoursSettingError, match="CHILDHEALTH_QUIET_HOURS"):
        quiet_hours_from_env({"CHILDHEALTH_QUIET_HOURS": "late"})


@pytest.mark.parametrize(
    ("local", "send_after", "sent"),
    [
        ((12, 59), utc(2026, 6, 15, 12, 59), 1),  # made and sent at 20:59 local
        ((13, 0), utc(2026, 6, 16, 0, 0), 0),  # at 21:00: waits until 08:00 the next morning
    ],
)
def test_a_reminder_made_at_the_edge_of_quiet_hours(
    session: Session, local: tuple[int, int], send_after: dt.datetime, sent: int
) -> None:
    build_geography(session)
    user = parent(session, "p1", add_child(session, "K-A", "2025-12-01"))
    moment = at(2026, 6, 15, *local)
    report = make_notifications(session, moment, CLOCK)
    assert (report.made, report.families) == (1, 1)
    (row,) = rows(session, user)
    assert (row.kind, row.item_key, row.message_id) == ("check_due", "check.m6", "notify.reminder")
    assert row.due_on == d("2026-05-17") and same(row.send_after, send_after)
    sender = Recorder()
    assert deliver(session, sender, moment.now, CLOCK).sent == sent
    # nothing leaves in quiet hours, even a row whose time came before them
    row.send_after = utc(2026, 6, 15, 12, 0)
    assert deliver(session, sender, utc(2026, 6, 15, 13, 0), CLOCK).sent == 0
    assert deliver(session, sender, utc(2026, 6, 15, 23, 59), CLOCK).sent == 0
    assert deliver(session, Recorder(), utc(2026, 6, 16, 0, 0), CLOCK).sent == 1 - sent


# --------------------------------------------------------------------------------------------
# one a day per family, idempotent passes


def test_one_reminder_per_family_per_day_with_two_children(
    session: Session, family: tuple[User, Child, Child]
) -> None:
    user, a, b = family
    other = parent(session, "p2", add_child(session, "K-C", "2025-12-01"))
    moment = at(2026, 6, 15, 2, 0)  # 10:00 local
    report = make_notifications(session, moment, CLOCK)
    assert (report.made, report.families) == (3, 2)
    first, second = rows(session, user)
    # the item due first (A's, from 2026-05-17) today, B's (from 2026-06-10) at 08:00 tomorrow
    assert (first.child_id, first.item_key) == (a.id, "check.m6")
    assert same(first.send_after, moment.now)
    assert (second.child_id, second.item_key) == (b.id, "check.m18")
    assert same(second.send_after, utc(2026, 6, 16, 0, 0))
    (others,) = rows(session, other)  # another family has its own day
    assert same(others.send_after, moment.now)
    sender = Recorder()
    assert deliver(session, sender, moment.now, CLOCK).sent == 2
    assert deliver(session, sender, utc(2026, 6, 15, 10, 0), CLOCK).sent == 0  # 18:00: no more
    assert deliver(session, sender, utc(2026, 6, 16, 0, 0), CLOCK).sent == 1
    assert [m.notification_id for m in sender.sent] == [first.id, others.id, second.id]
    assert same(first.sent_at, moment.now) and first.channel == "test" and first.attempts == 1


def test_delivery_keeps_one_a_day_even_when_rows_are_due_together(
    session: Session, family: tuple[User, Child, Child]
) -> None:
    user, _, _ = family
    make_notifications(session, at(2026, 6, 15, 2, 0), CLOCK)
    first, second = rows(session, user)
    second.send_after = first.send_after  # e.g. made by an older version, or moved by hand
    report = deliver(session, Recorder(), utc(2026, 6, 15, 3, 0), CLOCK)
    assert (report.sent, report.postponed) == (1, 1)
    assert same(second.send_after, utc(2026, 6, 16, 0, 0)) and second.sent_at is None


def test_passes_are_idempotent_and_take_back_what_is_over(
    session: Session, family: tuple[User, Child, Child]
) -> None:
    user, _, b = family
    moment = at(2026, 6, 15, 2, 0)
    assert make_notifications(session, moment, CLOCK).made == 2
    again = make_notifications(session, at(2026, 6, 15, 6, 0), CLOCK)
    assert (again.made, again.removed) == (0, 0)
    deliver(session, Recorder(), moment.now, CLOCK)
    # the next day: nothing new, and the day's row (B's) is still the only one waiting
    assert make_notifications(session, at(2026, 6, 16, 2, 0), CLOCK).made == 0
    assert len(rows(session, user)) == 2
    # B's 18-month check is done before its reminder left: the waiting row goes
    session.add(Check(child_id=b.id, check_date=d("2026-06-16"), kind="routine"))
    session.flush()
    gone = make_notifications(session, at(2026, 6, 16, 3, 0), CLOCK)
    assert (gone.made, gone.removed) == (0, 1)
    assert [r.item_key for r in rows(session, user)] == ["check.m6"]  # the sent one stays
    audits = session.execute(
        select(AuditEntry.object_ref).where(AuditEntry.action == "reminders.make")
    ).scalars()
    assert list(audits) == ["2", "0", "0", "0"]  # counts only, no actor, no child


def test_a_new_item_waits_for_the_familys_next_free_day(
    session: Session, family: tuple[User, Child, Child]
) -> None:
    """On 2026-07-10 B enters the 18-month band: autism and developmental screening at 18
    months are due (both open that day). A's and B's checks hold 2026-06-15 and 2026-06-16;
    on 2026-07-10 at 10:00 the family's new items take 07-10 and 07-11 (08:00)."""
    user, _, b = family
    make_notifications(session, at(2026, 6, 15, 2, 0), CLOCK)
    made = make_notifications(session, at(2026, 7, 10, 2, 0), CLOCK)
    assert made.made == 2
    new = [r for r in rows(session, user) if r.item_key.startswith("screening")]
    assert [(r.item_key, r.kind, r.due_on) for r in new] == [
        ("screening.autism.18m", "screening_age", d("2026-07-10")),
        ("screening.development.18m", "screening_age", d("2026-07-10")),
    ]
    assert same(new[0].send_after, utc(2026, 7, 10, 2, 0))
    assert same(new[1].send_after, utc(2026, 7, 11, 0, 0))
    assert {r.child_id for r in new} == {b.id}


def test_the_set_based_items_are_the_childs_due_reminders(
    session: Session, family: tuple[User, Child, Child]
) -> None:
    """``due_reminders`` over many children gives each child the items ``child_reminders``
    lists as due, on several days (including the full-month day 28, when the newborn visit's
    window is still open too)."""
    _, a, b = family
    newborn = add_child(session, "K-N", "2026-05-18")  # day 28 on 2026-06-15
    early = add_child(session, "K-32W", "2025-12-01")  # 32 weeks: corrected age until 24 months
    early.gestational_weeks = 32
    session.flush()
    everyone = (a, b, newborn, early)
    days = ("2026-06-15", "2026-07-10", "2026-10-26", "2026-12-01", "2027-01-25", "2027-01-26",
            "2028-01-25", "2028-01-26", "2028-05-31", "2028-06-01")  # fmt: skip
    for today in map(d, days):
        many = due_reminders(session, Child.id.in_([c.id for c in everyone]), today, CLOCK)
        for child in everyone:
            one = [i for i in child_reminders(session, child, today, CLOCK) if i.due_on(today)]
            assert many.get(int(child.id), []) == one  # type: ignore[arg-type]
    keys = [i.key for i in due_reminders(session, Child.id == newborn.id, d("2026-06-15"), CLOCK)[
        int(newborn.id)]]  # type: ignore[arg-type]  # fmt: skip
    assert keys == ["check.newborn_visit", "check.full_month"]


# --------------------------------------------------------------------------------------------
# failures, the file sender, the inbox


def test_a_failing_sender_is_retried_later(
    session: Session, family: tuple[User, Child, Child]
) -> None:
    user, _, _ = family
    moment = at(2026, 6, 15, 2, 0)
    make_notifications(session, moment, CLOCK)
    first, _ = rows(session, user)
    sender = Recorder(failures=2)
    report = deliver(session, sender, moment.now, CLOCK)
    assert (report.sent, report.failed) == (0, 1)
    assert first.attempts == 1 and first.sent_at is None
    assert same(first.send_after, utc(2026, 6, 15, 2, 10))  # 10 minutes later
    assert deliver(session, sender, utc(2026, 6, 15, 2, 9), CLOCK).failed == 0  # not yet
    assert deliver(session, sender, utc(2026, 6, 15, 2, 10), CLOCK).failed == 1
    assert first.attempts == 2 and same(first.send_after, utc(2026, 6, 15, 2, 30))  # 20 min
    report = deliver(session, sender, utc(2026, 6, 15, 2, 30), CLOCK)
    assert (report.sent, report.failed) == (1, 0)
    assert first.attempts == 3 and same(first.sent_at, utc(2026, 6, 15, 2, 30))
    assert first.channel == "test"
    assert [retry_delay(n) for n in (1, 2, 3, 8, 9, 20)] == [
        dt.timedelta(minutes=10), dt.timedelta(minutes=20), dt.timedelta(minutes=40),
        dt.timedelta(minutes=1280), dt.timedelta(days=1), dt.timedelta(days=1),
    ]  # fmt: skip


def test_a_retry_that_falls_in_quiet_hours_waits_for_the_morning(
    session: Session, family: tuple[User, Child, Child]
) -> None:
    user, _, _ = family
    moment = at(2026, 6, 15, 12, 55)  # 20:55 local: 20:55 + 10 minutes is quiet
    make_notifications(session, moment, CLOCK)
    first, _ = rows(session, user)
    deliver(session, Recorder(failures=1), moment.now, CLOCK)
    assert same(first.send_after, utc(2026, 6, 16, 0, 0))


FORBIDDEN = ("Xiaoming", "小明", "K-A", "检查", "筛查", "孤独症", "发育", "复查", "月龄", "体重",
             "check", "screening", "autism", "development", "weight", "month",
             "measure")  # fmt: skip


def test_the_file_sender_writes_no_name_and_no_health_word(
    session: Session, tmp_path: Path
) -> None:
    build_geography(session)
    a = add_child(session, "K-A", "2025-12-01")
    a.name = "小明"
    b = add_child(session, "K-B", "2025-01-10")
    b.name = "Xiaoming"
    zh = parent(session, "p-zh", a)
    en = parent(session, "p-en", b, locale="en")
    make_notifications(session, at(2026, 6, 15, 2, 0), CLOCK)
    out = tmp_path / "out" / "notifications.jsonl"
    assert deliver(session, FileSender(out), utc(2026, 6, 15, 2, 0), CLOCK).sent == 2
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    (zh_row,), (en_row,) = rows(session, zh), rows(session, en)
    assert lines == [
        {"id": zh_row.id, "user": zh.id, "channel": "file", "lang": "zh-CN",
         "text": "孩子有一项儿童保健待办，请打开儿童保健服务查看。"},
        {"id": en_row.id, "user": en.id, "channel": "file", "lang": "en",
         "text": "There is a child health reminder for your family. "
                 "Open the child health service to see it."},
    ]  # fmt: skip
    raw = out.read_text(encoding="utf-8")
    assert not [word for word in FORBIDDEN if word.lower() in raw.lower()]
    assert zh_row.channel == "file"


def test_the_sender_is_chosen_by_configuration(tmp_path: Path) -> None:
    env = {"CHILDHEALTH_NOTIFY_FILE": str(tmp_path / "x.jsonl")}
    sender = load_sender(None, env)
    assert isinstance(sender, FileSender) and sender.path == tmp_path / "x.jsonl"
    named = load_sender(None, env | {"CHILDHEALTH_NOTIFY_SENDER": "health.notify.file:FileSender"})
    assert isinstance(named, FileSender)
    for bad in ("nothing", "health.notify.nowhere:Sender", "health.notify:Message"):
        with pytest.raises(SenderSettingError, match="CHILDHEALTH_NOTIFY_SENDER"):
            load_sender(bad, env)


def test_the_inbox_lists_unread_rows_whose_time_has_come(
    session: Session, family: tuple[User, Child, Child]
) -> None:
    user, a, _ = family
    make_notifications(session, at(2026, 6, 15, 2, 0), CLOCK)
    items = inbox(session, int(user.id), utc(2026, 6, 15, 3, 0))  # type: ignore[arg-type]
    assert [(i.child_id, i.name_id, dict(i.name_params), i.due_on) for i in items] == [
        (a.id, "reminder.check.months", {"months": 6}, d("2026-05-17"))
    ]  # B's waits for tomorrow, in the app too
    assert mark_read(session, int(user.id), [items[0].id], utc(2026, 6, 15, 3, 0)) == 1  # type: ignore[arg-type]
    # read in the app before any sender got to it: nothing left to send
    assert deliver(session, Recorder(), utc(2026, 6, 15, 3, 0), CLOCK).sent == 0
    assert inbox(session, int(user.id), utc(2026, 6, 16, 1, 0))[0].name_params == {"months": 18}  # type: ignore[arg-type]
    assert len(inbox(session, int(user.id), utc(2026, 6, 16, 1, 0))) == 1  # type: ignore[arg-type]
