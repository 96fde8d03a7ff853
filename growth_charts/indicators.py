"""The WHO indicators: which table, which axis, valid range, tail rule and implausible limits.

Codes follow the glossary: ``lhfa`` length/height-for-age, ``wfa`` weight-for-age, ``wfl`` /
``wfh`` weight-for-length / -height, ``bmi`` BMI-for-age (0–5 y), ``hcfa`` head circumference,
``acfa`` arm circumference, ``tsfa`` / ``ssfa`` triceps / subscapular skinfold (WHO 2006); and
``hfa_2007``, ``wfa_2007``, ``bmi_2007`` (WHO 2007 reference, 5–19 y).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Axis = Literal["age_days", "length_cm", "age_months"]


@dataclass(frozen=True)
class Indicator:
    """One WHO indicator.

    ``x_min``/``x_max``: inclusive range on the axis (rounded age in days, length/height in cm,
    or exact age in months). ``flag_low``/``flag_high``: a rounded z strictly beyond either is
    implausible. ``restricted``: WHO's formula beyond ±3 SD applies. ``unit``: of the measurement.
    """

    code: str
    axis: Axis
    x_min: float
    x_max: float
    restricted: bool
    flag_low: float
    flag_high: float
    unit: str
    reference: Literal["WHO 2006", "WHO 2007"]


INDICATORS: dict[str, Indicator] = {
    i.code: i
    for i in (
        Indicator("lhfa", "age_days", 0, 1856, False, -6, 6, "cm", "WHO 2006"),
        Indicator("wfa", "age_days", 0, 1856, True, -6, 5, "kg", "WHO 2006"),
        Indicator("wfl", "length_cm", 45.0, 110.0, True, -5, 5, "kg", "WHO 2006"),
        Indicator("wfh", "length_cm", 65.0, 120.0, True, -5, 5, "kg", "WHO 2006"),
        Indicator("bmi", "age_days", 0, 1856, True, -5, 5, "kg/m²", "WHO 2006"),
        Indicator("hcfa", "age_days", 0, 1856, False, -5, 5, "cm", "WHO 2006"),
        Indicator("acfa", "age_days", 91, 1856, True, -5, 5, "cm", "WHO 2006"),
        Indicator("tsfa", "age_days", 91, 1856, True, -5, 5, "mm", "WHO 2006"),
        Indicator("ssfa", "age_days", 91, 1856, True, -5, 5, "mm", "WHO 2006"),
        Indicator("hfa_2007", "age_months", 61, 228, False, -6, 6, "cm", "WHO 2007"),
        Indicator("wfa_2007", "age_months", 61, 120, True, -6, 5, "kg", "WHO 2007"),
        Indicator("bmi_2007", "age_months", 61, 228, True, -5, 5, "kg/m²", "WHO 2007"),
    )
}


class UnknownIndicatorError(ValueError):
    """An indicator code that is not one of ``INDICATORS``."""

    def __init__(self, code: str) -> None:
        self.code = code
        super().__init__(f"unknown growth indicator {code!r}; known: {', '.join(INDICATORS)}")


def indicator(code: str) -> Indicator:
    """The indicator with this code, or ``UnknownIndicatorError``."""
    try:
        return INDICATORS[code]
    except KeyError:
        raise UnknownIndicatorError(code) from None
