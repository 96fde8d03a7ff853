"""The feeding recall: every WHO/UNICEF 2021 indicator at its age edges, the breastfed and
non-breastfed branches of MMF/MMFF/MAD, "don't know" as missing, impossible recalls, advice
flags, escalation and the vectorised aggregate."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from screening import feeding, reference
from screening.feeding import Consumed, Recall, Status
from screening.flags import Severity

BANK = reference.recall_bank()
MILK = {"infant_formula", "animal_milk", "yogurt_drink"}


def first_day(months: int) -> int:
    """The first age in days at ``months`` WHO completed months."""
    return math.ceil(months * 30.4375)


def last_day(months: int) -> int:
    return first_day(months + 1) - 1


def recall(
    age_days: int,
    *,
    bf: bool | None = True,
    bottle: bool | None = False,
    foods: dict | set = frozenset(),
    liquids: dict | None = None,
    solid: int | None = None,
    vit_d: bool | None = True,
    birth: feeding.BirthAnswers | None = None,
) -> Recall:
    """A recall where nothing was taken except what is named. ``foods``: ids eaten (a set) or
    id → Consumed/answer; ``liquids``: id → Consumed, or id → times for milk feeds, or True."""
    food_answers = {f.id: Consumed(False) for f in BANK.foods}
    if isinstance(foods, dict):
        food_answers.update(
            {k: v if isinstance(v, Consumed) else Consumed(v) for k, v in foods.items()}
        )
    else:
        food_answers.update({k: Consumed(True, 1 if k == "yogurt" else None) for k in foods})
    liquid_answers = {q.id: Consumed(False) for q in BANK.liquids}
    for key, value in (liquids or {}).items():
        if isinstance(value, Consumed):
            liquid_answers[key] = value
        elif isinstance(value, int) and not isinstance(value, bool):
            liquid_answers[key] = Consumed(value > 0, value if value > 0 else None)
        else:
            liquid_answers[key] = Consumed(value)
    eaten = sum(1 for a in food_answers.values() if a.taken)
    if solid is None:
        solid = min(eaten, 3)
    return Recall(age_days, bf, bottle, liquid_answers, food_answers, solid, vit_d, birth)


def status(r: Recall, code: str) -> Status:
    return feeding.assess_recall(r).indicators[code]


FIVE_GROUPS = {
    "porridge_rice",
    "pulses",
    "eggs",
    "red_meat",
    "other_fruits",
}  # groups 2, 3, 6, 5, 8


# ------------------------------------------------------------------ applicability by age


@pytest.mark.parametrize(
    ("code", "low", "high"),
    [
        (code, *feeding.AGE_RANGE[code])
        for code in feeding.INDICATORS
        if code not in ("EvBF", "EIBF", "EBF2D", "MMFF")
    ],
)
def test_age_range_edges(code, low, high) -> None:
    inside = [first_day(low), last_day(high)]
    outside = [d for d in (first_day(low) - 1, last_day(high) + 1) if 0 <= d <= 730]
    for day in inside:
        assert status(recall(day), code) is not Status.NOT_APPLICABLE, day
    for day in outside:
        assert status(recall(day), code) is Status.NOT_APPLICABLE, day


def test_age_beyond_23_months_is_refused() -> None:
    with pytest.raises(feeding.RecallAgeError):
        feeding.assess_recall(recall(731))
    feeding.assess_recall(recall(730))


@pytest.mark.parametrize("day", [0, 182, 183, 730])
def test_birth_indicators_only_when_asked(day) -> None:
    asked = recall(day, birth=feeding.BirthAnswers(True, False, None))
    result = feeding.assess_recall(asked)
    assert (result.indicators["EvBF"], result.indicators["EIBF"], result.indicators["EBF2D"]) == (
        Status.MET,
        Status.NOT_MET,
        Status.UNKNOWN,
    )
    for code in ("EvBF", "EIBF", "EBF2D"):
        assert status(recall(day), code) is Status.NOT_APPLICABLE


# ------------------------------------------------------------------ 0-5 months


@pytest.mark.parametrize(
    ("kw", "ebf", "mixmf"),
    [
        ({}, Status.MET, Status.NOT_MET),
        ({"liquids": {"water": True}}, Status.NOT_MET, Status.NOT_MET),
        ({"liquids": {"infant_formula": 3}}, Status.NOT_MET, Status.MET),
        ({"liquids": {"animal_milk": 2}}, Status.NOT_MET, Status.MET),
        ({"liquids": {"broth": True}}, Status.NOT_MET, Status.NOT_MET),
        ({"foods": {"infant_cereal"}}, Status.NOT_MET, Status.NOT_MET),
        ({"bf": False, "liquids": {"infant_formula": 6}}, Status.NOT_MET, Status.NOT_MET),
        ({"bf": None}, Status.UNKNOWN, Status.NOT_MET),  # no formula or milk: MixMF cannot hold
        ({"bf": None, "liquids": {"infant_formula": 2}}, Status.NOT_MET, Status.UNKNOWN),
        ({"liquids": {"water": None}}, Status.UNKNOWN, Status.NOT_MET),
        ({"liquids": {"water": None, "juice": True}}, Status.NOT_MET, Status.NOT_MET),
    ],
)
def test_ebf_and_mixmf(kw, ebf, mixmf) -> None:
    result = feeding.assess_recall(recall(150, **kw))
    assert (result.indicators["EBF"], result.indicators["MixMF"]) == (ebf, mixmf)


def test_cbf() -> None:
    assert status(recall(first_day(12), bf=True), "CBF") is Status.MET
    assert (
        status(recall(first_day(12), bf=False, liquids={"animal_milk": 2}), "CBF") is Status.NOT_MET
    )


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({}, Status.NOT_MET),
        ({"foods": {"infant_cereal"}}, Status.MET),
        ({"foods": {"yogurt"}}, Status.MET),
        ({"foods": {"other_solid"}}, Status.MET),
        ({"foods": {"sweets"}}, Status.MET),
        ({"foods": {"porridge_rice": None}, "solid": None}, Status.UNKNOWN),
    ],
)
def test_isssf(kw, expected) -> None:
    assert status(recall(first_day(6), **kw), "ISSSF") is expected


# ------------------------------------------------------------------ 6-23 months: diversity


@pytest.mark.parametrize(
    ("bf", "foods", "liquids", "expected"),
    [
        (True, {"porridge_rice", "pulses", "eggs", "red_meat"}, {}, Status.MET),  # 4 + breast milk
        (
            False,
            {"porridge_rice", "pulses", "eggs", "red_meat"},
            {"animal_milk": 2},
            Status.MET,
        ),  # dairy via milk
        (False, {"porridge_rice", "pulses", "eggs", "red_meat"}, {"yogurt_drink": 2}, Status.MET),
        (False, {"porridge_rice", "pulses", "eggs", "red_meat"}, {"water": True}, Status.NOT_MET),
        (True, {"porridge_rice", "pulses", "eggs"}, {}, Status.NOT_MET),
        (
            True,
            {"porridge_rice", "wheat_foods", "white_tubers", "infant_cereal", "sweets"},
            {},
            Status.NOT_MET,
        ),
        (
            True,
            {"porridge_rice": True, "pulses": True, "eggs": True, "red_meat": None},
            {},
            Status.UNKNOWN,
        ),
        (None, {"porridge_rice", "pulses", "eggs", "red_meat"}, {}, Status.UNKNOWN),
    ],
)
def test_mdd(bf, foods, liquids, expected) -> None:
    assert (
        status(recall(first_day(9), bf=bf, foods=foods, liquids=liquids, solid=3), "MDD")
        is expected
    )


def test_food_group_wheel_and_national_groups() -> None:
    result = feeding.assess_recall(
        recall(first_day(9), foods=FIVE_GROUPS, liquids={"infant_formula": 1}, solid=3)
    )
    assert dict(result.food_groups) == {
        1: True,
        2: True,
        3: True,
        4: True,
        5: True,
        6: True,
        7: False,
        8: True,
    }
    assert result.groups_count == 7
    assert (result.national_groups_count, result.national_diversity_met) == (6, True)


# ------------------------------------------------------------------ MMF / MMFF / MAD branches


@pytest.mark.parametrize(
    ("day", "bf", "solid", "liquids", "yogurt", "mmf", "target", "count"),
    [
        # breastfed 6-8 months: >= 2 solid feeds
        (last_day(8), True, 1, {}, None, Status.NOT_MET, 2, 1),
        (last_day(8), True, 2, {}, None, Status.MET, 2, 2),
        # breastfed 9-23 months: >= 3
        (first_day(9), True, 2, {}, None, Status.NOT_MET, 3, 2),
        (first_day(9), True, 3, {}, None, Status.MET, 3, 3),
        (last_day(23), True, 3, {}, None, Status.MET, 3, 3),
        # not breastfed: >= 4 feeds of solids or milk, >= 1 solid
        (first_day(6), False, 2, {"infant_formula": 1}, None, Status.NOT_MET, 4, 3),
        (first_day(6), False, 2, {"infant_formula": 2}, None, Status.MET, 4, 4),
        (first_day(12), False, 1, {"animal_milk": 2}, 1, Status.MET, 4, 4),  # yogurt is a milk feed
        (first_day(12), False, 0, {"animal_milk": 5}, None, Status.NOT_MET, 4, 5),  # no solid feed
        (
            first_day(12),
            False,
            3,
            {"animal_milk": Consumed(True, None)},
            None,
            Status.MET,  # 3 solid + milk taken, times not known: at least 4 (was unknown)
            4,
            None,
        ),
        (first_day(12), False, 4, {"animal_milk": Consumed(True, None)}, None, Status.MET, 4, None),
    ],
)
def test_mmf_branches_and_meal_count(day, bf, solid, liquids, yogurt, mmf, target, count) -> None:
    foods = {"porridge_rice": True} if solid else {}
    if yogurt:
        foods["yogurt"] = Consumed(True, yogurt)
    result = feeding.assess_recall(recall(day, bf=bf, foods=foods, liquids=liquids, solid=solid))
    assert result.indicators["MMF"] is mmf
    assert (result.meal_target, result.meal_count) == (target, count)


@pytest.mark.parametrize(
    ("bf", "liquids", "yogurt", "expected"),
    [
        (True, {"infant_formula": 3}, None, Status.NOT_APPLICABLE),  # breastfed: not in denominator
        (False, {"infant_formula": 1}, None, Status.NOT_MET),
        (False, {"infant_formula": 2}, None, Status.MET),
        (False, {"animal_milk": 1, "yogurt_drink": 1}, None, Status.MET),
        (False, {"animal_milk": 1}, 1, Status.MET),
        (False, {"animal_milk": Consumed(None)}, None, Status.UNKNOWN),
        (None, {"infant_formula": 3}, None, Status.UNKNOWN),  # branch unknown: counted as missing
    ],
)
def test_mmff(bf, liquids, yogurt, expected) -> None:
    foods = {"porridge_rice": True}
    if yogurt:
        foods["yogurt"] = Consumed(True, yogurt)
    assert (
        status(recall(first_day(9), bf=bf, foods=foods, liquids=liquids, solid=2), "MMFF")
        is expected
    )


@pytest.mark.parametrize(
    ("bf", "foods", "solid", "liquids", "expected"),
    [
        (True, FIVE_GROUPS, 3, {}, Status.MET),  # MDD and MMF
        (True, FIVE_GROUPS, 2, {}, Status.NOT_MET),  # MMF not met at 9 m
        (True, {"porridge_rice", "eggs"}, 3, {}, Status.NOT_MET),  # MDD not met
        (False, FIVE_GROUPS, 2, {"infant_formula": 2}, Status.MET),  # MDD, MMF (4) and MMFF (2)
        (False, FIVE_GROUPS, 3, {"infant_formula": 1}, Status.NOT_MET),  # MMF 4 but MMFF 1
        (False, FIVE_GROUPS, 2, {"infant_formula": Consumed(True, None)}, Status.UNKNOWN),
    ],
)
def test_mad_branches(bf, foods, solid, liquids, expected) -> None:
    assert (
        status(recall(first_day(9), bf=bf, foods=foods, solid=solid, liquids=liquids), "MAD")
        is expected
    )


# ------------------------------------------------------------------ EFF, SwB, UFC, ZVF, BoF


@pytest.mark.parametrize(
    ("code", "kw", "expected"),
    [
        ("EFF", {"foods": {"eggs"}}, Status.MET),
        ("EFF", {"foods": {"fish_seafood"}}, Status.MET),
        ("EFF", {"foods": {"organ_meat"}}, Status.MET),
        ("EFF", {"foods": {"pulses"}}, Status.NOT_MET),
        ("SwB", {"liquids": {"juice": True}}, Status.MET),
        ("SwB", {"liquids": {"sweet_drink": True}}, Status.MET),
        ("SwB", {"liquids": {"animal_milk": Consumed(True, 2, True)}}, Status.MET),
        ("SwB", {"liquids": {"animal_milk": Consumed(True, 2, False)}}, Status.NOT_MET),
        ("SwB", {"liquids": {"yogurt_drink": Consumed(True, 1, None)}}, Status.UNKNOWN),
        ("SwB", {"liquids": {"water": True, "infant_formula": 3}}, Status.NOT_MET),
        ("UFC", {"foods": {"instant_noodles"}}, Status.MET),
        ("UFC", {"foods": {"fried_dough"}}, Status.MET),
        ("UFC", {"foods": {"frozen_treats"}}, Status.MET),
        ("UFC", {"foods": {"porridge_rice"}}, Status.NOT_MET),
        ("ZVF", {"foods": {"porridge_rice"}}, Status.MET),
        ("ZVF", {"foods": {"vita_vegetables"}}, Status.NOT_MET),
        ("ZVF", {"foods": {"other_fruits"}}, Status.NOT_MET),
        ("ZVF", {"foods": {"porridge_rice": True, "other_fruits": None}}, Status.UNKNOWN),
        ("BoF", {"bottle": True}, Status.MET),
        ("BoF", {"bottle": False}, Status.NOT_MET),
        ("BoF", {"bottle": None}, Status.UNKNOWN),
    ],
)
def test_other_indicators(code, kw, expected) -> None:
    assert status(recall(first_day(12), **kw), code) is expected


def test_bottle_applies_from_birth() -> None:
    assert status(recall(0, bottle=True), "BoF") is Status.MET


# ------------------------------------------------------------------ flags and advice


def test_all_good_recall_has_no_flag_and_says_so() -> None:
    result = feeding.assess_recall(recall(100))
    assert result.flags == ()
    assert result.advice == ("advice.feeding.all_good",)


@pytest.mark.parametrize(
    ("r", "code"),
    [
        (recall(100, liquids={"water": True}), "FEED_NOT_EXCLUSIVELY_BREASTFED"),
        (recall(first_day(6)), "FEED_SOLIDS_NOT_STARTED"),
        (recall(first_day(4) - 1, foods={"infant_cereal"}), "FEED_SOLIDS_BEFORE_4_MONTHS"),
        (recall(first_day(9), foods={"porridge_rice"}, solid=3), "FEED_MDD_NOT_MET"),
        (recall(first_day(9), foods=FIVE_GROUPS, solid=2), "FEED_MMF_NOT_MET"),
        (
            recall(
                first_day(9), bf=False, foods=FIVE_GROUPS, solid=4, liquids={"infant_formula": 1}
            ),
            "FEED_MMFF_NOT_MET",
        ),
        (recall(first_day(9), foods=FIVE_GROUPS, solid=2), "FEED_MAD_NOT_MET"),
        (recall(first_day(9), foods={"porridge_rice", "pulses"}, solid=3), "FEED_NO_EGG_OR_FLESH"),
        (
            recall(first_day(9), foods=FIVE_GROUPS, solid=3, liquids={"juice": True}),
            "FEED_SWEET_BEVERAGE",
        ),
        (recall(first_day(9), foods=FIVE_GROUPS | {"sweets"}, solid=3), "FEED_UNHEALTHY_FOOD"),
        (
            recall(first_day(9), foods={"porridge_rice", "eggs"}, solid=3),
            "FEED_NO_VEGETABLE_OR_FRUIT",
        ),
        (recall(first_day(9), foods=FIVE_GROUPS, solid=3, bottle=True), "FEED_BOTTLE"),
        (recall(14, vit_d=False), "FEED_NO_VITAMIN_D"),
    ],
)
def test_each_feeding_flag(r, code) -> None:
    result = feeding.assess_recall(r)
    flag = next(f for f in result.flags if f.code == code)
    assert flag.severity is Severity.ADVICE and flag.domain == "feeding"
    assert (
        flag.evidence.rule_version == "iycf-2021.1"
        and flag.evidence.instrument_version == BANK.version
    )
    if code != "FEED_MAD_NOT_MET":
        assert flag.parent_message_id in result.advice


@pytest.mark.parametrize(("day", "flagged"), [(first_day(4) - 1, True), (first_day(4), False)])
def test_solids_before_4_months_edge(day, flagged) -> None:
    result = feeding.assess_recall(recall(day, foods={"infant_cereal"}))
    assert ("FEED_SOLIDS_BEFORE_4_MONTHS" in [f.code for f in result.flags]) is flagged


@pytest.mark.parametrize(("day", "flagged"), [(13, False), (14, True)])
def test_vitamin_d_edge(day, flagged) -> None:
    result = feeding.assess_recall(recall(day, vit_d=False))
    assert ("FEED_NO_VITAMIN_D" in [f.code for f in result.flags]) is flagged
    assert "FEED_NO_VITAMIN_D" not in [
        f.code for f in feeding.assess_recall(recall(day, vit_d=None)).flags
    ]


def test_advice_is_prioritised() -> None:
    r = recall(
        first_day(9),
        foods={"porridge_rice", "sweets"},
        solid=1,
        liquids={"juice": True},
        bottle=True,
    )
    advice = feeding.assess_recall(r).advice
    order = [
        "flag.feed_mmf_not_met.parent",
        "flag.feed_mdd_not_met.parent",
        "flag.feed_no_egg_or_flesh.parent",
        "flag.feed_no_vegetable_or_fruit.parent",
        "flag.feed_sweet_beverage.parent",
        "flag.feed_unhealthy_food.parent",
        "flag.feed_bottle.parent",
    ]
    assert [a for a in advice if a.startswith("flag.")] == order
    assert "advice.feeding.no_salt_sugar" in advice


def test_escalation_to_the_doctor() -> None:
    first = feeding.assess_recall(recall(first_day(9), foods={"porridge_rice"}, solid=3)).flags
    second = feeding.assess_recall(
        recall(first_day(9) + 30, foods={"porridge_rice", "eggs"}, solid=3)
    ).flags
    assert feeding.escalate(first) == ()
    persistent = feeding.escalate(second, first)
    assert [f.code for f in persistent] == ["FEED_PERSISTENT"]
    assert persistent[0].severity is Severity.REVIEW
    assert "FEED_MDD_NOT_MET" in persistent[0].evidence.item_ids
    assert "FEED_NO_EGG_OR_FLESH" not in persistent[0].evidence.item_ids  # solved meanwhile
    with_faltering = feeding.escalate(first, growth_faltering=True)
    assert [f.code for f in with_faltering] == ["FEED_WITH_FALTERING"]
    assert feeding.escalate((), first, growth_faltering=True) == ()


# ------------------------------------------------------------------ impossible recalls


@pytest.mark.parametrize(
    ("r", "reason", "field"),
    [
        (recall(90, foods={"infant_cereal"}, solid=9), "more_than_possible_at_age", "solid_feeds"),
        (
            recall(first_day(4), foods={"infant_cereal"}, solid=6),
            "more_than_possible_at_age",
            "solid_feeds",
        ),
        (
            recall(first_day(12), foods={"porridge_rice"}, solid=11),
            "more_than_possible_at_age",
            "solid_feeds",
        ),
        (recall(100, solid=-1), "negative", "solid_feeds"),
        (
            recall(100, liquids={"infant_formula": Consumed(True, -2)}),
            "negative",
            "liquid_infant_formula_times",
        ),
        (
            recall(100, liquids={"infant_formula": Consumed(True, 25)}),
            "more_than_possible",
            "liquid_infant_formula_times",
        ),
        (
            recall(100, liquids={"infant_formula": Consumed(False, 2)}),
            "times_for_item_not_taken",
            "liquid_infant_formula_times",
        ),
        (
            recall(100, liquids={"infant_formula": Consumed(True, 0)}),
            "taken_zero_times",
            "liquid_infant_formula_times",
        ),
        (
            recall(100, liquids={"animal_milk": Consumed(False, None, True)}),
            "sweetened_but_not_taken",
            "liquid_animal_milk_sweetened",
        ),
        (
            recall(first_day(9), foods={"porridge_rice"}, solid=0),
            "zero_with_foods_eaten",
            "solid_feeds",
        ),
        (recall(first_day(9), solid=2), "feeds_without_any_food", "solid_feeds"),
        (
            recall(10, birth=feeding.BirthAnswers(False, True, None)),
            "never_breastfed",
            "breastfed_within_1h",
        ),
        (
            recall(10, bf=True, birth=feeding.BirthAnswers(False, None, None)),
            "never_breastfed",
            "breastfed",
        ),
    ],
)
def test_impossible_recall(r, reason, field) -> None:
    with pytest.raises(feeding.ImpossibleRecallError) as info:
        feeding.assess_recall(r)
    assert info.value.message_id == f"error.feeding.impossible.{reason}"
    assert info.value.params["field"] == field


@pytest.mark.parametrize(
    ("change", "error", "field"),
    [
        (lambda d: d.pop("solid_feeds"), feeding.MissingFieldError, "solid_feeds"),
        (lambda d: d["foods"].pop("eggs"), feeding.MissingFieldError, "foods.eggs"),
        (lambda d: d["foods"]["eggs"].pop("taken"), feeding.MissingFieldError, "foods.eggs.taken"),
        (
            lambda d: d["foods"].update(durian={"taken": True}),
            feeding.UnknownRecallItemError,
            "foods",
        ),
        (
            lambda d: d["liquids"]["water"].update(times=2),
            feeding.UnknownRecallItemError,
            "liquids.water",
        ),
        (
            lambda d: d["liquids"]["water"].update(colour="red"),
            feeding.UnknownRecallItemError,
            "liquids.water",
        ),
        (lambda d: d.update(breastfed="yes"), feeding.InvalidRecallValueError, "breastfed"),
        (lambda d: d.update(solid_feeds=2.5), feeding.InvalidRecallValueError, "solid_feeds"),
        (lambda d: d.update(solid_feeds=True), feeding.InvalidRecallValueError, "solid_feeds"),
        (
            lambda d: d.update(birth={"ever_breastfed": True}),
            feeding.MissingFieldError,
            "birth.breastfed_within_1h",
        ),
    ],
)
def test_from_mapping_refuses_bad_data(change, error, field) -> None:
    data = {
        "age_days": 300,
        "breastfed": True,
        "bottle_with_nipple": False,
        "solid_feeds": 2,
        "vitamin_d": True,
        "liquids": {q.id: {"taken": False} for q in BANK.liquids},
        "foods": {f.id: {"taken": f.id == "eggs"} for f in BANK.foods},
    }
    assert Recall.from_mapping(data).foods["eggs"].taken is True
    change(data)
    with pytest.raises(error) as info:
        Recall.from_mapping(data)
    assert info.value.params["field"] == field


# ------------------------------------------------------------------ the vectorised aggregate


def _many() -> tuple[list[Recall], pd.DataFrame]:
    recalls = [
        recall(100),
        recall(120, liquids={"water": True}),
        recall(150, bf=None),
        recall(first_day(6), foods={"infant_cereal"}, solid=1),
        recall(first_day(6) + 10),
        recall(first_day(9), foods=FIVE_GROUPS, solid=3),
        recall(first_day(12), bf=False, foods=FIVE_GROUPS, solid=2, liquids={"animal_milk": 2}),
        recall(first_day(18), foods={"porridge_rice"}, solid=3, bottle=True),
        recall(
            last_day(23),
            bf=False,
            foods={"porridge_rice": True, "eggs": None},
            solid=3,
            liquids={"animal_milk": Consumed(True, None)},
        ),
    ]
    frame = feeding.recalls_to_frame(recalls)
    frame["area"] = [
        "north",
        "north",
        "south",
        "south",
        "north",
        "north",
        "south",
        "north",
        "south",
    ]
    frame["sex"] = ["F", "M", "F", "M", "F", "M", "F", "M", "F"]
    return recalls, frame


def test_aggregate_matches_per_recall_results() -> None:
    recalls, frame = _many()
    table = feeding.aggregate(frame, by=["area", "age_group"])
    results = [feeding.assess_recall(r) for r in recalls]
    groups = feeding.age_group(frame["age_days"])
    for (area, group, code), row in table.set_index(["area", "age_group", "indicator"]).iterrows():
        members = [
            res
            for res, a, g in zip(results, frame["area"], groups, strict=True)
            if a == area and g == group
        ]
        statuses = [m.indicators[code] for m in members]
        assert row["numerator"] == statuses.count(Status.MET), (area, group, code)
        assert row["denominator"] == statuses.count(Status.MET) + statuses.count(Status.NOT_MET)
        assert row["unknown"] == statuses.count(Status.UNKNOWN)
    assert table.attrs["label"].startswith("service data")


def test_aggregate_without_groups_and_percent() -> None:
    _, frame = _many()
    table = feeding.aggregate(frame).set_index("indicator")
    assert list(table.index) == list(feeding.INDICATORS)
    assert (
        table.loc["EBF", "numerator"],
        table.loc["EBF", "denominator"],
        table.loc["EBF", "unknown"],
    ) == (1, 2, 1)
    assert table.loc["EBF", "percent"] == 50.0
    assert math.isnan(table.loc["EvBF", "percent"])


@pytest.mark.parametrize(
    ("day", "group"),
    [
        (0, "0-5"),
        (last_day(5), "0-5"),
        (first_day(6), "6-8"),
        (last_day(8), "6-8"),
        (first_day(9), "9-11"),
        (last_day(11), "9-11"),
        (first_day(12), "12-17"),
        (last_day(17), "12-17"),
        (first_day(18), "18-23"),
        (last_day(23), "18-23"),
    ],
)
def test_age_groups(day, group) -> None:
    assert feeding.age_group(pd.Series([day]))[0] == group


def test_aggregate_refuses_bad_frames() -> None:
    _, frame = _many()
    with pytest.raises(feeding.MissingFieldError):
        feeding.aggregate(frame.drop(columns=["food_eggs"]))
    with pytest.raises(feeding.MissingFieldError):
        feeding.aggregate(frame, by=["clinic"])
    bad = frame.copy()
    bad.loc[3, "solid_feeds"] = -1
    with pytest.raises(feeding.ImpossibleRecallError) as info:
        feeding.aggregate(bad)
    assert info.value.params["row"] == 3 and info.value.params["rows"] == 1
    old = frame.copy()
    old.loc[0, "age_days"] = 800
    with pytest.raises(feeding.RecallAgeError):
        feeding.aggregate(old)


def test_aggregate_is_vectorised_on_many_rows() -> None:
    _, frame = _many()
    big = pd.concat([frame] * 2000, ignore_index=True)
    table = feeding.aggregate(big, by=["area", "sex", "age_group"])
    small = feeding.aggregate(frame, by=["area", "sex", "age_group"])
    assert (table["numerator"].to_numpy() == 2000 * small["numerator"].to_numpy()).all()
