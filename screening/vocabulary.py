"""Ages and calendar months for the screening rules and the layers above, all from dates passed
in (never the clock). The one place where months are added to dates.

Conventions (one per use, each named by its function):

- ``age_days``: whole days between birth and the assessment date.
- :func:`months_from_days`: ``age_days / 30.4375`` (WHO convention), a fractional month used for
  the WHO motor windows (P1/P99 in months).
- :func:`who_completed_months`: ``floor(age_days / 30.4375)``, the completed months of the
  WHO/UNICEF 2021 IYCF age groups (0-5, 6-8, 9-11, 12-17, 18-23 months) and of the haemoglobin
  cut-off table.
- :func:`add_months` / :func:`add_months_array`: calendar months, clamped to the end of a
  shorter month (31 January + 1 month = 28/29 February; 29 February + 12 months = 28 February).
- :func:`calendar_completed_months`: whole calendar months ("满3月": the day of the month is
  reached again; a month-end birth day is clamped to the last day of a shorter month). Used for
  the developmental age bands, which the source defines in completed months and which clinics
  and parents read from the calendar: a baby born on 1 January is 3 months old on 1 April
  (90 days, which is only 2.96 WHO months).
- Corrected age for babies born before 37 weeks: the age counted from the date the baby would
  have reached 40 weeks, ``birth_date + floor((40 - gestational_weeks) * 7 + 0.5)`` days
  (:func:`growth_charts.age.weeks_short_days`, the growth engine's correction).
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
from dateutil.relativedelta import relativedelta
from numpy.typing import ArrayLike, NDArray

from growth_charts.age import DAYS_PER_MONTH, TERM_WEEKS, weeks_short_days

__all__ = [
    "DAYS_PER_MONTH",
    "TERM_WEEKS",
    "add_months",
    "add_months_array",
    "add_years",
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
    """``start`` moved by whole calendar months (negative allowed), clamped to the end of a
    shorter month."""
    return start + relativedelta(months=months)


def add_years(start: date, years: int) -> date:
    """``start`` moved by whole years (29 February → 28 February in a common year)."""
    return start + relativedelta(years=years)


def add_months_array(days: ArrayLike, months: ArrayLike) -> NDArray[np.datetime64]:
    """:func:`add_months` for arrays: ``days`` as ``datetime64[D]`` (or anything numpy turns
    into it), ``months`` whole months (a number or an array broadcast against ``days``)."""
    start = np.asarray(days, dtype="datetime64[D]")
    month = start.astype("datetime64[M]")
    day_of_month = (start - month.astype("datetime64[D]")).astype(np.int64)
    target = month + np.asarray(months, dtype=np.int64).astype("timedelta64[M]")
    first = target.astype("datetime64[D]")
    length = ((target + 1).astype("datetime64[D]") - first).astype(np.int64)
    return first + np.minimum(day_of_month, length - 1).astype("timedelta64[D]")


def calendar_completed_months(start: date, on: date) -> int:
    """Whole calendar months from ``start`` to ``on``; negative when ``on`` is before ``start``."""
    months = (on.year - start.year) * 12 + on.month - start.month
    if add_months(start, months) > on:
        months -= 1
    return months


def corrected_birth_date(birth_date: date, gestational_weeks: float) -> date:
    """The date the baby reached (or will reach) 40 weeks of gestation: ``birth_date`` plus
    the whole days born short (:func:`growth_charts.age.weeks_short_days`)."""
    return birth_date + timedelta(days=int(weeks_short_days(gestational_weeks)))
