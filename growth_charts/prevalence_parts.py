"""WHO's prevalence table for a survey held in partitions: per-partition sufficient statistics,
combined exactly. The result is ``growth_charts.prevalence.prevalence`` of all partitions put
together (rows in partition order), to rounding (1e-12 relative), with memory bounded by one
partition plus the merged statistics.

Two passes over the partitions (pandas frames with the columns ``prevalence`` reads, z-scores
included for the second pass):

1. ``design_facts(frame, options)`` → ``DesignFacts``: what the whole survey must say before a
   sum is taken: rows left out and why, the distinct strata and PSUs of the kept rows (and
   whether a non-zero weight falls in each), the values of each optional grouping in order of
   first appearance. ``plan(facts, options)`` folds them, in partition order, into a ``Plan``:
   stratum and PSU codes numbered as ``SurveyDesign.build`` numbers them (sorted), the design's
   degrees of freedom, each grouping's levels as ``prevalence`` orders them. It issues the same
   ``PrevalenceWarning``s as ``prevalence``, with the counts of the whole survey.
2. ``partition_sums(frame, plan)`` → ``PartSums``; ``merge(a, b)`` adds two of them;
   ``table(plan, sums)`` writes the table.

The algebra. A domain mean is r = Σw·y/Σw; its linearised variance is
Σ_h n_h/(n_h − 1)·Σ_i (U_hi − Ū_h)² with U_hi = Σ_{rows of PSU i} w·(y − r)/Σw (a lonely stratum:
Σ_i U_hi², see ``growth_charts.survey``), which needs, per (domain, stratum h), Σ_i U_hi and
Σ_i U_hi²; pop, unwpop and the SD need per-domain totals only.

- Clustered design (a cluster column with two values or more): a PSU may span partitions, so a
  partition keeps the (domain, PSU) cell totals of each variable (rows, rows with a weight ≠ 0,
  Σw, Σw·y, Σw·y²). Totals add, so the merged cells are exactly the cells the single-process
  path builds and ``survey.domain_means`` reads them unchanged. Memory: cells ≤ domains × PSUs.
- Every row its own PSU (no cluster column, or a single cluster, as WHO anthro treats it): a cell
  is one row, so a partition keeps per (domain, stratum) the totals and the second moments
  centred on a reference c (the partition's domain mean): Q = Σ(w·y − c·w)², R = Σ(w·y − c·w)·w,
  C = Σw² (sums over rows). About another centre m, since w·y − m·w = (w·y − c·w) − (m − c)·w:
  Q_m = Q − 2(m − c)·R + (m − c)²·C and R_m = R − (m − c)·C. Two sets of moments merge exactly
  by moving both to one centre and adding; at the end, with the final r,
  Σ_i U_hi = (Σw·y − r·Σw)/Σw and Σ_i U_hi² = Q_r/(Σw)². Centring keeps m − c small, so no large
  raw sums cancel. Memory: domains × strata per variable.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from growth_charts.codes import oedema_codes, sex_codes
from growth_charts.frame import InvalidValueError, MissingColumnError, numeric_column
from growth_charts.prevalence import (
    AGE_GROUPS,
    CUTOFFS,
    INDICATORS,
    LAST_DAY,
    NO_Z_FROM_MONTHS,
    OPTIONAL_GROUPINGS,
    SEXES,
    WEALTH_QUINTILES,
    Grouping,
    NoRowsLeftError,
    PrevalenceWarning,
    _age,
    _categorical,
    _coded,
    _design_column,
    _groupings,
    _rows,
    _Variables,
    _wealth,
    prevalence_columns,
)
from growth_charts.survey import CellSums, DomainMeans, RowCells, SurveyDesign, domain_means

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]
FIXED = ("All", "Age group", "Sex", "Age + sex")
SLICE_ROWS = 1 << 16  # rows-as-PSUs: per-row cells are built for this many rows at a time


@dataclass(frozen=True)
class Options:
    """The column names ``prevalence`` takes (``None`` = not given)."""

    weights: str | None = None
    cluster: str | None = None
    strata: str | None = None
    typeres: str | None = None
    gregion: str | None = None
    wealthq: str | None = None
    mothered: str | None = None
    othergr: str | None = None

    @property
    def optional(self) -> dict[str, str | None]:
        return {keyword: getattr(self, keyword) for keyword, _ in OPTIONAL_GROUPINGS}

    @property
    def with_design(self) -> bool:
        return self.cluster is not None or self.strata is not None

    def columns(self) -> list[str]:
        """Every column named by an option."""
        return [getattr(self, f.name) for f in fields(self) if getattr(self, f.name)]


@dataclass
class _Rows:
    """One partition prepared as ``prevalence`` prepares the whole survey."""

    frame: pd.DataFrame
    months: Array
    sex: NDArray[np.int8]
    oedema: NDArray[np.bool_]
    kept: IntArray
    weights: Array  # kept rows; NaN weights already 0
    old: int
    missing: dict[str, int]
    weightless: int

    @property
    def data(self) -> pd.DataFrame:
        return self.frame.iloc[self.kept].reset_index(drop=True)


def _prepare(frame: pd.DataFrame, options: Options) -> _Rows:
    """The checks and exclusions of ``prevalence``, on one partition (same errors, same rows)."""
    days, months = _age(frame)
    if "sex" not in frame:
        raise MissingColumnError("sex")
    sex = _coded(frame, "sex", sex_codes, "1, 2, m or f")
    oedema = np.zeros(len(frame), bool)
    if "oedema" in frame:
        oedema = _coded(frame, "oedema", oedema_codes, "y, n, 1 or 2") == 1
    w = np.ones(len(frame))
    if options.weights is not None:
        if options.weights not in frame:
            raise MissingColumnError(options.weights)
        w = numeric_column(frame, options.weights)
        bad = (w < 0) | np.isinf(w)
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            value = frame[options.weights].iloc[row]
            raise InvalidValueError(options.weights, row, value, "a weight ≥ 0")
    keep = np.isnan(days) | (days <= LAST_DAY)
    old = int((~keep).sum())
    missing: dict[str, int] = {}
    for name in (options.cluster, options.strata):
        column = _design_column(frame, name)
        if column is not None:
            absent = column.isna().to_numpy()
            missing[name] = missing.get(name, 0) + int((absent & keep).sum())
            keep &= ~absent
    kept = np.flatnonzero(keep)
    w = w[kept]
    weightless = int(np.isnan(w).sum())
    w = np.where(np.isnan(w), 0.0, w)
    return _Rows(frame, months, sex, oedema, kept, w, old, missing, weightless)


def _design_values(data: pd.DataFrame, column: str | None) -> pd.Series:
    """A design column of the kept rows as ``SurveyDesign.build`` sees it (constant if absent)."""
    if column is None:
        return pd.Series(np.zeros(len(data), np.int64))
    return pd.Series(np.asarray(data[column].to_numpy()))


def _first_values(values: pd.Series) -> pd.Series:
    """The first row of each distinct non-missing value, in order of appearance (dtype kept)."""
    codes, _ = pd.factorize(values, use_na_sentinel=True)
    _, first = np.unique(codes[codes >= 0], return_index=True)
    rows = np.flatnonzero(codes >= 0)[np.sort(first)]
    return values.iloc[rows].reset_index(drop=True)


@dataclass
class DesignFacts:
    """Pass 1 of one partition (or of several, folded): see the module doc."""

    rows: int = 0
    kept: int = 0
    old: int = 0
    missing: dict[str, int] = field(default_factory=dict)
    weightless: int = 0
    wealth_invalid: int = 0
    psus: pd.DataFrame | None = None  # stratum, cluster, nonzero: distinct PSUs (with cluster)
    strata: pd.DataFrame | None = None  # stratum, rows, nonzero: kept rows per stratum
    present: set[str] = field(default_factory=set)  # groupings with a row in a domain
    values: dict[str, list[pd.Series]] = field(default_factory=dict)  # optional groupings


def design_facts(frame: pd.DataFrame, options: Options) -> DesignFacts:
    """Pass 1 for one partition: the exclusions, the design's units and the groupings' values."""
    rows = _prepare(frame, options)
    data = rows.data
    nonzero = rows.weights != 0
    stratum = _design_values(data, options.strata)
    strata = (
        pd.DataFrame({"stratum": stratum, "rows": 1, "nonzero": nonzero.astype(np.int64)})
        .groupby("stratum", sort=False)
        .sum()
        .reset_index()
    )
    psus = None
    if options.cluster is not None:
        psus = (
            pd.DataFrame(
                {
                    "stratum": stratum,
                    "cluster": _design_values(data, options.cluster),
                    "nonzero": nonzero,
                }
            )
            .groupby(["stratum", "cluster"], sort=False)
            .any()
            .reset_index()
        )
    fixed = _groupings(data, rows.months[rows.kept], rows.sex[rows.kept], {}, sort=False)
    present = {g.label for g in fixed}
    values: dict[str, list[pd.Series]] = {}
    wealth_invalid = 0
    for keyword, label in OPTIONAL_GROUPINGS:
        column = options.optional[keyword]
        if column is None:
            continue
        if column not in data:
            raise MissingColumnError(column)
        if keyword == "wealthq":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", PrevalenceWarning)
                quintile = _wealth(data[column])
            wealth_invalid = int(((quintile < 0) & data[column].notna().to_numpy()).sum())
            if (quintile >= 0).any():
                present.add(label)
        else:
            values[keyword] = [_first_values(data[column])]
            if len(values[keyword][0]):
                present.add(label)
    return DesignFacts(
        rows=len(frame),
        kept=len(rows.kept),
        old=rows.old,
        missing=rows.missing,
        weightless=rows.weightless,
        wealth_invalid=wealth_invalid,
        psus=psus,
        strata=strata,
        present=present,
        values=values,
    )


def _stacked(a: pd.DataFrame | None, b: pd.DataFrame | None, keys: list[str], how: str):
    if a is None or b is None:
        return a if b is None else b
    grouped = pd.concat([a, b], ignore_index=True).groupby(keys, sort=False)
    return getattr(grouped, how)().reset_index()


def fold_facts(a: DesignFacts, b: DesignFacts) -> DesignFacts:
    """Facts of partitions ``a`` then ``b`` (order matters for first appearances)."""
    return DesignFacts(
        rows=a.rows + b.rows,
        kept=a.kept + b.kept,
        old=a.old + b.old,
        missing={k: a.missing.get(k, 0) + b.missing.get(k, 0) for k in a.missing | b.missing},
        weightless=a.weightless + b.weightless,
        wealth_invalid=a.wealth_invalid + b.wealth_invalid,
        psus=_stacked(a.psus, b.psus, ["stratum", "cluster"], "any"),
        strata=_stacked(a.strata, b.strata, ["stratum"], "sum"),
        present=a.present | b.present,
        values={
            k: [_first_values(pd.concat([*a.values.get(k, []), *b.values.get(k, [])]))]
            for k in a.values | b.values
        },
    )


@dataclass(frozen=True)
class Level:
    """An optional grouping's levels and the code of each distinct value."""

    values: pd.Index  # the distinct values
    codes: IntArray  # code of each of ``values``
    levels: tuple[str, ...]

    def code(self, column: pd.Series) -> IntArray:
        position = self.values.get_indexer(column)
        return np.where(position >= 0, self.codes[np.maximum(position, 0)], -1).astype(np.int64)


