"""The previous-day feeding recall and the WHO/UNICEF 2021 IYCF indicators.

A :class:`Recall` is one 24-hour recall ("yesterday, during the day or night") typed against the
question bank ``reference_data/instruments/feeding-recall/`` (liquids, a China-adapted food list
mapped to the 8 food groups and to the sentinel unhealthy foods). Every answer is ``True``,
``False`` or ``None`` = "don't know", which is *missing*, never "no".

One vectorised core computes every indicator on a DataFrame of recalls (:func:`indicator_frame`,
pandas nullable booleans with Kleene logic, so a "don't know" only makes an indicator unknown when
the answer could change it). :func:`assess_recall` runs it on one recall and adds the 8-group
wheel, the meal count against its target, the advice flags and the prioritised advice message
ids; :func:`aggregate` runs it on many and returns numerator/denominator per indicator and group.

Age: WHO completed months, ``floor(age_days / 30.4375)``; recalls are for 0-23 months.

Indicators (WHO/UNICEF 2021; "met" is the definition holding; for SwB, UFC, ZVF and BoF being met
is undesirable):

=======  ==========  ====================================================================
EBF      0-5 m       breast milk and no other liquid or food (ORS, drops, syrups allowed)
MixMF    0-5 m       breast milk and infant formula and/or animal milk
CBF      12-23 m     breast milk
ISSSF    6-8 m       any solid, semi-solid or soft food
MDD      6-23 m      >= 5 of the 8 food groups (group 1 breast milk; formula, animal milk and
                     yogurt drinks count in group 4)
MMF      6-23 m      breastfed 6-8 m: >= 2 solid/semi-solid/soft feeds; breastfed 9-23 m: >= 3;
                     not breastfed: >= 4 feeds of solids or milk (formula, animal milk, yogurt
                     drink and yogurt times), at least 1 of them solid
MMFF     6-23 m      not breastfed: >= 2 milk feeds
MAD      6-23 m      MDD and MMF; not breastfed also MMFF
EFF      6-23 m      egg and/or flesh food (group 5 or 6)
SwB      6-23 m      any sweet beverage: juice (100 % too), sweetened drinks, sweetened milk,
                     yogurt drink or other liquid
UFC      6-23 m      any sentinel unhealthy food
ZVF      6-23 m      neither group 7 nor group 8
BoF      0-23 m      anything from a bottle with a nipple
EvBF, EIBF, EBF2D    born in the last 24 m, asked once (``birth`` given): ever breastfed,
                     breastfed within 1 h of birth, only breast milk in the first 2 days
=======  ==========  ====================================================================
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import reduce
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from screening import reference
from screening.ages import DAYS_PER_MONTH
from screening.errors import ScreeningInputError
from screening.flags import Flag, rule
from screening.reference import RecallBank

# --------------------------------------------------------------------------------------------
# Errors


class MissingFieldError(ScreeningInputError):
    """A required field of the recall is absent (``field`` names it)."""

    message_id = "error.feeding.missing_field"


class UnknownRecallItemError(ScreeningInputError):
    """A liquid or food id that the question bank does not have."""

    message_id = "error.feeding.unknown_item"


class InvalidRecallValueError(ScreeningInputError):
    """A value of the wrong type (an answer must be yes/no/don't know; times a whole number)."""

    message_id = "error.feeding.invalid_value"


class ImpossibleRecallError(ScreeningInputError):
    """Values that cannot all be true (negative times, 9 meals at 3 months, times for a food
    not eaten…); ``field`` names the first one, ``row`` the recall in a batch."""

    message_id = "error.feeding.impossible"
    REASONS = (
        "negative",
        "more_than_possible_at_age",
        "more_than_possible",
        "times_for_item_not_taken",
        "taken_zero_times",
        "sweetened_but_not_taken",
        "zero_with_foods_eaten",
        "feeds_without_any_food",
        "birth_answer_without_birth_questions",
        "never_breastfed",
    )

    def __init__(self, *, reason: str, **params: Any) -> None:
        # one catalogue text per reason: error.feeding.impossible.<reason>
        self.message_id = f"{type(self).message_id}.{reason}"  # type: ignore[misc]
        super().__init__(reason=reason, **params)


class RecallAgeError(ScreeningInputError):
    """The recall's age is outside 0-23 completed months."""

    message_id = "error.feeding.age_out_of_range"


# --------------------------------------------------------------------------------------------
# The recall

Answer = bool | None  # None: "don't know" (missing, not "no")


@dataclass(frozen=True)
class Consumed:
    """One liquid or food of the recall: taken yesterday?, how many times (milk feeds and
    yogurt only), sweetened? (for liquids that ask). ``times=None`` when taken is "don't know"
    or not asked."""

    taken: Answer
    times: int | None = None
    sweetened: Answer = None


@dataclass(frozen=True)
class BirthAnswers:
    """The three birth questions, asked once at the first recall."""

    ever_breastfed: Answer
    breastfed_within_1h: Answer
    only_breast_milk_first_2_days: Answer


@dataclass(frozen=True)
class Recall:
    """One previous-day recall of a child aged ``age_days`` on the recall day."""

    age_days: int
    breastfed: Answer
    bottle_with_nipple: Answer
    liquids: Mapping[str, Consumed] = field(hash=False)
    foods: Mapping[str, Consumed] = field(hash=False)
    solid_feeds: int | None
    vitamin_d: Answer
    birth: BirthAnswers | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], bank: RecallBank | None = None) -> Recall:
        """Build a recall from plain data (e.g. a JSON body), refusing missing fields, unknown
        ids and wrongly typed values with a specific error. Liquids and foods are mappings of
        id → ``{"taken": true|false|null, "times": n, "sweetened": …}``; every id of the
        question bank must be present."""
        bank = bank or reference.recall_bank()
        required = (
            "age_days",
            "breastfed",
            "bottle_with_nipple",
            "liquids",
            "foods",
            "solid_feeds",
            "vitamin_d",
        )
        for name in required:
            if name not in data:
                raise MissingFieldError(field=name)

        def items(key: str, ids: Sequence[str]) -> dict[str, Consumed]:
            given = data[key]
            if not isinstance(given, Mapping):
                raise InvalidRecallValueError(field=key, value=type(given).__name__)
            for item_id in given:
                if item_id not in ids:
                    raise UnknownRecallItemError(field=key, item=item_id)
            out = {}
            for item_id in ids:
                if item_id not in given:
                    raise MissingFieldError(field=f"{key}.{item_id}")
                entry = given[item_id]
                if not isinstance(entry, Mapping) or "taken" not in entry:
                    raise MissingFieldError(field=f"{key}.{item_id}.taken")
                extra = set(entry) - {"taken", "times", "sweetened"}
                if extra:
                    raise UnknownRecallItemError(field=f"{key}.{item_id}", item=sorted(extra)[0])
                out[item_id] = Consumed(entry["taken"], entry.get("times"), entry.get("sweetened"))
            return out

        birth = data.get("birth")
        if birth is not None:
            for name in ("ever_breastfed", "breastfed_within_1h", "only_breast_milk_first_2_days"):
                if name not in birth:
                    raise MissingFieldError(field=f"birth.{name}")
            birth = BirthAnswers(
                birth["ever_breastfed"],
                birth["breastfed_within_1h"],
                birth["only_breast_milk_first_2_days"],
            )
        recall = cls(
            age_days=data["age_days"],
            breastfed=data["breastfed"],
            bottle_with_nipple=data["bottle_with_nipple"],
            liquids=items("liquids", [q.id for q in bank.liquids]),
            foods=items("foods", [f.id for f in bank.foods]),
            solid_feeds=data["solid_feeds"],
            vitamin_d=data["vitamin_d"],
            birth=birth,
        )
        check_types(recall, bank)
        return recall


