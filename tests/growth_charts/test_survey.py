"""Design-based means, SEs and limits on small designed samples, derived by hand.

Each expected value is written out from the textbook formulas (ratio mean, with-replacement
between-PSU variance of the linearised values, R survey's "adjust" for a lonely PSU), not from
the module under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from growth_charts.survey import (
    DesignError,
    RowCells,
    SurveyDesign,
    domain_means,
    logit_limits,
    t_quantile,
)


def estimate(design: SurveyDesign, y, domain=None, n_domains: int = 1):
    codes = np.zeros(design.n_rows, np.int64) if domain is None else np.asarray(domain)
    return domain_means(design, RowCells(design, codes).sums(np.asarray(y, float)), n_domains)


def test_simple_random_sample_is_the_textbook_mean_and_standard_error():
    y = [1.0, 2.0, 3.0, 4.0, 6.0]
    est = estimate(SurveyDesign.build(5), y)
    # mean 3.2; squared deviations 4.84 + 1.44 + 0.04 + 0.64 + 7.84 = 14.8; s² = 14.8 / 4 = 3.7
    assert est.mean[0] == pytest.approx(3.2)
    assert est.se[0] == pytest.approx(math.sqrt(3.7 / 5))
    assert est.stdev[0] == pytest.approx(math.sqrt(3.7))
    assert est.pop[0] == 5 and est.unwpop[0] == 5 and est.df == 4
    low, high = est.mean_limits()
    t = 2.7764451051977987  # qt(0.975, 4)
    assert low[0] == pytest.approx(3.2 - t * math.sqrt(0.74))
    assert high[0] == pytest.approx(3.2 + t * math.sqrt(0.74))


def test_a_domain_of_a_simple_sample_keeps_the_whole_sample_size_in_the_variance():
    # domain A = rows 0..2 (1, 2, 3), domain B = rows 3..4 (4, 6); N = 5 rows in the design
    est = estimate(SurveyDesign.build(5), [1, 2, 3, 4, 6], [0, 0, 0, 1, 1], 2)
    # Var = N/(N−1) · Σ_d (y − ȳ_d)² / n_d²: A: 5/4 · 2 / 9, B: 5/4 · 2 / 4
    assert est.mean == pytest.approx([2.0, 5.0])
    assert est.se == pytest.approx([math.sqrt(5 / 4 * 2 / 9), math.sqrt(5 / 4 * 2 / 4)])
    assert est.df == 4  # design degrees of freedom, not the domain's


def test_missing_values_are_left_out_of_the_domain_but_stay_in_the_design():
    est = estimate(SurveyDesign.build(6), [1, 2, 3, 4, 6, np.nan])
    # 5 values, N = 6 PSUs: Var = 6/5 · 14.8 / 25
    assert est.unwpop[0] == 5
    assert est.se[0] == pytest.approx(math.sqrt(6 / 5 * 14.8 / 25))


def test_clustered_sample_uses_the_variance_between_cluster_totals():
    y = [1, 2, 3, 4, 6]
    design = SurveyDesign.build(5, cluster=["a", "a", "b", "c", "c"])
    est = estimate(design, y)
    # u = (y − 3.2)/5; cluster totals: a −0.68, b −0.04, c 0.72 (mean 0)
    # Var = 3/2 · (0.68² + 0.04² + 0.72²) = 1.5 · 0.9824
    assert est.se[0] == pytest.approx(math.sqrt(1.5 * 0.9824))
    assert design.df == 2


def test_stratified_weighted_clustered_sample():
    # stratum 1: PSU p1 rows (y=1,w=2), (y=0,w=2); PSU p2 row (y=1,w=1)
    # stratum 2: PSU p3 row (y=0,w=3); PSU p4 rows (y=1,w=1), (y=1,w=1)
    y = [1, 0, 1, 0, 1, 1]
    w = [2, 2, 1, 3, 1, 1]
    design = SurveyDesign.build(
        6, weights=w, cluster=[1, 1, 2, 1, 2, 2], strata=["s1", "s1", "s1", "s2", "s2", "s2"]
    )
    est = estimate(design, y)
    # p = (2 + 1 + 1 + 1) / 10 = 0.5; u = w (y − 0.5)/10
    # PSU totals: p1 = (1 − 1)/10 = 0, p2 = 0.5/10 = 0.05, p3 = −1.5/10, p4 = 1/10
    # stratum 1: 2/1 · ((0 − 0.025)² + (0.05 − 0.025)²) = 0.0025
    # stratum 2: 2/1 · ((−0.15 + 0.025)² + (0.1 + 0.025)²) = 0.0625
    assert est.mean[0] == pytest.approx(0.5)
    assert est.se[0] == pytest.approx(math.sqrt(0.0025 + 0.0625))
    assert design.df == 4 - 2
    assert est.pop[0] == 10 and est.unwpop[0] == 6
    # svyvar: n/(n−1) · Σw(y − p)²/Σw = 6/5 · (10 · 0.25)/10
    assert est.stdev[0] == pytest.approx(math.sqrt(6 / 5 * 0.25))


def test_clusters_are_nested_in_strata():
    # the same cluster label in two strata is two PSUs
    design = SurveyDesign.build(4, cluster=[1, 2, 1, 2], strata=[1, 1, 2, 2])
    assert design.n_psus == 4
    assert list(design.stratum_psus) == [2, 2]


def test_a_lonely_psu_adds_its_uncentred_total_like_survey_adjust():
    # stratum A: PSUs with y = 1 and y = 3; stratum B: a single PSU with y = 5
    design = SurveyDesign.build(3, cluster=[1, 2, 3], strata=["A", "A", "B"])
    est = estimate(design, [1, 3, 5])
    # mean 3; u = (y − 3)/3 = −2/3, 0, 2/3
    # A: 2/1 · ((−2/3 + 1/3)² + (0 + 1/3)²) = 4/9; B (lonely, centred at 0): (2/3)² = 4/9
    assert est.se[0] == pytest.approx(math.sqrt(8 / 9))
    assert design.df == 3 - 2


def test_a_domain_absent_from_a_psu_counts_that_psu_as_zero():
    # one stratum, PSUs a (rows 0, 1) and b (row 2); domain 0 = rows 0 and 1 only
    design = SurveyDesign.build(3, cluster=["a", "a", "b"])
    est = estimate(design, [1.0, 3.0, 10.0], [0, 0, 1], 2)
    # domain 0: mean 2, u = (y − 2)/2 = −0.5, 0.5 → PSU totals a: 0, b: 0 → Var 0
    # domain 1: mean 10, one row, u = 0 → Var 0
    assert est.mean == pytest.approx([2.0, 10.0])
    assert est.se == pytest.approx([0.0, 0.0])
    # a 0/1 variable of domain 0 with totals a: (1 − 0.5)/2 + (0 − 0.5)/2 = 0 ...
    est = estimate(design, [1.0, 1.0, 0.0], [0, 1, 1], 2)
    # domain 1 rows 1 (PSU a) and 2 (PSU b): mean 0.5, u = ±0.25 → totals a 0.25, b −0.25
    # Var = 2/1 · (0.25² + 0.25²) = 0.25
    assert est.se[1] == pytest.approx(0.5)


def test_one_cluster_value_means_every_row_is_a_psu():
    y = [1, 2, 3, 4, 6]
    one = estimate(SurveyDesign.build(5, cluster=[7] * 5), y)
    srs = estimate(SurveyDesign.build(5), y)
    assert one.se[0] == pytest.approx(srs.se[0])
    assert SurveyDesign.build(5, cluster=[7] * 5).df == 4


def test_zero_weights_stay_psus_but_not_degrees_of_freedom():
    design = SurveyDesign.build(4, weights=[1, 1, 1, 0])
    assert design.df == 2  # three rows with a weight, one stratum
    est = estimate(design, [1, 2, 3, 100])
    # mean 2, u = (y − 2)/3 = −1/3, 0, 1/3, 0: Var = 4/3 · 2/9
    assert est.mean[0] == pytest.approx(2.0)
    assert est.se[0] == pytest.approx(math.sqrt(4 / 3 * 2 / 9))
    assert est.unwpop[0] == 4 and est.pop[0] == 3
    # svyvar uses n = 3 rows with a non-zero weight
    assert est.stdev[0] == pytest.approx(1.0)


def test_logit_limits_of_a_proportion():
    p, se, df = 0.2, 0.05, 30
    t = stats.t.ppf(0.975, df)
    logit = math.log(0.2 / 0.8)
    half = t * se / (0.2 * 0.8)
    low, high = logit_limits([p], [se], df)
    assert low[0] == pytest.approx(1 / (1 + math.exp(-(logit - half))))
    assert high[0] == pytest.approx(1 / (1 + math.exp(-(logit + half))))
    assert logit_limits([0.0, 1.0], [0.0, 0.0], df) == (
        pytest.approx([0, 1]),
        pytest.approx([0, 1]),
    )


def test_empty_domain_gives_missing_estimates_and_zero_population():
    est = estimate(SurveyDesign.build(3), [1.0, 2.0, 3.0], [0, 0, 0], 2)
    assert est.pop[1] == 0 and est.unwpop[1] == 0
    assert np.isnan(est.mean[1]) and np.isnan(est.se[1]) and np.isnan(est.stdev[1])


def test_t_quantile_needs_a_degree_of_freedom():
    assert math.isnan(t_quantile(0))
    assert t_quantile(10) == pytest.approx(2.2281388519649385)


def test_negative_weight_and_missing_cluster_are_named():
    with pytest.raises(DesignError, match="weights, row 1"):
        SurveyDesign.build(2, weights=[1.0, -2.0])
    with pytest.raises(DesignError, match="cluster, row 2"):
        SurveyDesign.build(3, cluster=[1, 2, None])


def test_regrouping_cells_equals_grouping_rows_directly():
    rng = np.random.default_rng(7)
    n = 400
    design = SurveyDesign.build(
        n,
        weights=rng.uniform(0.5, 2, n),
        cluster=rng.integers(0, 8, n),
        strata=rng.integers(0, 3, n),
    )
    y = np.where(rng.random(n) < 0.1, np.nan, rng.normal(size=n))
    fine = rng.integers(0, 6, n)
    coarse_of = np.array([0, 0, 1, 1, 2, -1])
    direct = domain_means(design, RowCells(design, coarse_of[fine]).sums(y), 3)
    merged = domain_means(design, RowCells(design, fine).sums(y).regroup(coarse_of), 3)
    for field in ("pop", "unwpop", "mean", "se", "stdev"):
        assert getattr(merged, field) == pytest.approx(getattr(direct, field))


def test_matches_a_plain_python_reference_on_a_random_design():
    """Independent per-PSU loop (Cochran's with-replacement formula) on 300 rows."""
    rng = np.random.default_rng(11)
    n = 300
    strata = rng.integers(0, 4, n)
    cluster = rng.integers(0, 5, n)
    cluster[strata == 3] = 0  # stratum 3 has a single PSU
    w = rng.uniform(0.2, 3.0, n)
    y = np.where(rng.random(n) < 0.15, np.nan, rng.normal(1.0, 2.0, n))
    domain = rng.integers(0, 2, n)
    design = SurveyDesign.build(n, weights=w, cluster=cluster, strata=strata)
    got = domain_means(design, RowCells(design, domain).sums(y), 2)
    psus_of = {
        h: sorted({c for s, c in zip(strata, cluster, strict=True) if s == h}) for h in range(4)
    }
    for d in range(2):
        rows = [i for i in range(n) if domain[i] == d and not math.isnan(y[i])]
        total_w = sum(w[i] for i in rows)
        mean = sum(w[i] * y[i] for i in rows) / total_w
        variance = 0.0
        for h, psus in psus_of.items():
            totals = [
                sum(
                    w[i] * (y[i] - mean) / total_w
                    for i in rows
                    if strata[i] == h and cluster[i] == c
                )
                for c in psus
            ]
            if len(totals) == 1:
                variance += totals[0] ** 2
            else:
                centre = sum(totals) / len(totals)
                variance += len(totals) / (len(totals) - 1) * sum((t - centre) ** 2 for t in totals)
        assert got.mean[d] == pytest.approx(mean)
        assert got.se[d] == pytest.approx(math.sqrt(variance))
