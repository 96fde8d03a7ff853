"""WHO anthro's prevalence table: layout, row groups, flags, oedema, exclusions, by hand."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from growth_charts import InvalidValueError, MissingColumnError
from growth_charts.prevalence import (
    NoRowsLeftError,
    PrevalenceWarning,
    prevalence,
    prevalence_columns,
)
from tests.growth_charts.frames import unflagged_z

AGE_GROUPS = ["00-05 mo", "06-11 mo", "12-23 mo", "24-35 mo", "36-47 mo", "48-59 mo"]
DEFAULT_GROUPS = (
    ["All"]
    + [f"Age group: {a}" for a in AGE_GROUPS]
    + ["Sex: Female", "Sex: Male"]
    + [f"Age + sex: {a}.{s}" for s in ("Female", "Male") for a in AGE_GROUPS]
)
ZLEN = [-3.5, -2.5, -2.01, -2.0, -1.0, 0.0, 0.5, 1.01, 2.5, 3.5]


def children(zlen=ZLEN, **extra) -> pd.DataFrame:
    """Ten children aged 400 days (12-23 mo), alternately girls and boys, z given."""
    n = len(zlen)
    frame = pd.DataFrame(
        {
            "sex": [2, 1] * (n // 2) + [2] * (n % 2),
            "age_days": 400.0,
            **unflagged_z(zlen=zlen),
            "oedema": "n",
        }
    )
    for column, values in extra.items():
        frame[column] = values
    return frame


def row(table: pd.DataFrame, group: str) -> pd.Series:
    return table.set_index("Group").loc[group]


def srs_limits(p: float, n: int, big_n: int) -> tuple[float, float, float]:
    """WHO anthro's simple-design SE and logit limits of a proportion (in percent)."""
    se = math.sqrt(big_n / (big_n - 1) * p * (1 - p) / n)
    t = stats.t.ppf(0.975, big_n - 1)
    logit = math.log(p / (1 - p))
    half = t * se / (p * (1 - p))
    expit = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    return 100 * se, 100 * expit(logit - half), 100 * expit(logit + half)


def test_columns_are_whos_in_whos_order():
    table = prevalence(children())
    columns = list(table.columns)
    assert columns == prevalence_columns()
    assert len(columns) == 135
    # positions asserted by WHO anthro's own tests (1-based)
    assert columns[0:3] == ["Group", "HAZ_pop", "HAZ_unwpop"]
    assert columns[3] == "HA_3_r" and columns[7] == "HA_2_r" and columns[27] == "HA_r"
    assert columns[32] == "WAZ_pop"
    assert columns[-10:] == [
        "HA_2_WH_2_pop", "HA_2_WH_2_unwpop", "HA_2_WH_2_r", "HA_2_WH_2_se", "HA_2_WH_2_ll",
        "HA_2_WH_2_ul", "HA_2_WH2_r", "HA_2_WH2_se", "HA_2_WH2_ll", "HA_2_WH2_ul",
    ]  # fmt: skip
    assert {"WH_3_r", "BMI3_ul", "WH_stdev", "BMIZ_unwpop"} <= set(columns)


def test_default_row_groups_include_empty_levels():
    table = prevalence(children())
    assert list(table["Group"]) == DEFAULT_GROUPS
    empty = row(table, "Age group: 00-05 mo")
    assert empty["HAZ_pop"] == 0 and empty["HAZ_unwpop"] == 0
    assert np.isnan(empty["HA_2_r"]) and np.isnan(empty["HA_r"]) and np.isnan(empty["HA_stdev"])


def test_cutoffs_are_strict_on_rounded_z_and_in_percent():
    table = prevalence(children())
    everyone = row(table, "All")
    # z < −3: 1; < −2: 3 (−2.0 is not); < −1: 4; > 1: 3; > 2: 2; > 3: 1 — of 10
    expected = {"_3": 10, "_2": 30, "_1": 40, "1": 30, "2": 20, "3": 10}
    for suffix, percent in expected.items():
        assert everyone[f"HA{suffix}_r"] == pytest.approx(percent)
    se, low, high = srs_limits(0.3, 10, 10)
    assert everyone["HA_2_se"] == pytest.approx(se)
    assert everyone["HA_2_ll"] == pytest.approx(low)
    assert everyone["HA_2_ul"] == pytest.approx(high)