def _is_answer(value: Any) -> bool:
    return value is None or isinstance(value, bool)


def _is_count(value: Any) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool))


def check_types(recall: Recall, bank: RecallBank) -> None:
    """Types and structure of a typed recall (values are checked, vectorised, by
    :func:`validate_frame`)."""
    if not isinstance(recall.age_days, int) or isinstance(recall.age_days, bool):
        raise InvalidRecallValueError(field="age_days", value=recall.age_days)
    for name in ("breastfed", "bottle_with_nipple", "vitamin_d"):
        if not _is_answer(getattr(recall, name)):
            raise InvalidRecallValueError(field=name, value=getattr(recall, name))
    if not _is_count(recall.solid_feeds):
        raise InvalidRecallValueError(field="solid_feeds", value=recall.solid_feeds)
    specs = {
        "liquids": {q.id: (q.with_times, q.asks_sweetened) for q in bank.liquids},
        "foods": {f.id: (f.with_times, False) for f in bank.foods},
    }
    for key, spec in specs.items():
        given: Mapping[str, Consumed] = getattr(recall, key)
        for item_id in given:
            if item_id not in spec:
                raise UnknownRecallItemError(field=key, item=item_id)
        for item_id, (with_times, asks_sweetened) in spec.items():
            if item_id not in given:
                raise MissingFieldError(field=f"{key}.{item_id}")
            answer = given[item_id]
            where = f"{key}.{item_id}"
            if not _is_answer(answer.taken):
                raise InvalidRecallValueError(field=f"{where}.taken", value=answer.taken)
            if not _is_count(answer.times):
                raise InvalidRecallValueError(field=f"{where}.times", value=answer.times)
            if not _is_answer(answer.sweetened):
                raise InvalidRecallValueError(field=f"{where}.sweetened", value=answer.sweetened)
            if answer.times is not None and not with_times:
                raise UnknownRecallItemError(field=where, item="times")
            if answer.sweetened is not None and not asks_sweetened:
                raise UnknownRecallItemError(field=where, item="sweetened")
    if recall.birth is not None:
        for name in ("ever_breastfed", "breastfed_within_1h", "only_breast_milk_first_2_days"):
            if not _is_answer(getattr(recall.birth, name)):
                raise InvalidRecallValueError(
                    field=f"birth.{name}", value=getattr(recall.birth, name)
                )


