"""The WHO/UNICEF 2021 IYCF indicators, vectorised over a recall frame.

:func:`indicator_frame` computes every indicator for every recall with pandas nullable booleans
and Kleene logic, so a "don't know" only makes an indicator unknown when the answer could change
it; one recall is a frame of one row. Age: WHO completed months, ``floor(age_days / 30.4375)``.

Counts (MMF, MMFF) are bounds, ``low <= count <= high`` per recall: a count given is both; a
liquid or food not taken is 0; one *taken with the number of times not known* counts as at least
one feed (shared/domain/screening.md 2, as the WHO/UNICEF 2021 guide counts a food or milk
consumed at least once; its number of times is unknown, not zero), at most the question bank's
limit (``max_times_per_liquid``); "don't know" whether taken is 0 to that limit. Solid feeds left
blank are at least 1 when solids were eaten (``solid_feeds_taken`` or any food "yes"), 0 when
every food is "no" or ``solid_feeds_taken`` is "no", at most the bank's ``max_solid_feeds`` at
the age. A threshold is decided (:func:`_decide`) when the lower bound already reaches it (met)
or the upper bound cannot (not met); it is unknown only when neither holds. Example: not
breastfed, 3 solid feeds, formula taken with times unknown → at least 4 feeds, one of them
solid: MMF met; MMFF (>= 2 milk feeds) stays unknown.

Indicators ("met" is the definition holding; for SwB, UFC, ZVF and BoF being met is undesirable):

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

from collections.abc import Mapping
from dataclasses import dataclass
from functools import reduce

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from screening import reference
from screening.feeding.frame import (
    BOOL,
    COUNT,
    column,
    completed_months,
    max_solid_feeds,
    validate_frame,
)
from screening.reference import MILK_KINDS, RecallBank

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
COMPLEMENTARY_MONTHS = (6, 23)  # the complementary-feeding ages, completed months
AGE_RANGE: Mapping[str, tuple[int, int]] = {
    "EvBF": (0, 23),
    "EIBF": (0, 23),
    "EBF2D": (0, 23),
    "EBF": (0, 5),
    "MixMF": (0, 5),
    "CBF": (12, 23),
    "ISSSF": (6, 8),
    **dict.fromkeys(("MDD", "MMF", "MMFF", "MAD", "EFF", "SwB", "UFC", "ZVF"), (6, 23)),
    "BoF": (0, 23),
}
FOOD_GROUPS = (1, 2, 3, 4, 5, 6, 7, 8)
MDD_MIN_GROUPS = 5
NATIONAL_MIN_GROUPS = 4  # WS/T 678-2020: >= 4 of the 7 groups (the 8 without breast milk)
MMFF_MIN = 2
MMF_NOT_BREASTFED = 4


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


def _times(taken: pd.Series, times: pd.Series, most: int) -> tuple[pd.Series, pd.Series]:
    """(lower, upper bound) of one milk feed's times: the count when taken with times given; 0
    when not taken; 1 to ``most`` when taken with the times not known; 0 to ``most`` when
    taken is "don't know"."""
    yes, no = _is(taken, True), _is(taken, False)
    given = yes & times.notna().to_numpy()
    count = times.fillna(0).astype("int64").to_numpy()
    low = np.where(given, count, np.where(yes, 1, 0))
    high = np.where(given, count, np.where(no, 0, most))
    return (
        pd.Series(low, index=taken.index, dtype="int64"),
        pd.Series(high, index=taken.index, dtype="int64"),
    )


def _is(answers: pd.Series, value: bool) -> np.ndarray:
    """Where a nullable boolean column is ``value`` ("don't know" is neither), as numpy bools."""
    return answers.eq(value).fillna(False).to_numpy(dtype=bool)


def _decide(low: pd.Series, high: pd.Series, k: ArrayLike) -> pd.Series:
    """Kleene "the count is >= k" (k per row or one for all) from its bounds: met when the lower
    bound reaches k, not met when the upper bound cannot, else unknown (NA)."""
    out = pd.Series(pd.NA, index=low.index, dtype=BOOL)
    out[low.to_numpy() >= k] = True
    out[high.to_numpy() < k] = False
    return out


def food_groups(typed: pd.DataFrame, bank: RecallBank) -> pd.DataFrame:
    """The 8 WHO food groups as nullable booleans, columns 1-8."""
    idx = typed.index
    groups = {1: typed["breastfed"]}
    dairy = [typed[column("liquids", q.id)] for q in bank.liquids if q.kind in MILK_KINDS]
    for g in range(2, 9):
        cols = [typed[column("foods", f.id)] for f in bank.foods if f.group == g]
        groups[g] = _any(cols + (dairy if g == 4 else []), idx)
    return pd.DataFrame(groups, index=idx)


@dataclass(frozen=True)
class IndicatorFrames:
    """Output of :func:`indicator_frame`, one row per recall.

    ``value``: nullable boolean per indicator (NA = unknown because of "don't know" answers);
    ``applicable``: bool per indicator (age range, the non-breastfed branch of MMFF, birth
    questions asked); ``groups``: the 8 food groups (nullable boolean, columns 1-8);
    ``meals``: the feeds MMF counts (solid feeds if breastfed, solid + milk feeds if not; NA when
    not known exactly or outside 6-23 months), ``meal_target`` its minimum (2, 3 or 4; NA outside
    6-23 months or when breastfeeding is "don't know") and ``meals_at_least`` the lower bound of
    the feeds counted (NA likewise; equal to ``meals`` when that is known).
    """

    value: pd.DataFrame
    applicable: pd.DataFrame
    groups: pd.DataFrame
    meals: pd.Series
    meal_target: pd.Series
    meals_at_least: pd.Series


def _milk_feeds(t: pd.DataFrame, bank: RecallBank) -> tuple[pd.Series, pd.Series]:
    """(lower, upper bound) of all milk feeds: every liquid and food asked with times."""
    low = pd.Series(0, index=t.index, dtype="int64")
    high = pd.Series(0, index=t.index, dtype="int64")
    timed = [("liquids", q.id) for q in bank.liquids if q.with_times]
    timed += [("foods", f.id) for f in bank.foods if f.with_times]
    for key, item_id in timed:
        lo, hi = _times(
            t[column(key, item_id)], t[column(key, item_id, "times")], bank.max_times_per_liquid
        )
        low, high = low + lo, high + hi
    return low, high


def _solid_feeds(t: pd.DataFrame, bank: RecallBank, months: pd.Series) -> tuple[pd.Series, ...]:
    """(lower, upper bound) of the solid, semi-solid or soft feeds (see the module docstring)."""
    solid = t["solid_feeds"]
    foods = t[[column("foods", f.id) for f in bank.foods]]
    eaten = _is(t["solid_feeds_taken"], True) | foods.eq(True).fillna(False).any(axis=1).to_numpy()
    none = _is(t["solid_feeds_taken"], False) | foods.eq(False).fillna(False).all(axis=1).to_numpy()
    given = solid.notna().to_numpy()
    count = solid.fillna(0).astype("int64").to_numpy()
    low = np.where(given, count, np.where(eaten, 1, 0))
    high = np.where(given, count, np.where(none, 0, max_solid_feeds(months, bank)))
    return pd.Series(low, index=t.index, dtype="int64"), pd.Series(
        high, index=t.index, dtype="int64"
    )


def indicator_frame(frame: pd.DataFrame, bank: RecallBank | None = None) -> IndicatorFrames:
    """Every indicator for every recall, vectorised (see :class:`IndicatorFrames`). Validates
    the frame first (:func:`screening.feeding.frame.validate_frame`)."""
    bank = bank or reference.recall_bank()
    t = validate_frame(frame, bank)
    idx = t.index
    months = completed_months(t["age_days"])
    bf = t["breastfed"]
    groups = food_groups(t, bank)

    def kind(*kinds: str) -> pd.Series:
        return _any([t[column("liquids", q.id)] for q in bank.liquids if q.kind in kinds], idx)

    any_liquid = _any([t[column("liquids", q.id)] for q in bank.liquids], idx)
    food_cols = [t[column("foods", f.id)] for f in bank.foods]
    solid_any = _any([*food_cols, t["solid_feeds"] > 0, t["solid_feeds_taken"].fillna(False)], idx)

    milk_low, milk_high = _milk_feeds(t, bank)
    solid_low, solid_high = _solid_feeds(t, bank, months)

    mdd = _count_at_least([groups[g] for g in FOOD_GROUPS], MDD_MIN_GROUPS)
    need_bf = np.where(months <= 8, 2, 3)
    mmf_bf = _decide(solid_low, solid_high, need_bf)
    mmf_nonbf = _decide(solid_low + milk_low, solid_high + milk_high, MMF_NOT_BREASTFED) & _decide(
        solid_low, solid_high, 1
    )
    mmff = _decide(milk_low, milk_high, MMFF_MIN)
    mmf = (bf & mmf_bf) | (~bf & mmf_nonbf)

    sweet_parts = [kind("juice", "sweet_drink")]
    for q in bank.liquids:
        if q.asks_sweetened:
            sweet_parts.append(t[column("liquids", q.id)] & t[column("liquids", q.id, "sweetened")])
    unhealthy = [t[column("foods", f.id)] for f in bank.foods if f.unhealthy]

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

    low, high = COMPLEMENTARY_MONTHS
    feeding_age = (months >= low) & (months <= high) & bf.notna()
    is_bf = bf.fillna(False).to_numpy(dtype=bool)
    target = pd.Series(np.where(is_bf, need_bf, MMF_NOT_BREASTFED), index=idx, dtype=COUNT)
    meals_low = pd.Series(np.where(is_bf, solid_low, solid_low + milk_low), index=idx, dtype=COUNT)
    meals_high = pd.Series(
        np.where(is_bf, solid_high, solid_high + milk_high), index=idx, dtype=COUNT
    )
    exact = meals_low.eq(meals_high)
    return IndicatorFrames(
        value,
        applicable,
        groups,
        meals_low.where(feeding_age & exact, pd.NA),
        target.where(feeding_age, pd.NA),
        meals_low.where(feeding_age, pd.NA),
    )
