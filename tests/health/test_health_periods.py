"""Calendar arithmetic: month clamping and the birth-date interval of 'age reached in period'."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from health.periods import (
    CalendarPeriod,
    Period,
    PeriodError,
    add_months,
    add_years,
    birth_range_for_age_in,
    bureau_period,
)


def test_periods_use_the_one_month_arithmetic() -> None:
    """health.periods re-exports screening.vocabulary's calendar months (tested there)."""
    from screening import vocabulary

    assert add_months is vocabulary.add_months and add_years is vocabulary.add_years
    assert add_years(dt.date(2024, 2, 29), -7) == dt.date(2017, 2, 28)


def test_year_birth_range() -> None:
    # the 3-month check falls in 2024 for children born 1 Oct 2023 .. 30 Sep 2024
    assert birth_range_for_age_in(dt.date(2024, 1, 1), dt.date(2024, 12, 31), 3) == (
        dt.date(2023, 10, 1),
        dt.date(2024, 9, 30),
    )


dates = st.dates(min_value=dt.date(2015, 1, 1), max_value=dt.date(2030, 12, 31))


@settings(max_examples=300, deadline=None)
@given(a=dates, b=dates, months=st.sampled_from([3, 6, 8, 12, 18, 24, 30, 36, 48]))
def test_birth_range_matches_brute_force(a: dt.date, b: dt.date, months: int) -> None:
    start, end = min(a, b), max(a, b)
    if (end - start).days > 120:
        end = start + dt.timedelta(days=120)
    lo, hi = birth_range_for_age_in(start, end, months)
    first = add_months(start, -months) - dt.timedelta(days=5)
    for offset in range((end - start).days + 10):
        birth = first + dt.timedelta(days=offset)
        inside = start <= add_months(birth, months) <= end
        assert inside == (lo <= birth <= hi), (birth, lo, hi)


def test_period_parse() -> None:
    assert Period.parse("2024") == Period(dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert Period.parse("2024-Q1") == Period(dt.date(2024, 1, 1), dt.date(2024, 3, 31))
    assert Period.parse("2024-02") == Period(dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    assert Period.parse("2024-02-01..2024-02-29").end == dt.date(2024, 2, 29)
    with pytest.raises(PeriodError, match="after"):
        Period(dt.date(2024, 2, 1), dt.date(2024, 1, 1))
    with pytest.raises(PeriodError, match="is not a year"):
        Period.parse("last year")
    with pytest.raises(PeriodError, match="does not exist"):
        Period.parse("2024-02-30..2024-03-01")


@pytest.mark.parametrize(
    "text", ["0000", "0001-01-01..2025-01-01", "9999", "2025-01-01..9999-12-31", "1899-12"]
)
def test_any_period_outside_1900_to_2200_is_a_period_error(text: str) -> None:
    """The analysts' reading refuses years whose arithmetic (7 years back, 28 days ahead) would
    leave the calendar, with the domain error, never a bare ValueError or OverflowError."""
    with pytest.raises(PeriodError, match="outside the years 1900 to 2200"):
        Period.parse(text)


TODAY = dt.date(2026, 6, 15)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026", "2026-01-01", "2026-12-31"),
        ("2000", "2000-01-01", "2000-12-31"),
        ("2027", "2027-01-01", "2027-12-31"),
        ("2026-Q2", "2026-04-01", "2026-06-30"),
        ("2026-q4", "2026-10-01", "2026-12-31"),
        ("2024-02", "2024-02-01", "2024-02-29"),
        (" 2025-12 ", "2025-12-01", "2025-12-31"),
    ],
)
def test_bureau_periods_are_whole_years_quarters_or_months(text: str, start: str, end: str) -> None:
    found = bureau_period(text, TODAY)
    assert found.whole == Period(dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    assert bureau_period(found.label, TODAY) == found


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-17..2026-11-17",  # the single-day scan
        "2026-01-01..2026-06-30",
        "2026-01..2026-03",  # a range of whole months: two ranges differ by one month
        "2026-13",
        "2026-00",
        "2026-Q5",
        "2026Q2",
        "26",
        "",
        "2026-06-15",
        "last year",
        "2026\x00",
    ],
)
def test_other_period_forms_are_refused_naming_the_allowed_ones(text: str) -> None:
    with pytest.raises(PeriodError) as refused:
        bureau_period(text, TODAY)
    assert "a year (YYYY), a quarter (YYYY-Qn) or a month (YYYY-MM)" in str(refused.value)
    assert refused.value.message.startswith("Period '{text}' is not a year")


@pytest.mark.parametrize("text", ["0000", "0001", "1999", "2028", "9999", "1999-Q4", "2028-01"])
def test_bureau_years_run_from_2000_to_next_year(text: str) -> None:
    with pytest.raises(PeriodError, match="outside the years 2000 to 2027") as refused:
        bureau_period(text, TODAY)
    assert refused.value.params == {"text": text, "first": 2000, "last": 2027}


def test_an_echoed_period_is_short_and_printable() -> None:
    with pytest.raises(PeriodError) as refused:
        bureau_period("2026\n" + "x" * 500, TODAY)
    assert len(refused.value.params["text"]) <= 32 and "\n" not in refused.value.params["text"]


def test_calendar_periods_count_to_today_while_under_way() -> None:
    year = CalendarPeriod(2026)
    assert year.counted(TODAY) == Period(dt.date(2026, 1, 1), TODAY)
    assert CalendarPeriod(2025).counted(TODAY) == Period.year(2025)
    assert CalendarPeriod(2026, "quarter", 3).counted(TODAY) == Period.quarter(2026, 3)  # ahead
    assert CalendarPeriod(2026, "month", 6).counted(dt.date(2026, 6, 30)) == Period.month(2026, 6)
    assert [p.label for p in year.parts()] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert [p.label for p in year.parts()[1].parts()] == ["2026-04", "2026-05", "2026-06"]
    assert CalendarPeriod(2026, "month", 6).parts() == ()
    every = CalendarPeriod(2026, "month", 2).calendar()
    assert len(every) == 17 and every[0] == year and every[-1].label == "2026-12"
    assert CalendarPeriod.of_quarter(TODAY).label == "2026-Q2"
    with pytest.raises(PeriodError):
        CalendarPeriod(2026, "month", 13)
