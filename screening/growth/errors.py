"""The input error shared by the growth rules, and the checks that raise it."""

from __future__ import annotations

from screening.errors import ScreeningInputError


class InvalidMeasurementError(ScreeningInputError, message_id="error.growth.invalid_measurement"):
    """A measurement, age, sex or indicator that cannot be used (named by ``field``)."""


def check_sex(sex: str) -> None:
    """``sex`` must be ``"M"`` or ``"F"``."""
    if sex not in ("M", "F"):
        raise InvalidMeasurementError(field="sex", value=sex)


def check_age_days(age_days: float | None) -> None:
    """``age_days`` must be a number ≥ 0 (None and NaN are refused)."""
    if age_days is None or not age_days >= 0:
        raise InvalidMeasurementError(field="age_days", value=age_days)


def check_positive(**values: float | None) -> None:
    """Each given value (kg, cm, g/L…) must be > 0; None means "not measured" and passes."""
    for name, value in values.items():
        if value is not None and not value > 0:
            raise InvalidMeasurementError(field=name, value=value)
