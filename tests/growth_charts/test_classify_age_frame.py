"""Classifications (strict, on rounded z), percentiles, corrected age and the pandas interface."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from growth_charts import (
    CLASSIFICATIONS,
    InvalidValueError,
    MissingColumnError,
    UnknownIndicatorError,
    classify,
    is_implausible,
    percentile,
    z_from_percentile,
    zscores,
)
from growth_charts.age import age_in_days, corrected_age_days, months_from_days
from growth_charts.anthro import UnknownRuleSetError, children, compute


@pytest.mark.parametrize(
    ("code", "z", "expected"),
    [("lhfa", -3.01, "severe_stunting"), ("lhfa", -3.0, "stunting"), ("lhfa", -2.01, "stunting"),
     ("lhfa", -2.0, "normal"), ("lhfa", 3.0, "normal"), ("lhfa", 3.01, "very_tall"),
     ("wfa", -3.01, "severe_underweight"), ("wfa", -2.01, "underweight"),
     ("wfa", 2.01, "high_weight_for_age"), ("wfa", 2.0, "normal"),
     ("wfl", -3.01, "severe_wasting"), ("wfh", -2.01, "wasting"), ("bmi", 1.0, "normal"),
     ("bmi", 1.01, "possible_risk_of_overweight"), ("wfl", 2.01, "overweight"),
     ("wfh", 3.01, "obese"), ("hcfa", -3.01, "severe_microcephaly"),
     ("hcfa", -2.01, "microcephaly"), ("hcfa", 2.01, "macrocephaly"),
     ("bmi_2007", -3.01, "severe_thinness"), ("bmi_2007", -2.01, "thinness"),
     ("bmi_2007", 1.01, "overweight"), ("bmi_2007", 2.01, "obesity"),
     ("acfa", -4.0, "normal"), ("wfa", float("nan"), "")],
)  # fmt: skip
def test_classification_edges(code, z, expected):
    assert classify(code, [z])[0] == expected
    assert expected in (*CLASSIFICATIONS[code], "")


def test_unknown_indicator():
    with pytest.raises(UnknownIndicatorError, match="unknown growth indicator 'xyz'"):
        classify("xyz", [0.0])


@pytest.mark.parametrize(
    ("code", "z", "flagged"),
    [("lhfa", -6.0, False), ("lhfa", -6.01, True), ("lhfa", 6.01, True),
     ("wfa", -6.0, False), ("wfa", 5.01, True), ("wfa", -6.01, True),
     ("wfl", 5.01, True), ("wfl", -5.0, False), ("hfa_2007", 6.0, False), ("zz", 0, None)],
)  # fmt: skip
def test_implausible_limits(code, z, flagged):
    if flagged is None:
        with pytest.raises(UnknownIndicatorError):
            is_implausible(code, [z])
    else:
        assert bool(is_implausible(code, [z])[0]) is flagged


def test_percentiles():
    np.testing.assert_allclose(percentile([0.0, -1.881, 1.881]), [50.0, 3.0, 97.0], atol=0.01)
    np.testing.assert_allclose(z_from_percentile([50.0, 15.0]), [0.0, -1.0364334], atol=1e-6)
    assert np.isnan(z_from_percentile([0.0, 100.0, -1.0])).all()


def test_ages_from_dates():
    np.testing.assert_array_equal(age_in_days(["2024-01-31", "2024-02-28"], ["2024-03-01", None]),
                                  [30.0, np.nan])  # fmt: skip
    assert months_from_days(30.4375)[()] == 1.0


@pytest.mark.parametrize(
    ("age", "weeks", "expected"),
    [(100, 32, 44), (100, 36, 72), (100, 37, 100), (100, 40, 100), (100, np.nan, 100),
     (786, 32, 730), (787, 32, 787), (10, 28, -74)],
)  # fmt: skip
def test_corrected_age(age, weeks, expected):
    # 32 weeks: 8 weeks (56 days) short of term; correction stops at 24 months corrected
    assert corrected_age_days(age, weeks)[()] == expected


def test_frame_interface_names_and_passthrough():
    frame = pd.DataFrame({"child": ["a", "b"], "sex": ["m", 2], "age_months": [10, "20"],
                          "weight": [8, 9], "lenhei": [70, 80], "measure": ["h", "L"]})  # fmt: skip
    out = zscores(frame)
    assert list(out.columns[:6]) == list(frame.columns)
    assert out["child"].tolist() == ["a", "b"]
    assert out["c9mo_flag"].tolist() == [0.0, 0.0]
    assert out["clenhei"].tolist() == [70.7, 80.0]
    assert out["zlen"].tolist() == [-1.12, -0.9]


def test_frame_errors():
    with pytest.raises(MissingColumnError, match="'sex'"):
        zscores(pd.DataFrame({"weight": [3.0]}))
    with pytest.raises(InvalidValueError) as error:
        zscores(pd.DataFrame({"sex": ["m", "x"], "weight": [3.0, 3.0]}))
    assert (error.value.column, error.value.row, error.value.value) == ("sex", 1, "x")
    with pytest.raises(InvalidValueError, match="'weight', row 0"):
        zscores(pd.DataFrame({"sex": ["m"], "weight": ["heavy"]}))


def test_unknown_rule_set():
    with pytest.raises(UnknownRuleSetError, match="who-anthro, igrowup"):
        compute(children("M", weight=[3.0]), "who2099")  # type: ignore[arg-type]
