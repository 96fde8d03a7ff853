"""Calendar months, once: the numpy ``add_months_array`` agrees with the scalar ``add_months``
(``dateutil.relativedelta``) on every day of several years, 29 February and month ends included;
the prematurity correction is whole days, the same in ``screening.vocabulary`` and the growth
engine."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from growth_charts.age import corrected_age_days, weeks_short_days
from screening.vocabulary import add_months, add_months_array, add_years, corrected_birth_date

DAYS = np.arange("2019-01-01", "2025-01-01", dtype="datetime64[D]")  # 2020 and 2024 leap years
MONTHS = (-25, -13, -12, -1, 0, 1, 2, 3, 4, 6, 11, 12, 13, 23, 24, 48, 59, 72, 84)


@pytest.mark.parametrize("months", MONTHS)
def test_array_months_agree_with_scalar_on_every_day(months: int) -> None:
    got = add_months_array(DAYS, months).tolist()
    assert got == [add_months(day, months) for day in DAYS.tolist()]


def test_array_months_broadcast_per_element() -> None:
    months = np.arange(DAYS.size) % 97 - 24
    got = add_months_array(DAYS, months).tolist()
    assert got == [add_months(d, int(m)) for d, m in zip(DAYS.tolist(), months, strict=True)]


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),
        (dt.date(2023, 1, 31), 1, dt.date(2023, 2, 28)),
        (dt.date(2024, 2, 29), 12, dt.date(2025, 2, 28)),
        (dt.date(2024, 2, 29), 48, dt.date(2028, 2, 29)),
        (dt.date(2024, 3, 31), -1, dt.date(2024, 2, 29)),
        (dt.date(2023, 8, 31), 1, dt.date(2023, 9, 30)),
        (dt.date(2023, 12, 15), 1, dt.date(2024, 1, 15)),
    ],
)
def test_month_ends_clamp(start: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(start, months) == expected
    assert add_months_array(np.array([start], dtype="datetime64[D]"), months)[0].item() == expected


def test_years_are_twelve_months() -> None:
    assert add_years(dt.date(2024, 2, 29), 1) == dt.date(2025, 2, 28)
    assert add_years(dt.date(2024, 2, 29), -7) == dt.date(2017, 2, 28)
    assert all(add_years(day, 3) == add_months(day, 36) for day in DAYS.tolist()[::7])


@pytest.mark.parametrize(
    ("weeks", "days"),
    # (40 - weeks) × 7 rounded half up to whole days: 34.5 → 38.5 → 39; 36 + 6/7 → 22
    [(32, 56), (33 + 4 / 7, 45), (34.5, 39), (35.3, 33), (36 + 6 / 7, 22), (28, 84)],
)
def test_prematurity_correction_in_whole_days(weeks: float, days: int) -> None:
    birth = dt.date(2024, 3, 1)
    assert weeks_short_days(weeks)[()] == days
    assert corrected_birth_date(birth, weeks) == birth + dt.timedelta(days=days)
    # the growth engine subtracts the same whole days (corrected age under 24 months)
    assert corrected_age_days(100, weeks)[()] == 100 - days
