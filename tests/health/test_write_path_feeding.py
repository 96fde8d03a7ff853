"""One recall scored on plain values (``screening.feeding.single``) gives exactly what the
vectorised frame path gives: statuses, wheel, meal count and bounds, flags, advice, and the same
refusal (class, catalogue id, parameters) for an impossible recall, over many generated recalls
and over the hand-written edges below."""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from health.pipeline.questionnaires import score_recall
from screening import feeding, reference
from screening.errors import ScreeningInputError
from screening.feeding import BirthAnswers, Consumed, Recall
from screening.feeding.single import assess_one, completed_months

BANK = reference.recall_bank()
ANSWER = st.sampled_from([True, False, None])
TIMES = st.one_of(st.none(), st.integers(min_value=-1, max_value=9))


@st.composite
def recalls(draw: st.DrawFn) -> Recall:
    """Any typed recall: answers yes/no/don't know, counts from -1 up to beyond the limits,
    ages from before birth to past 23 months (so refusals are generated too)."""
    age = draw(st.integers(min_value=-3, max_value=740))
    liquids = {
        q.id: Consumed(draw(ANSWER), draw(TIMES) if q.with_times else None,
                       draw(ANSWER) if q.asks_sweetened else None)
        for q in BANK.liquids
    }  # fmt: skip
    foods = {f.id: Consumed(draw(ANSWER), draw(TIMES) if f.with_times else None)
             for f in BANK.foods}  # fmt: skip
    birth = draw(st.one_of(st.none(), st.builds(BirthAnswers, ANSWER, ANSWER, ANSWER)))
    solid = draw(st.one_of(st.none(), st.integers(min_value=-1, max_value=8)))
    return Recall(age, draw(ANSWER), draw(ANSWER), liquids, foods, solid, draw(ANSWER), birth,
                  draw(ANSWER))  # fmt: skip


def outcome(score, recall: Recall) -> tuple:
    """The result, or the refusal as (class, catalogue id, parameters)."""
    try:
        return ("ok", score(recall, BANK))
    except ScreeningInputError as exc:
        params = {k: (int(v) if k in ("row", "rows", "age_days") else v)
                  for k, v in exc.params.items()}  # fmt: skip
        return ("refused", type(exc), exc.message_id, params)


def plausible(draw_answer: bool | None, times: int | None) -> Consumed:
    """A consistent milk-feed answer (no refusal)."""
    if draw_answer is True:
        return Consumed(True, times if times and times > 0 else None)
    return Consumed(draw_answer)


@st.composite
def consistent_recalls(draw: st.DrawFn) -> Recall:
    """Recalls the checks accept (mostly), so that the indicators are compared, not only the
    refusals: counts within limits, no times for items not taken, foods and solid feeds agree."""
    age = draw(st.integers(min_value=0, max_value=730))
    liquids = {}
    for q in BANK.liquids:
        taken = draw(ANSWER)
        times = draw(st.one_of(st.none(), st.integers(1, 6))) if q.with_times else None
        sweet = (draw(ANSWER) if taken is not False else None) if q.asks_sweetened else None
        liquids[q.id] = Consumed(taken, times if taken is True else None, sweet)
    foods = {}
    for f in BANK.foods:
        taken = draw(ANSWER)
        times = draw(st.one_of(st.none(), st.integers(1, 4))) if f.with_times else None
        foods[f.id] = Consumed(taken, times if taken is True else None)
    eaten = sum(1 for c in foods.values() if c.taken is True)
    limit = BANK.max_solid_feeds_at(completed_months(age))
    solid = draw(st.one_of(st.none(), st.integers(1 if eaten else 0, max(limit, 1))))
    if solid and not eaten:
        solid = None
    bf = draw(ANSWER)
    birth = draw(st.one_of(st.none(), st.just(BirthAnswers(True, draw(ANSWER), draw(ANSWER)))))
    solid_taken = draw(st.sampled_from([None, True] if eaten else [None, False]))
    return Recall(age, bf, draw(ANSWER), liquids, foods, solid, draw(ANSWER), birth, solid_taken)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(recalls())
def test_any_recall_scores_or_is_refused_alike_on_both_paths(recall: Recall) -> None:
    assert outcome(assess_one, recall) == outcome(feeding.assess_recall, recall)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(consistent_recalls())
def test_accepted_recalls_have_the_same_indicators_on_both_paths(recall: Recall) -> None:
    single, frame = outcome(assess_one, recall), outcome(feeding.assess_recall, recall)
    assert single == frame


def _none_taken(**over: Consumed) -> dict[str, dict[str, Consumed]]:
    liquids = {q.id: Consumed(False) for q in BANK.liquids}
    foods = {f.id: Consumed(False) for f in BANK.foods}
    for key, value in over.items():
        (liquids if key in liquids else foods)[key] = value
    return {"liquids": liquids, "foods": foods}


def test_a_hand_scored_recall_at_ten_months() -> None:
    # 10 months (305 days: floor(305 / 30.4375) = 10), breastfed, eggs + rice + dark green
    # leaves + red meat, 3 solid feeds: groups breast milk, grains, flesh, eggs, vitamin A
    # vegetables = 5 (MDD met), MMF 3 >= 3 (breastfed 9-23 m) met, MAD met, EFF met, ZVF not met
    items = _none_taken(eggs=Consumed(True), porridge_rice=Consumed(True),
                        dark_green_leaves=Consumed(True), red_meat=Consumed(True))  # fmt: skip
    recall = Recall(305, True, False, items["liquids"], items["foods"], 3, True)
    result = assess_one(recall, BANK)
    assert result == feeding.assess_recall(recall, BANK)
    assert result.completed_months == 10 and result.groups_count == 5
    assert (result.meal_count, result.meal_target, result.meal_count_at_least) == (3, 3, 3)
    s = result.indicators
    assert (s["MDD"], s["MMF"], s["MAD"], s["EFF"], s["ZVF"]) == (
        "met", "met", "met", "met", "not_met",
    )  # fmt: skip
    assert s["MMFF"] == "not_applicable" and s["EBF"] == "not_applicable"


def test_the_pipeline_scores_through_the_single_path() -> None:
    answers = {
        "breastfed": True, "bottle_with_nipple": False, "solid_feeds": 0, "vitamin_d": True,
        "liquids": {q.id: {"taken": False} for q in BANK.liquids},
        "foods": {f.id: {"taken": False} for f in BANK.foods},
    }  # fmt: skip
    days = math.ceil(3 * 30.4375)  # 3 completed months, exclusively breastfed
    result = score_recall(answers, days)
    assert result.indicators["EBF"] == "met" and result.completed_months == 3
    recall = Recall.from_mapping({**answers, "age_days": days})
    assert result == feeding.assess_recall(recall)


@pytest.mark.parametrize(
    ("age", "reason"),
    [(-1, "age"), (731, "age"), (200, "feeds_without_any_food")],
)
def test_refusals_name_the_same_field_on_both_paths(age: int, reason: str) -> None:
    # 200 days, every food "don't know" and 2 solid feeds: the frame refuses it (its "no food
    # eaten" skips unknown foods) and so does the single path
    items = _none_taken(**{f.id: Consumed(None) for f in BANK.foods if not f.with_times})
    recall = Recall(age, True, False, items["liquids"], items["foods"], 2, True)
    single, frame = outcome(assess_one, recall), outcome(feeding.assess_recall, recall)
    assert single == frame and single[0] == "refused"
    assert single[2].endswith(reason) or reason == "age"