@dataclass(frozen=True)
class Plan:
    """The whole survey's design and groupings, for pass 2 and the table.

    ``rows_are_psus``: every row is its own PSU. ``strata`` the sorted distinct stratum values,
    ``stratum_psus`` PSUs (rows, when rows are PSUs) per stratum; for a clustered design
    ``clusters`` the sorted cluster values and ``psu_keys`` the sorted stratum·clusters + cluster
    codes of the PSUs, ``psu_stratum`` the stratum of each.
    """

    options: Options
    rows_are_psus: bool
    strata: pd.Index
    stratum_psus: IntArray
    psu_stratum: IntArray
    clusters: pd.Index | None
    psu_keys: IntArray | None
    df: int
    groupings: tuple[str, ...]  # labels, in the table's order
    levels: dict[str, Level]  # by option keyword

    @property
    def design(self) -> SurveyDesign:
        """The design as ``domain_means`` reads it (no per-row arrays)."""
        return SurveyDesign(
            np.zeros(0), np.zeros(0, np.int64), self.psu_stratum, self.stratum_psus, self.df
        )


def _sorted_codes(values: pd.Series) -> tuple[IntArray, pd.Index]:
    """``pd.factorize(sort=True)`` as ``survey._codes`` numbers a design column."""
    codes, uniques = pd.factorize(pd.Series(np.asarray(values)), sort=True)
    return codes.astype(np.int64), pd.Index(uniques)