# --------------------------------------------------------------------------------------------
# The frame: one row per recall, one column per answer (the batch and DB interchange format)

BOOL = "boolean"
COUNT = "Int64"


def recall_columns(bank: RecallBank | None = None) -> dict[str, str]:
    """Column name → pandas dtype of a recall frame for ``bank`` (the format :func:`aggregate`
    reads: ``age_days``; answers as nullable booleans, NA = "don't know"; counts as ``Int64``)."""
    bank = bank or reference.recall_bank()
    cols = {
        "age_days": "int64",
        "breastfed": BOOL,
        "bottle_with_nipple": BOOL,
        "vitamin_d": BOOL,
        "solid_feeds": COUNT,
        "birth_asked": "bool",
        "ever_breastfed": BOOL,
        "breastfed_within_1h": BOOL,
        "only_breast_milk_first_2_days": BOOL,
    }
    for q in bank.liquids:
        cols[f"liquid_{q.id}"] = BOOL
        if q.with_times:
            cols[f"liquid_{q.id}_times"] = COUNT
        if q.asks_sweetened:
            cols[f"liquid_{q.id}_sweetened"] = BOOL
    for f in bank.foods:
        cols[f"food_{f.id}"] = BOOL
        if f.with_times:
            cols[f"food_{f.id}_times"] = COUNT
    return cols


