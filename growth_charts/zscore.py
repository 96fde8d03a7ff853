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
from growth_charts.indicators import Indicator, indicator
from growth_charts.lms import plain_z, restrict_tails, restricted_value_at, value_at
from growth_charts.rounding import round_half_up
from growth_charts.tables import lms_table

Array = NDArray[np.float64]


def _as_sex_index(sex: ArrayLike) -> NDArray[np.int8]:
    array = np.asarray(sex)
    if array.dtype == np.int8:
        return array  # already cleaned by codes.sex_codes
    return sex_codes(array)


def lms_at(
    spec: Indicator, sex_index: NDArray[np.int8], x: ArrayLike
) -> tuple[Array, Array, Array]:
    """L, M and S for each row (NaN where the row is outside the table or sex is unknown)."""
    table = lms_table(spec.code)
    x = np.asarray(x, dtype=np.float64)
    sex_index, x = np.broadcast_arrays(sex_index, x)
    with np.errstate(invalid="ignore"):
        if spec.axis == "age_days":  # the range applies to the rounded day, as in WHO anthro
            key, frac = round_half_up(x), None
            in_range = (key >= spec.x_min) & (key <= spec.x_max)
        else:
            if spec.axis == "length_cm":  # tenths of a cm, as WHO's trunc(10·h)/10
                key = np.trunc(x * 10.0)
                frac = (x - key / 10.0) / 0.1
            else:
                key = np.trunc(x)
                frac = x - key
            in_range = (x >= spec.x_min) & (x <= spec.x_max)
        valid = (sex_index >= 0) & in_range
    row = np.where(valid, sex_index.astype(np.int64) * table.width, 0)
    row += np.where(valid, key, table.first_key).astype(np.int64) - table.first_key
    params = []
    for column in ("l", "m", "s"):
        flat = table.flat(column)
        low = flat[row]
        if frac is not None:
            interpolate = valid & (frac > 0)
            if interpolate.any():
                upper_row = np.minimum(row + 1, flat.size - 1)
                high = flat[upper_row]
                low = np.where(interpolate, low + frac * (high - low), low)
        params.append(np.where(valid, low, np.nan))
    return params[0], params[1], params[2]


def zscore_from_lms(spec: Indicator, y: Array, l: Array, m: Array, s: Array) -> Array:
    """The unrounded z of ``y`` on the given LMS rows, with WHO's tail rule where it applies."""
    y = np.asarray(y, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        y = np.where(y > 0, y, np.nan) * np.ones_like(m)
        z = plain_z(y, l, m, s)
        if spec.restricted:
            z = restrict_tails(z, y, l, m, s)
    return z


def zscore(code: str, sex: ArrayLike, x: ArrayLike, value: ArrayLike) -> Array:
    """Unrounded z of ``value`` for indicator ``code`` at axis position ``x``."""
    spec = indicator(code)
    l, m, s = lms_at(spec, _as_sex_index(sex), x)
    return zscore_from_lms(spec, np.asarray(value, dtype=np.float64), l, m, s)


def value_at_z(code: str, sex: ArrayLike, x: ArrayLike, z: ArrayLike) -> Array:
    """The measurement at z for indicator ``code`` (inverse of ``zscore``, tail rule included)."""
    spec = indicator(code)
    l, m, s = lms_at(spec, _as_sex_index(sex), x)
    z = np.asarray(z, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        if spec.restricted:
            return restricted_value_at(z, l, m, s)
        return value_at(z, l, m, s)
