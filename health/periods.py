"""Reporting periods and calendar arithmetic used by the schedule and the coverage indicators.

Month arithmetic is :func:`screening.vocabulary.add_months` /
:func:`~screening.vocabulary.add_years` (re-exported here): it clamps to the end of the month,
31 January + 1 month = 28/29 February.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from screening.vocabulary import add_months, add_years

__all__ = [
    "Period",
    "PeriodError",
    "add_months",
    "add_years",
    "birth_range_for_age_in",
    "days_in_month",
]


class PeriodError(ValueError):
    """A period that cannot be read or is empty (start after end)."""


def days_in_month(year: int, month: int) -> int:
    """Number of days in ``month`` (1–12) of ``year``."""
    return calendar.monthrange(year, month)[1]


def _month_start(index: int) -> dt.date:
    year, month0 = divmod(index, 12)
    return dt.date(year, month0 + 1, 1)


def birth_range_for_age_in(start: dt.date, end: dt.date, months: int) -> tuple[dt.date, dt.date]:
    """The birth dates ``b`` with ``start <= add_months(b, months) <= end`` as ``(lo, hi)``.

    ``add_months`` is non-decreasing in ``b`` and keeps the month, so the set is an interval; the
    clamping only matters on the edge days, handled here. The interval may be empty (lo > hi).
    """
    if start > end:
        raise PeriodError("the period's start is after its end")
    lo_index = start.year * 12 + start.month - 1 - months
    lo_month = _month_start(lo_index)
    dim_lo = days_in_month(lo_month.year, lo_month.month)
    lo = lo_month.replace(day=start.day) if start.day <= dim_lo else _month_start(lo_index + 1)
    hi_index = end.year * 12 + end.month - 1 - months
    hi_month = _month_start(hi_index)
    dim_hi = days_in_month(hi_month.year, hi_month.month)
    if end.day == days_in_month(end.year, end.month):
        hi = hi_month.replace(day=dim_hi)
    else:
        hi = hi_month.replace(day=min(end.day, dim_hi))
    return lo, hi


@dataclass(frozen=True)
class Period:
    """A closed date interval ``[start, end]`` (both days included)."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise PeriodError(f"period starts {self.start} after it ends {self.end}")

    @classmethod
    def year(cls, year: int) -> Period:
        """Calendar year ``year``."""
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        """Quarter 1–4 of ``year``."""
        if quarter not in (1, 2, 3, 4):
            raise PeriodError(f"quarter must be 1–4, not {quarter}")
        first = dt.date(year, 3 * quarter - 2, 1)
        last_month = 3 * quarter
        return cls(first, dt.date(year, last_month, days_in_month(year, last_month)))

    @classmethod
    def year_to_date(cls, today: dt.date) -> Period:
        """1 January of ``today``'s year to ``today``."""
        return cls(dt.date(today.year, 1, 1), today)

    @classmethod
    def parse(cls, text: str) -> Period:
        """``2024``, ``2024-Q3`` or ``2024-01-01..2024-06-30``."""
        text = text.strip()
        if re.fullmatch(r"\d{4}", text):
            return cls.year(int(text))
        if m := re.fullmatch(r"(\d{4})-?Q([1-4])", text, flags=re.IGNORECASE):
            return cls.quarter(int(m[1]), int(m[2]))
        if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})", text):
            try:
                return cls(dt.date.fromisoformat(m[1]), dt.date.fromisoformat(m[2]))
            except ValueError as exc:
                raise PeriodError(f"invalid date in period '{text}': {exc}") from None
        raise PeriodError(f"period '{text}' is not YEAR, YEAR-Qn or START..END")
