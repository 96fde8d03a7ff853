"""WHO growth velocity (2009): z-scores and percentiles of weight, length and head increments.

WHO Child Growth Standards: growth velocity based on weight, length and head circumference
(WHO, 2009). Four LMS tables by sex (``reference_data/velocity/``, WHO's own files):

- ``weight-1mo``: weight increments (g) over 1-month intervals, birth to 12 months
  (0–4 weeks, 4 weeks–2 months, 2–3 months, …, 11–12 months);
- ``weight-2mo``: weight increments (g) over 2-month intervals, 0–2 … 22–24 months;
- ``length-2mo``: length increments (cm) over 2-month intervals, 0–2 … 22–24 months;
- ``head-2mo``: head circumference increments (cm) over 2-month intervals, 0–2 … 10–12 months.

z = (((x + Δ)/M)^L − 1)/(L·S), x the increment in the table's unit and Δ the table's offset
(weight: 400 g for 1-month, 600 g for 2-month intervals; length and head: 0). WHO's M is on the
offset scale, so the median increment is M − Δ. No tail rule is applied beyond ±3 (the formula
of ``shared/domain/growth.md``). An increment with x + Δ < 0 (a loss no LMS value reaches, e.g. a
length that shrank) has z = −∞ and percentile 0, so that it is told apart from NaN, which means
that no table covers the interval.

Which interval a table applies to: each row is WHO's interval, its nominal start and end ages read
from WHO's label (a month is 30.4375 days, a week 7 days: "4 wks – 2 mo" is 28 to 60.875 days).
A pair of measurements is judged against a row when the first was taken within
``START_WINDOW_DAYS`` of the row's start age (``BIRTH_WINDOW_DAYS`` when the row starts at birth)
and the interval between the two is within ``LENGTH_WINDOW_DAYS`` of the row's nominal length.
These windows are this project's encoding (``docs/growth-velocity.md``); any other pair gets NaN.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

import reference_data
from growth_charts.age import DAYS_PER_MONTH
from growth_charts.classify import percentile
from growth_charts.codes import sex_codes, single_code

Array = NDArray[np.float64]
Measure = Literal["weight", "length", "head"]

DAYS_PER_WEEK = 7.0
START_WINDOW_DAYS = 7.0  # first measurement within a week of the row's start age …
BIRTH_WINDOW_DAYS = 3.0  # … or within 3 days of birth for the rows that start at birth
LENGTH_WINDOW_DAYS = {1: 4.0, 2: 7.0}  # interval length within this of the nominal (by months)

# table code → (measure, interval in months, unit, file pattern with {sex} = m / f)
VELOCITY_TABLES: dict[str, tuple[Measure, int, str, str]] = {
    "weight-1mo": ("weight", 1, "g", "velocity/weight-1mo-{sex}.csv"),
    "weight-2mo": ("weight", 2, "g", "velocity/weight-2mo-{sex}.csv"),
    "length-2mo": ("length", 2, "cm", "velocity/length-2mo-{sex}.csv"),
    "head-2mo": ("head", 2, "cm", "velocity/head-2mo-{sex}.csv"),
}
TABLES_OF: dict[Measure, tuple[str, ...]] = {
    "weight": ("weight-1mo", "weight-2mo"),
    "length": ("length-2mo",),
    "head": ("head-2mo",),
}
# measurement unit the caller passes → table unit (weight is given in kg, tabled in g)
_TO_TABLE_UNIT: dict[Measure, float] = {"weight": 1000.0, "length": 1.0, "head": 1.0}
SD_COLUMNS = ("-3 SD", "-2 SD", "-1 SD", "Median", "1 SD", "2 SD", "3 SD")
_LABEL = re.compile(r"^\s*(\d+)\s*(wks|mo)?\s*[–-]\s*(\d+)\s*(wks|mo)\s*$")
_UNIT_DAYS = {"wks": DAYS_PER_WEEK, "mo": DAYS_PER_MONTH}


class UnknownMeasureError(ValueError):
    """A measure other than ``weight``, ``length`` or ``head``."""

    def __init__(self, measure: str) -> None:
        self.measure = measure
        super().__init__(f"unknown increment measure {measure!r}; use weight, length or head")


class UnknownVelocityTableError(ValueError):
    """A velocity table code that is not one of ``VELOCITY_TABLES``."""

    def __init__(self, code: str) -> None:
        self.code = code
        known = ", ".join(VELOCITY_TABLES)
        super().__init__(f"unknown velocity table {code!r}; known: {known}")


def interval_days(label: str) -> tuple[float, float]:
    """Nominal start and end ages in days of one of WHO's interval labels.

    "0 – 4 wks" → (0, 28); "4 wks – 2 mo" → (28, 60.875); "10-12 mo" → (304.375, 365.25). A start
    without a unit takes the end's unit.
    """
    match = _LABEL.match(label)
    if match is None:
        raise ValueError(f"not a WHO velocity interval: {label!r}")
    start, start_unit, end, end_unit = match.groups()
    return (
        float(start) * _UNIT_DAYS[start_unit or end_unit],
        float(end) * _UNIT_DAYS[end_unit],
    )


@dataclass(frozen=True)
class VelocityTable:
    """One WHO velocity table: rows are intervals, parameters by sex (row 0 boys, 1 girls).

    ``start_days``/``end_days``: nominal ages (days) of each interval; ``l``, ``m``, ``s``,
    ``delta`` and ``sd`` (WHO's printed −3…+3 SD values, shape (2, rows, 7)) in ``unit``.
    """

    code: str
    measure: Measure
    months: int
    unit: str
    labels: tuple[str, ...]
    start_days: Array
    end_days: Array
    l: Array
    m: Array
    s: Array
    delta: Array
    sd: Array

    @property
    def nominal_days(self) -> Array:
        """Nominal length of each interval in days (28 for 0–4 weeks, 32.875 for 4 wks–2 mo)."""
        return self.end_days - self.start_days


def _read(path: str) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(reference_data.read_bytes(path)), dtype={"Interval": str})


@cache
def velocity_table(code: str) -> VelocityTable:
    """The table with this code, read once from ``reference_data/velocity/``."""
    if code not in VELOCITY_TABLES:
        raise UnknownVelocityTableError(code)
    measure, months, unit, pattern = VELOCITY_TABLES[code]
    boys, girls = _read(pattern.format(sex="m")), _read(pattern.format(sex="f"))
    if list(boys["Interval"]) != list(girls["Interval"]):
        raise ValueError(f"{code}: boys' and girls' intervals differ")
    labels = tuple(boys["Interval"])
    ages = np.array([interval_days(label) for label in labels])

    def both(column: str) -> Array:
        if column not in boys:
            return np.zeros((2, len(labels)))
        return np.stack([boys[column].to_numpy(float), girls[column].to_numpy(float)])

    sd = np.stack([np.stack([frame[c].to_numpy(float) for c in SD_COLUMNS], axis=1)
                   for frame in (boys, girls)])  # fmt: skip
    arrays = dict(start_days=ages[:, 0], end_days=ages[:, 1], l=both("L"), m=both("M"),
                  s=both("S"), delta=both("Delta"), sd=sd)  # fmt: skip
    for array in arrays.values():
        array.setflags(write=False)
    return VelocityTable(code, measure, months, unit, labels, **arrays)


@cache
def _row_windows(code: str) -> tuple[Array, Array, NDArray[np.str_]]:
    """Per row of table ``code``: the start window (days), the nominal length (days) and the
    labels as an array, derived once."""
    table = velocity_table(code)
    starts = table.start_days
    window = np.where(starts == 0.0, BIRTH_WINDOW_DAYS, START_WINDOW_DAYS)
    arrays = (window, table.nominal_days, np.asarray(table.labels))
    for array in arrays:
        array.setflags(write=False)
    return arrays


def interval_rows(table: VelocityTable, start_days: ArrayLike, end_days: ArrayLike) -> NDArray:
    """Row of ``table`` whose interval each pair of ages matches, −1 where none does.

    The candidate row is the one whose nominal start age is nearest to ``start_days``; it matches
    when the start lies within ``START_WINDOW_DAYS`` of it (``BIRTH_WINDOW_DAYS`` for a row that
    starts at birth) and ``end_days − start_days`` within ``LENGTH_WINDOW_DAYS`` of its nominal
    length. Ages in days (fractions allowed); NaN ages or an end before the start give −1.
    """
    start = np.asarray(start_days, dtype=np.float64)
    end = np.asarray(end_days, dtype=np.float64)
    starts = table.start_days
    window, nominal, _ = _row_windows(table.code)
    right = np.minimum(np.maximum(np.searchsorted(starts, start), 1), starts.size - 1)
    left = right - 1
    with np.errstate(invalid="ignore"):
        to_left, to_right = np.abs(start - starts[left]), np.abs(starts[right] - start)
        nearer_left = to_left <= to_right
        row = np.where(nearer_left, left, right)
        distance = np.where(nearer_left, to_left, to_right)
        length = end - start
        ok = (distance <= window[row]) & (start >= 0) & (length > 0)
        ok &= np.abs(length - nominal[row]) <= LENGTH_WINDOW_DAYS[table.months]
    return np.where(ok, row, -1)


def lms_increment_z(x: Array, l: Array, m: Array, s: Array, delta: Array) -> Array:
    """z of increments ``x`` for per-row L, M, S and offset Δ; −∞ where x + Δ < 0."""
    shifted = np.asarray(x, dtype=np.float64) + delta
    with np.errstate(invalid="ignore", divide="ignore"):
        z = ((np.maximum(shifted, 0.0) / m) ** l - 1.0) / (l * s)
        return np.where(shifted < 0, -np.inf, z)


def increment_at_z(code: str, sex: ArrayLike, row: ArrayLike, z: ArrayLike) -> Array:
    """The increment (table unit) at z in interval ``row`` of table ``code``: M(1+LSz)^(1/L) − Δ.

    NaN where 1 + L·S·z ≤ 0 (the LMS curve does not reach that far down), for an unknown sex or a
    row outside the table.
    """
    table = velocity_table(code)
    sex_c, row_c, z_c = np.broadcast_arrays(
        sex_codes(sex), np.asarray(row, dtype=np.intp), np.asarray(z, dtype=np.float64)
    )
    valid = (sex_c >= 0) & (row_c >= 0) & (row_c < len(table.labels))
    si, ri = np.where(valid, sex_c, 0), np.where(valid, row_c, 0)
    l, m, s, delta = (getattr(table, p)[si, ri] for p in ("l", "m", "s", "delta"))
    with np.errstate(invalid="ignore"):
        base = 1.0 + l * s * z_c
        value = m * np.maximum(base, 0.0) ** (1.0 / l) - delta
        return np.where(valid & (base > 0), value, np.nan)


@dataclass(frozen=True)
class Increments:
    """Increment z-scores of pairs of measurements (all arrays of one length).

    ``increment`` is in the table's unit (g for weight, cm for length and head); ``z`` unrounded,
    NaN where no table covers the interval (or sex or a value is missing), −∞ below the table's
    support; ``percentile`` 0–100; ``table`` the table code and ``interval`` WHO's label of the
    row used ("" where none).
    """

    increment: Array
    z: Array
    percentile: Array
    table: NDArray[np.str_]
    interval: NDArray[np.str_]


def increment_z(
    measure: Measure,
    sex: ArrayLike,
    start_days: ArrayLike,
    end_days: ArrayLike,
    start_value: ArrayLike,
    end_value: ArrayLike,
) -> Increments:
    """WHO velocity z and percentile of the change from ``start_value`` to ``end_value``.

    ``measure``: ``weight`` (values in kg), ``length`` (recumbent length in cm, both values
    measured the same way) or ``head`` (head circumference in cm). ``sex`` "M"/"F" (or 1/2);
    ages are exact ages in days at the two measurements. For weight the 1-month or the 2-month
    table applies, whichever the interval matches (their windows do not overlap).
    """
    if measure not in TABLES_OF:
        raise UnknownMeasureError(measure)
    values = (start_days, end_days, start_value, end_value)
    code = single_code(sex, "sex")
    if code is not None and all(type(v) is float or type(v) is int for v in values):
        # one pair of Python numbers: the (1,) arrays broadcast_arrays would give
        sex_c = np.array([code], np.int8)
        start, end, first, second = (np.array([v], np.float64) for v in values)
    else:
        sexes = sex_codes(sex) if code is None else np.array([code], np.int8)
        arrays = np.broadcast_arrays(sexes, *(np.asarray(v, dtype=np.float64) for v in values))
        sex_c, start, end, first, second = arrays
    with np.errstate(invalid="ignore"):
        valid_values = (first > 0) & (second > 0)
    increment = (second - first) * _TO_TABLE_UNIT[measure]
    n = increment.shape
    z = np.full(n, np.nan)
    table_of = np.full(n, "", dtype="<U10")
    interval_of = np.full(n, "", dtype="<U16")
    for code in TABLES_OF[measure]:  # one or two tables, each evaluated on all rows at once
        table = velocity_table(code)
        row = interval_rows(table, start, end)
        use = (row >= 0) & (sex_c >= 0) & valid_values & np.isnan(z)
        if not use.any():
            continue
        si, ri = sex_c[use], row[use]
        z[use] = lms_increment_z(increment[use], table.l[si, ri], table.m[si, ri],
                                 table.s[si, ri], table.delta[si, ri])  # fmt: skip
        table_of[use] = code
        interval_of[use] = _row_windows(code)[2][ri]
    return Increments(increment, z, percentile(z), table_of, interval_of)
