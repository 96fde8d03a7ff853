"""Ages: exact days from dates, months, and corrected age for babies born preterm.

The constants of age every layer shares are defined here, once: a month is 30.4375 days (WHO),
and day 731 is the length/height switch (lying length before, standing height from this age).

Corrected age (WHO/RCPCH convention): chronological age minus the whole days born short of
40 weeks, ``floor((40 − weeks) × 7 + 0.5)`` (half a day rounds up), for babies born before 37
completed weeks until they reach 24 months (730.5 days) of corrected age.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

DAYS_PER_MONTH = 30.4375
LENGTH_HEIGHT_SWITCH_DAY = 731  # age in days from which length/height means standing height
TERM_WEEKS = 40
PRETERM_BELOW_WEEKS = 37
CORRECT_UNTIL_DAYS = 24 * DAYS_PER_MONTH  # 730.5 days of corrected age


def age_in_days(birth_date: ArrayLike, on_date: ArrayLike) -> NDArray[np.float64]:
    """Whole days from birth to ``on_date`` (ISO text, ``date`` or datetime64); NaN if missing."""
    birth = np.asarray(birth_date, dtype="datetime64[D]")
    when = np.asarray(on_date, dtype="datetime64[D]")
    days = (when - birth).astype("timedelta64[D]")
    return np.where(np.isnat(days), np.nan, days.astype(np.float64))


def months_from_days(age_days: ArrayLike) -> NDArray[np.float64]:
    """Age in months (unrounded) from days: days / 30.4375."""
    return np.asarray(age_days, dtype=np.float64) / DAYS_PER_MONTH


def weeks_short_days(gestational_weeks: ArrayLike) -> NDArray[np.float64]:
    """Whole days born short of 40 weeks, ``floor((40 − weeks) × 7 + 0.5)`` (negative after
    term; NaN where the weeks are missing). Whether it applies: :func:`corrected_age_days`."""
    weeks = np.asarray(gestational_weeks, dtype=np.float64)
    return np.floor((TERM_WEEKS - weeks) * 7.0 + 0.5)


def corrected_age_days(age_days: ArrayLike, gestational_weeks: ArrayLike) -> NDArray[np.float64]:
    """Age in days corrected for prematurity where it applies, else the chronological age.

    Applies when ``gestational_weeks`` < 37 and the corrected age is under 24 months
    (730.5 days); the correction is :func:`weeks_short_days` (whole days). Missing weeks: no
    correction. A corrected age below 0 (before term) stays negative, so callers can say
    "not yet term".
    """
    age = np.asarray(age_days, dtype=np.float64)
    weeks = np.asarray(gestational_weeks, dtype=np.float64)
    if weeks.ndim == 0 and not weeks < PRETERM_BELOW_WEEKS:  # one child born at term or unknown
        return np.array(age)
    corrected = age - weeks_short_days(weeks)
    with np.errstate(invalid="ignore"):
        applies = (weeks < PRETERM_BELOW_WEEKS) & (corrected < CORRECT_UNTIL_DAYS)
    return np.where(applies, corrected, age)