def recalls_to_frame(recalls: Iterable[Recall], bank: RecallBank | None = None) -> pd.DataFrame:
    """A recall frame (see :func:`recall_columns`) from typed recalls."""
    bank = bank or reference.recall_bank()
    rows = []
    for r in recalls:
        check_types(r, bank)
        row: dict[str, Any] = {
            "age_days": r.age_days,
            "breastfed": r.breastfed,
            "bottle_with_nipple": r.bottle_with_nipple,
            "vitamin_d": r.vitamin_d,
            "solid_feeds": r.solid_feeds,
            "birth_asked": r.birth is not None,
        }
        if r.birth is not None:
            row.update(
                ever_breastfed=r.birth.ever_breastfed,
                breastfed_within_1h=r.birth.breastfed_within_1h,
                only_breast_milk_first_2_days=r.birth.only_breast_milk_first_2_days,
            )
        for q in bank.liquids:
            a = r.liquids[q.id]
            row[f"liquid_{q.id}"] = a.taken
            if q.with_times:
                row[f"liquid_{q.id}_times"] = a.times
            if q.asks_sweetened:
                row[f"liquid_{q.id}_sweetened"] = a.sweetened
        for f in bank.foods:
            a = r.foods[f.id]
            row[f"food_{f.id}"] = a.taken
            if f.with_times:
                row[f"food_{f.id}_times"] = a.times
        rows.append(row)
    columns = recall_columns(bank)
    frame = pd.DataFrame(rows, columns=list(columns))
    return frame.astype(columns)


def _months(age_days: pd.Series) -> pd.Series:
    return np.floor(age_days.astype("float64") / DAYS_PER_MONTH).astype("int64")


def validate_frame(frame: pd.DataFrame, bank: RecallBank | None = None) -> pd.DataFrame:
    """Check a recall frame, vectorised: every column present, ages 0-23 months, no negative or
    excessive counts, no contradictions. Raises on the first problem, naming the column, the row
    label and how many rows share it; returns the frame with the columns in their dtypes."""
    bank = bank or reference.recall_bank()
    columns = recall_columns(bank)
    for name in columns:
        if name not in frame.columns:
            raise MissingFieldError(field=name)
    try:
        typed = frame.astype(columns)
    except (TypeError, ValueError) as exc:
        raise InvalidRecallValueError(field="(frame)", value=str(exc)) from exc
    age = typed["age_days"]
    months = _months(age)
    out_of_range = (age < 0) | (months > 23)
    if out_of_range.any():
        row = out_of_range.idxmax()
        raise RecallAgeError(age_days=int(age[row]), row=row, rows=int(out_of_range.sum()))

    def fail(mask: pd.Series, name: str, reason: str, value: pd.Series | None = None) -> None:
        mask = mask.fillna(False).astype(bool)
        if mask.any():
            row = mask.idxmax()
            shown = typed[name][row] if value is None else value[row]
            raise ImpossibleRecallError(
                field=name, value=str(shown), reason=reason, row=row, rows=int(mask.sum())
            )

    limit = pd.Series(
        np.select(
            [months < below for below, _ in bank.max_solid_feeds],
            [most for _, most in bank.max_solid_feeds],
            default=bank.max_solid_feeds[-1][1],
        ),
        index=typed.index,
    )
    solid = typed["solid_feeds"]
    fail(solid < 0, "solid_feeds", "negative")
    fail(solid > limit, "solid_feeds", "more_than_possible_at_age")
    for prefix, specs in (("liquid", bank.liquids), ("food", bank.foods)):
        for spec in specs:
            taken = typed[f"{prefix}_{spec.id}"]
            if spec.with_times:
                name = f"{prefix}_{spec.id}_times"
                times = typed[name]
                fail(times < 0, name, "negative")
                fail(times > bank.max_times_per_liquid, name, "more_than_possible")
                fail(taken.eq(False) & (times > 0), name, "times_for_item_not_taken")
                fail(taken.eq(True) & (times == 0), name, "taken_zero_times")
            if prefix == "liquid" and spec.asks_sweetened:
                name = f"{prefix}_{spec.id}_sweetened"
                fail(taken.eq(False) & typed[name].eq(True), name, "sweetened_but_not_taken")
    foods = typed[[f"food_{f.id}" for f in bank.foods]]
    any_food = foods.eq(True).any(axis=1)
    no_food_at_all = foods.eq(False).all(axis=1)
    fail(any_food & (solid == 0), "solid_feeds", "zero_with_foods_eaten")
    fail(no_food_at_all & (solid > 0), "solid_feeds", "feeds_without_any_food")
    asked = typed["birth_asked"]
    for name in ("ever_breastfed", "breastfed_within_1h", "only_breast_milk_first_2_days"):
        fail(~asked & typed[name].notna(), name, "birth_answer_without_birth_questions")
    never = typed["ever_breastfed"].eq(False)
    fail(never & (typed["breastfed_within_1h"].eq(True)), "breastfed_within_1h", "never_breastfed")
    fail(
        never & (typed["only_breast_milk_first_2_days"].eq(True)),
        "only_breast_milk_first_2_days",
        "never_breastfed",
    )
    fail(never & (typed["breastfed"].eq(True)), "breastfed", "never_breastfed")
    return typed


