"""Ages for the screening rules, all from dates passed in (never the clock).

Conventions (one per use, each named by its function):

- ``age_days``: whole days between birth and the assessment date.
- :func:`months_from_days`: ``age_days / 30.4375`` (WHO convention), a fractional month used for
  the WHO motor windows (P1/P99 in months).
- :func:`who_completed_months`: ``floor(age_days / 30.4375)``, the completed months of the
  WHO/UNICEF 2021 IYCF age groups (0-5, 6-8, 9-11, 12-17, 18-23 months) and of the haemoglobin
  cut-off table.
- :func:`calendar_completed_months`: whole calendar months ("满3月": the day of the month is
  reached again; a month-end birth day is clamped to the last day of a shorter month). Used for
  the developmental age bands, which the source defines in completed months and which clinics
  and parents read from the calendar: a baby born on 1 January is 3 months old on 1 April
  (90 days, which is only 2.96 WHO months).
- Corrected age for babies born before 37 weeks: the age counted from the date the baby would
  have reached 40 weeks, ``birth_date + round((40 - gestational_weeks) * 7)`` days.
"""

from __future__ import annotations

import calendar
import math
from datetime import date, timedelta

from growth_charts.age import TERM_WEEKS
from growth_charts.anthro import DAYS_PER_MONTH

__all__ = [
    "DAYS_PER_MONTH",
    "TERM_WEEKS",
    "add_months",
    "age_days",
    "calendar_completed_months",
    "corrected_birth_date",
    "months_from_days",
    "who_completed_months",
]


def age_days(birth_date: date, on: date) -> int:
    """Whole days from ``birth_date`` to ``on`` (negative when ``on`` is before birth)."""
    return (on - birth_date).days


def months_from_days(days: float) -> float:
    """Fractional months, ``days / 30.4375`` (WHO)."""
    return days / DAYS_PER_MONTH


def who_completed_months(days: int) -> int:
    """Completed months in the WHO convention, ``floor(days / 30.4375)``."""
    return math.floor(days / DAYS_PER_MONTH)


def add_months(start: date, months: int) -> date:
    """``start`` moved by whole calendar months, clamped to the end of a shorter month."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(start.day, last))


def calendar_completed_months(start: date, on: date) -> int:
    """Whole calendar months from ``start`` to ``on``; negative when ``on`` is before ``start``."""
    months = (on.year - start.year) * 12 + on.month - start.month
    if add_months(start, months) > on:
        months -= 1
    return months


def corrected_birth_date(birth_date: date, gestational_weeks: float) -> date:
    """The date the baby reached (or will reach) 40 weeks of gestation."""
    short_days = math.floor((TERM_WEEKS - gestational_weeks) * 7 + 0.5)
    return birth_date + timedelta(days=short_days)
