"""China's growth standard WS/T 423-2022 (7岁以下儿童生长标准) from its SD tables (appendix B).

The standard prints, per sex, the values at −3, −2, −1, 0, +1, +2 and +3 SD; there is no LMS.
Tables (``reference_data/ws423/``): weight-for-age, length/height-for-age and BMI-for-age by age
in months (monthly 0–24, then every 3 months to 81), head circumference-for-age (to 36 months),
weight-for-length (45–100 cm) and weight-for-height (75–130 cm) by 1 cm.

The rules, once (``docs/ws423.md`` gives the reasons):

- **Position.** Rows before 24 months are recumbent length, from 24 months standing height. A
  child is on the height rows from the rounded day 731, as for WHO; before it the length rows
  hold, and between 23 and 24 months they are continued along their 22→23-month slope (never
  mixed with the 24-month height row). The measured value is corrected by 0.7 cm as for WHO
  (``clenhei`` from :func:`growth_charts.compute`).
- **Between rows.** Each SD column is interpolated linearly in the child's exact age in months
  (days / 30.4375) or in cm between the two neighbouring rows; from 81 to 84 months the 81-month
  row (the standard's last age group, 6岁9月) holds. Outside the tables: NaN.
- **z.** Piecewise linear between the SD values at that age: with SD_k ≤ y ≤ SD_k+1,
  z = k + (y − SD_k) / (SD_k+1 − SD_k). Beyond ±3 SD the outermost band is extended:
  z = 3 + (y − SD3) / (SD3 − SD2), z = −3 + (y − SD−3) / (SD−2 − SD−3) (WHO's restricted tails
  read the same way). A value on a column gives that integer z.
- **Categories** (``../shared/domain/growth.md``), on the unrounded z, so a value is compared with
  the printed SD values themselves: 低体重 weight-for-age < −2 (severe < −3); 生长迟缓
  length/height-for-age < −2 (severe < −3); 消瘦 weight-for-length/height or BMI < −2 (severe
  < −3); 超重 weight-for-length/height or BMI > +1 and ≤ +2; 肥胖 > +2.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from typing import Literal

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

import reference_data
from growth_charts.age import DAYS_PER_MONTH, LENGTH_HEIGHT_SWITCH_DAY
from growth_charts.codes import sex_codes
from growth_charts.rounding import round_half_up, round_z

Array = NDArray[np.float64]
REFERENCE = "ws423"
SD_COLUMNS = ("sd_m3", "sd_m2", "sd_m1", "sd0", "sd1", "sd2", "sd3")
LAST_AGE_MONTHS = 84.0
"""The standard covers children under 7: ages past the last row (81 months) use that row."""
HEIGHT_FROM_MONTHS = 24
"""First row of the length/height and BMI tables that is standing height."""

Code = Literal["wfa", "lhfa", "bmi", "hcfa", "wfl", "wfh"]


@dataclass(frozen=True)
class TableSpec:
    """One SD table: its file, axis and the category codes below −3/−2 and above +1/+2 SD."""

    file: str
    axis: Literal["age_months", "length_cm", "height_cm"]
    low: tuple[str, str] | None
    high: tuple[str, str] | None
    position_switch: bool = False


_LOW_WEIGHT = ("severe_underweight", "underweight")
_STUNTED = ("severe_stunting", "stunting")
_THIN = ("severe_wasting", "wasting")
_HEAVY = ("overweight", "obesity")
TABLES: dict[str, TableSpec] = {
    "wfa": TableSpec("ws423/weight_for_age.csv", "age_months", _LOW_WEIGHT, None),
    "lhfa": TableSpec("ws423/length_height_for_age.csv", "age_months", _STUNTED, None, True),
    "bmi": TableSpec("ws423/bmi_for_age.csv", "age_months", _THIN, _HEAVY, True),
    "hcfa": TableSpec("ws423/head_for_age.csv", "age_months", None, None),
    "wfl": TableSpec("ws423/weight_for_length.csv", "length_cm", _THIN, _HEAVY),
    "wfh": TableSpec("ws423/weight_for_height.csv", "height_cm", _THIN, _HEAVY),
}
CATEGORIES = (
    "severe_underweight", "underweight", "severe_stunting", "stunting", "severe_wasting",
    "wasting", "overweight", "obesity", "normal",
)  # fmt: skip
"""Category codes; words in the interface catalogue as ``ws423.category.<code>``."""

SMOOTH_LIMIT = 0.30
"""Consistency: an interior row departs from the straight line between its two neighbours by
less than this share of its mean SD step, in every column ..."""
SMOOTH_LIMIT_EDGE = 0.45
"""... and by less than this in the first two months (fast, curved infant growth) and at the
23/24-month rows of the tables where length changes to height."""


class Ws423TableError(ValueError):
    """A WS/T 423 table fails its consistency check (names the file, sex, row and column)."""


@dataclass(frozen=True)
class SdTable:
    """One indicator's table: ``keys`` (months or cm, ascending) and ``sd`` of shape
    (2 sexes, rows, 7 SD columns); row 0 of ``sd`` is boys (sex code 0), 1 girls."""

    code: str
    keys: Array
    sd: Array


def check_table(code: str, keys: Array, sd: Array) -> None:
    """Raise :class:`Ws423TableError` unless every row is strictly increasing from −3 to +3 SD,
    the keys are strictly increasing, and every interior row is smooth in age (or cm): its
    distance to the linear interpolation of its neighbours, divided by the row's mean SD step,
    is below :data:`SMOOTH_LIMIT` (:data:`SMOOTH_LIMIT_EDGE` before 3 months and at 23/24
    months). Weight, length/height and head rise with age in every column."""
    spec = TABLES[code]
    if not np.all(np.diff(keys) > 0):
        raise Ws423TableError(f"{spec.file}: keys are not strictly increasing")
    for sex_index, sex in enumerate("MF"):
        values = sd[sex_index]
        steps = np.diff(values, axis=1)
        bad = np.argwhere(steps <= 0)
        if bad.size:
            row, col = bad[0]
            raise Ws423TableError(
                f"{spec.file}: {sex} at {keys[row]:g}: {SD_COLUMNS[col + 1]} is not above "
                f"{SD_COLUMNS[col]}"
            )
        if code not in ("bmi",):
            falls = np.argwhere(np.diff(values, axis=0) < 0)
            if falls.size:
                row, col = falls[0]
                raise Ws423TableError(
                    f"{spec.file}: {sex} {SD_COLUMNS[col]} falls from {keys[row]:g} to "
                    f"{keys[row + 1]:g}"
                )
        share = (keys[1:-1] - keys[:-2]) / (keys[2:] - keys[:-2])
        line = values[:-2] * (1 - share)[:, None] + values[2:] * share[:, None]
        departure = np.abs(values[1:-1] - line) / steps[1:-1].mean(axis=1)[:, None]
        limit = np.full(keys.size - 2, SMOOTH_LIMIT)
        if spec.axis == "age_months":
            inner = keys[1:-1]
            limit[inner < 3] = SMOOTH_LIMIT_EDGE
            limit[np.isin(inner, (HEIGHT_FROM_MONTHS - 1, HEIGHT_FROM_MONTHS))] = SMOOTH_LIMIT_EDGE
        rough = np.argwhere(departure >= limit[:, None])
        if rough.size:
            row, col = rough[0]
            raise Ws423TableError(
                f"{spec.file}: {sex} {SD_COLUMNS[col]} at {keys[row + 1]:g} is not smooth "
                f"({departure[row, col]:.2f} of an SD step off its neighbours' line)"
            )


def parse_table(code: str, text: str) -> SdTable:
    """An SD table from its CSV text (``sex,<axis>,sd_m3…sd3``), checked by :func:`check_table`."""
    spec = TABLES[code]
    frame = pd.read_csv(io.StringIO(text))
    boys = frame[frame["sex"] == "M"].sort_values(spec.axis)
    girls = frame[frame["sex"] == "F"].sort_values(spec.axis)
    keys = boys[spec.axis].to_numpy(dtype=np.float64)
    if not np.array_equal(keys, girls[spec.axis].to_numpy(dtype=np.float64)):
        raise Ws423TableError(f"{spec.file}: boys and girls have different rows")
    sd = np.stack(
        [boys[list(SD_COLUMNS)].to_numpy(np.float64), girls[list(SD_COLUMNS)].to_numpy(np.float64)]
    )
    check_table(code, keys, sd)
    return SdTable(code, keys, sd)


@cache
def table(code: str) -> SdTable:
    """The checked table of ``code`` (``wfa``, ``lhfa``, ``bmi``, ``hcfa``, ``wfl``, ``wfh``),
    loaded once per process."""
    if code not in TABLES:
        raise KeyError(f"WS/T 423-2022 has no table {code!r}; it has {', '.join(TABLES)}")
    return parse_table(code, reference_data.read_bytes(TABLES[code].file).decode("utf-8"))


def _sex_index(sex: ArrayLike) -> NDArray[np.int8]:
    array = np.asarray(sex)
    return array if array.dtype == np.int8 else sex_codes(array)


def _interpolate(keys: Array, sd: Array, sex: NDArray[np.int8], x: Array, clamp: float) -> Array:
    """SD columns (n, 7) at ``x`` by linear interpolation between rows; beyond the last key up
    to ``clamp`` the last row; NaN outside or for an unknown sex. Extrapolates past the last
    key when ``clamp`` is below it (never: see :func:`sd_values` for the 23–24-month case)."""
    n = x.size
    out = np.full((n, len(SD_COLUMNS)), np.nan)
    with np.errstate(invalid="ignore"):
        ok = (sex >= 0) & (x >= keys[0]) & (x <= clamp)
    rows = np.flatnonzero(ok)
    if not rows.size:
        return out
    xs = np.minimum(x[rows], keys[-1]) if clamp >= keys[-1] else x[rows]
    upper = np.clip(np.searchsorted(keys, xs, side="right"), 1, keys.size - 1)
    lower = upper - 1
    share = (xs - keys[lower]) / (keys[upper] - keys[lower])
    low = sd[sex[rows], lower]  # (rows, 7): fancy indexing on sex and row together
    high = sd[sex[rows], upper]
    out[rows] = low + share[:, None] * (high - low)
    return out


def sd_values(code: str, sex: ArrayLike, x: ArrayLike, age_days: ArrayLike | None = None) -> Array:
    """The seven SD values (shape (n, 7), kg/cm/kg·m⁻²) of ``code`` at ``x``: exact age in months
    for the age tables, length or height in cm for ``wfl``/``wfh``. For ``lhfa`` and ``bmi``
    ``age_days`` (default x · 30.4375) chooses the length rows (rounded day < 731) or the
    height rows; length rows past 23 months follow their 22→23-month slope."""
    tab = table(code)
    spec = TABLES[code]
    sex_i, xs = np.broadcast_arrays(_sex_index(sex), np.asarray(x, dtype=np.float64))
    sex_i, xs = sex_i.reshape(-1), xs.reshape(-1)
    if spec.axis != "age_months":
        return _interpolate(tab.keys, tab.sd, sex_i, xs, tab.keys[-1])
    last = tab.keys[-1] if code == "hcfa" else max(tab.keys[-1], LAST_AGE_MONTHS)
    if not spec.position_switch:
        return _interpolate(tab.keys, tab.sd, sex_i, xs, last)
    days = xs * DAYS_PER_MONTH if age_days is None else np.asarray(age_days, dtype=np.float64)
    days = np.broadcast_to(days, xs.shape)
    with np.errstate(invalid="ignore"):
        lying = round_half_up(days) < LENGTH_HEIGHT_SWITCH_DAY
    split = int(np.searchsorted(tab.keys, HEIGHT_FROM_MONTHS))
    out = np.full((xs.size, len(SD_COLUMNS)), np.nan)
    standing = np.flatnonzero(~lying)
    out[standing] = _interpolate(tab.keys[split:], tab.sd[:, split:], sex_i[standing],
                                 xs[standing], last)  # fmt: skip
    lying_rows = np.flatnonzero(lying)
    if lying_rows.size:
        keys, sd = tab.keys[:split], tab.sd[:, :split]
        xl = xs[lying_rows]
        sl = sex_i[lying_rows]
        with np.errstate(invalid="ignore"):
            inside = xl <= keys[-1]
        part = _interpolate(keys, sd, sl, xl, keys[-1])
        beyond = np.flatnonzero(~inside & (xl < HEIGHT_FROM_MONTHS + 1) & (sl >= 0))
        if beyond.size:  # 23–24 months lying: the 22→23 slope continued
            slope = sd[sl[beyond], -1] - sd[sl[beyond], -2]
            part[beyond] = sd[sl[beyond], -1] + (xl[beyond] - keys[-1])[:, None] * slope
        out[lying_rows] = part
    return out


def z_from_sd(value: ArrayLike, sd: Array) -> Array:
    """z of ``value`` (n,) against SD columns ``sd`` (n, 7): piecewise linear between columns,
    the outermost bands extended beyond ±3 SD; NaN where a value or the columns are missing or
    the value is ≤ 0."""
    y = np.asarray(value, dtype=np.float64).reshape(-1)
    n = y.size
    with np.errstate(invalid="ignore"):
        band = np.clip((y[:, None] >= sd).sum(axis=1) - 1, 0, len(SD_COLUMNS) - 2)
        idx = np.arange(n)
        low, high = sd[idx, band], sd[idx, band + 1]
        z = (band - 3) + (y - low) / (high - low)
        z[~(y > 0) | np.isnan(low) | np.isnan(high)] = np.nan
    return z


def zscore(
    code: str, sex: ArrayLike, x: ArrayLike, value: ArrayLike, age_days: ArrayLike | None = None
) -> Array:
    """Unrounded WS/T 423-2022 z of ``value`` for ``code`` at ``x`` (see :func:`sd_values`)."""
    sex_i, xs, values = np.broadcast_arrays(
        _sex_index(sex), np.asarray(x, dtype=np.float64), np.asarray(value, dtype=np.float64)
    )
    if age_days is not None:
        age_days = np.broadcast_to(np.asarray(age_days, dtype=np.float64), xs.shape).reshape(-1)
    sd = sd_values(code, sex_i.reshape(-1), xs.reshape(-1), age_days)
    return z_from_sd(values.reshape(-1), sd)


def value_at_z(code: str, sex: ArrayLike, x: ArrayLike, z: ArrayLike) -> Array:
    """The measurement at ``z`` (inverse of :func:`zscore`; integer z gives the column)."""
    sd = sd_values(code, sex, x)
    zs = np.broadcast_to(np.asarray(z, dtype=np.float64).reshape(-1), (sd.shape[0],))
    band = np.clip(np.floor(zs) + 3, 0, len(SD_COLUMNS) - 2).astype(np.intp)
    band = np.where(np.isnan(zs), 0, band)
    idx = np.arange(sd.shape[0])
    low, high = sd[idx, band], sd[idx, band + 1]
    return low + (zs - (band - 3)) * (high - low)


def category(code: str, z: ArrayLike) -> NDArray[np.object_]:
    """WS/T category code of each unrounded ``z`` (strict inequalities, ``normal`` in between;
    ``""`` where z is missing or the indicator has no category: head circumference)."""
    spec = TABLES["wfl" if code == "wflh" else code]
    zs = np.asarray(z, dtype=np.float64).reshape(-1)
    out = np.full(zs.size, "", dtype=object)
    if spec.low is None and spec.high is None:
        return out
    with np.errstate(invalid="ignore"):
        out[np.isfinite(zs)] = "normal"
        if spec.low:
            out[zs < -2] = spec.low[1]
            out[zs < -3] = spec.low[0]
        if spec.high:
            out[zs > 1] = spec.high[0]
            out[zs > 2] = spec.high[1]
    return out


BATCH_COLUMNS = (
    "clenhei", "cbmi", "zlen", "flen", "zwei", "fwei", "zwfl", "fwfl", "zbmi", "fbmi", "zhc",
    "fhc", "glen", "gwei", "gwfl", "gbmi",
)  # fmt: skip
"""Batch output with ``--reference ws423``: WHO Anthro's names for the five indicators the
standard covers (z rounded to 2 decimals; ``f*`` WHO's implausible-value limits applied to that
z, as the standard sets none), then ``g*`` the standard's category codes."""
_FLAG_LIMITS = {"zlen": (-6, 6), "zwei": (-6, 5), "zwfl": (-5, 5), "zbmi": (-5, 5), "zhc": (-5, 5)}


