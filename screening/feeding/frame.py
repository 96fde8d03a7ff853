"""The recall frame: one row per recall, one column per answer (the batch and DB interchange
format), and its vectorised check.

Columns: ``age_days`` (int64), the answers as pandas nullable booleans (NA = "don't know"), the
counts as ``Int64``, ``birth_asked`` (bool); liquid and food answers are ``liquid_<id>`` /
``food_<id>``, with ``_times`` and ``_sweetened`` where the question bank asks them;
``solid_feeds_taken`` (nullable boolean: solids eaten, times perhaps not known) is optional in a
frame given to :func:`validate_frame` (absent: "don't know" for every row).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from screening import reference
from screening.feeding.recall import (
    BIRTH_FIELDS,
    ImpossibleRecallError,
    InvalidRecallValueError,
    MissingFieldError,
    Recall,
    RecallAgeError,
    check_types,
    item_specs,
)
from screening.reference import RecallBank
from screening.vocabulary import DAYS_PER_MONTH

BOOL = "boolean"
COUNT = "Int64"
PREFIX = {"liquids": "liquid", "foods": "food"}  # recall field → column prefix
MAX_MONTHS = 23  # recalls are for 0-23 completed months


def column(key: str, item_id: str, attribute: str = "taken") -> str:
    """The column of one answer: ``liquid_juice``, ``liquid_juice_sweetened``, ``food_egg``…"""
    base = f"{PREFIX[key]}_{item_id}"
    return base if attribute == "taken" else f"{base}_{attribute}"


def item_columns(bank: RecallBank) -> Iterator[tuple[str, str, str, str]]:
    """(recall field, item id, attribute, dtype) of every liquid and food column of ``bank``."""
    for key, spec in item_specs(bank).items():
        for item_id, (with_times, asks_sweetened) in spec.items():
            yield key, item_id, "taken", BOOL
            if with_times:
                yield key, item_id, "times", COUNT
            if asks_sweetened:
                yield key, item_id, "sweetened", BOOL


def completed_months(age_days: pd.Series) -> pd.Series:
    """WHO completed months, ``floor(age_days / 30.4375)``, of each age in days."""
    return np.floor(age_days.astype("float64") / DAYS_PER_MONTH).astype("int64")


def max_solid_feeds(months: pd.Series, bank: RecallBank) -> pd.Series:
    """The most solid/semi-solid/soft feeds a day a recall may report at each age in completed
    months (the question bank's ``max_solid_feeds``; more is an impossible recall)."""
    return pd.Series(
        np.select(
            [months < below for below, _ in bank.max_solid_feeds],
            [most for _, most in bank.max_solid_feeds],
            default=bank.max_solid_feeds[-1][1],
        ),
        index=months.index,
    )


def recall_columns(bank: RecallBank | None = None) -> dict[str, str]:
    """Column name → pandas dtype of a recall frame for ``bank`` (the format
    :func:`screening.feeding.aggregate.aggregate` reads)."""
    bank = bank or reference.recall_bank()
    cols = {
        "age_days": "int64",
        "breastfed": BOOL,
        "bottle_with_nipple": BOOL,
        "vitamin_d": BOOL,
        "solid_feeds": COUNT,
        "solid_feeds_taken": BOOL,
        "birth_asked": "bool",
    }
    cols.update(dict.fromkeys(BIRTH_FIELDS, BOOL))
    for key, item_id, attribute, dtype in item_columns(bank):
        cols[column(key, item_id, attribute)] = dtype
    return cols


def recalls_to_frame(recalls: Iterable[Recall], bank: RecallBank | None = None) -> pd.DataFrame:
    """A recall frame (see :func:`recall_columns`) from typed recalls."""
    bank = bank or reference.recall_bank()
    items = list(item_columns(bank))
    rows = []
    for r in recalls:
        check_types(r, bank)
        row: dict[str, Any] = {
            "age_days": r.age_days,
            "breastfed": r.breastfed,
            "bottle_with_nipple": r.bottle_with_nipple,
            "vitamin_d": r.vitamin_d,
            "solid_feeds": r.solid_feeds,
            "solid_feeds_taken": r.solid_feeds_taken,
            "birth_asked": r.birth is not None,
        }
        if r.birth is not None:
            row.update({name: getattr(r.birth, name) for name in BIRTH_FIELDS})
        for key, item_id, attribute, _ in items:
            row[column(key, item_id, attribute)] = getattr(getattr(r, key)[item_id], attribute)
        rows.append(row)
    columns = recall_columns(bank)
    frame = pd.DataFrame(rows, columns=list(columns))
    return frame.astype(columns)


def validate_frame(frame: pd.DataFrame, bank: RecallBank | None = None) -> pd.DataFrame:
    """Check a recall frame, vectorised: every column present, ages 0-23 months, no negative or
    excessive counts, no contradictions. Raises on the first problem, naming the column, the row
    label and how many rows share it; returns the frame with the columns in their dtypes."""
    bank = bank or reference.recall_bank()
    columns = recall_columns(bank)
    if "solid_feeds_taken" not in frame.columns:  # optional: frames written before it
        frame = frame.assign(solid_feeds_taken=pd.Series(pd.NA, index=frame.index, dtype=BOOL))
    for name in columns:
        if name not in frame.columns:
            raise MissingFieldError(field=name)
    try:
        typed = frame.astype(columns)
    except (TypeError, ValueError) as exc:
        raise InvalidRecallValueError(field="(frame)", value=str(exc)) from exc
    age = typed["age_days"]
    months = completed_months(age)
    out_of_range = (age < 0) | (months > MAX_MONTHS)
    if out_of_range.any():
        row = out_of_range.idxmax()
        raise RecallAgeError(age_days=int(age[row]), row=row, rows=int(out_of_range.sum()))

    def fail(mask: pd.Series, name: str, reason: str) -> None:
        mask = mask.fillna(False).astype(bool)
        if mask.any():
            row = mask.idxmax()
            raise ImpossibleRecallError(
                field=name,
                value=str(typed[name][row]),
                reason=reason,
                row=row,
                rows=int(mask.sum()),
            )

    limit = max_solid_feeds(months, bank)
    solid = typed["solid_feeds"]
    solid_taken = typed["solid_feeds_taken"]
    fail(solid < 0, "solid_feeds", "negative")
    fail(solid > limit, "solid_feeds", "more_than_possible_at_age")
    for key, item_id, attribute, _ in item_columns(bank):
        taken = typed[column(key, item_id)]
        name = column(key, item_id, attribute)
        if attribute == "times":
            times = typed[name]
            fail(times < 0, name, "negative")
            fail(times > bank.max_times_per_liquid, name, "more_than_possible")
            fail(taken.eq(False) & (times > 0), name, "times_for_item_not_taken")
            fail(taken.eq(True) & (times == 0), name, "taken_zero_times")
        elif attribute == "sweetened":
            fail(taken.eq(False) & typed[name].eq(True), name, "sweetened_but_not_taken")
    foods = typed[[column("foods", f.id) for f in bank.foods]]
    fail(foods.eq(True).any(axis=1) & (solid == 0), "solid_feeds", "zero_with_foods_eaten")
    fail(foods.eq(False).all(axis=1) & (solid > 0), "solid_feeds", "feeds_without_any_food")
    fail(solid_taken.eq(False) & (solid > 0), "solid_feeds", "times_for_item_not_taken")
    fail(solid_taken.eq(True) & (solid == 0), "solid_feeds", "taken_zero_times")
    fail(solid_taken.eq(False) & foods.eq(True).any(axis=1), "solid_feeds", "zero_with_foods_eaten")
    fail(solid_taken.eq(True) & foods.eq(False).all(axis=1), "solid_feeds", "some_without_food")
    asked = typed["birth_asked"]
    for name in BIRTH_FIELDS:
        fail(~asked & typed[name].notna(), name, "birth_answer_without_birth_questions")
    never = typed["ever_breastfed"].eq(False)
    for name in ("breastfed_within_1h", "only_breast_milk_first_2_days", "breastfed"):
        fail(never & typed[name].eq(True), name, "never_breastfed")
    return typed