def _warn(message: str) -> None:
    warnings.warn(message, PrevalenceWarning, stacklevel=3)


def plan(facts: DesignFacts, options: Options) -> Plan:
    """The ``Plan`` from the folded facts; warns as ``prevalence`` does, in its order.

    Raises ``NoRowsLeftError`` when no partition kept a row.
    """
    if facts.old:
        _warn(f"{_rows(facts.old)} aged over {LAST_DAY} days are left out")
    for name, count in facts.missing.items():
        if count:
            _warn(f"{_rows(count)} without a value in '{name}' are left out")
    if not facts.kept:
        raise NoRowsLeftError()
    if facts.weightless:
        _warn(f"{_rows(facts.weightless)} without a sampling weight get weight 0")
    strata_table = facts.strata
    stratum_code, strata = _sorted_codes(strata_table["stratum"])
    n_strata = len(strata)
    psus = facts.psus
    clusters = None
    psu_keys = None
    rows_are_psus = psus is None or psus["cluster"].nunique(dropna=False) <= 1
    if rows_are_psus:
        stratum_psus = np.bincount(stratum_code, strata_table["rows"], n_strata).astype(np.int64)
        psu_stratum = np.repeat(np.arange(n_strata), stratum_psus)
        nonzero = np.bincount(stratum_code, strata_table["nonzero"], n_strata)
        df = int(nonzero.sum()) - int((nonzero > 0).sum())
    else:
        cluster_code, clusters = _sorted_codes(psus["cluster"])
        of_psu = strata.get_indexer(pd.Series(np.asarray(psus["stratum"])))
        keys = of_psu * len(clusters) + cluster_code
        order = np.argsort(keys, kind="stable")
        psu_keys = keys[order]
        psu_stratum = psu_keys // len(clusters)
        stratum_psus = np.bincount(psu_stratum, minlength=n_strata).astype(np.int64)
        with_weight = psus["nonzero"].to_numpy(bool)[order]
        df = int(with_weight.sum()) - len(np.unique(psu_stratum[with_weight]))
    if facts.wealth_invalid:
        _warn(
            f"wealth quintile: {_rows(facts.wealth_invalid)} not in 1-5 or Q1-Q5 "
            "are treated as missing"
        )
    levels: dict[str, Level] = {}
    for keyword, values in facts.values.items():
        seen = pd.concat(values, ignore_index=True)
        codes, names = _categorical(seen, sort=options.with_design)
        levels[keyword] = Level(pd.Index(seen), codes, names)
    labels = [label for label in FIXED if label in facts.present]
    labels += [
        label
        for keyword, label in OPTIONAL_GROUPINGS
        if options.optional[keyword] is not None and label in facts.present
    ]
    return Plan(
        options,
        rows_are_psus,
        strata,
        stratum_psus,
        psu_stratum.astype(np.int64),
        clusters,
        psu_keys,
        df,
        tuple(labels),
        levels,
    )