def test_mean_sd_and_limits_of_the_z_scores():
    everyone = row(prevalence(children()), "All")
    z = np.array(ZLEN)
    sd = z.std(ddof=1)
    se = math.sqrt(10 / 9) / 10 * math.sqrt(((z - z.mean()) ** 2).sum())
    t = stats.t.ppf(0.975, 9)
    assert everyone["HA_r"] == pytest.approx(z.mean())
    assert everyone["HA_stdev"] == pytest.approx(sd)
    assert everyone["HA_se"] == pytest.approx(se)
    assert everyone["HA_ll"] == pytest.approx(z.mean() - t * se)
    assert everyone["HA_ul"] == pytest.approx(z.mean() + t * se)


def test_a_subgroup_keeps_the_whole_sample_in_the_variance():
    girls = row(prevalence(children()), "Sex: Female")
    # girls are rows 0, 2, 4, 6, 8: z −3.5, −2.01, −1.0, 0.5, 2.5 → 2 of 5 below −2
    se, low, high = srs_limits(0.4, 5, 10)
    assert girls["HAZ_unwpop"] == 5
    assert girls["HA_2_r"] == pytest.approx(40)
    assert (girls["HA_2_se"], girls["HA_2_ll"], girls["HA_2_ul"]) == pytest.approx((se, low, high))


def test_zero_and_hundred_percent_have_degenerate_limits():
    everyone = row(prevalence(children(zlen=[1.5] * 10)), "All")
    assert (everyone["HA_2_r"], everyone["HA_2_se"]) == (0, 0)
    assert (everyone["HA_2_ll"], everyone["HA_2_ul"]) == (0, 0)
    assert (everyone["HA1_r"], everyone["HA1_ll"], everyone["HA1_ul"]) == (100, 100, 100)


def test_flagged_z_scores_are_left_out():
    frame = children(zlen=[*ZLEN, -6.5], flen=[0] * 10 + [1])
    everyone = row(prevalence(frame), "All")
    assert everyone["HAZ_unwpop"] == 10
    assert everyone["HA_3_r"] == pytest.approx(10)


def test_missing_flag_columns_are_derived_from_the_rounded_z():
    frame = children(zlen=[*ZLEN, -6.5]).drop(columns=["flen"])
    assert row(prevalence(frame), "All")["HAZ_unwpop"] == 10


def test_oedema_counts_below_minus_three_for_weight_indicators_only():
    frame = children(
        oedema=["y"] + ["n"] * 9,
        zwei=[np.nan] + [0.0] * 9,
        zwfl=[np.nan] + [0.0] * 9,
        zbmi=[np.nan] + [0.0] * 9,
        fwei=[np.nan] + [0] * 9,
        fwfl=[np.nan] + [0] * 9,
        fbmi=[np.nan] + [0] * 9,
    )
    everyone = row(prevalence(frame), "All")
    for label in ("WA", "WH", "BMI"):
        assert everyone[f"{label}Z_unwpop"] == 10  # in the denominators
        assert everyone[f"{label}_3_r"] == pytest.approx(10)  # and below −3 SD
        assert everyone[f"{label}_2_r"] == pytest.approx(10)
        assert everyone[f"{label}1_r"] == pytest.approx(0)
        assert everyone[f"{label}_r"] == pytest.approx(0)  # but not in the mean
    # a child with oedema whose weight z is present still counts as −3.1, not by its z
    frame.loc[0, "zwei"] = 1.5
    everyone = row(prevalence(frame), "All")
    assert everyone["WA_3_r"] == pytest.approx(10) and everyone["WA1_r"] == 0
    assert everyone["WA_r"] == pytest.approx(0)
    # the first child (oedema, z −3.5) is stunted and wasted
    assert everyone["HA_2_WH_2_r"] == pytest.approx(10)
    assert everyone["HA_2_WH_2_unwpop"] == 10


def test_stunted_and_wasted_or_overweight_need_both_z_scores():
    frame = children(zwfl=[-2.5, 2.5, np.nan, -2.1, 0, 0, 0, 0, 0, 0])
    everyone = row(prevalence(frame), "All")
    # stunted: rows 0, 1, 2; row 2 has no weight-for-height → 9 children with both
    assert everyone["HA_2_WH_2_unwpop"] == 9
    assert everyone["HA_2_WH_2_r"] == pytest.approx(100 / 9)  # row 0
    assert everyone["HA_2_WH2_r"] == pytest.approx(100 / 9)  # row 1
    assert "HA_2_WH2_pop" not in everyone.index


