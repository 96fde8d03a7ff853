"""All WHO indicators for a batch of children at once: WHO anthro's ``anthro_zscores`` rules.

Rule sets:
- ``who-anthro`` (default): WHO anthro 1.1. A child under 9 months (unrounded age) reported as
  measured standing is treated as position unknown (no +0.7 cm) and gets ``c9mo_flag = 1``.
- ``igrowup``: the older WHO igrowup/who2007 macros: +0.7 cm for every standing child under 731
  days, under 9 months too; ``c9mo_flag`` is always 0.

Both compute the WHO 2006 indicators up to day 1856 (WHO anthro 1.1 stops at 60.0 months; the
WHO expanded tables and the igrowup macros run to 1856 days) and the WHO 2007 ones from 61 months.

Both find the two 0.1 cm rows of weight-for-length/height as WHO's software does, in binary
floating point (``growth_charts.kernels.interpolated_lms``): a converted value a hair below a grid
point (103.1 cm lying at 5 years → 102.39999999999999) interpolates between 102.3 and 102.5, as
WHO anthro 1.1 and the igrowup macros both do. This is WHO's own behaviour, kept for parity.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from growth_charts.age import DAYS_PER_MONTH, LENGTH_HEIGHT_SWITCH_DAY
from growth_charts.codes import MISSING, measure_codes, oedema_codes, sex_codes, single_code
from growth_charts.indicators import INDICATORS
from growth_charts.kernels import age_rows, interpolated_lms, keyed_z, lms_z, positive, prepared
from growth_charts.rounding import round_half_up, round_z

Array = NDArray[np.float64]
RuleSet = Literal["who-anthro", "igrowup"]
RULE_SETS: tuple[RuleSet, ...] = ("who-anthro", "igrowup")
POSITION_CORRECTION_CM = 0.7
UNKNOWN_POSITION_SWITCH_CM = 87.0
WHO2006_LAST_DAY = 1856
MEASUREMENTS = ("weight", "lenhei", "headc", "armc", "triskin", "subskin")
# the measurements each z column needs
_NEEDS = {"zlen": {"lenhei"}, "zwei": {"weight"}, "zwfl": {"weight", "lenhei"},
          "zbmi": {"weight", "lenhei"}, "zhc": {"headc"}, "zac": {"armc"}, "zts": {"triskin"},
          "zss": {"subskin"}, "zhfa": {"lenhei"}, "zwfa": {"weight"},
          "zbfa": {"weight", "lenhei"}}  # fmt: skip

# output z column → indicator code, and its flag column
WHO2006_COLUMNS = {"zlen": "lhfa", "zwei": "wfa", "zwfl": "wfl", "zbmi": "bmi", "zhc": "hcfa",
                   "zac": "acfa", "zts": "tsfa", "zss": "ssfa"}  # fmt: skip
WHO2007_COLUMNS = {"zhfa": "hfa_2007", "zwfa": "wfa_2007", "zbfa": "bmi_2007"}
_Z_ORDER = ["zlen", "zwei", "zwfl", "zbmi", "zhc", "zac", "zts", "zss", "zhfa", "zwfa", "zbfa"]
_CODES = {**WHO2006_COLUMNS, **WHO2007_COLUMNS}
OUTPUT_ORDER = ["clenhei", "cbmi", "c9mo_flag"] + [c for z in _Z_ORDER for c in (z, "f" + z[1:])]


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
    if type(values) is float or type(values) is int:  # one Python number: a fresh array
        return np.full(n, values, np.float64)
    array = np.asarray(values, dtype=np.float64)
    if array.shape == (n,):
        return array
    return np.broadcast_to(array, (n,))


def _size(values: object) -> int:
    return 1 if type(values) in (float, int, str, bool) else np.size(values)


def _categories(values: ArrayLike | None, kind: str, codes, n: int) -> NDArray[np.int8]:
    """Codes of a categorical input, (n,) int8, unknown codes as missing."""
    if values is None:
        return np.full(n, MISSING, np.int8)
    code = single_code(values, kind)
    if code is not None:
        return np.full(n, code if code >= 0 else MISSING, np.int8)
    array = np.asarray(values)
    if array.dtype != np.int8:
        array = codes(array)
    array = array.reshape(-1)
    if array.shape != (n,):
        array = np.broadcast_to(array, (n,))
    return np.where(array >= 0, array, MISSING).astype(np.int8)


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
    given = (age_days, age_months, weight, lenhei, measure, oedema, headc, armc, triskin, subskin)
    n = max([_size(sex), *(_size(v) for v in given if v is not None)])
    if age_days is None and age_months is not None:
        age_days = np.asarray(age_months, dtype=np.float64) * DAYS_PER_MONTH
    age = _floats(age_days, n)
    if not (age_days is None or type(age_days) is float or type(age_days) is int):
        age = np.array(age, dtype=np.float64)  # never the caller's array
    if n == 1:
        if age[0] < 0:
            age[0] = np.nan
    else:
        age[age < 0] = np.nan
    if oedema is None:
        oedema_c = np.zeros(n, np.bool_)
    elif type(oedema) is bool:
        oedema_c = np.full(n, oedema, np.bool_)
    else:
        code = single_code(oedema, "oedema")
        if code is not None:
            oedema_c = np.full(n, code == 1, np.bool_)
        else:
            oedema_c = np.asarray(oedema)
            if oedema_c.dtype != np.int8 and oedema_c.dtype != np.bool_:
                oedema_c = oedema_codes(oedema_c)
            oedema_c = np.broadcast_to(oedema_c == 1, (n,))
    return Children(
        sex=_categories(sex, "sex", sex_codes, n),
        age_days=age,
        weight=_floats(weight, n),
        lenhei=_floats(lenhei, n),
        measure=_categories(measure, "measure", measure_codes, n),
        oedema=oedema_c,
        headc=_floats(headc, n),
        armc=_floats(armc, n),
        triskin=_floats(triskin, n),
        subskin=_floats(subskin, n),
    )


BLOCK_ROWS = 1 << 16  # rows per pass: temporaries stay in the CPU caches (measured best)


def _length_table_rows(day: Array, clenhei: Array, measure: NDArray[np.int8]) -> NDArray[np.bool_]:
    """zwfl table choice: length before day 731; without age, the position, then < 87 cm."""
    no_age_choice = np.where(measure >= 0, measure == 0, clenhei < UNKNOWN_POSITION_SWITCH_CM)
    return np.where(np.isnan(day), no_age_choice, day < LENGTH_HEIGHT_SWITCH_DAY)


def _weight_for_lenhei(
    sex: NDArray[np.int8], weight: Array, log_weight: Array, day: Array, clenhei: Array,
    measure: NDArray[np.int8],
) -> Array:  # fmt: skip
    use_length = _length_table_rows(day, clenhei, measure)
    z = np.full(day.size, np.nan)
    count = np.count_nonzero(use_length)
    for code, selected, chosen in (
        ("wfl", use_length, count),
        ("wfh", ~use_length, day.size - count),
    ):
        if chosen:
            rows = slice(None) if chosen == day.size else np.flatnonzero(selected)
            table = prepared(code)
            l, m, s = interpolated_lms(table, sex[rows], clenhei[rows], 10.0)
            z[rows] = lms_z(weight[rows], l, m, s, True, log_weight[rows])
    z[day > WHO2006_LAST_DAY] = np.nan
    return z


def _who2007(out: dict[str, Array], sex, months, clenhei, weight, bmi, block: slice) -> None:
    in_ages = (months >= 61) & (months <= 228)
    if not in_ages.any():
        return
    rows = slice(None) if in_ages.all() else np.flatnonzero(in_ages)
    for column, value in (("zhfa", positive(clenhei)), ("zwfa", weight), ("zbfa", bmi)):
        table = prepared(WHO2007_COLUMNS[column])
        l, m, s = interpolated_lms(table, sex[rows], months[rows], 1.0)
        target = out[column][block]
        if table.l_is_one:
            target[rows] = (value[rows] / m - 1.0) / s
        else:
            target[rows] = lms_z(value[rows], l, m, s, table.spec.restricted)


def _compute_block(
    kids: Children, block: slice, rules: RuleSet, out: dict[str, Array], computed: set[str]
) -> None:
    """All indicators for the rows in ``block``; the z columns not in ``computed`` are left as
    they are (NaN)."""
    sex = kids.sex[block]
    age = kids.age_days[block]
    day = round_half_up(age)
    months = age / DAYS_PER_MONTH
    measure = kids.measure[block]
    standing_infant = (measure == 1) & (months < 9)  # comparisons with NaN raise nothing
    if rules == "who-anthro":
        out["c9mo_flag"][block] = standing_infant
        measure = np.where(standing_infant, MISSING, measure).astype(np.int8)
    else:
        out["c9mo_flag"][block] = 0.0
    lenhei = kids.lenhei[block]
    add = (day < LENGTH_HEIGHT_SWITCH_DAY) & (measure == 1)
    subtract = (day >= LENGTH_HEIGHT_SWITCH_DAY) & (measure == 0)
    clenhei = np.where(add, lenhei + POSITION_CORRECTION_CM, lenhei)
    clenhei = np.where(subtract, clenhei - POSITION_CORRECTION_CM, clenhei)
    oedema = kids.oedema[block]
    weight = positive(np.where(oedema, np.nan, kids.weight[block]))
    with np.errstate(invalid="ignore", divide="ignore"):
        cbmi = kids.weight[block] / ((clenhei / 100.0) ** 2)
        bmi = positive(np.where(oedema, np.nan, cbmi))
        log_weight = np.log(weight)
        rows = age_rows(sex, day)
        out["clenhei"][block] = clenhei
        out["cbmi"][block] = cbmi
        if "zlen" in computed:
            out["zlen"][block] = keyed_z(prepared("lhfa"), rows, positive(clenhei))
        if "zwei" in computed:
            out["zwei"][block] = keyed_z(prepared("wfa"), rows, weight, log_weight)
        if "zbmi" in computed:
            out["zbmi"][block] = keyed_z(prepared("bmi"), rows, bmi)
            out["zwfl"][block] = _weight_for_lenhei(sex, weight, log_weight, day, clenhei, measure)
        for column, name in (("zhc", "headc"), ("zac", "armc"), ("zts", "triskin"),
                             ("zss", "subskin")):  # fmt: skip
            if column in computed:
                measured = positive(getattr(kids, name)[block])
                out[column][block] = keyed_z(prepared(WHO2006_COLUMNS[column]), rows, measured)
        _who2007(out, sex, months, clenhei, weight, bmi, block)


FUSED_BLOCK_ROWS = 1 << 14  # rows per block of the fused path (measured best of 2^12 … 2^15)
FUSED_MIN_ROWS = 512  # from this many rows the fused (numba) kernels run; below, numpy
Engine = Literal["auto", "numpy", "fused"]


def _computed_few(kids: Children) -> list[str]:
    """The z columns of ``_NEEDS`` that some row has every measurement for: the others are NaN
    throughout (weight-for-length and BMI of rows holding either weight or length, not both)."""
    finite = {name: [math.isfinite(v) for v in getattr(kids, name).tolist()]
              for name in MEASUREMENTS}  # fmt: skip
    return [
        z for z, needs in _NEEDS.items()
        if any(map(all, zip(*(finite[name] for name in needs), strict=True)))
    ]  # fmt: skip


_UNROUNDED_ORDER = ("clenhei", "cbmi", "c9mo_flag", *_Z_ORDER)


@cache
def _layout(computed: tuple[str, ...], rounded: bool) -> tuple[tuple[str, ...], NDArray[np.intp]]:
    """``compute``'s output columns in matrix row order (``OUTPUT_ORDER`` when ``rounded``) and
    the rows that start NaN: all but the columns every block writes in full."""
    names = OUTPUT_ORDER if rounded else _UNROUNDED_ORDER
    written = {"clenhei", "cbmi", "c9mo_flag", *computed} - set(WHO2007_COLUMNS)
    written |= {flag_name(z) for z in written if z in _CODES}
    missing = np.array([k for k, name in enumerate(names) if name not in written], np.intp)
    missing.setflags(write=False)
    return tuple(names), missing


def _output_columns(n: int, computed: list[str], rounded: bool) -> dict[str, Array]:
    """``compute``'s output arrays, rows of one (columns, n) matrix (see :func:`_layout`):
    columns every block writes in full start empty (no extra pass over memory), the rest NaN."""
    names, missing = _layout(tuple(computed), rounded)
    matrix = np.empty((len(names), n))
    matrix[missing] = np.nan
    return dict(zip(names, matrix, strict=True))


def compute(
    kids: Children,
    rules: RuleSet = "who-anthro",
    *,
    rounded: bool = False,
    engine: Engine = "auto",
) -> dict[str, Array]:
    """Every WHO column of ``anthro_zscores`` plus the WHO 2007 ones.

    Returns ``clenhei``, ``cbmi``, ``c9mo_flag`` and the z arrays keyed by WHO's column names
    (``zlen`` … ``zss``, ``zhfa``, ``zwfa``, ``zbfa``): unrounded by default; with ``rounded``,
    WHO's output instead (z to 2 decimals, each followed by its implausible-value flag).
    ``engine``: ``auto`` runs the fused kernels (``growth_charts.fused``) from
    ``FUSED_MIN_ROWS`` rows and numpy below (one child: no compiled code to load); both give
    the same bits.
    """
    if rules not in RULE_SETS:
        raise UnknownRuleSetError(rules)
    n = kids.sex.size
    if engine == "fused" or (engine == "auto" and n >= FUSED_MIN_ROWS):
        from growth_charts.fused import any_finite

        present = {name for name in MEASUREMENTS if any_finite(getattr(kids, name))}
        return _compute_fused(kids, rules, rounded, present)
    if n <= 8:  # a few rows: Python's test per value is cheaper than numpy calls
        computed = _computed_few(kids)
    else:
        present = {name for name in MEASUREMENTS if np.isfinite(getattr(kids, name)).any()}
        computed = [z for z, needs in _NEEDS.items() if needs <= present]
    # WHO 2007 columns are computed for their ages whatever is present (as round_and_flag)
    rounded_columns = computed + [z for z in WHO2007_COLUMNS if z not in computed]
    out = _output_columns(n, computed, rounded)
    for start in range(0, n, BLOCK_ROWS):
        block = slice(start, start + BLOCK_ROWS)
        _compute_block(kids, block, rules, out, set(computed))
        if rounded:  # the others stay NaN, and so do their flags
            for column in rounded_columns:
                _round_and_flag_into(out, column, block)
    if rounded:
        return {name: out[name] for name in OUTPUT_ORDER}
    return out


def rounded_matrix(
    kids: Children, rules: RuleSet = "who-anthro", buffer: Array | None = None
) -> Array:
    """``compute(kids, rules, rounded=True)`` as one (25, n) matrix, rows in ``OUTPUT_ORDER``.

    ``buffer``: a flat float64 array of at least 25·n values to write into (a batch job reuses
    one for every block instead of touching fresh memory each time).
    """
    if rules not in RULE_SETS:
        raise UnknownRuleSetError(rules)
    n = kids.sex.size
    if buffer is not None and buffer.size >= len(OUTPUT_ORDER) * n and n >= FUSED_MIN_ROWS:
        from growth_charts.fused import any_finite

        present = {name for name in MEASUREMENTS if any_finite(getattr(kids, name))}
        matrix = buffer[: len(OUTPUT_ORDER) * n].reshape(len(OUTPUT_ORDER), n)
        _compute_fused(kids, rules, True, present, matrix)
        return matrix
    result = compute(kids, rules, rounded=True)
    first = result[OUTPUT_ORDER[0]]
    base = first.base
    if (
        isinstance(base, np.ndarray)
        and base.shape == (len(OUTPUT_ORDER), first.size)
        and all(np.shares_memory(base[k], result[name]) for k, name in enumerate(OUTPUT_ORDER))
    ):
        return base
    return np.stack([result[name] for name in OUTPUT_ORDER])


def _contiguous(values: np.ndarray, block: slice, dtype: type) -> np.ndarray:
    """A block of an input as a read-only C array: a view when it is one already (no copy), and
    one compiled kernel for every input, writeable or not."""
    part = np.ascontiguousarray(values[block], dtype=dtype)
    if part.flags.writeable:
        part = part.view()
        part.flags.writeable = False
    return part


class _Input:
    """An input column cut into blocks by ``_contiguous``; one that is a C array of ``dtype``
    already is made read-only once and sliced per block."""

    def __init__(self, values: np.ndarray, dtype: type) -> None:
        self.values, self.dtype = values, dtype
        self.whole = None
        if values.dtype == dtype and values.flags.c_contiguous and values.ndim == 1:
            self.whole = _contiguous(values, slice(None), dtype)

    def __getitem__(self, block: slice) -> np.ndarray:
        if self.whole is not None:
            return self.whole[block]
        return _contiguous(self.values, block, self.dtype)


def _runs(rows: np.ndarray) -> list[slice]:
    """Consecutive numbers of ``rows`` as slices (2, 3, 5 → 2:4, 5:6)."""
    runs: list[slice] = []
    for r in rows.tolist():
        if runs and runs[-1].stop == r:
            runs[-1] = slice(runs[-1].start, r + 1)
        else:
            runs.append(slice(r, r + 1))
    return runs


def _compute_fused(
    kids: Children, rules: RuleSet, rounded: bool, present: set[str], matrix: Array | None = None
) -> dict[str, Array]:
    """``compute`` through the fused kernels: one output matrix (``matrix`` if given), one row
    per column."""
    from growth_charts import fused

    n = kids.sex.size
    names = OUTPUT_ORDER if rounded else ["clenhei", "cbmi", "c9mo_flag", *_Z_ORDER]
    index = {name: k for k, name in enumerate(names)}
    if matrix is None:
        matrix = np.empty((len(names), n))
    out = {name: matrix[k] for k, name in enumerate(names)}
    c_names = ("clenhei", "cbmi", "c9mo_flag")
    c_rows = np.full(3, -1, np.int64)  # _prepare writes them in place
    z_rows = np.array([index[z] for z in _Z_ORDER], np.int64)
    flag_rows = np.array([index.get(flag_name(z), -1) for z in _Z_ORDER], np.int64)
    wanted = [_NEEDS[z] <= present for z in _Z_ORDER]
    # 0: NaN (a measurement absent); 1: as computed; 2: rounded and flagged. WHO 2007 columns
    # are computed for their ages whatever is present, as on the numpy path.
    modes = np.array([(2 if rounded else 1) if ok or z in WHO2007_COLUMNS else 0
                      for z, ok in zip(_Z_ORDER, wanted, strict=True)], np.int64)  # fmt: skip
    # a block without WHO 2007 ages: those columns NaN, as computed z and flags would be
    modes_before_2007 = np.where([z in WHO2007_COLUMNS for z in _Z_ORDER], 0, modes)
    first_2007 = len(_Z_ORDER) - len(WHO2007_COLUMNS)
    low = np.array([INDICATORS[_CODES[z]].flag_low for z in _Z_ORDER], np.float64)
    high = np.array([INDICATORS[_CODES[z]].flag_high for z in _Z_ORDER], np.float64)
    logged = np.zeros(8, np.bool_)
    for j, column in enumerate(fused.KEYED_Z):
        logged[j] = wanted[column] and not fused.L_IS_ONE[j]
    logged[fused.WFL_ROW] = wanted[fused.WFL_Z]
    logged_runs = _runs(np.flatnonzero(logged))  # numpy's log and exp: one call per run of rows
    tables = fused.tables()
    size = min(n, FUSED_BLOCK_ROWS)
    rows = np.empty(size, np.uintp)
    y, logs, z = np.empty((8, size)), np.empty((8, size)), np.empty((len(_Z_ORDER), size))
    lsm, day, gathered = np.empty((2, size)), np.empty(size), np.empty((4, size))
    tails = np.empty(size, np.int64)
    bases, exponents, powered = np.empty((2, size)), np.empty(size), np.empty((2, size))
    halves = np.empty((len(_Z_ORDER), size), np.int64)
    counts = np.zeros(len(_Z_ORDER), np.int64)
    on_half: list[list[np.ndarray]] = [[] for _ in _Z_ORDER]
    inputs = [_Input(kids.sex, np.int8), _Input(kids.age_days, np.float64),
              _Input(kids.measure, np.int8), _Input(kids.oedema, np.bool_),
              *(_Input(getattr(kids, name), np.float64) for name in MEASUREMENTS)]  # fmt: skip
    c_indexes = [index[name] for name in c_names]
    anthro_rules, want_wfl = rules == "who-anthro", bool(logged[fused.WFL_ROW])
    with np.errstate(invalid="ignore", divide="ignore"):
        for start in range(0, n, FUSED_BLOCK_ROWS):
            block = slice(start, start + FUSED_BLOCK_ROWS)
            columns = [column[block] for column in inputs]
            sex, age = columns[0], columns[1]
            m = sex.size
            c_values = tuple(matrix[k, start : start + m] for k in c_indexes)
            in_2007 = fused._prepare(
                m, *columns, anthro_rules, tables.keyed, tables.wfl, tables.wfh,
                tables.wfl_geometry, tables.wfh_geometry, want_wfl, c_values, z, rows, y, lsm,
                day, gathered,
            )  # fmt: skip
            for run in logged_runs:
                np.log(y[run, :m], out=logs[run, :m])
            fused._powers(m, rows, logs, tables.keyed, lsm, logged)
            for run in logged_runs:
                np.exp(logs[run, :m], out=logs[run, :m])
            count = fused._finish(m, rows, logs, y, tables.keyed, lsm, day, z, logged, tails)
            if count:  # beyond ±3: WHO's tails, numpy's power of the interpolated L
                wfl_z = z[fused.WFL_Z]
                fused._tail_bases(count, tails, lsm, wfl_z, bases, exponents)
                for k in range(2):
                    np.power(bases[k, :count], exponents[:count], out=powered[k, :count])
                fused._tail_z(count, tails, powered, y[fused.WFL_ROW], y[fused.WEIGHT_ROW], wfl_z)
            if in_2007:
                z[first_2007:, :m] = np.nan
                scratch = {name: z[k, :m] for k, name in enumerate(_Z_ORDER)}
                months = age / DAYS_PER_MONTH
                _who2007(scratch, sex, months, c_values[0], y[1, :m], y[2, :m], slice(0, m))
            block_modes = modes if in_2007 else modes_before_2007
            listed = fused._emit(m, z, z, matrix, start, c_rows, z_rows, flag_rows, block_modes,
                                 low, high, halves, counts)  # fmt: skip
            if listed:
                for c in np.flatnonzero(counts):
                    on_half[c].append(halves[c, : counts[c]].copy())
    for c, where in enumerate(on_half):
        if where:
            _exact_round(matrix, z_rows[c], flag_rows[c], _Z_ORDER[c], np.concatenate(where))
    return out


def _exact_round(matrix: Array, z_row: int, flag_row: int, column: str, where: np.ndarray) -> None:
    """Rounding and flag of z lying on a half (``round_z``'s extended-precision case)."""
    spec = INDICATORS[_CODES[column]]
    rounded = round_z(matrix[z_row, where])
    matrix[z_row, where] = rounded
    with np.errstate(invalid="ignore"):
        flagged = (rounded < spec.flag_low) | (rounded > spec.flag_high)
    matrix[flag_row, where] = np.where(np.isnan(rounded), np.nan, flagged)


def flag_name(z_column: str) -> str:
    """The flag column of a z column: zlen → flen, zhfa → fhfa."""
    return "f" + z_column[1:]


def _round_and_flag_into(out: dict[str, Array], column: str, block: slice) -> None:
    spec = INDICATORS[_CODES[column]]
    rounded = round_z(out[column][block])
    out[column][block] = rounded
    with np.errstate(invalid="ignore"):
        flagged = (rounded < spec.flag_low) | (rounded > spec.flag_high)
    out[flag_name(column)][block] = np.where(np.isnan(rounded), np.nan, flagged)


def round_and_flag(result: dict[str, Array]) -> dict[str, Array]:
    """WHO's output from ``compute``'s unrounded result: rounded z, each with its flag."""
    out = {name: np.array(values, dtype=np.float64) for name, values in result.items()}
    n = out["clenhei"].size
    out |= {flag_name(z): np.full(n, np.nan) for z in _Z_ORDER}
    for column in _Z_ORDER:
        _round_and_flag_into(out, column, slice(0, n))
    return {name: out[name] for name in OUTPUT_ORDER}