@dataclass(frozen=True)
class Moments:
    """Sums of one variable per (domain, stratum), arrays (G, H), when rows are PSUs.

    ``count``, ``nonzero``, ``w``, ``wy``, ``wyy`` as ``CellSums``; ``centre`` (G,) the reference
    mean c of ``q`` = Σ(wy − c·w)², ``r`` = Σ(wy − c·w)·w and ``c`` = Σw² over the rows.
    """

    count: Array
    nonzero: Array
    w: Array
    wy: Array
    wyy: Array
    centre: Array
    q: Array
    r: Array
    c: Array

    @classmethod
    def of_rows(cls, cells: CellSums, row_stratum: IntArray, shape: tuple[int, int]) -> Moments:
        """From cells that are single rows (``cells.psu`` is the row)."""
        n_domains, n_strata = shape
        key = cells.domain * n_strata + row_stratum[cells.psu]

        def total(values: Array) -> Array:
            return np.bincount(key, values, minlength=n_domains * n_strata).reshape(shape)

        w_domain = np.bincount(cells.domain, cells.w, minlength=n_domains)
        wy_domain = np.bincount(cells.domain, cells.wy, minlength=n_domains)
        with np.errstate(invalid="ignore", divide="ignore"):
            centre = np.where(w_domain > 0, wy_domain / w_domain, 0.0)
        d = cells.wy - centre[cells.domain] * cells.w
        return cls(
            count=total(cells.count),
            nonzero=total(cells.nonzero),
            w=total(cells.w),
            wy=total(cells.wy),
            wyy=total(cells.wyy),
            centre=centre,
            q=total(d * d),
            r=total(d * cells.w),
            c=total(cells.w * cells.w),
        )

    def moved(self, centre: Array) -> Moments:
        """The same moments about ``centre`` (G,)."""
        shift = (centre - self.centre)[:, None]
        return replace(
            self,
            centre=centre,
            q=self.q - 2.0 * shift * self.r + shift * shift * self.c,
            r=self.r - shift * self.c,
        )

    def merged(self, other: Moments) -> Moments:
        """Moments of the rows of both (same domains and strata)."""
        w = self.w.sum(axis=1) + other.w.sum(axis=1)
        wy = self.wy.sum(axis=1) + other.wy.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            centre = np.where(w > 0, wy / w, 0.0)
        a, b = self.moved(centre), other.moved(centre)
        return Moments(
            a.count + b.count, a.nonzero + b.nonzero, a.w + b.w, a.wy + b.wy, a.wyy + b.wyy,
            centre, a.q + b.q, a.r + b.r, a.c + b.c,
        )  # fmt: skip

    def regroup(self, domain_of: IntArray, n_domains: int) -> Moments:
        """Moments of coarser domains: ``domain_of[d]`` the new code (−1 drops it)."""
        keep = domain_of >= 0
        target = domain_of[keep]

        def total(values: Array) -> Array:
            out = np.zeros((n_domains, values.shape[1]))
            np.add.at(out, target, values[keep])
            return out

        w = total(self.w).sum(axis=1)
        wy = total(self.wy).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            centre = np.where(w > 0, wy / w, 0.0)
        moved = self.moved(np.where(keep, centre[np.maximum(domain_of, 0)], self.centre))
        return Moments(
            total(self.count), total(self.nonzero), total(self.w), total(self.wy),
            total(self.wyy), centre, total(moved.q), total(moved.r), total(self.c),
        )  # fmt: skip


