"""The edges named in growth.md: ages, the length/height switch, table limits, oedema, missing."""

from __future__ import annotations

import numpy as np
import pytest

from growth_charts import children, compute, round_and_flag, round_half_up, round_z, zscore
from growth_charts.tables import lms_table


def z_of(column: str, rules: str = "who-anthro", **inputs) -> float:
    return float(compute(children(**inputs), rules)[column][0])


def lms(code: str, sex: int, key: int) -> tuple[float, float, float]:
    t = lms_table(code)
    i = key - t.first_key
    return t.l[sex, i], t.m[sex, i], t.s[sex, i]


@pytest.mark.parametrize(
    ("value", "expected"), [(730.5, 731), (730.49, 730), (0.5, 1), (1.5, 2), (2.5, 3), (0.0, 0)]
)
def test_age_rounds_half_up(value, expected):
    assert round_half_up(value) == expected


@pytest.mark.parametrize(
    ("z", "expected"),
    [(1.625000131922581, 1.63), (-1.625000131922581, -1.63), (0.125, 0.12), (0.135, 0.14),
     (-2.0049999, -2.0), (2.675, 2.67), (np.nan, np.nan)],
)  # fmt: skip
def test_round_z_like_r(z, expected):
    np.testing.assert_equal(round_z(z), expected)


@pytest.mark.parametrize("day", [0, 90, 91, 730, 731, 1826, 1856])
def test_every_age_indexed_table_at_boundary_days(day):
    for code, value in (("lhfa", 80.0), ("wfa", 10.0), ("bmi", 16.0), ("hcfa", 45.0)):
        l, m, s = lms(code, 0, day)
        expected = ((value / m) ** l - 1) / (l * s)
        got = zscore(code, "M", day, value)[0]
        if abs(expected) <= 3:
            assert got == pytest.approx(expected, abs=1e-12)
        else:
            assert np.isfinite(got)


def test_age_limits_for_arm_and_skinfolds():
    assert np.isnan(zscore("acfa", "F", 90, 13.0)[0])
    assert np.isnan(zscore("acfa", "F", 90.49, 13.0)[0])
    assert np.isfinite(zscore("acfa", "F", 90.5, 13.0)[0])  # rounds to day 91
    assert np.isfinite(zscore("tsfa", "F", 1856, 8.0)[0])
    assert np.isnan(zscore("ssfa", "F", 1856.5, 8.0)[0])  # rounds to day 1857


@pytest.mark.parametrize(("day", "valid"), [(1856, True), (1856.49, True), (1856.5, False),
                                            (1857, False), (-1, False)])  # fmt: skip
def test_who2006_upper_age_limit(day, valid):
    assert np.isfinite(zscore("wfa", "M", day, 18.0)[0]) == valid


def test_length_height_switch_at_731_days():
    lying_730 = dict(sex="M", age_days=[730], lenhei=[85.0], measure=["l"])
    standing_730 = dict(sex="M", age_days=[730], lenhei=[84.3], measure=["h"])
    assert z_of("zlen", **lying_730) == pytest.approx(z_of("zlen", **standing_730), abs=1e-12)
    assert compute(children(**standing_730))["clenhei"][0] == pytest.approx(85.0)
    lying_731 = dict(sex="M", age_days=[731], lenhei=[85.7], measure=["l"])
    assert compute(children(**lying_731))["clenhei"][0] == pytest.approx(85.0)
    # fractional days around the switch use the rounded day
    lying_730_5 = dict(sex="M", age_days=[730.5], lenhei=[85.7], measure=["l"])
    assert compute(children(**lying_730_5))["clenhei"][0] == pytest.approx(85.0)
    lying_730_4 = dict(sex="M", age_days=[730.4], lenhei=[85.7], measure=["l"])
    assert compute(children(**lying_730_4))["clenhei"][0] == pytest.approx(85.7)


def test_unknown_position_is_not_corrected():
    result = compute(children("F", age_days=[500, 900], lenhei=[75.0, 90.0]))
    np.testing.assert_allclose(result["clenhei"], [75.0, 90.0])


def test_standing_under_nine_months_rule_sets():
    # 8.9 months = 270.9 days: WHO anthro 1.1 ignores the standing position and flags it
    kids = children("M", age_days=[270.9, 274.0], lenhei=[70.0, 70.0], measure=["h", "h"])
    anthro = compute(kids, "who-anthro")
    igrowup = compute(kids, "igrowup")
    np.testing.assert_allclose(anthro["clenhei"], [70.0, 70.7])
    np.testing.assert_array_equal(anthro["c9mo_flag"], [1, 0])
    np.testing.assert_allclose(igrowup["clenhei"], [70.7, 70.7])
    np.testing.assert_array_equal(igrowup["c9mo_flag"], [0, 0])


