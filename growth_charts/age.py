"""Ages: exact days from dates, months, and corrected age for babies born preterm.

Corrected age (WHO/RCPCH convention): chronological age minus the weeks born short of 40, used
for babies born before 37 completed weeks until they reach 24 months of corrected age.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from growth_charts.anthro import DAYS_PER_MONTH

TERM_WEEKS = 40
PRETERM_BELOW_WEEKS = 37
CORRECT_UNTIL_DAYS = 24 * DAYS_PER_MONTH


def age_in_days(birth_date: ArrayLike, on_date: ArrayLike) -> NDArray[np.float64]:
    """Whole days from birth to ``on_date`` (ISO text, ``date`` or datetime64); NaN if missing."""
    birth = np.asarray(birth_date, dtype="datetime64[D]")
    when = np.asarray(on_date, dtype="datetime64[D]")
    days = (when - birth).astype("timedelta64[D]")
    return np.where(np.isnat(days), np.nan, days.astype(np.float64))


def months_from_days(age_days: ArrayLike) -> NDArray[np.float64]:
    """Age in months (unrounded) from days: days / 30.4375."""
    return np.asarray(age_days, dtype=np.float64) / DAYS_PER_MONTH


def corrected_age_days(age_days: ArrayLike, gestational_weeks: ArrayLike) -> NDArray[np.float64]:
    """Age corrected for prematurity where it applies, else the chronological age.

    Applies when ``gestational_weeks`` < 37 and the corrected age is under 24 months
    (730.5 days); the correction is (40 − weeks) × 7 days. Missing weeks: no correction. A
    corrected age below 0 (before term) stays negative, so callers can say "not yet term".
    """
    age = np.asarray(age_days, dtype=np.float64)
    weeks = np.asarray(gestational_weeks, dtype=np.float64)
    corrected = age - (TERM_WEEKS - weeks) * 7.0
    with np.errstate(invalid="ignore"):
        applies = (weeks < PRETERM_BELOW_WEEKS) & (corrected < CORRECT_UNTIL_DAYS)
    return np.where(applies, corrected, age)
