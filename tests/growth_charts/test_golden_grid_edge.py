"""Golden rows: a converted length/height a hair below a 0.1 cm grid point, as WHO computes it.

WHO anthro 1.1 (``anthro_zscore_weight_for_lenhei``), the igrowup macros (``calc.zwfl``) and
anthroplus find the two table rows of a length/height h in binary floating point:
low = trunc(10·h)/10, upper = trunc(10·h + 1)/10, d = (h − low)/0.1, and interpolate L, M and S
as low + d·(upper − low) when d > 0. For 103.1 cm measured lying at 1800 days the converted
height is 103.1 − 0.7 = 102.39999999999999: 10·h = 1023.9999999999999, so low = 102.3 and
d = 0.9999999999999432, but 10·h + 1 rounds to 1025.0 (the sum crosses 1024, where the spacing of
doubles doubles), so the upper row is 102.5, not 102.4. WHO's L, M, S are then ≈ the 102.5 row:

- boys:  M = 16.0206 + d·(16.0801 − 16.0206) = 16.080099999999998, S = 0.08354, L = −0.3521;
- girls: M = 15.9087 + d·(15.9707 − 15.9087) = 15.970699999999997, S = 0.09161, L = −0.3833;

(weight-for-height table, WHO 2006, rows 102.3 and 102.5 cm). z = ((w/M)^L − 1)/(L·S), with
WHO's restricted tail beyond ±3: z = 3 + (w − SD3)/(SD3 − SD2), SD_k = M·(1 + L·S·k)^(1/L).
The same happens just below 51.2 cm (10·h + 1 crosses 512): 51.199999999999996 → rows 51.1 and
51.3 of the weight-for-length table (boys: M = 3.5593 + d·(3.6032 − 3.5593) = 3.6031999999999975,
S = 0.08813). Interpolating towards the grid point 102.4 instead (what exact arithmetic would do)
gives z larger by 0.02–0.04; the second column below is that value, kept to show the difference.
This is WHO's own behaviour; the engine keeps it for parity under both rule sets.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from growth_charts import children, compute, round_and_flag, round_z, zscores
from growth_charts.zscore import lms_at, zscore

# sex, age (days; None = unknown), length/height (cm), measure, weight (kg),
# WHO's unrounded z (hand-worked as in the module docstring), WHO's rounded z, z at the grid row
GOLDEN = [
    ("M", 1800, 103.1, "L", 16.0, -0.05982946185637699, -0.06, -0.03761592845049002),
    ("F", 1800, 103.1, "L", 16.0, 0.020000928568715503, 0.02, 0.041268870295309124),
    ("F", 1800, 103.1, "L", 19.3, 1.9936830567190167, 1.99, 2.0141230050417414),
    ("M", 1800, 103.1, "L", 19.1, 1.9989817316831728, 2.00, 2.0210832068587),
    ("M", 1800, 103.1, "L", 22.0, 3.607811701253613, 3.61, 3.6328737010414915),
    ("F", 1800, 103.1, "L", 12.3, -2.998306571151952, -3.00, -2.9757723978144193),
    ("M", None, 51.199999999999996, "L", 3.6, -0.010083207231341018, -0.01, 0.059316048183809936),
]


def _one(sex: str, age: float | None, lenhei: float, measure: str, weight: float, rules: str):
    kids = children(
        [sex], age_days=[np.nan if age is None else age], weight=[weight], lenhei=[lenhei],
        measure=[measure],
    )  # fmt: skip
    return compute(kids, rules)


@pytest.mark.parametrize("rules", ["who-anthro", "igrowup"])
@pytest.mark.parametrize(("sex", "age", "lenhei", "measure", "weight", "z", "rounded", "grid_z"),
                         GOLDEN)  # fmt: skip
def test_weight_for_height_a_hair_below_a_grid_point_matches_who(
    rules, sex, age, lenhei, measure, weight, z, rounded, grid_z
):
    result = _one(sex, age, lenhei, measure, weight, rules)
    assert result["zwfl"][0] == pytest.approx(z, abs=1e-12)
    assert round_and_flag(result)["zwfl"][0] == rounded
    assert round_z(grid_z) != rounded  # the class matters: the grid row would be 0.02–0.04 off


def test_converted_height_is_the_binary_value_below_the_grid_point():
    result = _one("M", 1800, 103.1, "L", 16.0, "who-anthro")
    assert result["clenhei"][0] == 102.39999999999999
    assert result["clenhei"][0] < 102.4


def test_who_rows_for_the_converted_height_are_102_3_and_102_5():
    l, m, s = lms_at("wfh", ["M", "F"], [102.39999999999999, 102.39999999999999])
    np.testing.assert_allclose(l, [-0.3521, -0.3833], rtol=0, atol=1e-15)
    np.testing.assert_allclose(m, [16.080099999999998, 15.970699999999997], rtol=0, atol=1e-12)
    np.testing.assert_allclose(s, [0.08354, 0.09161], rtol=0, atol=1e-15)


def test_single_indicator_zscore_agrees_with_the_batch():
    z = zscore("wfh", "F", 102.39999999999999, 19.3)
    assert z[()] == pytest.approx(1.9936830567190167, abs=1e-12)


def test_values_on_and_between_grid_points_are_unchanged():
    # 102.4 standing at 1800 days is the grid row itself: M = 16.0503, S = 0.08349
    on_grid = _one("M", 1800, 102.4, "H", 16.0, "who-anthro")["zwfl"][0]
    assert on_grid == pytest.approx(-0.03761592845049002, abs=1e-12)
    # 103.2 lying → 102.5 (10·h + 1 = 1026.0): rows 102.5 and 102.6, d ≈ 0
    lying = _one("M", 1800, 103.2, "L", 16.0, "who-anthro")["zwfl"][0]
    expected = ((16.0 / 16.0801) ** -0.3521 - 1) / (-0.3521 * 0.08354)
    assert lying == pytest.approx(expected, abs=1e-9)


def test_weight_for_length_table_ends_stay_valid():
    # 110.0 cm is the last weight-for-length row: d = 0, no upper row needed
    at_end = _one("M", 700, 110.0, "L", 18.0, "who-anthro")["zwfl"][0]
    expected = ((18.0 / 18.2689) ** -0.3521 - 1) / (-0.3521 * 0.08755)
    assert at_end == pytest.approx(expected, abs=1e-9)


def test_survey_frame_in_who_anthro_columns_gives_the_same_rows():
    frame = pd.DataFrame(
        {"sex": ["1", "2", "2"], "age_days": [1800, 1800, 1800], "weight": [16.0, 16.0, 19.3],
         "lenhei": [103.1, 103.1, 103.1], "measure": ["l", "l", "l"]}
    )  # fmt: skip
    out = zscores(frame)
    assert list(out["zwfl"]) == [-0.06, 0.02, 1.99]
    assert list(out["clenhei"]) == [102.39999999999999] * 3
