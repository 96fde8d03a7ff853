"""The remembered rounding of one z gives the engine's rounding, bit for bit."""

from __future__ import annotations

import math

import numpy as np

from growth_charts import round_z
from screening.growth.rounded import rounded_z


def test_as_the_engine() -> None:
    rng = np.random.default_rng(3)
    values = [*rng.normal(0, 2, 2000).tolist(), 2.675, -2.675, 0.125, -0.125, 0.005, -0.004,
              -0.0, 0.0, 1e-9, -1e-9, 6.0, -6.0]  # fmt: skip
    for v in values * 2:  # the second round reads the cache
        got, expected = rounded_z(v), float(round_z(v))
        assert got == expected and math.copysign(1, got) == math.copysign(1, expected), v


def test_zero_signs_and_missing() -> None:
    assert math.copysign(1, rounded_z(-0.0)) == 1.0 == math.copysign(1, rounded_z(-0.004))
    assert rounded_z(2.675) == 2.67 and rounded_z(0.125) == 0.12
    assert math.isnan(rounded_z(None)) and math.isnan(rounded_z(float("nan")))
