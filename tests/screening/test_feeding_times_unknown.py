"""A liquid or food "taken, number of times not known" counts as at least one feed: the meal
frequency (MMF) and milk feeding frequency (MMFF) are decided when the counts' lower bound
already reaches the threshold or their upper bound cannot, unknown only when neither, for one
recall and in the vectorised aggregate (shared/domain/screening.md 2)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from screening import feeding
from screening.feeding import Consumed, Status
from tests.screening.test_feeding import first_day, recall

TWELVE = first_day(12)  # 366 days, 12 completed months
NINE = first_day(9)  # 274 days
SOME = Consumed(True, None)  # taken, number of times not known


def assess(r):
    return feeding.assess_recall(r)


@pytest.mark.parametrize(
    ("solid", "liquids", "mmf", "at_least", "mmff"),
    [
        # the case: 3 solid feeds + formula taken → at least 4 feeds, 3 of them solid
        (3, {"infant_formula": SOME}, Status.MET, 4, Status.UNKNOWN),
        # 2 solid feeds + formula taken: at least 3, perhaps more → open
        (2, {"infant_formula": SOME}, Status.UNKNOWN, 3, Status.UNKNOWN),
        # 2 solid + two milks taken: at least 4 → met; 2 milk feeds → MMFF met too
        (2, {"infant_formula": SOME, "animal_milk": SOME}, Status.MET, 4, Status.MET),
        # a milk "don't know" (taken or not) adds nothing to the lower bound
        (3, {"infant_formula": Consumed(None)}, Status.UNKNOWN, 3, Status.UNKNOWN),
        # counts given: decided as before
        (3, {"infant_formula": 1}, Status.MET, 4, Status.NOT_MET),
        (2, {"infant_formula": 1}, Status.NOT_MET, 3, Status.NOT_MET),
    ],
)
def test_not_breastfed_meal_frequency_with_times_not_known(solid, liquids, mmf, at_least, mmff):
    result = assess(recall(TWELVE, bf=False, foods={"porridge_rice"}, solid=solid, liquids=liquids))
    assert result.indicators["MMF"] is mmf
    assert result.indicators["MMFF"] is mmff
    assert result.meal_target == 4
    assert result.meal_count_at_least == at_least
    exact = all(not isinstance(v, Consumed) or v.times is not None for v in liquids.values())
    assert result.meal_count == (at_least if exact else None)
    assert ("FEED_MMF_NOT_MET" in {f.code for f in result.flags}) is (mmf is Status.NOT_MET)


def _solids_blank(r, taken=None):
    return replace(r, solid_feeds=None, solid_feeds_taken=taken)


@pytest.mark.parametrize("taken", [True, None])
def test_solid_feeds_left_blank_with_food_eaten_count_one(taken) -> None:
    # not breastfed: 1 solid (at least) + 3 formula feeds = 4, one of them solid → met
    base = recall(TWELVE, bf=False, foods={"porridge_rice"}, liquids={"infant_formula": 3})
    result = assess(_solids_blank(base, taken))
    assert result.indicators["MMF"] is Status.MET
    assert (result.meal_count, result.meal_count_at_least) == (None, 4)


def test_solid_feeds_blank_with_every_food_no_is_zero_solid_feeds() -> None:
    # the upper bound decides: no food eaten → no solid feed → "at least 1 solid" fails
    base = recall(TWELVE, bf=False, liquids={"infant_formula": 5})
    result = assess(_solids_blank(base))
    assert result.indicators["MMF"] is Status.NOT_MET
    assert result.meal_count == 5


@pytest.mark.parametrize(
    ("foods", "taken", "expected"),
    [
        ({"porridge_rice"}, True, Status.UNKNOWN),  # at least 1 of the 3 needed at 9 months
        (set(), None, Status.NOT_MET),  # every food "no": 0 solid feeds
        (set(), False, Status.NOT_MET),
    ],
)
def test_breastfed_solid_feeds_blank(foods, taken, expected) -> None:
    result = assess(_solids_blank(recall(NINE, foods=foods), taken))
    assert result.indicators["MMF"] is expected
    assert result.meal_target == 3


def test_solids_some_starts_solids() -> None:
    # 6-8 months: solids eaten, times not known → ISSSF met, MMF (2 needed) still open
    r = _solids_blank(recall(first_day(6), foods={"infant_cereal"}), True)
    result = assess(r)
    assert result.indicators["ISSSF"] is Status.MET
    assert result.indicators["MMF"] is Status.UNKNOWN
    assert result.meal_count_at_least == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"solid_feeds": 2, "solid_feeds_taken": False}, "times_for_item_not_taken"),
        ({"solid_feeds": 0, "solid_feeds_taken": True}, "taken_zero_times"),
        ({"solid_feeds": None, "solid_feeds_taken": False}, "zero_with_foods_eaten"),
    ],
)
def test_contradictions_of_solids_taken(change, reason) -> None:
    r = replace(recall(NINE, foods={"porridge_rice"}), **change)
    if reason == "taken_zero_times":
        r = replace(recall(NINE), **change)
    with pytest.raises(feeding.ImpossibleRecallError) as info:
        assess(r)
    assert info.value.params["reason"] == reason
    assert info.value.params["field"] == "solid_feeds"


def test_solids_some_with_every_food_no_is_refused() -> None:
    with pytest.raises(feeding.ImpossibleRecallError) as info:
        assess(_solids_blank(recall(NINE), True))
    assert info.value.message_id == "error.feeding.impossible.some_without_food"


def test_solids_taken_must_be_an_answer() -> None:
    with pytest.raises(feeding.InvalidRecallValueError):
        assess(replace(recall(NINE, foods={"porridge_rice"}), solid_feeds_taken="yes"))


def test_from_mapping_reads_solids_taken_and_defaults_to_not_asked() -> None:
    r = recall(TWELVE, bf=False, foods={"porridge_rice"}, solid=3)
    data = {
        "age_days": r.age_days,
        "breastfed": False,
        "bottle_with_nipple": False,
        "liquids": {k: {"taken": v.taken, "times": v.times} for k, v in r.liquids.items()},
        "foods": {k: {"taken": v.taken, "times": v.times} for k, v in r.foods.items()},
        "solid_feeds": None,
        "vitamin_d": True,
    }
    data["liquids"]["infant_formula"] = {"taken": True}
    assert feeding.Recall.from_mapping(data).solid_feeds_taken is None
    typed = feeding.Recall.from_mapping({**data, "solid_feeds_taken": True})
    assert typed.solid_feeds_taken is True
    # at least 1 solid + at least 1 formula feed = 2 of 4: open
    assert assess(typed).indicators["MMF"] is Status.UNKNOWN


# ------------------------------------------------------------------ the aggregate, vectorised


def _frame():
    recalls = [
        recall(
            TWELVE, bf=False, foods={"porridge_rice"}, solid=3, liquids={"infant_formula": SOME}
        ),
        recall(
            TWELVE, bf=False, foods={"porridge_rice"}, solid=2, liquids={"infant_formula": SOME}
        ),
        recall(TWELVE, bf=False, foods={"porridge_rice"}, solid=2, liquids={"infant_formula": 1}),
    ]
    return feeding.recalls_to_frame(recalls)


@pytest.mark.parametrize("drop_column", [False, True])
def test_aggregate_counts_a_decided_recall(drop_column) -> None:
    frame = _frame()
    if drop_column:  # a frame written before the solids-taken answer existed
        frame = frame.drop(columns="solid_feeds_taken")
    table = feeding.aggregate(frame).set_index("indicator")
    assert tuple(table.loc["MMF", ["numerator", "denominator", "unknown"]]) == (1, 2, 1)
    assert table.loc["MMF", "percent"] == 50.0
    assert tuple(table.loc["MMFF", ["numerator", "denominator", "unknown"]]) == (0, 1, 2)