def moments_means(moments: Moments, stratum_psus: IntArray, df: int) -> DomainMeans:
    """``survey.domain_means`` from moments (rows are PSUs): the same formulas, see the doc."""
    pop = moments.w.sum(axis=1)
    unwpop = moments.count.sum(axis=1)
    nonzero = moments.nonzero.sum(axis=1)
    wy = moments.wy.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = wy / pop
        at_mean = moments.moved(np.where(pop > 0, mean, 0.0))
        u_sum = (moments.wy - mean[:, None] * moments.w) / pop[:, None]
        u_sq = at_mean.q / (pop * pop)[:, None]
        n_h = stratum_psus.astype(np.float64)
        lonely = n_h == 1
        centred = u_sq - np.where(lonely, 0.0, u_sum * u_sum / n_h)
        scale = np.where(lonely, 1.0, n_h / np.maximum(n_h - 1.0, 1.0))
        variance = (centred * scale).sum(axis=1)
        se = np.sqrt(np.maximum(variance, 0.0))
        squares = moments.wyy.sum(axis=1) - 2 * mean * wy + mean**2 * pop
        var_y = nonzero / (nonzero - 1.0) * np.maximum(squares, 0.0) / pop
    empty = ~(pop > 0)
    mean[empty] = np.nan
    se[empty] = np.nan
    stdev = np.where(nonzero > 1, np.sqrt(var_y), np.nan)
    return DomainMeans(pop, unwpop, mean, se, stdev, df)


Sums = dict[str, CellSums] | dict[str, Moments]


@dataclass
class PartSums:
    """Pass 2 of one partition (or merged partitions): per grouping label, per variable."""

    groups: dict[str, Sums] = field(default_factory=dict)


def _merge_cells(a: CellSums, b: CellSums) -> CellSums:
    both = CellSums(*(np.concatenate([getattr(a, f.name), getattr(b, f.name)]) for f in fields(a)))
    domains = int(both.domain.max(initial=-1)) + 1
    return both.regroup(np.arange(domains, dtype=np.int64))


