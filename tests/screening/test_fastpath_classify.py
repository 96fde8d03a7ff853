"""The plain-Python classification and flag-limit checks give what the array versions give."""

from __future__ import annotations

import numpy as np
import pytest

from growth_charts.classify import (
    _RULES,
    classify,
    classify_one,
    is_implausible,
    is_implausible_one,
)
from growth_charts.indicators import UnknownIndicatorError

# every cut-off, a hair either side of it, and far values
_Z = sorted({b + d for rules in _RULES.values() for _, b, _ in rules for d in (-0.01, 0.0, 0.01)}
            | {-7.0, -5.01, -5.0, -4.99, 0.0, -0.0, 4.99, 5.0, 5.01, 6.0, 7.0})  # fmt: skip


@pytest.mark.parametrize("code", sorted(_RULES))
def test_one_value_as_the_array(code: str) -> None:
    expected = classify(code, _Z)
    limits = is_implausible(code, _Z)
    assert [classify_one(code, z) for z in _Z] == [str(c) for c in expected]
    assert [is_implausible_one(code, z) for z in _Z] == [bool(v) for v in limits]
    assert classify_one(code, float("nan")) == "" == str(classify(code, [np.nan])[0])
    assert is_implausible_one(code, float("nan")) is False


def test_examples() -> None:
    assert classify_one("wfl", -3.01) == "severe_wasting"
    assert classify_one("wfl", -3.0) == "wasting"  # strict: exactly -3.00 is not severe
    assert classify_one("lhfa", -2.0) == "normal"
    assert classify_one("bmi_2007", 1.01) == "overweight"
    assert is_implausible_one("wfa", -6.01) and not is_implausible_one("wfa", -6.0)


def test_unknown_code_refused() -> None:
    with pytest.raises(UnknownIndicatorError):
        classify_one("nope", 0.0)
    with pytest.raises(UnknownIndicatorError):
        is_implausible_one("nope", 0.0)