def batch_columns(
    sex: NDArray[np.int8],
    age_days: Array,
    weight: Array,
    clenhei: Array,
    cbmi: Array,
    headc: Array,
    oedema: NDArray[np.bool_],
    use_length: NDArray[np.bool_],
) -> dict[str, NDArray]:
    """The :data:`BATCH_COLUMNS` for cleaned inputs: ``clenhei``/``cbmi`` as WHO's engine
    corrected them (0.7 cm position rule), ``use_length`` its weight-for-length/height table
    choice; oedema leaves weight-based z missing, as WHO does."""
    months = age_days / DAYS_PER_MONTH
    with np.errstate(invalid="ignore"):
        w = np.where(oedema | ~(weight > 0), np.nan, weight)
    unrounded = {
        "zlen": zscore("lhfa", sex, months, clenhei, age_days),
        "zwei": zscore("wfa", sex, months, w),
        "zbmi": zscore("bmi", sex, months, np.where(oedema, np.nan, cbmi), age_days),
        "zhc": zscore("hcfa", sex, months, headc),
    }
    zwfl = np.full(sex.size, np.nan)
    for code, rows in (("wfl", np.flatnonzero(use_length)), ("wfh", np.flatnonzero(~use_length))):
        if rows.size:
            zwfl[rows] = zscore(code, sex[rows], clenhei[rows], w[rows])
    with np.errstate(invalid="ignore"):
        zwfl[age_days / DAYS_PER_MONTH > LAST_AGE_MONTHS] = np.nan
    unrounded["zwfl"] = zwfl
    out: dict[str, NDArray] = {"clenhei": clenhei, "cbmi": cbmi}
    for column in ("zlen", "zwei", "zwfl", "zbmi", "zhc"):
        rounded = round_z(unrounded[column])
        low, high = _FLAG_LIMITS[column]
        with np.errstate(invalid="ignore"):
            flagged = ((rounded < low) | (rounded > high)).astype(np.float64)
        out[column] = rounded
        out["f" + column[1:]] = np.where(np.isnan(rounded), np.nan, flagged)
    for column, code in (("zlen", "lhfa"), ("zwei", "wfa"), ("zwfl", "wfl"), ("zbmi", "bmi")):
        out["g" + column[1:]] = category(code, unrounded[column])
    return out