def merge(a: PartSums | None, b: PartSums | None) -> PartSums | None:
    """The sums of the rows of ``a`` and ``b``."""
    if a is None or b is None:
        return a if b is None else b
    out: dict[str, Sums] = {}
    for label in a.groups.keys() | b.groups.keys():
        x, y = a.groups.get(label), b.groups.get(label)
        if x is None or y is None:
            out[label] = x if y is None else y
            continue
        out[label] = {
            name: (
                x[name].merged(y[name])
                if isinstance(x[name], Moments)
                else _merge_cells(x[name], y[name])
            )
            for name in x
        }  # type: ignore[assignment]
    return PartSums(out)


def _fine_codes(data: pd.DataFrame, months: Array, sex: NDArray[np.int8]) -> IntArray:
    """(age group + 1) × (sex + 1) cells, as ``prevalence._tables`` builds them."""
    by_label = {g.label: g for g in _groupings(data, months, sex, {}, sort=False)}
    none = np.full(len(data), -1, np.int64)
    age = by_label["Age group"].codes if "Age group" in by_label else none
    sex_code = by_label["Sex"].codes if "Sex" in by_label else none
    return (age + 1) * (len(SEXES) + 1) + (sex_code + 1)


def _domain_count(label: str, plan: Plan) -> int:
    if label == "fine":
        return (len(AGE_GROUPS) + 1) * (len(SEXES) + 1)
    keyword = next(k for k, name in OPTIONAL_GROUPINGS if name == label)
    if keyword == "wealthq":
        return len(WEALTH_QUINTILES)
    return len(plan.levels[keyword].levels)


def partition_sums(frame: pd.DataFrame, plan: Plan) -> PartSums | None:
    """Pass 2 for one partition (z-score columns present); ``None`` if it keeps no row."""
    options = plan.options
    rows = _prepare(frame, options)
    variables = _Variables(frame, rows.oedema, rows.months >= NO_Z_FROM_MONTHS)
    if not len(rows.kept):
        return None
    data = rows.data
    variables = variables.subset(rows.kept)
    domains = {"fine": _fine_codes(data, rows.months[rows.kept], rows.sex[rows.kept])}
    for keyword, label in OPTIONAL_GROUPINGS:
        column = options.optional[keyword]
        if column is None or label not in plan.groupings:
            continue
        if keyword == "wealthq":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", PrevalenceWarning)
                domains[label] = _wealth(data[column])
        else:
            domains[label] = plan.levels[keyword].code(data[column])
    stratum = plan.strata.get_indexer(_design_values(data, options.strata)).astype(np.int64)
    if plan.rows_are_psus:
        return PartSums(
            {
                label: _row_moments(plan, variables, rows.weights, stratum, codes, label)
                for label, codes in domains.items()
            }
        )
    cluster = plan.clusters.get_indexer(_design_values(data, options.cluster))
    psu = np.searchsorted(plan.psu_keys, stratum * len(plan.clusters) + cluster)
    design = SurveyDesign(rows.weights, psu.astype(np.int64), plan.psu_stratum,
                          plan.stratum_psus, plan.df)  # fmt: skip
    return PartSums(
        {label: variables.cell_sums(RowCells(design, codes)) for label, codes in domains.items()}
    )


def _row_moments(
    plan: Plan,
    variables: _Variables,
    weights: Array,
    stratum: IntArray,
    codes: IntArray,
    label: str,
) -> dict[str, Moments]:
    """Moments of every variable for one grouping, SLICE_ROWS rows at a time."""
    shape = (_domain_count(label, plan), len(plan.strata))
    total: dict[str, Moments] | None = None
    for start in range(0, len(weights), SLICE_ROWS):
        part = np.arange(start, min(start + SLICE_ROWS, len(weights)))
        n = len(part)
        design = SurveyDesign(weights[part], np.arange(n, dtype=np.int64),
                              stratum[part], np.ones(n, np.int64), plan.df)  # fmt: skip
        cells = variables.subset(part).cell_sums(RowCells(design, codes[part]))
        moments = {name: Moments.of_rows(c, stratum[part], shape) for name, c in cells.items()}
        total = moments if total is None else {k: total[k].merged(moments[k]) for k in moments}
    return total or {}


