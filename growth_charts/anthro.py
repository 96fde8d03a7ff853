"""All WHO indicators for a batch of children at once: WHO anthro's ``anthro_zscores`` rules.

Rule sets:
- ``who-anthro`` (default): WHO anthro 1.1. A child under 9 months (unrounded age) reported as
  measured standing is treated as position unknown (no +0.7 cm) and gets ``c9mo_flag = 1``.
- ``igrowup``: the older WHO igrowup/who2007 macros: +0.7 cm for every standing child under 731
  days, under 9 months too; ``c9mo_flag`` is always 0.

Both compute the WHO 2006 indicators up to day 1856 (WHO anthro 1.1 stops at 60.0 months; the
WHO expanded tables and the igrowup macros run to 1856 days) and the WHO 2007 ones from 61 months.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from growth_charts.codes import MISSING, measure_codes, oedema_codes, sex_codes
from growth_charts.indicators import INDICATORS, Indicator
from growth_charts.rounding import round_half_up, round_z
from growth_charts.zscore import lms_at, zscore_from_lms

Array = NDArray[np.float64]
RuleSet = Literal["who-anthro", "igrowup"]
RULE_SETS: tuple[RuleSet, ...] = ("who-anthro", "igrowup")
DAYS_PER_MONTH = 30.4375
LENGTH_HEIGHT_SWITCH_DAY = 731
POSITION_CORRECTION_CM = 0.7
UNKNOWN_POSITION_SWITCH_CM = 87.0
WHO2006_LAST_DAY = 1856

# output z column → indicator code, and its flag column
WHO2006_COLUMNS = {"zlen": "lhfa", "zwei": "wfa", "zwfl": "wfl", "zbmi": "bmi", "zhc": "hcfa",
                   "zac": "acfa", "zts": "tsfa", "zss": "ssfa"}  # fmt: skip
WHO2007_COLUMNS = {"zhfa": "hfa_2007", "zwfa": "wfa_2007", "zbfa": "bmi_2007"}
_Z_ORDER = ["zlen", "zwei", "zwfl", "zbmi", "zhc", "zac", "zts", "zss", "zhfa", "zwfa", "zbfa"]


class UnknownRuleSetError(ValueError):
    """A rule-set name other than ``who-anthro`` or ``igrowup``."""

    def __init__(self, rules: str) -> None:
        self.rules = rules
        super().__init__(f"unknown rule set {rules!r}; use one of: {', '.join(RULE_SETS)}")


@dataclass(frozen=True)
class Children:
    """Cleaned inputs, one row per child-visit (all arrays of one length).

    ``age_days`` is exact (NaN if missing); ``sex`` 0/1 (−1 missing); ``measure`` 0 lying,
    1 standing, −1 missing; ``oedema`` True/False; measurements in kg, cm or mm, NaN if missing.
    """

    sex: NDArray[np.int8]
    age_days: Array
    weight: Array
    lenhei: Array
    measure: NDArray[np.int8]
    oedema: NDArray[np.bool_]
    headc: Array
    armc: Array
    triskin: Array
    subskin: Array


def _floats(values: ArrayLike | None, n: int) -> Array:
    if values is None:
        return np.full(n, np.nan)
    return np.broadcast_to(np.asarray(values, dtype=np.float64), (n,))


def children(
    sex: ArrayLike,
    *,
    age_days: ArrayLike | None = None,
    age_months: ArrayLike | None = None,
    weight: ArrayLike | None = None,
    lenhei: ArrayLike | None = None,
    measure: ArrayLike | None = None,
    oedema: ArrayLike | None = None,
    headc: ArrayLike | None = None,
    armc: ArrayLike | None = None,
    triskin: ArrayLike | None = None,
    subskin: ArrayLike | None = None,
) -> Children:
    """Clean raw inputs (unknown codes count as missing here; the batch reader rejects them)."""
    sex_c = np.asarray(sex)
    sex_c = sex_c if sex_c.dtype == np.int8 else sex_codes(sex_c)
    given = (age_days, age_months, weight, lenhei, measure, oedema, headc, armc, triskin, subskin)
    n = max([sex_c.size, *(np.size(v) for v in given if v is not None)])
    sex_c = np.broadcast_to(sex_c.reshape(-1), (n,))
    if age_days is None and age_months is not None:
        age_days = np.asarray(age_months, dtype=np.float64) * DAYS_PER_MONTH
    age = np.array(_floats(age_days, n), dtype=np.float64)
    with np.errstate(invalid="ignore"):
        age[age < 0] = np.nan
    measure_c = np.full(n, MISSING, np.int8) if measure is None else np.asarray(measure)
    if measure_c.dtype != np.int8:
        measure_c = measure_codes(measure_c)
    measure_c = np.broadcast_to(measure_c.reshape(-1), (n,))
    oedema_c = np.zeros(n, np.int8) if oedema is None else np.asarray(oedema)
    if oedema_c.dtype != np.int8 and oedema_c.dtype != np.bool_:
        oedema_c = oedema_codes(oedema_c)
    return Children(
        sex=np.where(sex_c >= 0, sex_c, MISSING).astype(np.int8),
        age_days=age,
        weight=_floats(weight, n),
        lenhei=_floats(lenhei, n),
        measure=np.where(measure_c >= 0, measure_c, MISSING).astype(np.int8),
        oedema=np.broadcast_to(oedema_c == 1, (n,)),
        headc=_floats(headc, n),
        armc=_floats(armc, n),
        triskin=_floats(triskin, n),
        subskin=_floats(subskin, n),
    )


def _z_by_age(spec: Indicator, kids: Children, day: Array, value: Array) -> Array:
    l, m, s = lms_at(spec, kids.sex, day)
    return zscore_from_lms(spec, value, l, m, s)


def _weight_for_lenhei(
    sex: NDArray[np.int8], weight: Array, day: Array, clenhei: Array, measure: NDArray[np.int8]
) -> Array:
    """zwfl: length table before day 731, height table from it; if no age, position, then 87 cm."""
    has_age = ~np.isnan(day)
    with np.errstate(invalid="ignore"):
        use_length = np.where(
            has_age,
            day < LENGTH_HEIGHT_SWITCH_DAY,
            np.where(measure >= 0, measure == 0, clenhei < UNKNOWN_POSITION_SWITCH_CM),
        )
    z = np.full(day.size, np.nan)
    for code, rows in (("wfl", use_length), ("wfh", ~use_length)):
        spec = INDICATORS[code]
        l, m, s = lms_at(spec, sex, np.where(rows, clenhei, np.nan))
        z = np.where(rows, zscore_from_lms(spec, weight, l, m, s), z)
    with np.errstate(invalid="ignore"):
        z[has_age & (day > WHO2006_LAST_DAY)] = np.nan
    return z


def compute(kids: Children, rules: RuleSet = "who-anthro") -> dict[str, Array]:
    """Every WHO column of ``anthro_zscores`` (plus the WHO 2007 ones), unrounded z.

    Returns ``clenhei``, ``cbmi``, ``c9mo_flag`` and the z arrays keyed by the WHO column names
    (``zlen`` … ``zss``, ``zhfa``, ``zwfa``, ``zbfa``). Use ``round_and_flag`` for WHO's output.
    """
    if rules not in RULE_SETS:
        raise UnknownRuleSetError(rules)
    day = round_half_up(kids.age_days)
    months = kids.age_days / DAYS_PER_MONTH
    measure = kids.measure
    with np.errstate(invalid="ignore"):
        standing_infant = (measure == 1) & (months < 9)
    if rules == "who-anthro":
        c9mo_flag = standing_infant.astype(np.float64)
        measure = np.where(standing_infant, MISSING, measure).astype(np.int8)
    else:
        c9mo_flag = np.zeros(day.size)
    with np.errstate(invalid="ignore"):
        add = (day < LENGTH_HEIGHT_SWITCH_DAY) & (measure == 1)
        subtract = (day >= LENGTH_HEIGHT_SWITCH_DAY) & (measure == 0)
    clenhei = np.where(add, kids.lenhei + POSITION_CORRECTION_CM, kids.lenhei)
    clenhei = np.where(subtract, clenhei - POSITION_CORRECTION_CM, clenhei)
    with np.errstate(invalid="ignore", divide="ignore"):
        cbmi = kids.weight / ((clenhei / 100.0) ** 2)
    weight_ok = np.where(kids.oedema, np.nan, kids.weight)
    bmi_ok = np.where(kids.oedema, np.nan, cbmi)

    out: dict[str, Array] = {"clenhei": clenhei, "cbmi": cbmi, "c9mo_flag": c9mo_flag}
    values = {"zlen": clenhei, "zwei": weight_ok, "zbmi": bmi_ok, "zhc": kids.headc,
              "zac": kids.armc, "zts": kids.triskin, "zss": kids.subskin}  # fmt: skip
    # the age-indexed WHO 2006 tables share one row lookup per table
    for column, value in values.items():
        out[column] = _z_by_age(INDICATORS[WHO2006_COLUMNS[column]], kids, day, value)
    out["zwfl"] = _weight_for_lenhei(kids.sex, weight_ok, day, clenhei, measure)
    for column, value in (("zhfa", clenhei), ("zwfa", weight_ok), ("zbfa", bmi_ok)):
        spec = INDICATORS[WHO2007_COLUMNS[column]]
        l, m, s = lms_at(spec, kids.sex, months)
        out[column] = zscore_from_lms(spec, value, l, m, s)
    return {key: out[key] for key in ["clenhei", "cbmi", "c9mo_flag", *_Z_ORDER]}


def flag_name(z_column: str) -> str:
    """The flag column of a z column: zlen → flen, zhfa → fhfa."""
    return "f" + z_column[1:]


def implausible(spec: Indicator, z_rounded: Array) -> Array:
    """1.0 where the rounded z is beyond WHO's limits, 0.0 where not, NaN where z is missing."""
    with np.errstate(invalid="ignore"):
        flagged = (z_rounded < spec.flag_low) | (z_rounded > spec.flag_high)
    return np.where(np.isnan(z_rounded), np.nan, flagged.astype(np.float64))


def round_and_flag(result: dict[str, Array]) -> dict[str, Array]:
    """WHO's output: z rounded to 2 decimals, each followed by its implausible-value flag."""
    out = {key: result[key] for key in ("clenhei", "cbmi", "c9mo_flag")}
    codes = {**WHO2006_COLUMNS, **WHO2007_COLUMNS}
    for column in _Z_ORDER:
        rounded = round_z(result[column])
        out[column] = rounded
        out[flag_name(column)] = implausible(INDICATORS[codes[column]], rounded)
    return out
