"""WHO motor windows, the two cases of "not achieved by P99" beyond a plain "not yet" at a band's
age (shared/domain/screening.md 1c): a milestone achieved at an age after its P99 (the age at
achievement given with the "yes"), and a child older than the table's last band."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from screening import development as dev
from screening import reference
from screening.vocabulary import add_months

MOTOR = reference.instrument("who-motor-windows")
MS = reference.instrument("milestone-checklist")
BIRTH = date(2020, 1, 15)
ALL_YES = {i.id: "yes" for i in MOTOR.bands[0].items}
WALK = "who-motor-walking-alone"  # P99 17.6 months


def motor(on: date, answers=None, achieved=None, *, birth: date = BIRTH, weeks: float = 39):
    return dev.assess(
        "who-motor-windows",
        sex="M",
        birth_date=birth,
        gestational_weeks=weeks,
        assessment_date=on,
        answers=answers or ALL_YES,
        achieved_months=achieved,
    )


def test_rule_version_says_the_rules_changed() -> None:
    assert MOTOR.rule_version == "who-motor-rule-2006.2"


# ------------------------------------------------------------------ achieved late


@pytest.mark.parametrize(
    ("achieved", "refers"),
    [(18.5, True), (17.61, True), (17.6, False), (17.59, False), (12.0, False)],
)
def test_walking_alone_achieved_after_p99_refers(achieved: float, refers: bool) -> None:
    # 20 months old (day 610): every window has opened, the band is 0-23 months
    result = motor(BIRTH + timedelta(days=610), achieved={WALK: achieved})
    assert (result.outcome is dev.Outcome.REFER) is refers
    assert result.achieved_months == {WALK: achieved}
    if refers:
        (flag,) = result.flags
        assert flag.code == "DEV_MOTOR_ACHIEVED_LATE"
        assert str(flag.severity) == "refer"
        assert flag.evidence.item_ids == (WALK,)
        assert flag.evidence.values["achieved_months"] == f"{achieved:g}"
        assert flag.evidence.rule_version == "who-motor-rule-2006.2"
        assert result.act_early == "act_early.development.refer"
    else:
        assert result.flags == ()


def test_every_late_milestone_is_named_in_band_order() -> None:
    achieved = {WALK: 18.5, "who-motor-sitting": 9.3, "who-motor-standing-alone": 16.9}
    (flag,) = motor(BIRTH + timedelta(days=610), achieved=achieved).flags
    # sitting P99 9.2 (9.3 late), standing alone P99 16.9 (exactly: inside the window)
    assert flag.evidence.item_ids == ("who-motor-sitting", WALK)
    assert flag.evidence.values["achieved_months"] == "9.3, 18.5"


def test_crawling_achieved_late_never_refers() -> None:
    result = motor(BIRTH + timedelta(days=610), achieved={"who-motor-crawling": 15.0})
    assert result.outcome is dev.Outcome.NO_CONCERN


def test_late_and_not_yet_are_two_flags() -> None:
    answers = {**ALL_YES, "who-motor-standing-alone": "not_yet"}
    result = motor(BIRTH + timedelta(days=610), answers, {WALK: 18.0})
    assert [f.code for f in result.flags] == ["DEV_MOTOR_WINDOW_MISSED", "DEV_MOTOR_ACHIEVED_LATE"]


@pytest.mark.parametrize(("achieved", "refers"), [(19.4, False), (19.5, True)])
def test_age_at_achievement_of_a_baby_born_early_is_corrected(achieved, refers) -> None:
    # 32 weeks: 8 weeks = 56 days short; 19.4 - 56/30.4375 = 17.56 (inside), 19.5 → 17.66
    birth = date(2024, 1, 1)
    result = motor(add_months(birth, 21), achieved={WALK: achieved}, birth=birth, weeks=32)
    assert (result.outcome is dev.Outcome.REFER) is refers


def test_achievement_age_used_stays_chronological_from_24_corrected_months() -> None:
    age = dev.AgeUsed(age_days=900, corrected_age_days=844, corrected=False, days=900,
                      completed_months=29)  # fmt: skip
    assert dev.achieved_age_used(MOTOR, age, 25.9) == 25.9  # 25.9 - 1.84 = 24.06: not corrected
    assert dev.achieved_age_used(MOTOR, age, 19.5) == pytest.approx(19.5 - 56 / 30.4375)


# ------------------------------------------------------------------ beyond the table


@pytest.mark.parametrize("months", [24, 26, 40, 71])
def test_not_walking_beyond_the_table_refers(months: int) -> None:
    on = add_months(BIRTH, months)
    result = motor(on, {**ALL_YES, WALK: "not_yet"})
    assert result.band_id == "who-motor-0-23m"
    assert result.age.completed_months == months
    (flag,) = result.flags
    assert flag.code == "DEV_MOTOR_WINDOW_MISSED" and flag.evidence.item_ids == (WALK,)
    assert result.outcome is dev.Outcome.REFER


def test_walking_child_beyond_the_table_is_no_concern() -> None:
    result = motor(add_months(BIRTH, 26), achieved={WALK: 13.0})
    assert result.outcome is dev.Outcome.NO_CONCERN and result.flags == ()


def test_other_instruments_still_refuse_ages_beyond_their_bands() -> None:
    with pytest.raises(dev.AgeOutOfRangeError):
        dev.assess("milestone-checklist", sex="F", birth_date=BIRTH, gestational_weeks=39,
                   assessment_date=add_months(BIRTH, 72), answers={})  # fmt: skip


# ------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    ("answers", "achieved", "reason"),
    [
        ({WALK: "not_yet"}, {WALK: 15.0}, "not_achieved"),
        ({}, {WALK: 20.1}, "after_today"),  # 20.04 months old
        ({}, {WALK: "12"}, "not_a_number"),
        ({}, {WALK: 0}, "not_a_number"),
        ({}, {WALK: -3.0}, "not_a_number"),
        ({}, {WALK: True}, "not_a_number"),
        ({}, {WALK: float("nan")}, "not_a_number"),
    ],
)
def test_unusable_ages_at_achievement_are_refused(answers, achieved, reason) -> None:
    with pytest.raises(dev.AchievedAgeError) as info:
        motor(BIRTH + timedelta(days=610), {**ALL_YES, **answers}, achieved)
    assert info.value.message_id == f"error.development.achieved_age.{reason}"
    assert info.value.params["item"] == WALK
    if reason == "after_today":
        assert info.value.params["age_months"] == 20.04


def test_age_at_achievement_today_is_accepted() -> None:
    assert motor(BIRTH + timedelta(days=610), achieved={WALK: 610 / 30.4375}).flags


def test_unknown_item_and_other_instruments_are_refused() -> None:
    with pytest.raises(dev.UnknownItemError):
        motor(BIRTH + timedelta(days=610), achieved={"who-motor-running": 12.0})
    band = MS.bands[0]
    on = add_months(BIRTH, band.low_months)
    answers = {i.id: "yes" for i in band.items} | {q.id: "no" for q in MS.global_questions}
    with pytest.raises(dev.AchievedAgeError) as info:
        dev.assess("milestone-checklist", sex="F", birth_date=BIRTH, gestational_weeks=39,
                   assessment_date=on, answers=answers,
                   achieved_months={band.items[0].id: 1.0})  # fmt: skip
    assert info.value.message_id == "error.development.achieved_age.not_asked"
