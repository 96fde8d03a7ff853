"""The WHO/UNICEF 2021 IYCF indicators, vectorised over a recall frame.

:func:`indicator_frame` computes every indicator for every recall with pandas nullable booleans
and Kleene logic, so a "don't know" only makes an indicator unknown when the answer could change
it; one recall is a frame of one row. Age: WHO completed months, ``floor(age_days / 30.4375)``.

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
from screening.feeding.frame import BOOL, COUNT, column, completed_months, validate_frame
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


def _times(taken: pd.Series, times: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(known count, unknown?) of a milk feed: 0 when not taken; unknown when taken is
    "don't know" or its times are."""
    known = times.where(taken.eq(True), 0).fillna(0).astype("int64")
    unknown = taken.isna() | (taken.eq(True) & times.isna())
    return known, unknown.astype(bool)


def _at_least(low: pd.Series, unknown: pd.Series, k: ArrayLike) -> pd.Series:
    """Kleene "the count is >= k" (k per row or one for all) from a lower bound and an unknown
    flag."""
    out = pd.Series(pd.NA, index=low.index, dtype=BOOL)
    out[low >= k] = True
    out[(low < k) & ~unknown] = False
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
    unknown or outside 6-23 months) and ``meal_target`` its minimum (2, 3 or 4; NA likewise).
    """

    value: pd.DataFrame
    applicable: pd.DataFrame
    groups: pd.DataFrame
    meals: pd.Series
    meal_target: pd.Series


def _milk_feeds(t: pd.DataFrame, bank: RecallBank) -> tuple[pd.Series, pd.Series]:
    """(known count, unknown?) of all milk feeds: every liquid and food asked with times."""
    known = pd.Series(0, index=t.index, dtype="int64")
    unknown = pd.Series(False, index=t.index)
    timed = [("liquids", q.id) for q in bank.liquids if q.with_times]
    timed += [("foods", f.id) for f in bank.foods if f.with_times]
    for key, item_id in timed:
        k, u = _times(t[column(key, item_id)], t[column(key, item_id, "times")])
        known, unknown = known + k, unknown | u
    return known, unknown


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
    solid_any = _any([*food_cols, t["solid_feeds"] > 0], idx)

    milk_known, milk_unknown = _milk_feeds(t, bank)
    solid_known = t["solid_feeds"].fillna(0).astype("int64")
    solid_unknown = t["solid_feeds"].isna()

    mdd = _count_at_least([groups[g] for g in FOOD_GROUPS], MDD_MIN_GROUPS)
    need_bf = np.where(months <= 8, 2, 3)
    mmf_bf = _at_least(solid_known, solid_unknown, need_bf)
    mmf_nonbf = _at_least(
        solid_known + milk_known, solid_unknown | milk_unknown, MMF_NOT_BREASTFED
    ) & _at_least(solid_known, solid_unknown, 1)
    mmff = _at_least(milk_known, milk_unknown, MMFF_MIN)
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
    meals = pd.Series(
        np.where(is_bf, solid_known, solid_known + milk_known), index=idx, dtype=COUNT
    )
    meals_unknown = solid_unknown | (~is_bf & milk_unknown)
    return IndicatorFrames(
        value,
        applicable,
        groups,
        meals.where(feeding_age & ~meals_unknown, pd.NA),
        target.where(feeding_age, pd.NA),
    )
