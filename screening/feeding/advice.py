"""One recall assessed for the family (indicator statuses, the 8-group wheel, the meal count,
advice flags and prioritised advice message ids) and the escalation of feeding flags to the
doctor (over two recalls, or with growth faltering).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

import pandas as pd

from screening import reference
from screening.feeding.frame import completed_months, recalls_to_frame
from screening.feeding.indicators import (
    COMPLEMENTARY_MONTHS,
    FOOD_GROUPS,
    INDICATORS,
    NATIONAL_MIN_GROUPS,
    indicator_frame,
)
from screening.feeding.recall import Recall
from screening.flags import Flag, rule
from screening.reference import RecallBank


class Status(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    NOT_APPLICABLE = "not_applicable"
    UNKNOWN = "unknown"  # a "don't know" answer could change it


@dataclass(frozen=True)
class FeedingResult:
    age_days: int
    completed_months: int
    indicators: Mapping[str, Status] = field(hash=False)
    food_groups: Mapping[int, bool | None] = field(hash=False)  # the 8-group wheel
    groups_count: int  # groups known to be eaten
    national_groups_count: int | None  # WS/T 678-2020: of the 7 groups (no breast milk), 6-23 m
    national_diversity_met: bool | None
    meal_count: int | None  # feeds counted as MMF counts them; None when unknown or < 6 m
    meal_target: int | None
    flags: tuple[Flag, ...]
    advice: tuple[str, ...]  # message ids, most important first
    bank_version: str
    indicators_version: str
    meal_count_at_least: int | None = None  # lower bound of meal_count (a "times not known" = 1)


# advice flags in priority order (most important first), with the indicator status that raises
# them; MAD has no advice of its own (its parts carry it)
_FLAG_RULES: tuple[tuple[str, str, Status], ...] = (
    ("FEED_NOT_EXCLUSIVELY_BREASTFED", "EBF", Status.NOT_MET),
    ("FEED_SOLIDS_NOT_STARTED", "ISSSF", Status.NOT_MET),
    ("FEED_MMF_NOT_MET", "MMF", Status.NOT_MET),
    ("FEED_MDD_NOT_MET", "MDD", Status.NOT_MET),
    ("FEED_NO_EGG_OR_FLESH", "EFF", Status.NOT_MET),
    ("FEED_MMFF_NOT_MET", "MMFF", Status.NOT_MET),
    ("FEED_MAD_NOT_MET", "MAD", Status.NOT_MET),
    ("FEED_NO_VEGETABLE_OR_FRUIT", "ZVF", Status.MET),
    ("FEED_SWEET_BEVERAGE", "SwB", Status.MET),
    ("FEED_UNHEALTHY_FOOD", "UFC", Status.MET),
    ("FEED_BOTTLE", "BoF", Status.MET),
)
SOLIDS_TOO_EARLY_BELOW_MONTHS = 4
VITAMIN_D_FROM_DAY = 14  # "from a few days after birth" (China: start within 2 weeks)
ADVICE_ALL_GOOD = "advice.feeding.all_good"
ADVICE_NO_SALT_SUGAR = "advice.feeding.no_salt_sugar"
ADVICE_RESPONSIVE = "advice.feeding.responsive"
ADVICE_IRON_RICH_FIRST = "advice.feeding.iron_rich_first"
ADVICE_SEVEN_GROUPS = "advice.feeding.national_seven_groups"
GENERAL_ADVICE = (
    ADVICE_ALL_GOOD,
    ADVICE_NO_SALT_SUGAR,
    ADVICE_RESPONSIVE,
    ADVICE_IRON_RICH_FIRST,
    ADVICE_SEVEN_GROUPS,
)
# general advice by age, completed months (both ends inclusive), after the flags' advice
_AGE_ADVICE: tuple[tuple[int, int, tuple[str, ...]], ...] = (
    (6, 8, (ADVICE_IRON_RICH_FIRST,)),
    (6, 11, (ADVICE_NO_SALT_SUGAR,)),
    (*COMPLEMENTARY_MONTHS, (ADVICE_RESPONSIVE, ADVICE_SEVEN_GROUPS)),
)


def _status(value: Any, applicable: bool) -> Status:
    if not applicable:
        return Status.NOT_APPLICABLE
    if value is pd.NA:
        return Status.UNKNOWN
    return Status.MET if bool(value) else Status.NOT_MET


def _cell(value: Any, kind: type = bool) -> Any:
    """A frame cell as ``kind`` (``bool``/``int``), None for NA."""
    return None if value is pd.NA else kind(value)


def _flags(
    recall: Recall, bank: RecallBank, months: int, statuses: Mapping[str, Status]
) -> list[Flag]:
    """The advice flags of one recall, most important first."""
    values = {"age_days": recall.age_days, "completed_months": months}
    common = {
        "instrument": bank.code,
        "instrument_version": bank.version,
        "rule_version": bank.indicators_version,
    }
    flags: list[Flag] = []
    eaten = [f"foods.{f.id}" for f in bank.foods if recall.foods[f.id].taken is True]
    if months < SOLIDS_TOO_EARLY_BELOW_MONTHS and (eaten or (recall.solid_feeds or 0) > 0):
        flags.append(
            rule("FEED_SOLIDS_BEFORE_4_MONTHS").flag(
                values=values, item_ids=eaten or ["solid_feeds"], **common
            )
        )
    for code, indicator, trigger in _FLAG_RULES:
        if statuses[indicator] is trigger:
            flags.append(rule(code).flag(values={**values, "indicator": indicator}, **common))
    if recall.vitamin_d is False and recall.age_days >= VITAMIN_D_FROM_DAY:
        flags.append(
            rule("FEED_NO_VITAMIN_D").flag(values=values, item_ids=["vitamin_d"], **common)
        )
    return flags


def _national(wheel: Mapping[int, bool | None], months: int) -> tuple[int | None, bool | None]:
    """WS/T 678-2020 diversity at 6-23 months: groups eaten of the 7 (no breast milk) and
    whether >= 4 (None when "don't know" answers could change it)."""
    low, high = COMPLEMENTARY_MONTHS
    if not low <= months <= high:
        return None, None
    eaten = sum(1 for g in FOOD_GROUPS[1:] if wheel[g] is True)
    unknown = sum(1 for g in FOOD_GROUPS[1:] if wheel[g] is None)
    if eaten >= NATIONAL_MIN_GROUPS:
        return eaten, True
    return eaten, None if eaten + unknown >= NATIONAL_MIN_GROUPS else False


def assess_recall(recall: Recall, bank: RecallBank | None = None) -> FeedingResult:
    """Every indicator that applies at the child's age, the 8-group wheel, the meal count
    against its target, advice flags and prioritised advice message ids for one recall."""
    bank = bank or reference.recall_bank()
    frame = recalls_to_frame([recall], bank)
    frames = indicator_frame(frame, bank)
    value, applicable, groups = frames.value, frames.applicable, frames.groups
    months = int(completed_months(frame["age_days"]).iloc[0])
    statuses = {
        code: _status(value[code].iloc[0], bool(applicable[code].iloc[0])) for code in INDICATORS
    }
    wheel = {g: _cell(groups[g].iloc[0]) for g in FOOD_GROUPS}
    meals = (_cell(frames.meals.iloc[0], int), _cell(frames.meal_target.iloc[0], int),
             _cell(frames.meals_at_least.iloc[0], int))  # fmt: skip
    return feeding_result(recall, bank, months, statuses, wheel, meals)


def feeding_result(
    recall: Recall,
    bank: RecallBank,
    months: int,
    statuses: dict[str, Status],
    wheel: dict[str, bool | None],
    meals: tuple[int | None, int | None, int | None],
) -> FeedingResult:
    """The one recall's :class:`FeedingResult` from its indicator statuses, food-group wheel
    and ``meals`` (count, target, count at least): its advice flags, the national diversity
    count and the advice ids in order (flags first, else "all good", then the age's advice).
    Shared by the frame path (:func:`assess_recall`) and the plain one
    (:func:`screening.feeding.single.assess_one`)."""
    flags = _flags(recall, bank, months, statuses)
    national, national_met = _national(wheel, months)
    advice = [f.parent_message_id for f in flags if f.code != "FEED_MAD_NOT_MET"]
    if not advice:
        advice.append(ADVICE_ALL_GOOD)
    for low, high, ids in _AGE_ADVICE:
        if low <= months <= high:
            advice.extend(ids)
    meal_count, meal_target, meal_count_at_least = meals
    return FeedingResult(
        age_days=recall.age_days,
        completed_months=months,
        indicators=MappingProxyType(statuses),
        food_groups=MappingProxyType(wheel),
        groups_count=sum(1 for v in wheel.values() if v is True),
        national_groups_count=national,
        national_diversity_met=national_met,
        meal_count=meal_count,
        meal_target=meal_target,
        meal_count_at_least=meal_count_at_least,
        flags=tuple(flags),
        advice=tuple(advice),
        bank_version=bank.version,
        indicators_version=bank.indicators_version,
    )


def escalate(
    current: Sequence[Flag],
    previous: Sequence[Flag] | None = None,
    *,
    growth_faltering: bool = False,
) -> tuple[Flag, ...]:
    """Review flags for the doctor from this recall's advice flags: ``FEED_PERSISTENT`` when a
    flag was also raised by the previous recall, ``FEED_WITH_FALTERING`` when the child's growth
    is faltering. Otherwise nothing: the flags stay advice for the family."""
    codes = [
        f.code
        for f in current
        if f.domain == "feeding" and f.code.startswith("FEED_") and f.severity == "advice"
    ]
    out: list[Flag] = []
    if previous is not None:
        before = {f.code for f in previous}
        persistent = [c for c in codes if c in before]
        if persistent:
            out.append(_escalated("FEED_PERSISTENT", persistent))
    if growth_faltering and codes:
        out.append(_escalated("FEED_WITH_FALTERING", codes))
    return tuple(out)


def _escalated(code: str, causes: list[str]) -> Flag:
    return rule(code).flag(item_ids=causes, values={"codes": ", ".join(causes)})