def test_ages_over_1826_days_are_left_out_and_missing_ages_kept():
    frame = children(age_days=[400.0] * 8 + [1826.4, np.nan])
    with pytest.warns(PrevalenceWarning, match="1 row aged over 1826 days"):
        pass_through = prevalence(children(age_days=[400.0] * 9 + [1826.5]))
    assert row(pass_through, "All")["HAZ_unwpop"] == 9
    table = prevalence(frame)
    # 1826.4 d rounds to 1826 (kept) but is 60.006 months: no z there (see below); NaN age stays
    assert row(table, "All")["HAZ_unwpop"] == 9
    # 1826.4 days = 60.006 months: in no age group; the missing age neither
    assert row(table, "Age group: 12-23 mo")["HAZ_unwpop"] == 8
    assert row(table, "Age group: 48-59 mo")["HAZ_unwpop"] == 0
    assert row(table, "Sex: Male")["HAZ_unwpop"] == 5


def test_age_groups_use_unrounded_months():
    frame = children(age_days=[182.6, 182.7, 365.2, 365.3, 730.4, 730.5, 1095.7, 1461.0, 1826, 0])
    table = prevalence(frame)
    counts = [row(table, f"Age group: {a}")["HAZ_unwpop"] for a in AGE_GROUPS]
    # 182.6 d = 5.999 mo, 182.7 d = 6.003, 365.2 d = 11.998, 365.3 d = 12.002, 730.4 d =
    # 23.997, 730.5 d = 24.0003, 1095.7 d = 35.998, 1461 d = 48.0, 1826 d = 59.992
    assert counts == [2, 2, 2, 2, 0, 2]


def test_age_in_months_is_accepted():
    frame = children().drop(columns=["age_days"]).assign(age_months=[5.99, 6, 12, 24] + [59.99] * 6)
    counts = [row(prevalence(frame), f"Age group: {a}")["HAZ_unwpop"] for a in AGE_GROUPS]
    assert counts == [1, 1, 1, 1, 0, 6]


def test_optional_groupings_are_labelled_and_ordered_like_who():
    frame = children(
        region=["North", "south", "East", "North", None, "East", "North", "south", "East", "x"],
        res=[1, 2, 1, 2, 1, 2, 1, 2, 1, 2],
        wq=["Q1", "2", 3, "Q5", 1, 2, 3, 4, 5, None],
        edu=["None", "Primary", "Secondary"] * 3 + ["None"],
        other=[1.0, 2.0] * 5,
    )
    table = prevalence(
        frame.assign(psu=1),  # a (single) cluster column: the survey package's sorted order
        cluster="psu",
        gregion="region",
        typeres="res",
        wealthq="wq",
        mothered="edu",
        othergr="other",
    )
    groups = list(table["Group"])
    assert groups[:21] == DEFAULT_GROUPS
    assert groups[21:] == [
        "Area: 1", "Area: 2",
        "Geographical region: East", "Geographical region: North",
        "Geographical region: south", "Geographical region: x",
        "Wealth quintile: Q1: Poorest", "Wealth quintile: Q2", "Wealth quintile: Q3",
        "Wealth quintile: Q4", "Wealth quintile: Q5: Richest",
        "Maternal education: None", "Maternal education: Primary",
        "Maternal education: Secondary",
        "Other grouping: 1", "Other grouping: 2",
    ]  # fmt: skip
    assert row(table, "Geographical region: North")["HAZ_unwpop"] == 3
    assert row(table, "Wealth quintile: Q1: Poorest")["HAZ_unwpop"] == 2
    assert row(table, "Wealth quintile: Q4")["HAZ_unwpop"] == 1


def test_without_cluster_or_strata_groups_come_in_order_of_appearance():
    frame = children(region=["South", "North", "South", None, "East"] * 2, other=[3, 1] * 5)
    table = prevalence(frame, gregion="region", othergr="other")
    assert list(table["Group"])[21:] == [
        "Geographical region: South", "Geographical region: North", "Geographical region: East",
        "Other grouping: 3", "Other grouping: 1",
    ]  # fmt: skip


def test_a_categorical_column_keeps_its_levels_like_an_r_factor():
    levels = ["Urban", "Rural", "Camp"]
    res = pd.Categorical(["Rural", "Urban"] * 5, categories=levels)
    table = prevalence(children(res=res), typeres="res")
    assert list(table["Group"])[21:] == [f"Area: {level}" for level in levels]
    assert row(table, "Area: Camp")["HAZ_pop"] == 0


def test_invalid_wealth_quintiles_become_missing_with_a_warning():
    frame = children(wq=["1", "a"] * 5)
    with pytest.warns(PrevalenceWarning, match="5 rows not in 1-5 or Q1-Q5"):
        table = prevalence(frame, wealthq="wq")
    assert row(table, "Wealth quintile: Q1: Poorest")["HAZ_unwpop"] == 5
    assert row(table, "Wealth quintile: Q2")["HAZ_unwpop"] == 0


