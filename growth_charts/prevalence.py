"""WHO anthro's prevalence table (``anthro_prevalence``) from z-scores, flags and a survey design.

Input: a frame with WHO Anthro's output columns ``zlen, flen, zwei, fwei, zwfl, fwfl, zbmi, fbmi``
(z rounded to 2 decimals; a missing flag column is derived from the z), ``sex`` (1/2, m/f),
``age_days`` (exact days) or ``age_months``, and optionally ``oedema`` (y/n, 1/2).

Rules (WHO anthro 1.x):
- Rows aged over 1826 days (age rounded half up) are left out; rows without age stay in (they
  count in "All" and "Sex" but in no age group). Rows with a missing cluster or stratum are left
  out; a missing weight becomes 0. Each exclusion is reported as a ``PrevalenceWarning``.
- A flagged z-score (``f* == 1``) is treated as missing, and so is any z-score of a child aged
  60.0 months or more (days 1826.25–1826.49, or ages given in months), because WHO anthro 1.1
  computes none from 60 months while this project's engine runs to day 1856.
- Oedema: weight-for-age, weight-for-length/height and BMI z are missing for the mean and SD,
  but the child counts as z = −3.1 for the prevalence cut-offs (below −3 and −2 SD, in the
  denominators of the others).
- Cut-offs on the rounded z, strict: < −3, < −2, < −1 (``_3, _2, _1``), > +1, > +2, > +3
  (``1, 2, 3``). ``HA_2_WH_2``: stunted (zlen < −2) and wasted (weight-for-length/height < −2,
  oedema counting); ``HA_2_WH2``: stunted and overweight (> +2).
- Age groups on the unrounded age in months (days / 30.4375): 00-05, 06-11, 12-23, 24-35, 36-47,
  48-59 mo; a child of 60.0 months or more (up to day 1826) is in no age group.
- Estimates, standard errors and limits as ``growth_charts.survey`` (R's survey package), in
  percent for the cut-offs; ``*_pop`` is the weighted and ``*_unwpop`` the unweighted number of
  children with a value.

Output: one row per group (``All``, ``Age group: 00-05 mo``, …, ``Sex: Female``, ``Sex: Male``,
``Age + sex: 00-05 mo.Female``, …, then the optional groupings), WHO's column names and order.
The levels of an optional grouping come sorted when a cluster or stratum column is given (as
R's survey package orders them) and in order of first appearance otherwise (as WHO anthro's
closed-form path does); wealth quintiles always run Q1: Poorest … Q5: Richest.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from growth_charts.age import DAYS_PER_MONTH
from growth_charts.classify import is_implausible
from growth_charts.codes import UNKNOWN, oedema_codes, sex_codes
from growth_charts.frame import InvalidValueError, MissingColumnError, numeric_column
from growth_charts.rounding import round_half_up, round_z
from growth_charts.survey import CellSums, RowCells, SurveyDesign, domain_means

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]

LAST_DAY = 1826
NO_Z_FROM_MONTHS = 60.0  # WHO anthro 1.1 computes no z-score from 60.0 months (1826.25 days)
OEDEMA_Z = -3.1
AGE_GROUPS = ("00-05 mo", "06-11 mo", "12-23 mo", "24-35 mo", "36-47 mo", "48-59 mo")
AGE_BREAKS_MONTHS = np.array([0.0, 6.0, 12.0, 24.0, 36.0, 48.0, 60.0])
SEXES = ("Female", "Male")
WEALTH_QUINTILES = ("Q1: Poorest", "Q2", "Q3", "Q4", "Q5: Richest")
CUTOFFS = ((-3.0, "_3"), (-2.0, "_2"), (-1.0, "_1"), (1.0, "1"), (2.0, "2"), (3.0, "3"))
# (label, z column, indicator code for the flags, oedema counts in the prevalence)
INDICATORS = (
    ("HA", "zlen", "lhfa", False),
    ("WA", "zwei", "wfa", True),
    ("BMI", "zbmi", "bmi", True),
    ("WH", "zwfl", "wfl", True),
)
# keyword → row-group label, in WHO's order
OPTIONAL_GROUPINGS = (
    ("typeres", "Area"),
    ("gregion", "Geographical region"),
    ("wealthq", "Wealth quintile"),
    ("mothered", "Maternal education"),
    ("othergr", "Other grouping"),
)


class PrevalenceWarning(UserWarning):
    """Rows left out of, or changed for, the prevalence computation."""


class NoRowsLeftError(ValueError):
    """Every row was excluded (age over 1826 days, missing cluster or stratum)."""

    def __init__(self) -> None:
        super().__init__("no rows are left for the prevalence computation after the exclusions")


def prevalence_columns() -> list[str]:
    """WHO anthro's output columns, in order (``Group`` first)."""
    columns = ["Group"]
    for label, *_ in INDICATORS:
        columns += [f"{label}Z_pop", f"{label}Z_unwpop"]
        for _, suffix in CUTOFFS:
            columns += [f"{label}{suffix}_{s}" for s in ("r", "se", "ll", "ul")]
        columns += [f"{label}_{s}" for s in ("r", "se", "ll", "ul", "stdev")]
    columns += [f"HA_2_WH_2_{s}" for s in ("pop", "unwpop", "r", "se", "ll", "ul")]
    columns += [f"HA_2_WH2_{s}" for s in ("r", "se", "ll", "ul")]
    return columns


