"""Calendar arithmetic: month clamping and the birth-date interval of 'age reached in period'."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from health.periods import Period, PeriodError, add_months, add_years, birth_range_for_age_in


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
    assert Period.parse("2024-02-01..2024-02-29").end == dt.date(2024, 2, 29)
    with pytest.raises(PeriodError, match="after"):
        Period(dt.date(2024, 2, 1), dt.date(2024, 1, 1))
    with pytest.raises(PeriodError, match="not YEAR"):
        Period.parse("last year")
