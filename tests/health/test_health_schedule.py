"""The check schedule from the data file: windows, status and next due date; the vectorised
due/missed lists agree with the schedule of each child; the due list of a scope from the
database."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlmodel import Session

from health.models import Child
from health.schedule import (
    OverlappingWindowsError,
    ScheduleConfigError,
    child_schedule,
    due_entries,
    load_schedule,
    next_due,
    parse_schedule,
)
from health.services.schedule import due_list
from screening.vocabulary import add_months
from tests.health.health_builders import add_child, build_geography

BIRTH = dt.date(2024, 1, 15)
KINDS = ("newborn_visit", "full_month", "routine")


def by_code(statuses):  # type: ignore[no-untyped-def]
    return {s.code: s for s in statuses}


def test_windows_from_data_file() -> None:
    s = by_code(child_schedule(BIRTH, [], today=BIRTH))
    # 3-12 m: 15 days before to 1 month after the target age
    assert (s["m3"].target, s["m3"].opens, s["m3"].closes) == (
        dt.date(2024, 4, 15),
        dt.date(2024, 3, 31),
        dt.date(2024, 5, 15),
    )
    # 18-36 m: ±1 month
    assert (s["m18"].opens, s["m18"].closes) == (dt.date(2025, 6, 15), dt.date(2025, 8, 15))
    # 4-6 y: ±3 months
    assert (s["y4"].opens, s["y4"].closes) == (dt.date(2027, 10, 15), dt.date(2028, 4, 15))
    assert (s["full_month"].opens, s["full_month"].closes) == (
        dt.date(2024, 2, 12),
        dt.date(2024, 2, 14),
    )
    assert len(s) == 13


def test_status_done_missed_due_upcoming() -> None:
    done = [(dt.date(2024, 1, 20), "newborn_visit"), (dt.date(2024, 5, 15), "routine")]
    s = by_code(child_schedule(BIRTH, done, today=dt.date(2024, 7, 1)))
    assert s["newborn_visit"].status == "done"
    assert s["full_month"].status == "missed"
    assert s["m3"].status == "done"  # on the last day of the window
    assert s["m3"].done_on == dt.date(2024, 5, 15)
    assert s["m6"].status == "due"  # window 2024-06-30 .. 2024-08-15
    assert s["m8"].status == "upcoming"
    nxt = next_due(child_schedule(BIRTH, done, today=dt.date(2024, 7, 1)))
    assert nxt is not None and (nxt.code, nxt.target) == ("m6", dt.date(2024, 7, 15))


def test_check_one_day_after_window_does_not_count() -> None:
    s = by_code(child_schedule(BIRTH, [(dt.date(2024, 5, 16), "routine")], dt.date(2024, 5, 20)))
    assert s["m3"].status == "missed"


def test_one_check_satisfies_one_scheduled_check() -> None:
    custom = parse_schedule(
        {
            "checks": [
                {
                    "code": "a",
                    "kind": "routine",
                    "target": {"months": 1},
                    "window": {"to_months": 1},
                },
                {
                    "code": "b",
                    "kind": "routine",
                    "target": {"months": 2},
                    "window": {"to_months": 1},
                },
            ]
        }
    )
    statuses = child_schedule(BIRTH, [(dt.date(2024, 3, 15), "routine")], BIRTH, custom)
    assert [s.status for s in statuses] == ["done", "upcoming"]


def test_bad_config_is_named() -> None:
    with pytest.raises(ScheduleConfigError, match=r"checks\[0\]: kind 'visit'"):
        parse_schedule({"checks": [{"code": "x", "kind": "visit", "target": {}, "window": {}}]})


def test_coverage_parameters_loaded() -> None:
    params = load_schedule().coverage
    assert params.routine_months == (3, 6, 8, 12, 18, 24, 30, 36)
    assert (params.infant_target, params.under_years, params.newborn_within_days) == (0.95, 7, 28)


def test_windows_of_many_births_are_the_dates_of_each() -> None:
    # every birth day of 2019-2024 (29 February, month ends): the array computation equals the
    # one-child dates and the calendar rule "months first (clamped), then days"
    births = np.arange("2019-01-01", "2025-01-01", dtype="datetime64[D]")
    for item in load_schedule().checks:
        arrays = item.windows(births)
        for birth in [*births[::37].tolist(), dt.date(2020, 2, 29), dt.date(2023, 8, 31)]:
            one = item.dates(birth)
            at = int((np.datetime64(birth, "D") - births[0]).astype(np.int64))
            assert tuple(a[at].item() for a in arrays) == one
            for offset, got in zip(
                (item.target, item.target + item.window_from, item.target + item.window_to),
                one,
                strict=True,
            ):
                assert got == add_months(birth, offset.months) + dt.timedelta(days=offset.days)


def expected_entries(births, checks_by_child, today, statuses):  # type: ignore[no-untyped-def]
    out = set()
    for index, birth in enumerate(births):
        seen = set()
        for item in child_schedule(birth, checks_by_child.get(index, []), today):
            recent = item.status != "missed" or 0 < (today - item.closes).days <= 365
            if item.status in statuses and item.status not in seen and recent:
                seen.add(item.status)
                out.add((index, item.code, item.status, item.opens, item.closes))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_due_entries_agree_with_the_schedule_of_each_child(seed: int) -> None:
    rng = np.random.default_rng(seed)
    today = dt.date(2024, 3, 1)  # a leap year: 29 February births and windows
    n = 400
    births = [today - dt.timedelta(days=int(d)) for d in rng.integers(0, 7 * 365, n)]
    births[:3] = [dt.date(2023, 1, 31), dt.date(2020, 2, 29), dt.date(2023, 8, 31)]
    rows, dates, kinds = [], [], []
    checks_by_child: dict[int, list[tuple[dt.date, str]]] = {}
    for index, birth in enumerate(births):
        for _ in range(int(rng.integers(0, 8))):
            day = birth + dt.timedelta(days=int(rng.integers(0, (today - birth).days + 1)))
            kind = KINDS[int(rng.choice(3, p=[0.15, 0.1, 0.75]))]
            rows.append(index)
            dates.append(day)
            kinds.append(kind)
            checks_by_child.setdefault(index, []).append((day, kind))
    for statuses in [("due", "missed"), ("missed",), ("due",)]:
        got = due_entries(
            np.array(births, dtype="datetime64[D]"),
            np.array(rows, dtype=np.int64),
            np.array(dates, dtype="datetime64[D]"),
            np.array(kinds, dtype=object),
            today,
            statuses,
        )
        found = {(e.index, e.code, e.status, e.opens, e.closes) for e in got}
        assert found == expected_entries(births, checks_by_child, today, statuses)


def test_overlapping_windows_of_one_kind_are_refused() -> None:
    overlapping = parse_schedule({
        "checks": [
            {"code": "a", "kind": "routine", "target": {"months": 3},
             "window": {"from_days": -15, "to_months": 2}},
            {"code": "b", "kind": "routine", "target": {"months": 4},
             "window": {"from_days": -15, "to_months": 1}},
        ],
    })  # fmt: skip
    with pytest.raises(OverlappingWindowsError):
        due_entries(np.array(["2024-01-01"], dtype="datetime64[D]"), np.array([], dtype=np.int64),
                    np.array([], dtype="datetime64[D]"), np.array([], dtype=object),
                    dt.date(2024, 6, 1), schedule=overlapping)  # fmt: skip


def test_due_list_of_a_scope(session: Session) -> None:
    build_geography(session)
    # born 2025-01-15, newborn visit done: full-month window (12-14 Feb) missed, 3-month window
    # (31 Mar - 15 May) open on 1 May
    k1 = add_child(session, "k1", "2025-01-15", checks=(("2025-01-20", "newborn_visit"),))
    add_child(session, "k2", "2025-01-15", "T2")  # outside the scope
    add_child(session, "k3", "2018-04-30")  # 7 years old on 1 May 2025: not listed
    add_child(session, "k4", "2024-11-01", checks=(("2024-11-05", "newborn_visit"),
                                                   ("2024-11-30", "full_month"),
                                                   ("2025-02-01", "routine"),
                                                   ("2025-04-20", "routine")))  # fmt: skip
    scope = Child.code.in_(["k1", "k3", "k4"])
    today = dt.date(2025, 5, 1)
    rows = due_list(session, scope, today)
    assert [(r.child_id, r.child_code, r.check, r.status, r.opens, r.closes) for r in rows] == [
        (k1.id, "k1", "m3", "due", dt.date(2025, 3, 31), dt.date(2025, 5, 15)),
        (k1.id, "k1", "full_month", "missed", dt.date(2025, 2, 12), dt.date(2025, 2, 14)),
    ]
    assert rows[0].birth_date == dt.date(2025, 1, 15)
    assert [r.check for r in due_list(session, scope, today, ("missed",))] == ["full_month"]
    assert due_list(session, Child.code == "nobody", today) == []


def test_a_newborn_registered_on_its_birthday_has_the_visit_due_not_missed(
    session: Session,
) -> None:
    """Issue 11: the first scheduled check (the newborn visit, days 0-28) is missed only once
    its window has closed: due on the day of birth and on day 28, missed from day 29; the due
    rows carry the age and the days since the window closed."""
    build_geography(session)
    today = dt.date(2026, 6, 15)
    for days in (0, 28, 29):
        add_child(session, f"K-NB-{days}", (today - dt.timedelta(days=days)).isoformat())
    scope = Child.code.startswith("K-NB-")
    rows = {(r.child_code, r.check): r for r in due_list(session, scope, today)}
    assert rows[("K-NB-0", "newborn_visit")].status == "due"
    assert rows[("K-NB-28", "newborn_visit")].status == "due"
    missed = rows[("K-NB-29", "newborn_visit")]
    assert (missed.status, missed.age_days, missed.days_overdue) == ("missed", 29, 1)
    assert [r.child_code for r in due_list(session, scope, today, ("missed",))] == ["K-NB-29"]
