"""Independent cross-check against rcpchgrowth (test-only dependency) on generated children.

rcpchgrowth keeps the WHO tables by day (decimal age = day / 365.25) for 0–5 years and by month
for the WHO 2007 reference (linear interpolation between months), and applies WHO's ±3 SD rule
to weight and BMI. At whole days (and any month age from 61 months) both implementations must
agree to 1e-6 on the unrounded z (ages within about 1e-5 years of a table month are snapped
onto that month by rcpchgrowth, so generated ages avoid that sliver).
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

pytest.importorskip("rcpchgrowth")
from rcpchgrowth.global_functions import sds_for_measurement

from growth_charts import zscore

RCPCH_METHOD = {"lhfa": "height", "wfa": "weight", "bmi": "bmi", "hcfa": "ofc",
                "hfa_2007": "height", "wfa_2007": "weight", "bmi_2007": "bmi"}  # fmt: skip
TYPICAL = {"lhfa": (50, 110), "wfa": (3, 20), "bmi": (12, 19), "hcfa": (33, 52),
           "hfa_2007": (105, 175), "wfa_2007": (15, 45), "bmi_2007": (13, 26)}  # fmt: skip


def generated(code: str, n: int, seed: int):
    rng = np.random.default_rng(seed)
    sex = rng.choice(["M", "F"], n)
    if code.endswith("2007"):
        upper = 120 if code == "wfa_2007" else 228
        # rcpchgrowth snaps an age within about 1e-5 years of a table month onto that month, so
        # keep generated ages either on a month or clearly between two
        whole = rng.integers(61, upper, n).astype(float)
        x = whole + np.where(rng.random(n) < 0.2, 0.0, rng.uniform(0.01, 0.99, n))
        decimal_age = x / 12
    else:
        x = rng.integers(15, 1827, n).astype(float)  # rcpchgrowth starts at two weeks
        decimal_age = x / 365.25
    low, high = TYPICAL[code]
    value = rng.uniform(low * 0.7, high * 1.3, n)
    return sex, x, decimal_age, value


@pytest.mark.parametrize("code", sorted(RCPCH_METHOD))
def test_matches_rcpchgrowth(code):
    # a seed of its own per indicator, the same on every run (hash() of a str changes per process)
    sex, x, decimal_age, value = generated(code, 400, seed=zlib.crc32(code.encode()))
    ours = zscore(code, sex, x, value)
    theirs = np.array([
        sds_for_measurement("who", float(a), RCPCH_METHOD[code], float(v),
                            "male" if s == "M" else "female")
        for s, a, v in zip(sex, decimal_age, value, strict=True)
    ])  # fmt: skip
    comparable = np.isfinite(ours) & np.isfinite(theirs)
    assert comparable.sum() >= 350
    np.testing.assert_allclose(ours[comparable], theirs[comparable], rtol=0, atol=1e-6)
