"""Reminders for a family (``health.services.reminders``): the scheduled checks still to do,
the screening ages of the milestone checklist, the doctor's recheck date and a waiting re-measure
request, each with its window of local dates worked out by hand below."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session

from health.clock import Clock, Moment
from health.errors import ImplausibleMeasurementError
from health.models import CaseClose, MeasurementCreate
from health.models.enums import Source
from health.pipeline import Author, record_measurement
from health.services.cases import close_case
from health.services.reminders import (
    check_message,
    child_reminders,
    next_reminders,
    screening_reminders,
)
from screening.messages import has, text
from tests.health.health_builders import add_child, build_geography, d

CLOCK = Clock(zone=ZoneInfo("Asia/Shanghai"))
HOME = Author(Source.home)


def _windows(items) -> list[tuple[str, dt.date, dt.date | None]]:  # type: ignore[no-untyped-def]
    return [(i.key, i.opens, i.closes) for i in items]


def test_a_five_month_old_has_the_six_month_check_window_next(session: Session) -> None:
    """Born 2026-01-10, on 2026-06-15 (5 months 5 days): the 6-month check is due from target
    2026-07-10 minus 15 days (2026-06-25) to target plus one month (2026-08-10); the 3-month
    check (closed 2026-05-10) is missed and no reminder; the 9-month screening opens on the day
    of 9 completed months (2026-10-10) and closes the day before 12 months (2027-01-09)."""
    build_geography(session)
    child = add_child(session, "K-5M", "2026-01-10")
    today = d("2026-06-15")
    items = child_reminders(session, child, today, CLOCK)
    assert _windows(items)[:3] == [
        ("check.m6", d("2026-06-25"), d("2026-08-10")),
        ("check.m8", d("2026-08-26"), d("2026-10-10")),
        ("screening.development.9m", d("2026-10-10"), d("2027-01-09")),
    ]
    assert "check.m3" not in {i.key for i in items}
    assert items[0].message_id == "reminder.check.months" and items[0].params == {"months": 6}
    assert not items[0].due_on(today) and items[0].due_on(d("2026-06-25"))
    # the home page's 90 days (to 2026-09-13): the 6- and 8-month checks only
    assert [i.key for i in next_reminders(items, today)] == ["check.m6", "check.m8"]
    # dates only grow: items are ordered by the first day of their window
    assert [i.opens for i in items] == sorted(i.opens for i in items)


def test_a_seventeen_month_old_is_reminded_of_the_18_month_screenings(session: Session) -> None:
    """Born 2025-01-10, on 2026-06-15 (17 months 5 days): the 18-month check is due now (window
    from one month before target, 2026-06-10, to one month after, 2026-08-10); developmental
    and autism screening at 18 months open on 2026-07-10 and close the day before 24 months
    (2027-01-09)."""
    build_geography(session)
    child = add_child(session, "K-17M", "2025-01-10")
    today = d("2026-06-15")
    items = next_reminders(child_reminders(session, child, today, CLOCK), today)
    assert _windows(items) == [
        ("check.m18", d("2026-06-10"), d("2026-08-10")),
        ("screening.autism.18m", d("2026-07-10"), d("2027-01-09")),
        ("screening.development.18m", d("2026-07-10"), d("2027-01-09")),
    ]
    assert items[0].due_on(today) and not items[1].due_on(today)
    names = [text(i.message_id, "zh-CN", **i.params) for i in items]
    assert names == ["18月龄健康检查", "18月龄孤独症筛查", "18月龄发育筛查"]
    assert text(items[2].message_id, "en", **items[2].params) == (
        "Developmental screening at 18 months"
    )


def test_screening_windows_follow_the_corrected_age_before_24_months() -> None:
    """Born 2025-12-01 at 32 weeks: 40 weeks reached 56 days later, on 2026-01-26; the 9-month
    screening opens at 9 corrected months (2026-10-26). At 24 corrected months (2028-01-26) the
    chronological age (25 months) takes over, so the 24-month band lasts until the day before
    30 chronological months (2028-05-31)."""
    items = {i.key: (i.opens, i.closes) for i in screening_reminders(
        d("2025-12-01"), 32, d("2026-06-15"))}  # fmt: skip
    assert items["screening.development.9m"] == (d("2026-10-26"), d("2027-01-25"))
    assert items["screening.autism.24m"] == (d("2028-01-26"), d("2028-05-31"))
    assert items["screening.development.30m"] == (d("2028-06-01"), d("2028-11-30"))
    # a window that closed is no reminder; on its last day it still is
    later = {i.key for i in screening_reminders(d("2025-12-01"), 32, d("2027-01-26"))}
    assert "screening.development.9m" not in later
    assert "screening.development.9m" in {
        i.key for i in screening_reminders(d("2025-12-01"), 32, d("2027-01-25"))
    }


def test_the_doctors_recheck_date_is_a_one_day_reminder(session: Session) -> None:
    """A low weight opens a case; the doctor asks for a recheck on 2026-07-01: that day is an
    item, listed among the next items and due once the day has come."""
    build_geography(session)
    child = add_child(session, "K-LOW", "2025-10-01")
    now = dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC)
    low = MeasurementCreate(measured_on=d("2026-06-15"), source="clinic", weight_kg=4.0,
                            length_cm=58.0, measure="L")  # fmt: skip
    result = record_measurement(session, child, low, by=Author(Source.clinic),
                                at=Moment(now=now, today=d("2026-06-15")))  # fmt: skip
    assert result.case is not None
    outcome = CaseClose(outcome="recheck", recheck_on=d("2026-07-01"))  # type: ignore[arg-type]
    close_case(session, int(result.case.id), outcome, actor_id=None, now=now, today=d("2026-06-15"))
    items = child_reminders(session, child, d("2026-06-15"), CLOCK)
    recheck = [i for i in items if i.kind == "recheck"]
    assert _windows(recheck) == [(f"recheck.{result.case.id}", d("2026-07-01"), d("2026-07-01"))]
    assert recheck[0].message_id == "reminder.recheck"
    assert not recheck[0].due_on(d("2026-06-30")) and recheck[0].due_on(d("2026-07-01"))
    keys = [i.key for i in next_reminders(items, d("2026-06-15"))]
    assert keys.index(f"recheck.{result.case.id}") > keys.index("check.m8")  # m8 due now


def test_a_waiting_remeasure_request_is_due_from_its_local_day(session: Session) -> None:
    """An implausible weight confirmed at 2026-06-14 17:00 UTC (01:00 on 15 June in Shanghai):
    the re-measure request is due from 2026-06-15, with no end, first among the due items."""
    build_geography(session)
    child = add_child(session, "K-ODD", "2026-01-10")
    at = Moment(now=dt.datetime(2026, 6, 14, 17, 0, tzinfo=dt.UTC), today=d("2026-06-15"))
    odd = MeasurementCreate(measured_on=d("2026-06-15"), source="home", weight_kg=25.0)
    with pytest.raises(ImplausibleMeasurementError):
        record_measurement(session, child, odd, by=HOME, at=at)
    result = record_measurement(session, child, odd, by=HOME, at=at, confirm=True)
    assert result.remeasure is not None
    items = child_reminders(session, child, d("2026-06-20"), CLOCK)
    first = next_reminders(items, d("2026-06-20"))[0]
    assert (first.kind, first.opens, first.closes) == ("remeasure", d("2026-06-15"), None)
    assert first.key == f"remeasure.{result.remeasure.id}"
    assert text(first.message_id, "en") == "Measure your child again"


def test_every_check_of_the_schedule_has_a_reminder_name() -> None:
    from health.schedule import load_schedule

    for check in load_schedule().checks:
        message_id, params = check_message(check.code)
        assert has(message_id) and text(message_id, "zh-CN", **params)
    assert text("reminder.check.years", "en", years=4) == "4-year health check"
    with pytest.raises(ValueError, match="no reminder text"):
        check_message("dental")
