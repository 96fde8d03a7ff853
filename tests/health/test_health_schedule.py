"""The check schedule from the data file: windows, status and next due date."""

from __future__ import annotations

import datetime as dt

import pytest

from health.schedule import (
    ScheduleConfigError,
    child_schedule,
    load_schedule,
    next_due,
    parse_schedule,
)

BIRTH = dt.date(2024, 1, 15)


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
