"""Fast LMS kernels over prepared tables (flat arrays, one NaN sentinel row at the end).

Every table is flattened to ``sex * width + key`` with a final all-NaN row, so an invalid input
row simply points at the sentinel and yields NaN without a mask. Per row, a z-score costs a few
gathers and a handful of arithmetic passes; the power is taken as exp(L·(log y − log M)), which
equals WHO's ((y/M)^L − 1) to the last few bits. Restricted tails use SD2/SD3 precomputed per
table row for keyed tables, and are computed on the (few) rows beyond ±3 only.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import NDArray

from growth_charts.indicators import INDICATORS, Indicator
from growth_charts.lms import value_at
from growth_charts.tables import lms_table

Array = NDArray[np.float64]
Index = NDArray[np.intp]

WHO2006_AGE_CODES = ("lhfa", "wfa", "bmi", "hcfa", "acfa", "tsfa", "ssfa")
AGE_DAYS = 1857  # WHO 2006 age tables are padded to days 0…1856


@dataclass(frozen=True)
class Prepared:
    """One table's parameters, flat by ``sex * width + (key - first_key)`` plus a NaN sentinel."""

    spec: Indicator
    first_key: int
    width: int
    l: Array
    m: Array
    s: Array
    log_m: Array
    inv_ls: Array  # 1 / (L·S)
    l_is_one: bool
    sd3_pos: Array
    sd23_pos: Array  # SD3 − SD2
    sd3_neg: Array
    sd23_neg: Array  # SD−2 − SD−3
    lms: Array  # l, m and s as the rows of one (3, size) matrix: one gather for all three

    @property
    def sentinel(self) -> int:
        return self.l.size - 1


def _flat(values: NDArray[np.float64], first: int, pad_first: int, width: int) -> Array:
    out = np.full((2, width), np.nan)
    out[:, first - pad_first : first - pad_first + values.shape[1]] = values
    return np.append(out.reshape(-1), np.nan)


@cache
def prepared(code: str) -> Prepared:
    """The prepared table of an indicator (WHO 2006 age tables share the key range 0–1856)."""
    spec = INDICATORS[code]
    table = lms_table(code)
    first, width = table.first_key, table.width
    if code in WHO2006_AGE_CODES:
        first, width = 0, AGE_DAYS
    l, m, s = (_flat(getattr(table, p), table.first_key, first, width) for p in "lms")
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = {k: value_at(float(k), l, m, s) for k in (-3, -2, 2, 3)}
        arrays = dict(l=l, m=m, s=s, log_m=np.log(m), inv_ls=1.0 / (l * s),
                      sd3_pos=sd[3], sd23_pos=sd[3] - sd[2], sd3_neg=sd[-3],
                      sd23_neg=sd[-2] - sd[-3], lms=np.stack([l, m, s]))  # fmt: skip
    for array in arrays.values():
        array.setflags(write=False)
    return Prepared(spec, first, width, l_is_one=table.l_is_one, **arrays)


def age_rows(sex: NDArray[np.int8], day: Array) -> Index:
    """Row of each child in the padded WHO 2006 age tables (sentinel if sex or day is invalid).

    ``day`` is the age already rounded half up to whole days (NaN if missing).
    """
    valid = (sex >= 0) & (day >= 0) & (day < AGE_DAYS)  # comparisons with NaN raise nothing
    rows = sex.astype(np.intp) * AGE_DAYS + np.where(valid, day, 0).astype(np.intp)
    return np.where(valid, rows, 2 * AGE_DAYS)


def keyed_z(table: Prepared, rows: Index, y: Array, log_y: Array | None = None) -> Array:
    """z for rows of a keyed table, the tail rule applied where the indicator is restricted.

    ``y`` must be NaN where it is missing or ≤ 0; ``log_y`` may be passed when several tables
    share the measurement (weight for weight-for-age and weight-for-length).
    """
    if table.l_is_one:
        z = (y / table.m[rows] - 1.0) / table.s[rows]
    else:
        if log_y is None:
            log_y = np.log(y)
        t = log_y - table.log_m[rows]
        t *= table.l[rows]
        z = np.exp(t)
        z -= 1.0
        z *= table.inv_ls[rows]
    if table.spec.restricted:
        _keyed_tails(table, rows, y, z)
    return z