def _columns(means: Callable[[str], DomainMeans]) -> dict[str, Array]:
    """The output columns (except ``Group``) of one grouping, as ``prevalence._estimates``."""
    out: dict[str, Array] = {}

    def rate(prefix: str, with_pop: bool) -> None:
        est = means(prefix)
        if with_pop:
            out[f"{prefix}_pop"] = est.pop
            out[f"{prefix}_unwpop"] = est.unwpop
        low, high = est.proportion_limits()
        out[f"{prefix}_r"] = est.mean * 100
        out[f"{prefix}_se"] = est.se * 100
        out[f"{prefix}_ll"] = low * 100
        out[f"{prefix}_ul"] = high * 100

    for label, *_ in INDICATORS:
        first = means(f"{label}{CUTOFFS[0][1]}")
        out[f"{label}Z_pop"] = first.pop
        out[f"{label}Z_unwpop"] = first.unwpop
        for _, suffix in CUTOFFS:
            rate(f"{label}{suffix}", with_pop=False)
        est = means(label)
        low, high = est.mean_limits()
        out[f"{label}_r"] = est.mean
        out[f"{label}_se"] = est.se
        out[f"{label}_ll"] = low
        out[f"{label}_ul"] = high
        out[f"{label}_stdev"] = est.stdev
    rate("HA_2_WH_2", with_pop=True)
    rate("HA_2_WH2", with_pop=False)
    return out


def _derived_domains(label: str) -> IntArray:
    """Fine (age + 1, sex + 1) cell → domain of a fixed grouping, as ``prevalence._tables``."""
    n_age, n_sex = len(AGE_GROUPS) + 1, len(SEXES) + 1
    cell_age = np.repeat(np.arange(n_age) - 1, n_sex)
    cell_sex = np.tile(np.arange(n_sex) - 1, n_age)
    if label == "All":
        return np.zeros(n_age * n_sex, np.int64)
    if label == "Age group":
        return cell_age
    if label == "Sex":
        return cell_sex
    both = (cell_age >= 0) & (cell_sex >= 0)
    return np.where(both, cell_age + len(AGE_GROUPS) * cell_sex, -1)


def _grouping(plan: Plan, label: str) -> Grouping:
    """The grouping's levels (codes unused here)."""
    none = np.zeros(0, np.int64)
    if label == "All":
        return Grouping("All", none, ("All",))
    if label == "Age group":
        return Grouping(label, none, AGE_GROUPS)
    if label == "Sex":
        return Grouping(label, none, SEXES)
    if label == "Age + sex":
        return Grouping(label, none, tuple(f"{a}.{s}" for s in SEXES for a in AGE_GROUPS))
    keyword = next(k for k, name in OPTIONAL_GROUPINGS if name == label)
    if keyword == "wealthq":
        return Grouping(label, none, WEALTH_QUINTILES)
    return Grouping(label, none, plan.levels[keyword].levels)


def table(plan: Plan, sums: PartSums | None) -> pd.DataFrame:
    """WHO's prevalence table from the merged sums of every partition."""
    blocks: list[pd.DataFrame] = []
    groups = sums.groups if sums is not None else {}
    for label in plan.groupings:
        grouping = _grouping(plan, label)
        n_domains = len(grouping.levels)
        source = groups.get("fine" if label in FIXED else label, {})
        derived = _derived_domains(label) if label in FIXED else None
        cache: dict[str, DomainMeans] = {}

        def means(
            prefix: str, source=source, derived=derived, n_domains=n_domains, cache=cache
        ) -> DomainMeans:
            if prefix not in cache:
                part = source[prefix]
                if isinstance(part, Moments):
                    if derived is not None:
                        part = part.regroup(derived, n_domains)
                    cache[prefix] = moments_means(part, plan.stratum_psus, plan.df)
                else:
                    if derived is not None:
                        part = part.regroup(derived)
                    cache[prefix] = domain_means(plan.design, part, n_domains)
            return cache[prefix]

        block = pd.DataFrame(_columns(means))
        block.insert(0, "Group", grouping.group_names())
        blocks.append(block)
    return pd.concat(blocks, ignore_index=True)[prevalence_columns()]


def prevalence_of_parts(parts: Sequence[pd.DataFrame], options: Options) -> pd.DataFrame:
    """Both passes in this process over frames already in memory (a reference for tests and
    the in-process fold of the batch runner)."""
    facts = DesignFacts()
    for frame in parts:
        facts = fold_facts(facts, design_facts(frame, options))
    layout = plan(facts, options)
    total: PartSums | None = None
    for frame in parts:
        total = merge(total, partition_sums(frame, layout))
    return table(layout, total)
