"""WHO growth velocity (2009): the tables reproduce WHO's printed SDs, z by hand, the intervals.

WHO's files (``reference_data/velocity/``) print, beside L, M, S (and Δ for weight), the increment
at −3, −2, −1, 0, +1, +2 and +3 SD, rounded to 1 g or 0.1 cm. The first tests recompute every one
of those cells from L, M, S and Δ and check that the printed value is what WHO's own LMS gives,
and that the z of each printed value is k up to the printed rounding.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from growth_charts.velocity import (
    SD_COLUMNS,
    VELOCITY_TABLES,
    UnknownMeasureError,
    UnknownVelocityTableError,
    increment_at_z,
    increment_z,
    interval_days,
    interval_rows,
    lms_increment_z,
    velocity_table,
)

MONTH = 30.4375
SD_Z = np.arange(-3, 4, dtype=float)  # the printed columns, −3 SD … +3 SD
STEP = {"g": 1.0, "cm": 0.1}  # printed precision


def _cells(code: str):
    table = velocity_table(code)
    rows = np.arange(len(table.labels))
    for sex, name in ((0, "M"), (1, "F")):
        for k, z in enumerate(SD_Z):
            yield table, sex, name, rows, k, z


@pytest.mark.parametrize("code", list(VELOCITY_TABLES))
def test_lms_reproduces_every_printed_median_and_sd(code: str):
    undefined = []
    for table, sex, name, rows, k, z in _cells(code):
        printed = table.sd[sex, :, k]
        value = increment_at_z(code, name, rows, z)
        step = STEP[table.unit]
        defined = ~np.isnan(value)
        where = f"{code} {name} {SD_COLUMNS[k]}"
        rounded = np.round(value[defined] / step) * step
        np.testing.assert_allclose(rounded, printed[defined], rtol=0, atol=1e-9, err_msg=where)
        undefined += [(name, table.labels[r], printed[r]) for r in np.flatnonzero(~defined)]
    # where 1 − 3·L·S ≤ 0 the LMS curve stops above −3 SD: WHO prints 0.0 (0.1 for girls' length
    # at 13–21 months); those −3 SD cells are the only ones LMS cannot give
    expected = {
        "length-2mo": [("M", f"{a}-{a + 2} mo", 0.0) for a in range(13, 23)]
        + [("F", f"{a}-{a + 2} mo", 0.1 if a < 20 else 0.0) for a in range(13, 23)],
        "head-2mo": [(sex, f"{a}-{a + 2} mo", 0.0) for sex in "MF" for a in (9, 10)],
    }
    assert undefined == expected.get(code, [])


@pytest.mark.parametrize("code", list(VELOCITY_TABLES))
def test_printed_values_have_their_z_up_to_the_rounding(code: str):
    for table, sex, _, _rows, k, z in _cells(code):
        printed = table.sd[sex, :, k]
        half = STEP[table.unit] / 2
        args = (table.l[sex], table.m[sex], table.s[sex], table.delta[sex])
        at = lms_increment_z(printed, *args)
        spread = np.abs(lms_increment_z(printed + half, *args)
                        - lms_increment_z(printed - half, *args)) / 2  # fmt: skip
        defined = 1 + table.l[sex] * table.s[sex] * z > 0
        check = defined & (printed - half + table.delta[sex] > 0)
        assert np.all(np.abs(at[check] - z) <= spread[check] + 1e-9), (code, sex, z)


@pytest.mark.parametrize("code", list(VELOCITY_TABLES))
def test_median_increment_is_m_minus_delta(code: str):
    table = velocity_table(code)
    z = lms_increment_z(table.m - table.delta, table.l, table.m, table.s, table.delta)
    np.testing.assert_allclose(z, 0.0, atol=1e-12)


def test_weight_offsets_are_whos():
    assert np.all(velocity_table("weight-1mo").delta == 400.0)
    assert np.all(velocity_table("weight-2mo").delta == 600.0)
    assert np.all(velocity_table("length-2mo").delta == 0.0)
    assert np.all(velocity_table("head-2mo").delta == 0.0)


def test_intervals_are_whos_rows():
    one = velocity_table("weight-1mo")
    assert one.labels[:3] == ("0 – 4 wks", "4 wks – 2 mo", "2 – 3 mo")
    np.testing.assert_allclose(one.start_days, [0, 28, *(k * MONTH for k in range(2, 12))])
    np.testing.assert_allclose(one.end_days, [28, *(k * MONTH for k in range(2, 13))])
    for code, last in (("weight-2mo", 22), ("length-2mo", 22), ("head-2mo", 10)):
        table = velocity_table(code)
        np.testing.assert_allclose(table.start_days, np.arange(last + 1) * MONTH)
        np.testing.assert_allclose(table.nominal_days, 2 * MONTH)
    assert interval_days("10-12 mo") == (10 * MONTH, 12 * MONTH)
    with pytest.raises(ValueError, match="not a WHO velocity interval"):
        interval_days("2 to 3 months")


# hand-worked: z = (((x + Δ)/M)^L − 1)/(L·S), parameters of the row named
HAND = [
    # boys 1-month "2 – 3 mo": L 0.659, M 1215.3989, S 0.19591, Δ 400; +1000 g
    ("weight", "M", 61, 91, 5.600, 6.600, "weight-1mo", "2 – 3 mo", 0.7564564729031478),
    # girls 1-month "2 – 3 mo": L 0.7781, M 1118.0098, S 0.19766, Δ 400; +300 g
    ("weight", "F", 61, 91, 5.100, 5.400, "weight-1mo", "2 – 3 mo", -1.9852845042813396),
    # girls 2-month "22-24 mo": L 0.7743, M 967.2057, S 0.34166, Δ 600; −200 g (a loss)
    ("weight", "F", 670, 731, 11.000, 10.800, "weight-2mo", "22-24 mo", -1.872015272980926),
    # girls length "6-8 mo": L 0.9918, M 3.0, S 0.27597; +2.0 cm
    ("length", "F", 183, 244, 65.0, 67.0, "length-2mo", "6-8 mo", -1.2097353966525168),
    # girls length "13-15 mo": no gain at all, z = −1/(L·S) = −1/(0.9918·0.34112)
    ("length", "F", 396, 457, 76.0, 76.0, "length-2mo", "13-15 mo", -2.955756906445234),
    # boys head "0-2 mo": L 0.9267, M 4.6878, S 0.16093; +6.0 cm
    ("head", "M", 0, 61, 34.5, 40.5, "head-2mo", "0-2 mo", 1.7230989219626567),
]


@pytest.mark.parametrize(("measure", "sex", "t1", "t2", "v1", "v2", "table", "interval", "z"),
                         HAND)  # fmt: skip
def test_hand_computed_increment_z(measure, sex, t1, t2, v1, v2, table, interval, z):
    result = increment_z(measure, sex, t1, t2, v1, v2)
    assert result.z[0] == pytest.approx(z, abs=1e-9)
    assert result.table[0] == table
    assert result.interval[0] == interval
    assert result.percentile[0] == pytest.approx(50 * (1 + math.erf(z / math.sqrt(2))), abs=1e-9)


def test_whos_5th_50th_95th_centiles_give_1645():
    # the increments at the 5th, 50th and 95th centile of boys' 1-month "2 – 3 mo" row
    z95 = 1.6448536269514722
    x = increment_at_z("weight-1mo", "M", 2, [-z95, 0.0, z95])
    result = increment_z("weight", "M", 61, 91, 6.0, 6.0 + x / 1000)
    np.testing.assert_allclose(result.z, [-z95, 0.0, z95], atol=1e-9)
    np.testing.assert_allclose(result.percentile, [5.0, 50.0, 95.0], atol=1e-7)
    assert x[1] == pytest.approx(1215.3989 - 400)


@pytest.mark.parametrize(
    ("t1", "t2", "expected"),
    [
        (0, 28, "0 – 4 wks"),  # birth row: start within 3 days of birth
        (3, 31, "0 – 4 wks"),
        (3.5, 31.5, ""),  # too late for the birth row, too early for 4 wks – 2 mo
        (0, 32, "0 – 4 wks"),  # nominal 28 days ± 4
        (0, 32.5, ""),
        (0, 23.9, ""),
        (21, 53.875, "4 wks – 2 mo"),  # 28 days ± 7; nominal length 32.875 days
        (20.9, 53.775, ""),
        (330, 361, "11 – 12 mo"),
        (365, 396, ""),  # the 1-month tables stop at 12 months
    ],
)
def test_one_month_interval_windows(t1, t2, expected):
    result = increment_z("weight", "M", t1, t2, 5.0, 5.8)
    assert result.interval[0] == expected
    assert (result.table[0] == "weight-1mo") == bool(expected)
    assert np.isnan(result.z[0]) == (not expected)


@pytest.mark.parametrize(
    ("measure", "t1", "t2", "expected"),
    [
        ("weight", 0, 60.875, "0-2 mo"),
        ("weight", 0, 53.875, "0-2 mo"),  # nominal 60.875 days ± 7
        ("weight", 0, 53.8, ""),
        ("weight", 0, 45, ""),  # between the 1-month and the 2-month windows: no table
        ("weight", 669.625, 730.5, "22-24 mo"),
        ("weight", 700, 761, ""),  # 23–25 months: beyond the tables
        ("length", 30.4375 + 7, 91.3125 + 7, "1-3 mo"),
        ("length", 30.4375 + 7.1, 91.3125 + 7.1, ""),
        ("head", 304.375, 365.25, "10-12 mo"),
        ("head", 334.8125, 395.6875, ""),  # head increments stop at 12 months
    ],
)
def test_two_month_interval_windows(measure, t1, t2, expected):
    result = increment_z(measure, "F", t1, t2, 8.0, 8.5)
    assert result.interval[0] == expected
    assert np.isnan(result.z[0]) == (not expected)


def test_weight_chooses_the_table_by_interval_length():
    result = increment_z("weight", ["M", "M"], [61, 61], [91, 122], [5.6, 5.6], [6.4, 7.0])
    assert list(result.table) == ["weight-1mo", "weight-2mo"]
    assert list(result.interval) == ["2 – 3 mo", "2-4 mo"]
    np.testing.assert_allclose(result.increment, [800.0, 1400.0])


def test_loss_beyond_the_table_is_minus_infinity_not_missing():
    shrank = increment_z("length", "M", 183, 244, 67.0, 66.8)
    assert shrank.z[0] == -np.inf
    assert shrank.percentile[0] == 0.0
    assert shrank.table[0] == "length-2mo"
    lost = increment_z("weight", "F", 61, 91, 6.0, 5.5)  # −500 g, Δ = 400
    assert lost.z[0] == -np.inf


def test_missing_inputs_give_nan_and_no_table():
    result = increment_z(
        "weight", ["M", None, "M", "M", "M"], [61, 61, np.nan, 61, 61], [91, 91, 91, 91, 91],
        [5.6, 5.6, 5.6, np.nan, 0.0], [6.4, 6.4, 6.4, 6.4, 6.4],
    )  # fmt: skip
    # the complete row is computed: boys "2 – 3 mo", +800 g,
    # ((1200/1215.3989)^0.659 − 1)/(0.659·0.19591) = −0.0648122
    assert result.z[0] == pytest.approx(-0.0648122, abs=1e-6)
    assert np.isnan(result.z[1:]).all()
    assert list(result.table) == ["weight-1mo"] + [""] * 4
    assert list(result.interval[1:]) == [""] * 4


def test_many_rows_at_once_equal_one_at_a_time():
    rng = np.random.default_rng(7)
    n = 2000
    sex = rng.choice(["M", "F"], n)
    start = rng.uniform(0, 700, n)
    end = start + rng.choice([30.4375, 60.875], n) + rng.uniform(-3, 3, n)
    first = rng.uniform(3, 12, n)
    second = first + rng.uniform(-0.2, 1.2, n)
    batch = increment_z("weight", sex, start, end, first, second)
    assert (batch.table != "").sum() > n // 4
    for i in range(0, n, 97):
        one = increment_z("weight", sex[i], start[i], end[i], first[i], second[i])
        assert one.table[0] == batch.table[i]
        np.testing.assert_equal(one.z[0], batch.z[i])


def test_interval_rows_directly():
    table = velocity_table("head-2mo")
    rows = interval_rows(table, [0, 30.4375, 999, np.nan], [60.875, 91.3125, 1060, 60])
    assert list(rows) == [0, 1, -1, -1]


def test_unknown_names_are_refused():
    with pytest.raises(UnknownMeasureError):
        increment_z("bmi", "M", 0, 61, 1, 2)  # type: ignore[arg-type]
    with pytest.raises(UnknownVelocityTableError):
        velocity_table("weight-3mo")
