"""A record's ages: whole days from birth to the record's date (checked against the local
"today"), and the age the growth standards are read at (corrected before 37 weeks)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from growth_charts.age import corrected_age_days
from health.errors import RecordError
from health.models import Child


@dataclass(frozen=True)
class Ages:
    """Chronological and corrected age side by side, in whole days.

    ``corrected_days`` is None when no correction applies (born at 37 weeks or later, weeks
    unknown, or past 24 months of corrected age); it may be negative before term. ``used_days``
    is the age every rule reads (the corrected one when it applies, never below 0)."""

    on: dt.date
    days: int
    corrected_days: int | None

    @property
    def used_days(self) -> int:
        return self.days if self.corrected_days is None else max(self.corrected_days, 0)

    @property
    def corrected(self) -> bool:
        return self.corrected_days is not None


def ages_of(child: Child, on: dt.date) -> Ages:
    """The child's ages on ``on`` (no date check)."""
    days = (on - child.birth_date).days
    corrected = None
    if child.gestational_weeks is not None:
        value = float(corrected_age_days([days], [child.gestational_weeks])[0])
        if value != days:
            corrected = round(value)
    return Ages(on=on, days=days, corrected_days=corrected)


def ages_on(child: Child, on: dt.date, today: dt.date, field: str) -> Ages:
    """The child's ages on ``on``; :class:`RecordError` for a date after the local ``today`` or
    before the birth date."""
    if on > today:
        raise RecordError(
            "error.record.date_in_future", field, f"{on} is after today ({today})",
            date=on.isoformat(),
        )  # fmt: skip
    if on < child.birth_date:
        raise RecordError(
            "error.record.date_before_birth", field, f"{on} is before the birth date",
            date=on.isoformat(),
        )  # fmt: skip
    return ages_of(child, on)