@dataclass(frozen=True)
class Grouping:
    """A row grouping: ``codes`` (n,) 0..len(levels)−1, −1 where the value is missing."""

    label: str
    codes: IntArray
    levels: tuple[str, ...]

    def group_names(self) -> list[str]:
        if self.label == "All":
            return ["All"]
        return [f"{self.label}: {level}" for level in self.levels]


def _warn(message: str) -> None:
    warnings.warn(message, PrevalenceWarning, stacklevel=3)


def _rows(count: int) -> str:
    return f"{count} row" if count == 1 else f"{count} rows"


def _age(frame: pd.DataFrame) -> tuple[Array, Array]:
    """(age in days rounded half up, unrounded age in months); NaN where missing."""
    if "age_days" in frame:
        days = numeric_column(frame, "age_days")
        column = "age_days"
    elif "age_months" in frame:
        days = numeric_column(frame, "age_months") * DAYS_PER_MONTH
        column = "age_months"
    else:
        raise MissingColumnError("age_days")
    negative = days < 0
    if negative.any():
        row = int(np.flatnonzero(negative)[0])
        raise InvalidValueError(column, row, frame[column].iloc[row], "an age ≥ 0")
    months = (
        numeric_column(frame, "age_months") if column == "age_months" else days / DAYS_PER_MONTH
    )
    return round_half_up(days), months


def _coded(frame: pd.DataFrame, column: str, coder, expected: str) -> NDArray[np.int8]:
    codes = coder(frame[column].to_numpy())
    if (codes == UNKNOWN).any():
        row = int(np.flatnonzero(codes == UNKNOWN)[0])
        raise InvalidValueError(column, row, frame[column].iloc[row], expected)
    return codes


def _clean_z(frame: pd.DataFrame, z_column: str, indicator: str) -> Array:
    """Rounded z with flagged values set to NaN."""
    if z_column not in frame:
        raise MissingColumnError(z_column)
    z = round_z(numeric_column(frame, z_column))
    flag_column = "f" + z_column[1:]
    if flag_column in frame:
        flagged = numeric_column(frame, flag_column) == 1
    else:
        flagged = np.asarray(is_implausible(indicator, z), dtype=bool)
    return np.where(flagged, np.nan, z)


