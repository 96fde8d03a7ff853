"""Reporting periods and calendar arithmetic used by the schedule and the coverage indicators.

Month arithmetic is :func:`screening.vocabulary.add_months` /
:func:`~screening.vocabulary.add_years` (re-exported here): it clamps to the end of the month,
31 January + 1 month = 28/29 February.

Two readings of a period text:

- :meth:`Period.parse` (the analysts' command line, with database access): a year ``2024``, a
  quarter ``2024-Q3``, a month ``2024-07`` or any range of dates ``2024-01-01..2024-06-30``,
  in the years :data:`MIN_YEAR` to :data:`MAX_YEAR` (the calendar arithmetic of the indicators
  reaches 7 years back and 28 days ahead of a period, which stays inside ``datetime``'s range).
- :func:`bureau_period` (bureau views and their exports): whole calendar periods only, a year
  ``YYYY``, a quarter ``YYYY-Qn`` or a month ``YYYY-MM``, in the years :data:`BUREAU_FIRST_YEAR`
  to next year. Ranges are refused, ranges of whole months too: two ranges that differ by one
  month would give that month's counts by subtraction whatever its small-count suppression
  (``health.suppression``), and single days would give single children (coverage.md §5).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Literal

from screening.vocabulary import add_months, add_years

__all__ = [
    "BUREAU_FIRST_YEAR",
    "MAX_YEAR",
    "MIN_YEAR",
    "CalendarPeriod",
    "Period",
    "PeriodError",
    "add_months",
    "add_years",
    "birth_range_for_age_in",
    "bureau_period",
    "days_in_month",
]

MIN_YEAR, MAX_YEAR = 1900, 2200
"""Years any period may touch (the command line's ``--year`` has the same bounds)."""
BUREAU_FIRST_YEAR = 2000
"""First year a bureau may ask for; the last is the year after today's."""


class PeriodError(ValueError):
    """A period that cannot be read, is empty (start after end) or is not allowed.

    ``message`` is the English text with ``{placeholders}`` (its id in the interface catalogue,
    ``api/locales``) and ``params`` their values; ``str()`` is the filled-in English text.
    """

    def __init__(self, message: str, **params: Any) -> None:
        self.message = message
        self.params = params
        super().__init__(message.format(**params))


def _shown(text: str) -> str:
    """``text`` as echoed in an error: printable characters only, at most 32 of them."""
    kept = "".join(ch for ch in text if ch.isprintable())
    return kept if len(kept) <= 32 else kept[:31] + "…"


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
        raise PeriodError("The period's start is after its end.")
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


def _check_years(text: str, first: int, last: int, *years: int) -> None:
    if any(not first <= year <= last for year in years):
        raise PeriodError(
            "Period '{text}' is outside the years {first} to {last}.",
            text=_shown(text), first=first, last=last,
        )  # fmt: skip


@dataclass(frozen=True)
class Period:
    """A closed date interval ``[start, end]`` (both days included)."""

    start: dt.date
    end: dt.date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise PeriodError(
                "The period starts on {start}, after it ends on {end}.",
                start=self.start.isoformat(), end=self.end.isoformat(),
            )  # fmt: skip

    @classmethod
    def year(cls, year: int) -> Period:
        """Calendar year ``year``."""
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 31))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        """Quarter 1–4 of ``year``."""
        if quarter not in (1, 2, 3, 4):
            raise PeriodError("A quarter is 1 to 4, not {quarter}.", quarter=quarter)
        first = dt.date(year, 3 * quarter - 2, 1)
        last_month = 3 * quarter
        return cls(first, dt.date(year, last_month, days_in_month(year, last_month)))

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        """Month 1–12 of ``year``."""
        if not 1 <= month <= 12:
            raise PeriodError("A month is 1 to 12, not {month}.", month=month)
        return cls(dt.date(year, month, 1), dt.date(year, month, days_in_month(year, month)))

    @classmethod
    def year_to_date(cls, today: dt.date) -> Period:
        """1 January of ``today``'s year to ``today``."""
        return cls(dt.date(today.year, 1, 1), today)

    @classmethod
    def parse(cls, text: str) -> Period:
        """``2024``, ``2024-Q3``, ``2024-07`` or ``2024-01-01..2024-06-30``, years
        :data:`MIN_YEAR` to :data:`MAX_YEAR`; anything else raises :class:`PeriodError`."""
        text = text.strip()
        if whole := CalendarPeriod.read(text):
            _check_years(text, MIN_YEAR, MAX_YEAR, whole.year)
            return whole.whole
        if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})\.\.(\d{4})-(\d{2})-(\d{2})", text):
            _check_years(text, MIN_YEAR, MAX_YEAR, int(m[1]), int(m[4]))
            try:
                return cls(
                    dt.date(int(m[1]), int(m[2]), int(m[3])),
                    dt.date(int(m[4]), int(m[5]), int(m[6])),
                )
            except ValueError:
                raise PeriodError("Period '{text}' holds a date that does not exist.",
                                  text=_shown(text)) from None  # fmt: skip
        raise PeriodError(
            "Period '{text}' is not a year (2024), a quarter (2024-Q3), a month (2024-07) or a "
            "range of dates (2024-01-01..2024-06-30).",
            text=_shown(text),
        )


