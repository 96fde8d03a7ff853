"""Percentiles, WHO classifications and implausible-value flags, on rounded z.

Classifications use strict inequalities on the z rounded to 2 decimals (growth.md): a child at
exactly −2.00 is not stunted. NaN z gives the empty code "".
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import ndtr, ndtri

from growth_charts.indicators import indicator

# per indicator family: (upper bound exclusive test "z < bound" or lower "z > bound", code),
# checked in order; the first that holds wins, else "normal".
_LOW_STUNTING = [("<", -3.0, "severe_stunting"), ("<", -2.0, "stunting")]
_RULES: dict[str, list[tuple[str, float, str]]] = {
    "lhfa": [*_LOW_STUNTING, (">", 3.0, "very_tall")],
    "hfa_2007": [*_LOW_STUNTING, (">", 3.0, "very_tall")],
    "wfa": [("<", -3.0, "severe_underweight"), ("<", -2.0, "underweight"),
            (">", 2.0, "high_weight_for_age")],
    "wfa_2007": [("<", -3.0, "severe_underweight"), ("<", -2.0, "underweight"),
                 (">", 2.0, "high_weight_for_age")],
    "hcfa": [("<", -3.0, "severe_microcephaly"), ("<", -2.0, "microcephaly"),
             (">", 2.0, "macrocephaly")],
    "bmi_2007": [("<", -3.0, "severe_thinness"), ("<", -2.0, "thinness"), (">", 2.0, "obesity"),
                 (">", 1.0, "overweight")],
    "acfa": [], "tsfa": [], "ssfa": [],
}  # fmt: skip
_WASTING = [("<", -3.0, "severe_wasting"), ("<", -2.0, "wasting"), (">", 3.0, "obese"),
            (">", 2.0, "overweight"), (">", 1.0, "possible_risk_of_overweight")]  # fmt: skip
for _code in ("wfl", "wfh", "bmi"):
    _RULES[_code] = _WASTING

CLASSIFICATIONS: dict[str, tuple[str, ...]] = {
    code: (*(name for _, _, name in rules), "normal") for code, rules in _RULES.items()
}


def classify(code: str, z_rounded: ArrayLike) -> NDArray[np.str_]:
    """WHO classification code of each rounded z for indicator ``code`` ("" where z is NaN)."""
    indicator(code)  # raises for an unknown code
    z = np.asarray(z_rounded, dtype=np.float64)
    conditions, choices = [], []
    with np.errstate(invalid="ignore"):
        for op, bound, name in _RULES[code]:
            conditions.append(z < bound if op == "<" else z > bound)
            choices.append(name)
        conditions.append(np.isnan(z))
        choices.append("")
    width = max(len(c) for c in (*choices, "normal"))
    return np.select(conditions, choices, default="normal").astype(f"<U{width}")


def is_implausible(code: str, z_rounded: ArrayLike) -> NDArray[np.bool_]:
    """True where the rounded z is beyond WHO's flag limits for ``code`` (False for NaN)."""
    spec = indicator(code)
    z = np.asarray(z_rounded, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return (z < spec.flag_low) | (z > spec.flag_high)


def percentile(z: ArrayLike) -> NDArray[np.float64]:
    """The percentile (0–100) of a z-score on the standard normal: 100·Φ(z)."""
    return 100.0 * ndtr(np.asarray(z, dtype=np.float64))


def z_from_percentile(p: ArrayLike) -> NDArray[np.float64]:
    """The z-score of a percentile in (0, 100); NaN outside."""
    p = np.asarray(p, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.where((p > 0) & (p < 100), ndtri(p / 100.0), np.nan)


def classify_one(code: str, z_rounded: float) -> str:
    """:func:`classify` of one rounded z, in plain Python (same rules, same order; "" for
    NaN)."""
    indicator(code)  # raises for an unknown code
    if z_rounded != z_rounded:
        return ""
    for op, bound, name in _RULES[code]:
        if (z_rounded < bound) if op == "<" else (z_rounded > bound):
            return name
    return "normal"


def is_implausible_one(code: str, z_rounded: float) -> bool:
    """:func:`is_implausible` of one rounded z, in plain Python (False for NaN)."""
    spec = indicator(code)
    return z_rounded < spec.flag_low or z_rounded > spec.flag_high
