"""Cross-check against an independent library: samplics' Taylor estimator (domain means,
proportions with logit limits) on a stratified, clustered, weighted design.

samplics is not a project dependency (it is archived; ``svy`` succeeds it), so this test runs
only where it is installed (``pip install samplics>=0.6``); the hand-derived cases in
``test_survey.py`` are the proof that always runs.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from growth_charts.survey import RowCells, SurveyDesign, domain_means

samplics_estimation = pytest.importorskip("samplics.estimation")
samplics_types = pytest.importorskip("samplics.utils.types")


def test_domain_means_proportions_and_logit_limits_match_samplics():
    rng = np.random.default_rng(3)
    n = 800
    strata = rng.integers(0, 5, n)
    cluster = rng.integers(0, 7, n)
    w = rng.uniform(0.5, 3.0, n)
    z = np.round(rng.normal(-1, 1.2, n), 2)
    domain = rng.integers(0, 3, n)
    design = SurveyDesign.build(n, weights=w, cluster=cluster, strata=strata)
    cells = RowCells(design, domain)
    psu = strata * 100 + cluster
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for y, param in ((z, "mean"), ((z < -2).astype(float), "prop")):
            ours = domain_means(design, cells.sums(y), 3)
            est = samplics_estimation.TaylorEstimator(getattr(samplics_types.PopParam, param))
            est.estimate(y=y, samp_weight=w, stratum=strata, psu=psu, domain=domain)
            for d in range(3):
                point = est.point_est[d] if param == "mean" else est.point_est[d][1.0]
                se = est.stderror[d] if param == "mean" else est.stderror[d][1.0]
                assert ours.mean[d] == pytest.approx(point, rel=1e-12)
                assert ours.se[d] == pytest.approx(se, rel=1e-10)
                if param == "prop":
                    low, high = ours.proportion_limits()
                    assert low[d] == pytest.approx(est.lower_ci[d][1.0], rel=1e-9)
                    assert high[d] == pytest.approx(est.upper_ci[d][1.0], rel=1e-9)
