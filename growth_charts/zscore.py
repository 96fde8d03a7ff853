"""z-scores and their inverse for one indicator at a time, vectorised.

``x`` is the indicator's axis: age in days (any fraction, rounded half up to the table's day),
length/height in cm (L, M and S interpolated between the two neighbouring 0.1 cm rows), or age
in months (interpolated between whole months, WHO 2007). Outside the valid range, for a missing
sex or for a measurement ≤ 0 the result is NaN, never an exception.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from growth_charts.codes import sex_codes
from growth_charts.indicators import indicator
from growth_charts.kernels import Prepared, age_rows, interpolated_lms, keyed_z, lms_z, positive
from growth_charts.kernels import prepared as prepared_table
from growth_charts.lms import restricted_value_at, value_at
from growth_charts.rounding import round_half_up

Array = NDArray[np.float64]
_SCALE = {"length_cm": 10.0, "age_months": 1.0}


def _as_sex_index(sex: ArrayLike) -> NDArray[np.int8]:
    array = np.asarray(sex)
    if array.dtype == np.int8:
        return array  # already cleaned by codes.sex_codes
    return sex_codes(array)


def _age_rows(table: Prepared, sex: NDArray[np.int8], x: Array) -> NDArray[np.intp]:
    day = round_half_up(x)
    with np.errstate(invalid="ignore"):
        in_range = (day >= table.spec.x_min) & (day <= table.spec.x_max)
    return np.where(in_range, age_rows(sex, day), table.sentinel)


def lms_at(code: str, sex: ArrayLike, x: ArrayLike) -> tuple[Array, Array, Array]:
    """L, M and S for each row (NaN outside the indicator's range or for an unknown sex)."""
    table = prepared_table(indicator(code).code)
    sex_index, x = np.broadcast_arrays(_as_sex_index(sex), np.asarray(x, dtype=np.float64))
    if table.spec.axis == "age_days":
        rows = _age_rows(table, sex_index, x)
        return table.l[rows], table.m[rows], table.s[rows]
    return interpolated_lms(table, sex_index, x, _SCALE[table.spec.axis])


def zscore(code: str, sex: ArrayLike, x: ArrayLike, value: ArrayLike) -> Array:
    """Unrounded z of ``value`` for indicator ``code`` at axis position ``x``."""
    table = prepared_table(indicator(code).code)
    sex_index, x, y = np.broadcast_arrays(
        _as_sex_index(sex), np.asarray(x, dtype=np.float64), np.asarray(value, dtype=np.float64)
    )
    y = positive(y)
    with np.errstate(invalid="ignore", divide="ignore"):
        if table.spec.axis == "age_days":
            return keyed_z(table, _age_rows(table, sex_index, x), y)
        l, m, s = interpolated_lms(table, sex_index, x, _SCALE[table.spec.axis])
        return lms_z(y, l, m, s, table.spec.restricted)


def value_at_z(code: str, sex: ArrayLike, x: ArrayLike, z: ArrayLike) -> Array:
    """The measurement at z for indicator ``code`` (inverse of ``zscore``, tail rule included)."""
    spec = indicator(code)
    l, m, s = lms_at(code, sex, x)
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        if spec.restricted:
            return restricted_value_at(z, l, m, s)
        return value_at(z, l, m, s)