# --------------------------------------------------------------------------------------------
# Indicators, vectorised

INDICATORS: tuple[str, ...] = (
    "EvBF",
    "EIBF",
    "EBF2D",
    "EBF",
    "MixMF",
    "CBF",
    "ISSSF",
    "MDD",
    "MMF",
    "MMFF",
    "MAD",
    "EFF",
    "SwB",
    "UFC",
    "ZVF",
    "BoF",
)
UNDESIRABLE = frozenset({"SwB", "UFC", "ZVF", "BoF"})
AGE_RANGE: Mapping[str, tuple[int, int]] = {
    "EvBF": (0, 23),
    "EIBF": (0, 23),
    "EBF2D": (0, 23),
    "EBF": (0, 5),
    "MixMF": (0, 5),
    "CBF": (12, 23),
    "ISSSF": (6, 8),
    "MDD": (6, 23),
    "MMF": (6, 23),
    "MMFF": (6, 23),
    "MAD": (6, 23),
    "EFF": (6, 23),
    "SwB": (6, 23),
    "UFC": (6, 23),
    "ZVF": (6, 23),
    "BoF": (0, 23),
}
FOOD_GROUPS = (1, 2, 3, 4, 5, 6, 7, 8)
MDD_MIN_GROUPS = 5
NATIONAL_MIN_GROUPS = 4  # WS/T 678-2020: >= 4 of the 7 groups (the 8 without breast milk)
MMFF_MIN = 2


def _any(columns: list[pd.Series], index: pd.Index) -> pd.Series:
    """Kleene OR of nullable boolean columns (False for none)."""
    start = pd.Series(False, index=index, dtype=BOOL)
    return reduce(lambda a, b: a | b, columns, start)


def _count_at_least(columns: list[pd.Series], k: int) -> pd.Series:
    """Kleene "at least k of these are True": True/False when the unknowns cannot change it."""
    frame = pd.concat(columns, axis=1)
    yes = frame.eq(True).sum(axis=1)
    unknown = frame.isna().sum(axis=1)
    out = pd.Series(pd.NA, index=frame.index, dtype=BOOL)
    out[yes >= k] = True
    out[(yes + unknown) < k] = False
    return out