def test_an_all_missing_grouping_is_left_out():
    table = prevalence(children(region=[None] * 10), gregion="region")
    assert len(table) == 21


def test_stratified_clustered_weighted_design_by_hand():
    # the design of test_survey.test_stratified_weighted_clustered_sample, stunting as y
    frame = children(
        zlen=[-2.5, 0, -2.5, 0, -2.5, -2.5],
        w=[2, 2, 1, 3, 1, 1],
        psu=[1, 1, 2, 1, 2, 2],
        stratum=["s1", "s1", "s1", "s2", "s2", "s2"],
    )
    everyone = row(prevalence(frame, weights="w", cluster="psu", strata="stratum"), "All")
    se = math.sqrt(0.0025 + 0.0625)
    t = stats.t.ppf(0.975, 2)  # 4 PSUs − 2 strata
    half = t * se / 0.25
    assert everyone["HAZ_pop"] == 10 and everyone["HAZ_unwpop"] == 6
    assert everyone["HA_2_r"] == pytest.approx(50)
    assert everyone["HA_2_se"] == pytest.approx(100 * se)
    assert everyone["HA_2_ll"] == pytest.approx(100 / (1 + math.exp(half)))
    assert everyone["HA_2_ul"] == pytest.approx(100 / (1 + math.exp(-half)))


def test_lonely_psu_is_adjusted():
    frame = children(zlen=[-3.0, -1.0, 1.0], psu=[1, 2, 3], stratum=["A", "A", "B"])
    everyone = row(prevalence(frame, cluster="psu", strata="stratum"), "All")
    # mean −1; u = (z + 1)/3 = −2/3, 0, 2/3 → A: 2 · (1/9 + 1/9), B lonely: 4/9
    assert everyone["HA_r"] == pytest.approx(-1.0)
    assert everyone["HA_se"] == pytest.approx(math.sqrt(8 / 9))
    t = stats.t.ppf(0.975, 1)
    assert everyone["HA_ul"] == pytest.approx(-1 + t * math.sqrt(8 / 9))


def test_rows_without_cluster_or_weight():
    frame = children(w=[1.0] * 9 + [np.nan], psu=[1, 2] * 4 + [None, 1])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = prevalence(frame, weights="w", cluster="psu")
    messages = [str(w.message) for w in caught]
    assert "1 row without a value in 'psu' are left out" in messages
    assert "1 row without a sampling weight get weight 0" in messages
    everyone = row(table, "All")
    # 9 rows left; the unweighted count keeps the weight-0 row, the weighted one does not
    assert everyone["HAZ_unwpop"] == 9 and everyone["HAZ_pop"] == 8


def test_bad_input_names_column_and_row():
    with pytest.raises(InvalidValueError, match="column 'w', row 3"):
        prevalence(children(w=[1, 1, 1, -2, 1, 1, 1, 1, 1, 1]), weights="w")
    with pytest.raises(InvalidValueError, match="column 'w', row 1"):
        prevalence(children(w=["1", "heavy"] * 5), weights="w")
    with pytest.raises(InvalidValueError, match="column 'sex', row 0"):
        prevalence(children(sex=["x"] + [1] * 9))
    with pytest.raises(MissingColumnError, match="'psu'"):
        prevalence(children(), cluster="psu")
    with pytest.raises(MissingColumnError, match="'zbmi'"):
        prevalence(children().drop(columns=["zbmi"]))
    with pytest.raises(NoRowsLeftError), pytest.warns(PrevalenceWarning):
        prevalence(children(age_days=2000.0))


def test_z_scores_are_rounded_before_the_cutoffs():
    frame = children(zlen=[-2.004, -2.006] + [0.0] * 8)
    # −2.004 → −2.00 (not stunted), −2.006 → −2.01 (stunted)
    assert row(prevalence(frame), "All")["HA_2_r"] == pytest.approx(10)


def test_no_z_score_counts_from_60_months_as_in_who_anthro():
    # 1826.3 days rounds to 1826 (kept) but is 60.002 months: WHO anthro 1.1 has no z there
    frame = children(age_days=[400.0] * 9 + [1826.3], oedema=["n"] * 9 + ["y"])
    everyone = row(prevalence(frame), "All")
    assert everyone["HAZ_unwpop"] == 9
    assert everyone["WAZ_unwpop"] == 10  # the child with oedema still counts below −3 SD
    assert everyone["WA_3_r"] == pytest.approx(10)
