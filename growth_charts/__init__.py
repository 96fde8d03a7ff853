"""The WHO growth engine: exact z-scores, percentiles, classifications and growth charts.

Array in, array out (numpy); a scalar is a one-element array. See ``growth_charts.indicators``
for the indicator codes and ``growth_charts.anthro`` for the rule sets.
"""

from growth_charts.anthro import RULE_SETS, Children, RuleSet, children, compute, round_and_flag
from growth_charts.classify import (
    CLASSIFICATIONS,
    classify,
    is_implausible,
    percentile,
    z_from_percentile,
)
from growth_charts.frame import InvalidValueError, MissingColumnError, zscores
from growth_charts.indicators import INDICATORS, Indicator, UnknownIndicatorError
from growth_charts.rounding import round_half_up, round_z
from growth_charts.zscore import value_at_z, zscore

__all__ = [
    "CLASSIFICATIONS",
    "INDICATORS",
    "RULE_SETS",
    "Children",
    "Indicator",
    "InvalidValueError",
    "MissingColumnError",
    "RuleSet",
    "UnknownIndicatorError",
    "children",
    "classify",
    "compute",
    "is_implausible",
    "percentile",
    "round_and_flag",
    "round_half_up",
    "round_z",
    "value_at_z",
    "z_from_percentile",
    "zscore",
    "zscores",
]