def _times(taken: pd.Series, times: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(known count, unknown?) of a milk feed: 0 when not taken; unknown when taken is
    "don't know" or its times are."""
    known = times.where(taken.eq(True), 0).fillna(0).astype("int64")
    unknown = taken.isna() | (taken.eq(True) & times.isna())
    return known, unknown.astype(bool)


def _at_least(low: pd.Series, unknown: pd.Series, k: int) -> pd.Series:
    """Kleene "the count is >= k" from a lower bound and an unknown flag."""
    out = pd.Series(pd.NA, index=low.index, dtype=BOOL)
    out[low >= k] = True
    out[(low < k) & ~unknown] = False
    return out


def food_groups(typed: pd.DataFrame, bank: RecallBank) -> pd.DataFrame:
    """The 8 WHO food groups as nullable booleans, columns 1-8."""
    idx = typed.index
    groups = {1: typed["breastfed"]}
    dairy_liquids = [
        typed[f"liquid_{q.id}"]
        for q in bank.liquids
        if q.kind in ("formula", "animal_milk", "yogurt_drink")
    ]
    for g in range(2, 9):
        cols = [typed[f"food_{f.id}"] for f in bank.foods if f.group == g]
        groups[g] = _any(cols + (dairy_liquids if g == 4 else []), idx)
    return pd.DataFrame(groups, index=idx)


@dataclass(frozen=True)
class IndicatorFrames:
    """Output of :func:`indicator_frame`, one row per recall.

    ``value``: nullable boolean per indicator (NA = unknown because of "don't know" answers);
    ``applicable``: bool per indicator (age range, the non-breastfed branch of MMFF, birth
    questions asked); ``groups``: the 8 food groups (nullable boolean, columns 1-8);
    ``meals``: the feeds MMF counts (solid feeds if breastfed, solid + milk feeds if not; NA when
    unknown or outside 6-23 months) and ``meal_target`` its minimum (2, 3 or 4; NA likewise).
    """

    value: pd.DataFrame
    applicable: pd.DataFrame
    groups: pd.DataFrame
    meals: pd.Series
    meal_target: pd.Series


def indicator_frame(frame: pd.DataFrame, bank: RecallBank | None = None) -> IndicatorFrames:
    """Every indicator for every recall, vectorised (see :class:`IndicatorFrames`). Validates
    the frame first (:func:`validate_frame`)."""
    bank = bank or reference.recall_bank()
    t = validate_frame(frame, bank)
    idx = t.index
    months = _months(t["age_days"])
    bf = t["breastfed"]
    groups = food_groups(t, bank)

    def kind(*kinds: str) -> pd.Series:
        return _any([t[f"liquid_{q.id}"] for q in bank.liquids if q.kind in kinds], idx)

    any_liquid = _any([t[f"liquid_{q.id}"] for q in bank.liquids], idx)
    food_cols = [t[f"food_{f.id}"] for f in bank.foods]
    solid_any = _any([*food_cols, t["solid_feeds"] > 0], idx)

    milk_known = pd.Series(0, index=idx, dtype="int64")
    milk_unknown = pd.Series(False, index=idx)
    for q in bank.liquids:
        if q.with_times:
            known, unknown = _times(t[f"liquid_{q.id}"], t[f"liquid_{q.id}_times"])
            milk_known, milk_unknown = milk_known + known, milk_unknown | unknown
    for f in bank.foods:
        if f.with_times:
            known, unknown = _times(t[f"food_{f.id}"], t[f"food_{f.id}_times"])
            milk_known, milk_unknown = milk_known + known, milk_unknown | unknown
    solid_known = t["solid_feeds"].fillna(0).astype("int64")
    solid_unknown = t["solid_feeds"].isna()

    mdd = _count_at_least([groups[g] for g in FOOD_GROUPS], MDD_MIN_GROUPS)
    need_bf = np.where(months <= 8, 2, 3)
    mmf_bf = pd.Series(pd.NA, index=idx, dtype=BOOL)
    mmf_bf[solid_known >= need_bf] = True
    mmf_bf[(solid_known < need_bf) & ~solid_unknown] = False
    mmf_nonbf = _at_least(solid_known + milk_known, solid_unknown | milk_unknown, 4) & _at_least(
        solid_known, solid_unknown, 1
    )
    mmff = _at_least(milk_known, milk_unknown, MMFF_MIN)
    mmf = (bf & mmf_bf) | (~bf & mmf_nonbf)

    sweet_parts = [kind("juice", "sweet_drink")]
    for q in bank.liquids:
        if q.asks_sweetened:
            sweet_parts.append(t[f"liquid_{q.id}"] & t[f"liquid_{q.id}_sweetened"])
    unhealthy = [t[f"food_{f.id}"] for f in bank.foods if f.unhealthy]

    value = pd.DataFrame(
        {
            "EvBF": t["ever_breastfed"],
            "EIBF": t["breastfed_within_1h"],
            "EBF2D": t["only_breast_milk_first_2_days"],
            "EBF": bf & ~any_liquid & ~solid_any,
            "MixMF": bf & kind("formula", "animal_milk"),
            "CBF": bf,
            "ISSSF": solid_any,
            "MDD": mdd,
            "MMF": mmf,
            "MMFF": mmff.where(bf.ne(True), pd.NA),  # only for non-breastfed
            "MAD": mdd & mmf & (bf | mmff),
            "EFF": groups[5] | groups[6],
            "SwB": _any(sweet_parts, idx),
            "UFC": _any(unhealthy, idx),
            "ZVF": ~(groups[7] | groups[8]),
            "BoF": t["bottle_with_nipple"],
        },
        index=idx,
    ).astype(BOOL)
    in_age = {code: (months >= low) & (months <= high) for code, (low, high) in AGE_RANGE.items()}
    applicable = pd.DataFrame(in_age, index=idx)
    for code in ("EvBF", "EIBF", "EBF2D"):
        applicable[code] &= t["birth_asked"]
    applicable["MMFF"] &= bf.ne(True).fillna(True).astype(bool)  # not breastfed, or unknown

    feeding_age = (months >= 6) & (months <= 23) & bf.notna()
    is_bf = bf.fillna(False).to_numpy(dtype=bool)
    target = pd.Series(np.where(is_bf, need_bf, 4), index=idx, dtype=COUNT).where(
        feeding_age, pd.NA
    )
    meals = pd.Series(
        np.where(is_bf, solid_known, solid_known + milk_known), index=idx, dtype=COUNT
    )
    meals_unknown = solid_unknown | (~is_bf & milk_unknown)
    meals = meals.where(feeding_age & ~meals_unknown, pd.NA)
    return IndicatorFrames(value, applicable, groups, meals, target)


# --------------------------------------------------------------------------------------------
# One recall: statuses, wheel, meal count, flags, advice


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


def _status(value: Any, applicable: bool) -> Status:
    if not applicable:
        return Status.NOT_APPLICABLE
    if value is pd.NA:
        return Status.UNKNOWN
    return Status.MET if bool(value) else Status.NOT_MET


def _cell(value: Any) -> bool | None:
    return None if value is pd.NA else bool(value)


def _cell_int(value: Any) -> int | None:
    return None if value is pd.NA else int(value)


def assess_recall(recall: Recall, bank: RecallBank | None = None) -> FeedingResult:
    """Every indicator that applies at the child's age, the 8-group wheel, the meal count
    against its target, advice flags and prioritised advice message ids for one recall."""
    bank = bank or reference.recall_bank()
    frame = recalls_to_frame([recall], bank)
    frames = indicator_frame(frame, bank)
    value, applicable, groups = frames.value, frames.applicable, frames.groups
    months = int(_months(frame["age_days"]).iloc[0])
    statuses = {
        code: _status(value[code].iloc[0], bool(applicable[code].iloc[0])) for code in INDICATORS
    }
    wheel = {g: _cell(groups[g].iloc[0]) for g in FOOD_GROUPS}

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

    meal_count = _cell_int(frames.meals.iloc[0])
    meal_target = _cell_int(frames.meal_target.iloc[0])
    national = None
    national_met = None
    if 6 <= months <= 23:
        national = sum(1 for g in FOOD_GROUPS[1:] if wheel[g] is True)
        unknown = sum(1 for g in FOOD_GROUPS[1:] if wheel[g] is None)
        national_met = (
            True
            if national >= NATIONAL_MIN_GROUPS
            else (None if national + unknown >= NATIONAL_MIN_GROUPS else False)
        )

    advice = [f.parent_message_id for f in flags if f.code != "FEED_MAD_NOT_MET"]
    if not advice:
        advice.append(ADVICE_ALL_GOOD)
    if 6 <= months <= 8:
        advice.append(ADVICE_IRON_RICH_FIRST)
    if 6 <= months <= 11:
        advice.append(ADVICE_NO_SALT_SUGAR)
    if 6 <= months <= 23:
        advice.extend([ADVICE_RESPONSIVE, ADVICE_SEVEN_GROUPS])
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
        flags=tuple(flags),
        advice=tuple(advice),
        bank_version=bank.version,
        indicators_version=bank.indicators_version,
    )


# --------------------------------------------------------------------------------------------
# Escalation: when a feeding flag goes to the doctor


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
            out.append(
                rule("FEED_PERSISTENT").flag(
                    item_ids=persistent, values={"codes": ", ".join(persistent)}
                )
            )
    if growth_faltering and codes:
        out.append(
            rule("FEED_WITH_FALTERING").flag(item_ids=codes, values={"codes": ", ".join(codes)})
        )
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Many recalls: numerator / denominator per indicator and group

AGE_GROUPS: tuple[tuple[int, int, str], ...] = (
    (0, 5, "0-5"),
    (6, 8, "6-8"),
    (9, 11, "9-11"),
    (12, 17, "12-17"),
    (18, 23, "18-23"),
)
AGE_GROUP = "age_group"
SERVICE_DATA_LABEL = "service data (parents chose to answer; not a survey prevalence)"


def age_group(age_days: pd.Series) -> pd.Series:
    """The IYCF age group label ("0-5" … "18-23", completed months) of each age in days."""
    months = _months(age_days)
    labels = [label for _, _, label in AGE_GROUPS]
    bins = [low for low, _, _ in AGE_GROUPS] + [AGE_GROUPS[-1][1] + 1]
    return pd.Series(pd.cut(months, bins=bins, right=False, labels=labels), index=age_days.index)


def aggregate(
    frame: pd.DataFrame, by: Sequence[str] = (), bank: RecallBank | None = None
) -> pd.DataFrame:
    """Numerator and denominator of every indicator per group of ``by`` columns (any columns of
    ``frame``, e.g. area, period, sex; ``age_group`` is derived from ``age_days`` when asked for
    and absent). Vectorised: one indicator pass, one groupby.

    Returns a long frame ``[*by, indicator, numerator, denominator, unknown, percent]``:
    ``denominator`` counts recalls where the indicator applies and is known, ``unknown`` those
    where it applies but a "don't know" leaves it open, ``percent`` = 100·numerator/denominator
    (NaN for an empty denominator). The result's ``attrs["label"]`` says it is service data.
    """
    bank = bank or reference.recall_bank()
    by = list(by)
    data = frame
    if AGE_GROUP in by and AGE_GROUP not in frame.columns:
        data = frame.assign(**{AGE_GROUP: age_group(frame["age_days"].astype("int64"))})
    for name in by:
        if name not in data.columns:
            raise MissingFieldError(field=name)
    frames = indicator_frame(data, bank)
    value, applicable = frames.value, frames.applicable
    known = value.notna().to_numpy()
    met = value.fillna(False).to_numpy(dtype=bool)
    app = applicable.to_numpy(dtype=bool)
    parts = {
        "numerator": pd.DataFrame(app & known & met, columns=value.columns, index=data.index),
        "denominator": pd.DataFrame(app & known, columns=value.columns, index=data.index),
        "unknown": pd.DataFrame(app & ~known, columns=value.columns, index=data.index),
    }
    stacked = []
    for name, part in parts.items():
        part = part.astype("int64")
        if by:
            summed = part.join(data[by]).groupby(by, observed=True, dropna=False).sum()
        else:
            summed = part.sum().to_frame().T
        long = summed.stack()
        long.name = name
        stacked.append(long)
    out = pd.concat(stacked, axis=1)
    out.index = out.index.set_names([*by, "indicator"] if by else [None, "indicator"])
    out = out.reset_index()
    if not by:
        out = out.drop(columns=out.columns[0])
    with np.errstate(invalid="ignore", divide="ignore"):
        out["percent"] = np.where(
            out["denominator"] > 0,
            100.0 * out["numerator"] / out["denominator"].where(out["denominator"] > 0, 1),
            math.nan,
        )
    out["indicator"] = pd.Categorical(out["indicator"], categories=list(INDICATORS), ordered=True)
    out = out.sort_values([*by, "indicator"], kind="stable").reset_index(drop=True)
    out.attrs["label"] = SERVICE_DATA_LABEL
    out.attrs["indicators_version"] = bank.indicators_version
    return out