def _keyed_tails(table: Prepared, rows: Index, y: Array, z: Array) -> None:
    above, below = z > 3.0, z < -3.0
    if above.any():
        upper = np.flatnonzero(above)
        r = rows[upper]
        z[upper] = 3.0 + (y[upper] - table.sd3_pos[r]) / table.sd23_pos[r]
    if below.any():
        lower = np.flatnonzero(below)
        r = rows[lower]
        z[lower] = -3.0 + (y[lower] - table.sd3_neg[r]) / table.sd23_neg[r]


def interpolated_lms(
    table: Prepared, sex: NDArray[np.int8], x: Array, scale: float
) -> tuple[Array, Array, Array]:
    """L, M, S at ``x`` interpolated linearly between WHO's two rows for ``x``.

    ``scale`` is 10 for tables by 0.1 cm and 1 for tables by month. WHO's rows, as WHO anthro,
    anthroplus and the igrowup macros find them in binary floating point: low key
    ``trunc(x·scale)``, upper key ``trunc(x·scale + 1)``, frac = (x − low/scale)/(1/scale); the
    upper row is used only when frac > 0. The upper key is the low key + 1 except for a value a
    hair below a grid point where ``x·scale + 1`` crosses a power of two (102.39999999999999 cm,
    i.e. 103.1 cm lying − 0.7; 51.199999999999996 cm): there ``x·scale + 1`` rounds up and WHO
    interpolates towards the row after the next one (102.3 → 102.5 with frac ≈ 1). This is WHO's
    own behaviour, kept for parity with its software. Rows outside the indicator's range, with
    unknown sex or an upper key beyond the table give NaN.
    """
    spec = table.spec
    with np.errstate(invalid="ignore"):
        valid = (sex >= 0) & (x >= spec.x_min) & (x <= spec.x_max)
        scaled = x * scale if scale != 1 else x
        key = np.trunc(scaled)
        upper_key = np.trunc(scaled + 1.0)
        frac = (x - key / scale) / (1.0 / scale) if scale != 1 else x - key
        interpolate = valid & (frac > 0)
        upper_in_table = upper_key - table.first_key < table.width
    start = sex.astype(np.intp) * table.width - table.first_key
    low = np.where(valid, start + np.where(valid, key, 0).astype(np.intp), table.sentinel)
    upper = start + np.where(interpolate, upper_key, 0).astype(np.intp)
    high = np.where(interpolate, np.where(upper_in_table, upper, table.sentinel), low)
    a = table.lms[:, low]
    out = a + frac * (table.lms[:, high] - a)
    return out[0], out[1], out[2]


def lms_z(
    y: Array, l: Array, m: Array, s: Array, restricted: bool, log_y: Array | None = None
) -> Array:
    """z for per-row L, M, S (interpolated tables), the tail rule applied when ``restricted``."""
    if log_y is None:
        log_y = np.log(y)
    z = np.exp(l * (log_y - np.log(m)))
    z -= 1.0
    z /= l * s
    if restricted:
        with np.errstate(invalid="ignore"):
            upper = np.flatnonzero(z > 3.0)
            lower = np.flatnonzero(z < -3.0)
        for rows, k in ((upper, 1.0), (lower, -1.0)):
            if rows.size:
                lr, mr, sr = l[rows], m[rows], s[rows]
                sd3 = value_at(3.0 * k, lr, mr, sr)
                step = k * (sd3 - value_at(2.0 * k, lr, mr, sr))
                z[rows] = 3.0 * k + (y[rows] - sd3) / step
    return z


def positive(values: Array) -> Array:
    """The measurement with values ≤ 0 (and NaN) as NaN: WHO computes no z for them."""
    return np.where(values > 0, values, np.nan)
