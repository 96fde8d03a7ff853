"""The pair scores' one engine call for both ends gives the bits of one call per end."""

from __future__ import annotations

import numpy as np
import pytest

from screening.growth.trajectory import attained_z, cole_correlation, conditional_z, pair_scores


def _pairs(measure: str, n: int, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["M", "F"], n)
    t1 = rng.integers(0, 1900, n).astype(float)
    t2 = t1 + rng.integers(1, 800, n)
    base = (3.0 + t1 / 120.0) if measure == "weight" else (50.0 + t1 / 25.0)
    spread = 1.5 if measure == "weight" else 6.0
    v1 = np.round(base + rng.uniform(-spread, spread, n), 2)
    v2 = np.round(v1 * rng.uniform(0.8, 1.4, n), 2)
    p1, p2 = rng.choice(["L", "H"], n), rng.choice(["L", "H"], n)
    return sex, t1, t2, v1, v2, p1, p2


@pytest.mark.parametrize("measure", ["weight", "length"])
def test_conditional_z_as_one_call_per_end(measure: str) -> None:
    sex, t1, t2, v1, v2, p1, p2 = _pairs(measure, 400, 7)
    r = cole_correlation(measure, t1, t2)
    one_by_one = [
        float(conditional_z(attained_z(measure, sex[i], t1[i], v1[i], p1[i]),
                            attained_z(measure, sex[i], t2[i], v2[i], p2[i]), r[i])[0])
        for i in range(sex.size)
    ]  # fmt: skip
    single = [
        float(pair_scores(measure, sex[i], t1[i], t2[i], v1[i], v2[i], p1[i], p2[i])
              .conditional_z[0])
        for i in range(sex.size)
    ]  # fmt: skip
    batch = pair_scores(measure, sex, t1, t2, v1, v2, p1, p2).conditional_z
    expected = np.array(one_by_one)
    assert np.isfinite(expected).sum() > 200  # the comparison is about real scores
    np.testing.assert_array_equal(np.array(single), expected)
    np.testing.assert_array_equal(batch, expected)


def test_a_known_pair() -> None:
    s = pair_scores("weight", "M", 61, 200, 5.6, 7.4)
    z1 = attained_z("weight", "M", 61, 5.6)[0]
    z2 = attained_z("weight", "M", 200, 7.4)[0]
    r = cole_correlation("weight", 61, 200)[0]
    assert str(s.method[0]) == "conditional"
    assert float(s.z[0]) == float((z2 - r * z1) / np.sqrt(1.0 - r**2))
