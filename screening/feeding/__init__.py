"""The previous-day feeding recall and the WHO/UNICEF 2021 IYCF indicators.

- :mod:`.recall`: the :class:`Recall` input model, its errors and its type checks;
- :mod:`.frame`: the recall frame (one row per recall) and its vectorised value checks;
- :mod:`.indicators`: every indicator for every recall, vectorised (:func:`indicator_frame`);
- :mod:`.advice`: one recall for the family (:func:`assess_recall`) and the escalation of its
  flags to the doctor (:func:`escalate`);
- :mod:`.aggregate`: numerator/denominator per indicator and group (:func:`aggregate`).

Age: WHO completed months, ``floor(age_days / 30.4375)``; recalls are for 0-23 months.
"""

from screening.feeding.advice import (
    ADVICE_ALL_GOOD,
    GENERAL_ADVICE,
    FeedingResult,
    Status,
    assess_recall,
    escalate,
)
from screening.feeding.aggregate import AGE_GROUP, AGE_GROUPS, age_group, aggregate
from screening.feeding.frame import (
    completed_months,
    recall_columns,
    recalls_to_frame,
    validate_frame,
)
from screening.feeding.indicators import (
    AGE_RANGE,
    FOOD_GROUPS,
    INDICATORS,
    UNDESIRABLE,
    IndicatorFrames,
    food_groups,
    indicator_frame,
)
from screening.feeding.recall import (
    Answer,
    BirthAnswers,
    Consumed,
    ImpossibleRecallError,
    InvalidRecallValueError,
    MissingFieldError,
    Recall,
    RecallAgeError,
    UnknownRecallItemError,
    check_types,
)

__all__ = [
    "ADVICE_ALL_GOOD",
    "AGE_GROUP",
    "AGE_GROUPS",
    "AGE_RANGE",
    "FOOD_GROUPS",
    "GENERAL_ADVICE",
    "INDICATORS",
    "UNDESIRABLE",
    "Answer",
    "BirthAnswers",
    "Consumed",
    "FeedingResult",
    "ImpossibleRecallError",
    "IndicatorFrames",
    "InvalidRecallValueError",
    "MissingFieldError",
    "Recall",
    "RecallAgeError",
    "Status",
    "UnknownRecallItemError",
    "age_group",
    "aggregate",
    "assess_recall",
    "check_types",
    "completed_months",
    "escalate",
    "food_groups",
    "indicator_frame",
    "recall_columns",
    "recalls_to_frame",
    "validate_frame",
]