@pytest.mark.parametrize(
    ("length", "table", "valid"),
    [(44.9, "wfl", False), (45.0, "wfl", True), (110.0, "wfl", True), (110.05, "wfl", False),
     (64.9, "wfh", False), (65.0, "wfh", True), (120.0, "wfh", True), (120.01, "wfh", False)],
)  # fmt: skip
def test_weight_for_length_height_ranges(length, table, valid):
    day = 400 if table == "wfl" else 1000
    z = z_of("zwfl", sex="F", age_days=[day], weight=[10.0], lenhei=[length])
    assert np.isfinite(z) == valid


def test_weight_for_length_interpolates_lms():
    l0, m0, s0 = lms("wfl", 1, 653)  # 65.3 cm
    l1, m1, s1 = lms("wfl", 1, 654)
    frac = (65.37 - 65.3) / 0.1
    l, m, s = l0 + frac * (l1 - l0), m0 + frac * (m1 - m0), s0 + frac * (s1 - s0)
    expected = ((7.0 / m) ** l - 1) / (l * s)
    assert zscore("wfl", "F", 65.37, 7.0)[0] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("age", "measure", "length", "table"),
    [(None, "l", 90.0, "wfl"), (None, "h", 80.0, "wfh"), (None, None, 86.9, "wfl"),
     (None, None, 87.0, "wfh"), (730, None, 90.0, "wfl"), (731, None, 80.0, "wfh")],
)  # fmt: skip
def test_weight_for_length_table_choice(age, measure, length, table):
    kids = children("M", age_days=[np.nan if age is None else age], weight=[12.0],
                    lenhei=[length], measure=[measure])  # fmt: skip
    clenhei = compute(kids)["clenhei"][0]
    assert compute(kids)["zwfl"][0] == pytest.approx(zscore(table, "M", clenhei, 12.0)[0])


def test_oedema_blanks_weight_based_indicators_only():
    kids = children("M", age_days=[400, 400], weight=[9.0, 9.0], lenhei=[75.0, 75.0],
                    oedema=["y", "n"], headc=[46.0, 46.0])  # fmt: skip
    result = compute(kids)
    for column in ("zwei", "zwfl", "zbmi"):
        assert np.isnan(result[column][0]) and np.isfinite(result[column][1])
    assert np.isfinite(result["zlen"][0]) and np.isfinite(result["zhc"][0])


@pytest.mark.parametrize("bad", [0.0, -3.0, np.nan])
def test_non_positive_or_missing_measurement_gives_nan(bad):
    result = compute(children("F", age_days=[300], weight=[bad], lenhei=[bad], headc=[bad]))
    for column in ("zwei", "zlen", "zwfl", "zbmi", "zhc"):
        assert np.isnan(result[column][0])


def test_missing_sex_or_age_gives_nan_not_error():
    result = compute(children([None, "M"], age_days=[300, np.nan], weight=[8.0, 8.0],
                              lenhei=[70.0, 70.0]))  # fmt: skip
    assert np.isnan(result["zwei"]).all()
    assert np.isnan(result["zwfl"][0]) and np.isfinite(result["zwfl"][1])


def test_restricted_formula_beyond_three():
    l, m, s = lms("wfa", 1, 365)
    sd = {k: m * (1 + l * s * k) ** (1 / l) for k in (-3, -2, 2, 3)}
    heavy = sd[3] + 0.5 * (sd[3] - sd[2])
    light = sd[-3] - 0.25 * (sd[-2] - sd[-3])
    assert zscore("wfa", "F", 365, heavy)[0] == pytest.approx(3.5, abs=1e-12)
    assert zscore("wfa", "F", 365, light)[0] == pytest.approx(-3.25, abs=1e-12)


def test_implausible_flags_on_rounded_z():
    result = round_and_flag({"clenhei": np.zeros(3), "cbmi": np.zeros(3), "c9mo_flag": np.zeros(3),
                             **{c: np.array([5.004, 5.006, np.nan]) for c in
                                ("zlen", "zwei", "zwfl", "zbmi", "zhc", "zac", "zts", "zss",
                                 "zhfa", "zwfa", "zbfa")}})  # fmt: skip
    np.testing.assert_array_equal(result["fwei"], [0, 1, np.nan])
    np.testing.assert_array_equal(result["flen"], [0, 0, np.nan])


@pytest.mark.parametrize(("months", "valid"), [(60.99, False), (61.0, True), (120.0, True),
                                               (120.01, False)])  # fmt: skip
def test_who2007_weight_for_age_range(months, valid):
    result = compute(children("F", age_months=[months], weight=[20.0]))
    assert np.isfinite(result["zwfa"][0]) == valid


def test_who2007_interpolates_between_months():
    t = lms_table("hfa_2007")
    i = 100 - t.first_key
    m = t.m[0, i] + 0.25 * (t.m[0, i + 1] - t.m[0, i])
    s = t.s[0, i] + 0.25 * (t.s[0, i + 1] - t.s[0, i])
    assert zscore("hfa_2007", "M", 100.25, 130.0)[0] == pytest.approx((130.0 / m - 1) / s)
