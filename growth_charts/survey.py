"""Design-based estimation for survey data: weighted domain means with Taylor-linearised SEs.

The estimators follow R's ``survey`` package as WHO anthro calls it (``svydesign(ids, strata,
weights, nest = TRUE)``, ``svymean``/``svyvar``/``svytotal`` by domain, ``svyciprop(method =
"logit")``, ``options(survey.lonely.psu = "adjust")``):

- A *design* has sampling weights (default 1), primary sampling units (PSUs; default: every row
  is its own PSU, also when the cluster column holds a single value) and strata (default: one).
  Clusters are nested in strata: cluster 1 of stratum A and cluster 1 of stratum B are two PSUs.
- A *domain* (a row group such as "Sex: Female") is estimated as a subpopulation of the whole
  design: rows outside it count as zeros, and each stratum keeps its full number of PSUs.
- Mean of y in a domain: r = Σw·y / Σw over rows with y present. Its variance is the with-
  replacement between-PSU variance of the linearised values u = w·(y − r)/Σw:
  Var = Σ_h n_h/(n_h − 1) · Σ_i (U_hi − Ū_h)², U_hi the PSU totals of u in stratum h with n_h
  PSUs. A stratum with a single PSU ("lonely") adds U², i.e. it is centred at the grand mean
  of the PSU totals (R's "adjust"), which is zero for the linearised values of a mean, so
  survey's older (centre 0) and newer (centre Σ/PSUs) versions of "adjust" agree here.
- Degrees of freedom: PSUs minus strata, counted over rows with a non-zero weight.
- Confidence limits: mean ± t(df)·SE; a proportion's limits are taken on the logit scale,
  logit(p) ± t(df)·SE/(p(1 − p)), and transformed back (0 and 1 when p is 0 or 1).
- Standard deviation (``svyvar``): √(n/(n − 1) · Σw(y − r)²/Σw), n the rows with a non-zero weight.

All sums are vectorised with ``np.bincount`` over (domain, PSU) cells; nothing loops over rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import stats

Array = NDArray[np.float64]
IntArray = NDArray[np.int64]
CONFIDENCE_LEVEL = 0.95


class DesignError(ValueError):
    """An unusable design variable (negative or non-finite weight, missing cluster or stratum)."""

    def __init__(self, variable: str, row: int, reason: str) -> None:
        self.variable = variable
        self.row = row
        self.reason = reason
        super().__init__(f"{variable}, row {row}: {reason}")


def _codes(values: ArrayLike, variable: str) -> IntArray:
    """Integer codes of a categorical design column; ``DesignError`` at the first missing value."""
    series = pd.Series(np.asarray(values))
    codes, _ = pd.factorize(series, sort=True)
    if (codes < 0).any():
        row = int(np.flatnonzero(codes < 0)[0])
        raise DesignError(variable, row, "missing value (drop the row or give it a value)")
    return codes.astype(np.int64)


@dataclass(frozen=True)
class SurveyDesign:
    """A one-stage (ultimate-cluster) design; PSUs are numbered stratum by stratum.

    ``weights`` (n,) ≥ 0; ``psu`` (n,) PSU code of each row; ``psu_stratum`` (P,) the stratum of
    each PSU, non-decreasing; ``stratum_psus`` (H,) PSUs per stratum; ``df`` design degrees of
    freedom (PSUs − strata among rows with a non-zero weight).
    """

    weights: Array
    psu: IntArray
    psu_stratum: IntArray
    stratum_psus: IntArray
    df: int

    @property
    def n_rows(self) -> int:
        return int(self.weights.shape[0])

    @property
    def n_psus(self) -> int:
        return int(self.psu_stratum.shape[0])

    @classmethod
    def build(
        cls,
        n_rows: int,
        *,
        weights: ArrayLike | None = None,
        cluster: ArrayLike | None = None,
        strata: ArrayLike | None = None,
    ) -> SurveyDesign:
        """Design from optional columns. Weights must be finite and ≥ 0 (NaN: set them to 0
        first, as WHO anthro does); cluster and strata must have no missing values."""
        if weights is None:
            w = np.ones(n_rows)
        else:
            w = np.asarray(weights, dtype=np.float64).reshape(-1)
            bad = ~np.isfinite(w) | (w < 0)
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise DesignError("weights", row, f"{w[row]!r} is not a weight ≥ 0")
        stratum = np.zeros(n_rows, np.int64) if strata is None else _codes(strata, "strata")
        if cluster is None:
            unit = np.arange(n_rows, dtype=np.int64)
        else:
            unit = _codes(cluster, "cluster")
            if unit.max(initial=0) == 0:  # one cluster only: every row is a PSU (as WHO anthro)
                unit = np.arange(n_rows, dtype=np.int64)
        n_units = int(unit.max(initial=-1)) + 1
        key = stratum * n_units + unit  # nest = TRUE: a PSU is a (stratum, cluster) pair
        psu_keys, psu = np.unique(key, return_inverse=True)
        psu_stratum = psu_keys // n_units
        stratum_psus = np.bincount(psu_stratum)
        nonzero = w != 0
        df = len(np.unique(psu[nonzero])) - len(np.unique(stratum[nonzero]))
        return cls(w, psu.astype(np.int64), psu_stratum, stratum_psus, int(df))


@dataclass(frozen=True)
class CellSums:
    """Sums of one variable over (domain, PSU) cells; each entry is one non-empty cell.

    ``count`` rows with the variable present, ``nonzero`` of those with a weight ≠ 0, ``w`` Σw,
    ``wy`` Σw·y, ``wyy`` Σw·y².
    """

    domain: IntArray
    psu: IntArray
    count: Array
    nonzero: Array
    w: Array
    wy: Array
    wyy: Array

    def regroup(self, domain_of: IntArray) -> CellSums:
        """Merge cells into coarser domains: ``domain_of[d]`` is the new code (−1 drops it)."""
        new = domain_of[self.domain]
        keep = new >= 0
        n_psus = int(self.psu.max(initial=-1)) + 1
        key = new[keep] * n_psus + self.psu[keep]
        cells, inverse = np.unique(key, return_inverse=True)

        def total(values: Array) -> Array:
            return np.bincount(inverse, values[keep], minlength=len(cells))

        return CellSums(
            domain=cells // max(n_psus, 1),
            psu=cells % max(n_psus, 1),
            count=total(self.count),
            nonzero=total(self.nonzero),
            w=total(self.w),
            wy=total(self.wy),
            wyy=total(self.wyy),
        )


class RowCells:
    """The (domain, PSU) cell of every row for one row grouping; sums variables into cells.

    ``domain``: (n,) codes 0..G−1, −1 for rows outside every domain. Built once per grouping,
    then ``sums(y)`` costs a few ``bincount`` calls per variable.
    """

    def __init__(self, design: SurveyDesign, domain: ArrayLike) -> None:
        codes = np.asarray(domain, dtype=np.int64)
        self.design = design
        inside = codes >= 0
        self._rows = np.flatnonzero(inside) if not inside.all() else None
        key = codes[inside] * design.n_psus + design.psu[inside]
        span = (int(codes.max(initial=0)) + 1) * design.n_psus
        if span <= 4 * max(len(key), 1):  # dense key space: index it directly, no sort
            cells = np.flatnonzero(np.bincount(key, minlength=span))
            position = np.zeros(span, np.int64)
            position[cells] = np.arange(len(cells))
            self._cell = position[key]
        else:
            cells, self._cell = np.unique(key, return_inverse=True)
        self._cell_domain = cells // design.n_psus
        self._cell_psu = cells % design.n_psus
        self._w = design.weights if self._rows is None else design.weights[self._rows]

    def _pick(self, values: Array) -> Array:
        return values if self._rows is None else values[self._rows]

    def _total(self, values: Array) -> Array:
        return np.bincount(self._cell, values, minlength=len(self._cell_domain))

    def sums(self, y: ArrayLike) -> CellSums:
        """Cell sums of ``y`` (NaN = absent)."""
        values = self._pick(np.asarray(y, dtype=np.float64))
        ok = ~np.isnan(values)
        return self.sums_many(ok, [values], binary=False, picked=True)[0]

    def sums_many(
        self,
        present: NDArray[np.bool_],
        ys: list[Array],
        *,
        binary: bool = False,
        picked: bool = False,
    ) -> list[CellSums]:
        """Cell sums of several variables present on the same rows (``present``, (n,)).

        With ``binary`` the values are 0/1, so Σw·y² = Σw·y is not summed twice.
        """
        ok = present if picked else self._pick(present)
        w = np.where(ok, self._w, 0.0)
        count = self._total(ok.astype(np.float64))
        nonzero = self._total((ok & (self._w != 0)).astype(np.float64))
        w_total = self._total(w)
        result = []
        for y in ys:
            values = y if picked else self._pick(np.asarray(y, dtype=np.float64))
            y0 = np.where(ok, values, 0.0)
            wy = w * y0
            wy_total = self._total(wy)
            wyy_total = wy_total if binary else self._total(wy * y0)
            result.append(
                CellSums(
                    domain=self._cell_domain,
                    psu=self._cell_psu,
                    count=count,
                    nonzero=nonzero,
                    w=w_total,
                    wy=wy_total,
                    wyy=wyy_total,
                )
            )
        return result


@dataclass(frozen=True)
class DomainMeans:
    """Per-domain estimates, arrays of length G (NaN where a domain has no usable rows).

    ``pop`` Σw of rows with y present, ``unwpop`` their number, ``mean``, ``se`` (linearised),
    ``stdev`` (``svyvar``), ``df`` the design degrees of freedom used for the limits.
    """

    pop: Array
    unwpop: Array
    mean: Array
    se: Array
    stdev: Array
    df: int

    def mean_limits(self, level: float = CONFIDENCE_LEVEL) -> tuple[Array, Array]:
        """Symmetric t limits ``mean ± t(df)·se``."""
        t = t_quantile(self.df, level)
        return self.mean - t * self.se, self.mean + t * self.se

    def proportion_limits(self, level: float = CONFIDENCE_LEVEL) -> tuple[Array, Array]:
        """Logit-scale t limits for a 0/1 variable (``svyciprop(method = "logit")``)."""
        return logit_limits(self.mean, self.se, self.df, level)


def t_quantile(df: int, level: float = CONFIDENCE_LEVEL) -> float:
    """Two-sided Student t quantile; NaN when ``df`` < 1."""
    if df < 1:
        return float("nan")
    return float(stats.t.ppf(1.0 - (1.0 - level) / 2.0, df))


def logit_limits(
    p: ArrayLike, se: ArrayLike, df: int, level: float = CONFIDENCE_LEVEL
) -> tuple[Array, Array]:
    """Limits of a proportion on the logit scale: expit(logit p ± t·se/(p(1−p))).

    p = 0 gives (0, 0) and p = 1 gives (1, 1), as WHO anthro reports them.
    """
    p = np.asarray(p, dtype=np.float64)
    se = np.asarray(se, dtype=np.float64)
    t = t_quantile(df, level)
    inner = (p > 0) & (p < 1)
    safe = np.where(inner, p, 0.5)
    logit = np.log(safe / (1.0 - safe))
    half = t * se / (safe * (1.0 - safe))
    low = np.where(inner, stats.logistic.cdf(logit - half), p)
    high = np.where(inner, stats.logistic.cdf(logit + half), p)
    return low, high


def domain_means(design: SurveyDesign, cells: CellSums, n_domains: int) -> DomainMeans:
    """Weighted means of the summed variable for domains 0..n_domains−1, with linearised SEs."""
    dom = cells.domain

    def per_domain(values: Array) -> Array:
        return np.bincount(dom, values, minlength=n_domains)[:n_domains]

    pop = per_domain(cells.w)
    unwpop = per_domain(cells.count)
    nonzero = per_domain(cells.nonzero)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = per_domain(cells.wy) / pop
        # PSU totals of the linearised values u = w (y − mean) / Σw
        u = (cells.wy - mean[dom] * cells.w) / pop[dom]
        stratum = design.psu_stratum[cells.psu]
        n_strata = len(design.stratum_psus)
        key = dom * n_strata + stratum
        size = n_domains * n_strata
        u_sum = np.bincount(key, u, minlength=size).reshape(n_domains, n_strata)
        u_sq = np.bincount(key, u * u, minlength=size).reshape(n_domains, n_strata)
        n_h = design.stratum_psus.astype(np.float64)
        lonely = n_h == 1
        centred = u_sq - np.where(lonely, 0.0, u_sum * u_sum / n_h)
        scale = np.where(lonely, 1.0, n_h / np.maximum(n_h - 1.0, 1.0))
        variance = (centred * scale).sum(axis=1)
        se = np.sqrt(np.maximum(variance, 0.0))
        squares = per_domain(cells.wyy) - 2 * mean * per_domain(cells.wy) + mean**2 * pop
        var_y = nonzero / (nonzero - 1.0) * np.maximum(squares, 0.0) / pop
    empty = ~(pop > 0)
    mean[empty] = np.nan
    se[empty] = np.nan
    stdev = np.where(nonzero > 1, np.sqrt(var_y), np.nan)
    return DomainMeans(pop, unwpop, mean, se, stdev, design.df)
