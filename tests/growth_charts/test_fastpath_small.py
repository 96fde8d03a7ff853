"""The small-input paths give what the array paths give, bit for bit."""

from __future__ import annotations

import numpy as np

from growth_charts import children, compute
from growth_charts.age import corrected_age_days
from growth_charts.anthro import OUTPUT_ORDER, rounded_matrix
from growth_charts.velocity import increment_z


def test_corrected_age_one_term_child_is_the_array_rule():
    rng = np.random.default_rng(1)
    ages = rng.integers(0, 1900, 50).astype(float)
    for weeks in (37.0, 40.0, 42.5, np.nan):
        got = corrected_age_days(ages, weeks)
        expected = corrected_age_days(ages, np.full(ages.shape, weeks))
        np.testing.assert_array_equal(got, expected)
        assert not np.shares_memory(got, ages)
    assert corrected_age_days(100, 38.0).shape == ()


def test_compute_columns_are_independent_rows_of_one_matrix():
    rng = np.random.default_rng(2)
    n = 40
    kids = children(
        rng.choice(["M", "F"], n),
        age_days=rng.uniform(0, 1856, n),
        weight=np.where(rng.random(n) < 0.2, np.nan, rng.uniform(2, 25, n)),
        lenhei=rng.uniform(45, 115, n),
        measure=rng.choice(["L", "H", ""], n),
    )
    out = compute(kids)
    assert all(values.shape == (n,) for values in out.values())
    assert np.isnan(out["zhc"]).all()
    out["zwei"][:] = 0.0
    assert not (out["zlen"] == 0.0).all()
    matrix = rounded_matrix(kids)
    rounded = compute(kids, rounded=True)
    np.testing.assert_array_equal(matrix, np.stack([rounded[name] for name in OUTPUT_ORDER]))


def test_increment_z_text_sex_is_the_coded_sex():
    rng = np.random.default_rng(3)
    start = rng.integers(0, 700, 30).astype(float)
    end = start + rng.choice([30.0, 61.0, 90.0], 30)
    first, second = rng.uniform(3, 12, 30), rng.uniform(3, 12, 30)
    for sex in ("M", "F", "x"):
        got = increment_z("weight", sex, start, end, first, second)
        expected = increment_z("weight", np.full(30, sex), start, end, first, second)
        for name in ("increment", "z", "percentile", "table", "interval"):
            np.testing.assert_array_equal(getattr(got, name), getattr(expected, name))


def test_a_few_rows_give_the_rows_of_the_batch():
    rng = np.random.default_rng(4)
    n = 300
    missing = rng.random((4, n)) < 0.4
    columns = {
        "age_days": rng.uniform(0, 6000, n),
        "weight": np.where(missing[0], np.nan, rng.uniform(1, 60, n)),
        "lenhei": np.where(missing[1], np.nan, rng.uniform(40, 180, n)),
        "headc": np.where(missing[2], np.nan, rng.uniform(30, 55, n)),
        "armc": np.where(missing[3], np.nan, rng.uniform(9, 25, n)),
        "measure": rng.choice(["L", "H", ""], n),
        "oedema": rng.random(n) < 0.05,
    }
    sex = rng.choice(["M", "F"], n)
    for rounded in (False, True):
        whole = compute(children(sex, **columns), rounded=rounded)
        start = 0
        while start < n:
            rows = slice(start, start + int(rng.integers(1, 9)))
            part = compute(
                children(sex[rows], **{k: v[rows] for k, v in columns.items()}), rounded=rounded
            )
            assert list(part) == list(whole)
            for name, values in part.items():
                np.testing.assert_array_equal(values, whole[name][rows], err_msg=name)
            start = rows.stop
