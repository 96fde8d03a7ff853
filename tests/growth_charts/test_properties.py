"""Hypothesis properties: continuity at ±3 SD, z ↔ value round trip, monotone in the measurement."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from growth_charts import INDICATORS, value_at_z, zscore

AGE_CODES = ["lhfa", "wfa", "bmi", "hcfa", "acfa", "tsfa", "ssfa"]
sexes = st.sampled_from(["M", "F"])


def x_for(code: str) -> st.SearchStrategy[float]:
    spec = INDICATORS[code]
    if spec.axis == "age_days":
        return st.integers(int(spec.x_min), int(spec.x_max)).map(float)
    return st.floats(spec.x_min, spec.x_max, allow_nan=False)


indicator_points = st.sampled_from(sorted(INDICATORS)).flatmap(
    lambda code: st.tuples(st.just(code), sexes, x_for(code))
)


@settings(max_examples=300, deadline=None)
@given(indicator_points, st.floats(-6.0, 6.0))
def test_round_trip(point, z):
    code, sex, x = point
    value = value_at_z(code, sex, x, z)
    if np.isfinite(value[0]) and value[0] > 0:
        np.testing.assert_allclose(zscore(code, sex, x, value), z, atol=1e-9)


@settings(max_examples=200, deadline=None)
@given(indicator_points, st.sampled_from([-3.0, 3.0]))
def test_continuous_at_three(point, edge):
    code, sex, x = point
    at = value_at_z(code, sex, x, edge)
    eps = 1e-9 * at
    below, above = zscore(code, sex, x, at - eps)[0], zscore(code, sex, x, at + eps)[0]
    assert abs(above - below) < 1e-6


@settings(max_examples=200, deadline=None)
@given(indicator_points, st.lists(st.floats(-7, 7), min_size=2, max_size=20))
def test_monotonic_in_measurement(point, zs):
    code, sex, x = point
    values = np.sort(value_at_z(code, sex, np.full(len(zs), x), np.array(zs)))
    values = values[np.isfinite(values) & (values > 0)]
    z = zscore(code, sex, np.full(values.size, x), values)
    assert np.all(np.diff(z) >= -1e-12)
