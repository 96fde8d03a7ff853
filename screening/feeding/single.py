"""One recall scored on plain Python values: the same checks and indicators as the vectorised
frame path (:func:`screening.feeding.frame.validate_frame`,
:func:`screening.feeding.indicators.indicator_frame`), without building a one-row DataFrame.

The frame path stays for batches; this one is for the family's single recall, where pandas'
per-column overhead (about 70-95 ms a recall) dwarfed the arithmetic. Answers are Kleene
values: ``True``, ``False`` or ``None`` ("don't know"), combined as pandas' nullable booleans
combine them (``None | True`` is ``True``, ``None & False`` is ``False``, otherwise ``None``).
A check fires only where its condition is known to hold (the frame's ``fillna(False)``); the
refusals carry the same field, value text, reason, ``row=0`` and ``rows=1`` as the frame's.

One quirk is kept on purpose so both paths agree: the frame's "no food was eaten" for the check
``feeds_without_any_food`` skips "don't know" foods (pandas' ``all`` skips NA), so solid feeds
counted with no food answered "yes" are refused, even when every food is "don't know".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from screening import reference
from screening.feeding.advice import FeedingResult, Status, feeding_result
from screening.feeding.frame import MAX_MONTHS, column, item_columns
from screening.feeding.indicators import (
    AGE_RANGE,
    COMPLEMENTARY_MONTHS,
    FOOD_GROUPS,
    INDICATORS,
    MDD_MIN_GROUPS,
    MMF_NOT_BREASTFED,
    MMFF_MIN,
)
from screening.feeding.recall import (
    BIRTH_FIELDS,
    ImpossibleRecallError,
    Recall,
    RecallAgeError,
    check_types,
)
from screening.reference import MILK_KINDS, RecallBank
from screening.vocabulary import DAYS_PER_MONTH

Kleene = bool | None


def _or(values: Iterable[Kleene]) -> Kleene:
    """Kleene OR (False for none)."""
    out: Kleene = False
    for v in values:
        if v is True:
            return True
        if v is None:
            out = None
    return out


def _and(*values: Kleene) -> Kleene:
    """Kleene AND."""
    out: Kleene = True
    for v in values:
        if v is False:
            return False
        if v is None:
            out = None
    return out


def _not(value: Kleene) -> Kleene:
    return None if value is None else not value


def _gt(count: int | None, k: int) -> Kleene:
    """Kleene ``count > k`` (None for an unknown count)."""
    return None if count is None else count > k


def _decide(low: int, high: int, k: int) -> Kleene:
    """``count >= k`` from its bounds: met, not met, or unknown."""
    if high < k:
        return False
    return True if low >= k else None


def completed_months(age_days: int) -> int:
    """WHO completed months, ``floor(age_days / 30.4375)`` (the frame's float64 arithmetic)."""
    return math.floor(float(age_days) / DAYS_PER_MONTH)


def _answers(recall: Recall, bank: RecallBank) -> dict[str, Any]:
    """The recall as the frame's row: column name → answer (None for "don't know")."""
    row: dict[str, Any] = {
        "age_days": recall.age_days,
        "breastfed": recall.breastfed,
        "bottle_with_nipple": recall.bottle_with_nipple,
        "vitamin_d": recall.vitamin_d,
        "solid_feeds": recall.solid_feeds,
        "solid_feeds_taken": recall.solid_feeds_taken,
        "birth_asked": recall.birth is not None,
    }
    for name in BIRTH_FIELDS:
        row[name] = getattr(recall.birth, name) if recall.birth is not None else None
    for key, item_id, attribute, _ in item_columns(bank):
        row[column(key, item_id, attribute)] = getattr(getattr(recall, key)[item_id], attribute)
    return row


def _shown(value: Any) -> str:
    """A value as the frame's refusal shows it (``<NA>`` for "don't know")."""
    return "<NA>" if value is None else str(value)


def validate(recall: Recall, bank: RecallBank) -> dict[str, Any]:
    """The frame's value checks on one recall, in the frame's order, raising its errors;
    returns the recall's answers by column."""
    check_types(recall, bank)
    a = _answers(recall, bank)
    age = a["age_days"]
    months = completed_months(age)
    if age < 0 or months > MAX_MONTHS:
        raise RecallAgeError(age_days=int(age), row=0, rows=1)

    def fail(condition: Kleene, name: str, reason: str) -> None:
        if condition is True:
            raise ImpossibleRecallError(
                field=name, value=_shown(a[name]), reason=reason, row=0, rows=1
            )

    solid, solid_taken = a["solid_feeds"], a["solid_feeds_taken"]
    fail(None if solid is None else solid < 0, "solid_feeds", "negative")
    fail(_gt(solid, bank.max_solid_feeds_at(months)), "solid_feeds", "more_than_possible_at_age")
    for key, item_id, attribute, _ in item_columns(bank):
        taken = a[column(key, item_id)]
        name = column(key, item_id, attribute)
        if attribute == "times":
            times = a[name]
            fail(None if times is None else times < 0, name, "negative")
            fail(_gt(times, bank.max_times_per_liquid), name, "more_than_possible")
            fail(_and(taken is False, _gt(times, 0)), name, "times_for_item_not_taken")
            fail(_and(taken is True, None if times is None else times == 0), name,
                 "taken_zero_times")  # fmt: skip
        elif attribute == "sweetened":
            fail(taken is False and a[name] is True, name, "sweetened_but_not_taken")
    foods = [a[column("foods", f.id)] for f in bank.foods]
    any_yes = any(f is True for f in foods)
    none_yes = not any_yes  # the frame's all(eq(False)) skips "don't know" (module docstring)
    solid_zero = None if solid is None else solid == 0
    solid_some = _gt(solid, 0)
    fail(_and(any_yes, solid_zero), "solid_feeds", "zero_with_foods_eaten")
    fail(_and(none_yes, solid_some), "solid_feeds", "feeds_without_any_food")
    fail(_and(solid_taken is False, solid_some), "solid_feeds", "times_for_item_not_taken")
    fail(_and(solid_taken is True, solid_zero), "solid_feeds", "taken_zero_times")
    fail(solid_taken is False and any_yes, "solid_feeds", "zero_with_foods_eaten")
    fail(solid_taken is True and none_yes, "solid_feeds", "some_without_food")
    for name in BIRTH_FIELDS:
        fail(not a["birth_asked"] and a[name] is not None, name,
             "birth_answer_without_birth_questions")  # fmt: skip
    never = a["ever_breastfed"] is False
    for name in ("breastfed_within_1h", "only_breast_milk_first_2_days", "breastfed"):
        fail(never and a[name] is True, name, "never_breastfed")
    return a


def _times(taken: Kleene, times: int | None, most: int) -> tuple[int, int]:
    """(lower, upper bound) of one milk feed's times (as the frame's ``_times``)."""
    if taken is True:
        return (times, times) if times is not None else (1, most)
    return (0, 0) if taken is False else (0, most)


@dataclass(frozen=True)
class Indicators:
    """One recall's indicators, as one row of :class:`~screening.feeding.indicators.
    IndicatorFrames`: Kleene value and applicability per indicator, the 8 food groups, the
    feeds MMF counts (None when not known exactly or outside 6-23 months), its target and the
    lower bound of the feeds counted."""

    months: int
    value: Mapping[str, Kleene]
    applicable: Mapping[str, bool]
    groups: Mapping[int, Kleene]
    meals: int | None
    meal_target: int | None
    meals_at_least: int | None


def indicators(recall: Recall, bank: RecallBank | None = None) -> Indicators:
    """Every indicator of one recall (validated first, see :func:`validate`)."""
    bank = bank or reference.recall_bank()
    a = validate(recall, bank)
    months = completed_months(a["age_days"])
    bf: Kleene = a["breastfed"]
    liquid = {q.id: a[column("liquids", q.id)] for q in bank.liquids}
    food = {f.id: a[column("foods", f.id)] for f in bank.foods}
    dairy = [liquid[q.id] for q in bank.liquids if q.kind in MILK_KINDS]
    groups: dict[int, Kleene] = {1: bf}
    for g in range(2, 9):
        groups[g] = _or([*(food[f.id] for f in bank.foods if f.group == g),
                         *(dairy if g == 4 else [])])  # fmt: skip

    def kind(*kinds: str) -> Kleene:
        return _or(liquid[q.id] for q in bank.liquids if q.kind in kinds)

    solid, solid_taken = a["solid_feeds"], a["solid_feeds_taken"]
    solid_any = _or([*food.values(), _gt(solid, 0), solid_taken is True])

    most = bank.max_times_per_liquid
    milk_low = milk_high = 0
    timed = [("liquids", q.id) for q in bank.liquids if q.with_times]
    timed += [("foods", f.id) for f in bank.foods if f.with_times]
    for key, item_id in timed:
        lo, hi = _times(a[column(key, item_id)], a[column(key, item_id, "times")], most)
        milk_low, milk_high = milk_low + lo, milk_high + hi
    eaten = solid_taken is True or any(v is True for v in food.values())
    none = solid_taken is False or all(v is False for v in food.values())
    if solid is not None:
        solid_low = solid_high = solid
    else:
        solid_low = 1 if eaten else 0
        solid_high = 0 if none else bank.max_solid_feeds_at(months)

    yes = sum(1 for g in FOOD_GROUPS if groups[g] is True)
    unknown = sum(1 for g in FOOD_GROUPS if groups[g] is None)
    mdd: Kleene = True if yes >= MDD_MIN_GROUPS else (False if yes + unknown < MDD_MIN_GROUPS
                                                       else None)  # fmt: skip
    need_bf = 2 if months <= 8 else 3
    mmf_bf = _decide(solid_low, solid_high, need_bf)
    mmf_nonbf = _and(_decide(solid_low + milk_low, solid_high + milk_high, MMF_NOT_BREASTFED),
                     _decide(solid_low, solid_high, 1))  # fmt: skip
    mmff = _decide(milk_low, milk_high, MMFF_MIN)
    mmf = _or([_and(bf, mmf_bf), _and(_not(bf), mmf_nonbf)])
    sweet = [kind("juice", "sweet_drink")]
    sweet += [_and(liquid[q.id], a[column("liquids", q.id, "sweetened")])
              for q in bank.liquids if q.asks_sweetened]  # fmt: skip
    value: dict[str, Kleene] = {
        "EvBF": a["ever_breastfed"],
        "EIBF": a["breastfed_within_1h"],
        "EBF2D": a["only_breast_milk_first_2_days"],
        "EBF": _and(bf, _not(_or(liquid.values())), _not(solid_any)),
        "MixMF": _and(bf, kind("formula", "animal_milk")),
        "CBF": bf,
        "ISSSF": solid_any,
        "MDD": mdd,
        "MMF": mmf,
        "MMFF": mmff if bf is False else None,  # only for non-breastfed
        "MAD": _and(mdd, mmf, _or([bf, mmff])),
        "EFF": _or([groups[5], groups[6]]),
        "SwB": _or(sweet),
        "UFC": _or(food[f.id] for f in bank.foods if f.unhealthy),
        "ZVF": _not(_or([groups[7], groups[8]])),
        "BoF": a["bottle_with_nipple"],
    }
    applicable = {code: low <= months <= high for code, (low, high) in AGE_RANGE.items()}
    for code in ("EvBF", "EIBF", "EBF2D"):
        applicable[code] = applicable[code] and bool(a["birth_asked"])
    applicable["MMFF"] = applicable["MMFF"] and bf is not True
    low, high = COMPLEMENTARY_MONTHS
    feeding_age = low <= months <= high and bf is not None
    target = need_bf if bf is True else MMF_NOT_BREASTFED
    meals_low = solid_low if bf is True else solid_low + milk_low
    meals_high = solid_high if bf is True else solid_high + milk_high
    return Indicators(
        months=months,
        value=value,
        applicable=applicable,
        groups=groups,
        meals=meals_low if feeding_age and meals_low == meals_high else None,
        meal_target=target if feeding_age else None,
        meals_at_least=meals_low if feeding_age else None,
    )


def _status(value: Kleene, applicable: bool) -> Status:
    if not applicable:
        return Status.NOT_APPLICABLE
    if value is None:
        return Status.UNKNOWN
    return Status.MET if value else Status.NOT_MET


def assess_one(recall: Recall, bank: RecallBank | None = None) -> FeedingResult:
    """:func:`screening.feeding.assess_recall` of one recall on plain values: the same
    statuses, wheel, meal count and target, advice flags and advice ids (see the module
    docstring)."""
    bank = bank or reference.recall_bank()
    ind = indicators(recall, bank)
    months = ind.months
    statuses = {code: _status(ind.value[code], ind.applicable[code]) for code in INDICATORS}
    wheel = {g: ind.groups[g] for g in FOOD_GROUPS}
    return feeding_result(
        recall, bank, months, statuses, wheel, (ind.meals, ind.meal_target, ind.meals_at_least)
    )