def _label_of(value: object) -> str:
    """R's ``as.character`` for a group value (1.0 → "1")."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _categorical(values: pd.Series, *, sort: bool) -> tuple[IntArray, tuple[str, ...]]:
    """Codes and level labels of a grouping column.

    A pandas ``Categorical`` keeps its categories, in order, empty ones too (R's factor). Other
    values: sorted (numbers numerically, text by name) when ``sort``, else in order of first
    appearance — WHO anthro orders them so with the survey package (any cluster or stratum)
    and without it (its closed-form paths) respectively.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        levels = tuple(_label_of(c) for c in values.cat.categories)
        return values.cat.codes.to_numpy(dtype=np.int64), levels
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if len(uniques) == 0:
        return np.full(len(values), -1, np.int64), ()
    names = [_label_of(u) for u in uniques]
    if not sort:
        order = np.arange(len(names))
    elif pd.api.types.is_numeric_dtype(values.dtype):
        order = np.argsort(np.asarray(uniques, dtype=np.float64), kind="stable")
    else:
        order = np.array(sorted(range(len(names)), key=lambda i: (names[i].casefold(), names[i])))
    labels = [names[i] for i in order]
    # values that differ only as objects (1 and "1") share a label: merge them
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    merged = {label: i for i, label in enumerate(dict.fromkeys(labels))}
    level_of_rank = np.array([merged[label] for label in labels], dtype=np.int64)
    mapped = np.where(codes >= 0, level_of_rank[rank[np.maximum(codes, 0)]], -1)
    return mapped.astype(np.int64), tuple(merged)


def _wealth(values: pd.Series) -> IntArray:
    """Quintile codes 0..4 from 1..5 or Q1..Q5; anything else is missing (with a warning)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    mapping = {str(i): i - 1 for i in range(1, 6)} | {f"Q{i}": i - 1 for i in range(1, 6)}
    quintile = np.array([mapping.get(_label_of(u), -1) for u in uniques] + [-1], dtype=np.int64)
    result = quintile[codes]  # the sentinel −1 picks the trailing −1
    invalid = (result < 0) & (codes >= 0)
    if invalid.any():
        _warn(
            f"wealth quintile: {_rows(int(invalid.sum()))} not in 1-5 or Q1-Q5 "
            "are treated as missing"
        )
    return result


def _groupings(
    frame: pd.DataFrame,
    months: Array,
    sex: NDArray[np.int8],
    optional: dict[str, str | None],
    sort: bool,
) -> list[Grouping]:
    n = len(frame)
    age = np.searchsorted(AGE_BREAKS_MONTHS, months, side="right") - 1
    age = np.where((months >= 0) & (months < 60), age, -1).astype(np.int64)
    sex_code = np.where(sex == 1, 0, np.where(sex == 0, 1, -1)).astype(np.int64)  # Female first
    both = np.where((age >= 0) & (sex_code >= 0), age + len(AGE_GROUPS) * sex_code, -1)
    age_sex = tuple(f"{a}.{s}" for s in SEXES for a in AGE_GROUPS)
    groupings = [
        Grouping("All", np.zeros(n, np.int64), ("All",)),
        Grouping("Age group", age, AGE_GROUPS),
        Grouping("Sex", sex_code, SEXES),
        Grouping("Age + sex", both.astype(np.int64), age_sex),
    ]
    for keyword, label in OPTIONAL_GROUPINGS:
        column = optional.get(keyword)
        if column is None:
            continue
        if column not in frame:
            raise MissingColumnError(column)
        if keyword == "wealthq":
            groupings.append(Grouping(label, _wealth(frame[column]), WEALTH_QUINTILES))
        else:
            codes, levels = _categorical(frame[column], sort=sort)
            groupings.append(Grouping(label, codes, levels))
    return [g for g in groupings if (g.codes >= 0).any()]


def _design_column(frame: pd.DataFrame, column: str | None) -> pd.Series | None:
    if column is None:
        return None
    if column not in frame:
        raise MissingColumnError(column)
    return frame[column]


class _Variables:
    """The analysis variables of every indicator (NaN = not counted)."""

    def __init__(
        self, frame: pd.DataFrame, oedema: NDArray[np.bool_], too_old: NDArray[np.bool_]
    ) -> None:
        self.prevalence: dict[str, Array] = {}
        self.summary: dict[str, Array] = {}
        for label, z_column, indicator, with_oedema in INDICATORS:
            z = np.where(too_old, np.nan, _clean_z(frame, z_column, indicator))
            if with_oedema:
                z = np.where(oedema, np.nan, z)
                self.prevalence[label] = np.where(oedema, OEDEMA_Z, z)
            else:
                self.prevalence[label] = z
            self.summary[label] = z
        stunted = self.prevalence["HA"] < -2
        wh = self.prevalence["WH"]
        both = ~np.isnan(self.prevalence["HA"]) & ~np.isnan(wh)
        self.combined = {
            "HA_2_WH_2": np.where(both, stunted & (wh < -2), np.nan),
            "HA_2_WH2": np.where(both, stunted & (wh > 2), np.nan),
        }

    def subset(self, rows: IntArray) -> _Variables:
        """The same variables for the rows ``rows`` only."""
        part = object.__new__(_Variables)
        part.prevalence = {k: v[rows] for k, v in self.prevalence.items()}
        part.summary = {k: v[rows] for k, v in self.summary.items()}
        part.combined = {k: v[rows] for k, v in self.combined.items()}
        return part

    def cell_sums(self, cells: RowCells) -> dict[str, CellSums]:
        """Cell sums of every variable, keyed by output prefix (``HA_3``, ``HA``, …)."""
        sums: dict[str, CellSums] = {}
        for label, *_ in INDICATORS:
            z = self.prevalence[label]
            hits = [
                (z < cutoff if cutoff < 0 else z > cutoff).astype(np.float64)
                for cutoff, _ in CUTOFFS
            ]
            rates = cells.sums_many(~np.isnan(z), hits, binary=True)
            for (_, suffix), cell_sums in zip(CUTOFFS, rates, strict=True):
                sums[f"{label}{suffix}"] = cell_sums
            sums[label] = cells.sums(self.summary[label])
        for name, values in self.combined.items():
            sums[name] = cells.sums_many(~np.isnan(values), [values], binary=True)[0]
        return sums


def _estimates(design: SurveyDesign, sums: dict[str, CellSums], n_domains: int) -> dict[str, Array]:
    """The output columns (except ``Group``) for one grouping."""
    out: dict[str, Array] = {}

    def rate(prefix: str, with_pop: bool) -> None:
        est = domain_means(design, sums[prefix], n_domains)
        if with_pop:
            out[f"{prefix}_pop"] = est.pop
            out[f"{prefix}_unwpop"] = est.unwpop
        low, high = est.proportion_limits()
        out[f"{prefix}_r"] = est.mean * 100
        out[f"{prefix}_se"] = est.se * 100
        out[f"{prefix}_ll"] = low * 100
        out[f"{prefix}_ul"] = high * 100

    for label, *_ in INDICATORS:
        first = domain_means(design, sums[f"{label}{CUTOFFS[0][1]}"], n_domains)
        out[f"{label}Z_pop"] = first.pop
        out[f"{label}Z_unwpop"] = first.unwpop
        for _, suffix in CUTOFFS:
            rate(f"{label}{suffix}", with_pop=False)
        est = domain_means(design, sums[label], n_domains)
        low, high = est.mean_limits()
        out[f"{label}_r"] = est.mean
        out[f"{label}_se"] = est.se
        out[f"{label}_ll"] = low
        out[f"{label}_ul"] = high
        out[f"{label}_stdev"] = est.stdev
    rate("HA_2_WH_2", with_pop=True)
    rate("HA_2_WH2", with_pop=False)
    return out


def _regrouped(sums: dict[str, CellSums], domain_of: IntArray) -> dict[str, CellSums]:
    return {name: cell.regroup(domain_of) for name, cell in sums.items()}


def _tables(
    design: SurveyDesign, variables: _Variables, groupings: Sequence[Grouping]
) -> list[pd.DataFrame]:
    """One output block per grouping. All/age/sex/age×sex share one pass over the rows."""
    by_label = {g.label: g for g in groupings}
    blocks: dict[str, pd.DataFrame] = {}

    def block(grouping: Grouping, sums: dict[str, CellSums]) -> pd.DataFrame:
        n_domains = len(grouping.levels)
        table = pd.DataFrame(_estimates(design, sums, n_domains))
        table.insert(0, "Group", grouping.group_names())
        return table

    # fine cells: (age group + 1) × (sex + 1), so that −1 (missing) is a cell too
    n_age, n_sex = len(AGE_GROUPS) + 1, len(SEXES) + 1
    all_codes = np.zeros(len(design.weights), np.int64)
    age = by_label["Age group"].codes if "Age group" in by_label else all_codes - 1
    sex = by_label["Sex"].codes if "Sex" in by_label else all_codes - 1
    fine = (age + 1) * n_sex + (sex + 1)
    fine_sums = variables.cell_sums(RowCells(design, fine))
    cell_age = np.repeat(np.arange(n_age) - 1, n_sex)
    cell_sex = np.tile(np.arange(n_sex) - 1, n_age)
    derived = {
        "All": np.zeros(n_age * n_sex, np.int64),
        "Age group": cell_age,
        "Sex": cell_sex,
        "Age + sex": np.where(
            (cell_age >= 0) & (cell_sex >= 0), cell_age + len(AGE_GROUPS) * cell_sex, -1
        ),
    }
    for label, domain_of in derived.items():
        if label in by_label:
            blocks[label] = block(by_label[label], _regrouped(fine_sums, domain_of))
    for grouping in groupings:
        if grouping.label not in derived:
            sums = variables.cell_sums(RowCells(design, grouping.codes))
            blocks[grouping.label] = block(grouping, sums)
    return [blocks[g.label] for g in groupings]


def prevalence(
    frame: pd.DataFrame,
    *,
    weights: str | None = None,
    cluster: str | None = None,
    strata: str | None = None,
    typeres: str | None = None,
    gregion: str | None = None,
    wealthq: str | None = None,
    mothered: str | None = None,
    othergr: str | None = None,
) -> pd.DataFrame:
    """WHO anthro's prevalence table for ``frame`` (see the module doc for the rules).

    The keyword arguments name columns of ``frame``: sampling weights (numbers ≥ 0), cluster
    (PSU) and strata identifiers, and the optional row groupings (residence type, region,
    wealth quintile 1–5/Q1–Q5, mother's education, one free grouping).
    Raises ``MissingColumnError`` / ``InvalidValueError`` (column and 0-based row named; a
    negative or infinite weight, text in a number column, an unknown sex or oedema code) and
    ``NoRowsLeftError`` when nothing is left.
    """
    days, months = _age(frame)
    if "sex" not in frame:
        raise MissingColumnError("sex")
    sex = _coded(frame, "sex", sex_codes, "1, 2, m or f")
    oedema = np.zeros(len(frame), bool)
    if "oedema" in frame:
        oedema = _coded(frame, "oedema", oedema_codes, "y, n, 1 or 2") == 1
    w = None
    if weights is not None:
        if weights not in frame:
            raise MissingColumnError(weights)
        w = numeric_column(frame, weights)
        bad = (w < 0) | np.isinf(w)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise InvalidValueError(weights, row, frame[weights].iloc[row], "a weight ≥ 0")
    variables = _Variables(frame, oedema, months >= NO_Z_FROM_MONTHS)
    keep = np.isnan(days) | (days <= LAST_DAY)
    if (~keep).sum():
        _warn(f"{_rows(int((~keep).sum()))} aged over {LAST_DAY} days are left out")
    for name in (cluster, strata):
        column = _design_column(frame, name)
        if column is not None:
            missing = column.isna().to_numpy() & keep
            if missing.any():
                _warn(f"{_rows(int(missing.sum()))} without a value in '{name}' are left out")
            keep &= ~column.isna().to_numpy()
    if not keep.any():
        raise NoRowsLeftError()
    rows = np.flatnonzero(keep)
    data = frame.iloc[rows].reset_index(drop=True)
    if w is not None:
        w = w[rows]
        if np.isnan(w).any():
            _warn(f"{_rows(int(np.isnan(w).sum()))} without a sampling weight get weight 0")
            w = np.where(np.isnan(w), 0.0, w)
    design = SurveyDesign.build(
        len(data),
        weights=w,
        cluster=None if cluster is None else data[cluster].to_numpy(),
        strata=None if strata is None else data[strata].to_numpy(),
    )
    optional = {
        "typeres": typeres,
        "gregion": gregion,
        "wealthq": wealthq,
        "mothered": mothered,
        "othergr": othergr,
    }
    with_design = cluster is not None or strata is not None
    groupings = _groupings(data, months[rows], sex[rows], optional, sort=with_design)
    variables = variables.subset(rows)
    table = pd.concat(_tables(design, variables, groupings), ignore_index=True)
    return table[prevalence_columns()]