Kind = Literal["year", "quarter", "month"]


@dataclass(frozen=True)
class CalendarPeriod:
    """A whole calendar year, quarter (``number`` 1–4) or month (``number`` 1–12)."""

    year: int
    kind: Kind = "year"
    number: int = 1

    def __post_init__(self) -> None:
        top = {"year": 1, "quarter": 4, "month": 12}[self.kind]
        if not 1 <= self.number <= top:
            raise PeriodError("A {kind} number is 1 to {top}, not {number}.",
                              kind=self.kind, top=top, number=self.number)  # fmt: skip

    @classmethod
    def read(cls, text: str) -> CalendarPeriod | None:
        """``YYYY``, ``YYYY-Qn`` (``q`` too) or ``YYYY-MM`` (01–12); None for any other text."""
        text = text.strip()
        if re.fullmatch(r"\d{4}", text):
            return cls(int(text))
        if m := re.fullmatch(r"(\d{4})-[Qq]([1-4])", text):
            return cls(int(m[1]), "quarter", int(m[2]))
        if (m := re.fullmatch(r"(\d{4})-(\d{2})", text)) and 1 <= int(m[2]) <= 12:
            return cls(int(m[1]), "month", int(m[2]))
        return None

    @property
    def label(self) -> str:
        """``2026``, ``2026-Q2`` or ``2026-06``."""
        if self.kind == "quarter":
            return f"{self.year}-Q{self.number}"
        if self.kind == "month":
            return f"{self.year}-{self.number:02}"
        return str(self.year)

    @property
    def whole(self) -> Period:
        """The period's days, first to last."""
        if self.kind == "quarter":
            return Period.quarter(self.year, self.number)
        if self.kind == "month":
            return Period.month(self.year, self.number)
        return Period.year(self.year)

    def counted(self, today: dt.date) -> Period:
        """The days counted on ``today``: the whole period, cut at ``today`` while it is under
        way (a period that has not begun is counted whole: who will fall due in it)."""
        whole = self.whole
        if whole.start <= today < whole.end:
            return Period(whole.start, today)
        return whole

    def parts(self) -> tuple[CalendarPeriod, ...]:
        """A year's four quarters, a quarter's three months; a month has none."""
        if self.kind == "year":
            return tuple(CalendarPeriod(self.year, "quarter", q) for q in (1, 2, 3, 4))
        if self.kind == "quarter":
            first = 3 * self.number - 2
            return tuple(CalendarPeriod(self.year, "month", m) for m in range(first, first + 3))
        return ()

    def calendar(self) -> tuple[CalendarPeriod, ...]:
        """Every whole period of this period's year: the year, its quarters, its months."""
        year = CalendarPeriod(self.year)
        quarters = year.parts()
        return (year, *quarters, *(month for q in quarters for month in q.parts()))

    @classmethod
    def of_quarter(cls, day: dt.date) -> CalendarPeriod:
        """The quarter ``day`` falls in."""
        return cls(day.year, "quarter", (day.month - 1) // 3 + 1)


def bureau_period(text: str, today: dt.date) -> CalendarPeriod:
    """A bureau's period: ``YYYY``, ``YYYY-Qn`` or ``YYYY-MM`` in the years
    :data:`BUREAU_FIRST_YEAR` to ``today.year + 1``; anything else raises :class:`PeriodError`
    whose message names the allowed forms."""
    found = CalendarPeriod.read(text)
    if found is None:
        raise PeriodError(
            "Period '{text}' is not a year (YYYY), a quarter (YYYY-Qn) or a month (YYYY-MM): "
            "bureau figures are given for whole calendar periods only.",
            text=_shown(text.strip()),
        )  # fmt: skip
    first, last = BUREAU_FIRST_YEAR, today.year + 1
    if not first <= found.year <= last:
        raise PeriodError(
            "Period '{text}' is outside the years {first} to {last}: use a year (YYYY), a "
            "quarter (YYYY-Qn) or a month (YYYY-MM) in that span.",
            text=_shown(text.strip()), first=first, last=last,
        )  # fmt: skip
    return found


def quarters_back(today: dt.date, count: int = 4) -> list[CalendarPeriod]:
    """The last ``count`` quarters up to and including today's (each counted on ``today``)."""
    out = [CalendarPeriod.of_quarter(today)]
    while len(out) < count:
        last = out[-1]
        out.append(
            CalendarPeriod(last.year, "quarter", last.number - 1)
            if last.number > 1
            else CalendarPeriod(last.year - 1, "quarter", 4)
        )
    return list(reversed(out))
