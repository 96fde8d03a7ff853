"""Developmental instruments: age bands (calendar completed months, corrected age), answer
checks, and the rules of each instrument at every edge."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pytest

from screening import development as dev
from screening import reference
from screening.flags import Severity
from screening.vocabulary import add_months, calendar_completed_months, corrected_birth_date

BIRTH = date(2020, 1, 15)
CN = reference.instrument("cn-warning-signs")
MS = reference.instrument("milestone-checklist")
MOTOR = reference.instrument("who-motor-windows")


def answers_for(inst, band_id: str, value: str | None = None, **overrides: str) -> dict[str, str]:
    band = inst.band(band_id)
    default = (
        value
        or {"cn-warning-signs": "no", "milestone-checklist": "yes", "who-motor-windows": "yes"}[
            inst.code
        ]
    )
    out = {i.id: default for i in band.items}
    out.update({q.id: "no" for q in inst.global_questions})
    out.update(overrides)
    return out


def assess(inst, on: date, answers, *, birth: date = BIRTH, weeks: float | None = 39, **kw):
    return dev.assess(
        inst.code,
        sex="F",
        birth_date=birth,
        gestational_weeks=weeks,
        assessment_date=on,
        answers=answers,
        **kw,
    )


def band_at(inst, on: date, *, birth: date = BIRTH, weeks: float | None = 39) -> str:
    age = dev.age_used(inst, birth_date=birth, gestational_weeks=weeks, assessment_date=on)
    return dev.choose_band(inst, age).id


# ------------------------------------------------------------------ ages


@pytest.mark.parametrize(
    ("start", "on", "months"),
    [
        (date(2020, 1, 15), date(2020, 4, 14), 2),
        (date(2020, 1, 15), date(2020, 4, 15), 3),
        (date(2020, 1, 31), date(2020, 2, 28), 0),
        (date(2020, 1, 31), date(2020, 2, 29), 1),  # month-end birthday clamped in a leap February
        (date(2021, 1, 31), date(2021, 2, 28), 1),
        (date(2020, 2, 29), date(2021, 2, 28), 12),
        (date(2020, 1, 15), date(2020, 1, 14), -1),
    ],
)
def test_calendar_completed_months(start, on, months) -> None:
    assert calendar_completed_months(start, on) == months


def test_corrected_birth_date() -> None:
    assert corrected_birth_date(date(2024, 3, 1), 32) == date(2024, 4, 26)
    assert corrected_birth_date(date(2024, 3, 1), 33 + 4 / 7) == date(2024, 3, 1) + timedelta(
        days=45
    )


# ------------------------------------------------------------------ band windows, each edge


@pytest.mark.parametrize(
    ("inst", "band"),
    [(inst, b) for inst in (CN, MS) for b in inst.bands],
    ids=lambda x: getattr(x, "id", None) or getattr(x, "code", None),
)
def test_band_window_edges(inst, band) -> None:
    first = add_months(BIRTH, band.low_months)
    last = add_months(BIRTH, band.high_months + 1) - timedelta(days=1)
    assert band_at(inst, first) == band.id
    assert band_at(inst, last) == band.id
    index = inst.bands.index(band)
    if index:
        assert band_at(inst, first - timedelta(days=1)) == inst.bands[index - 1].id


def test_cn_beyond_83_months_is_out_of_range() -> None:
    with pytest.raises(dev.AgeOutOfRangeError) as info:
        band_at(CN, add_months(BIRTH, 84))
    assert info.value.params == {
        "instrument": "cn-warning-signs",
        "months": 84,
        "low": 0,
        "high": 83,
    }


def test_checklist_under_2_months_is_out_of_range() -> None:
    with pytest.raises(dev.AgeOutOfRangeError):
        band_at(MS, add_months(BIRTH, 2) - timedelta(days=1))


PRETERM_BIRTH = date(2024, 3, 1)
TERM = corrected_birth_date(PRETERM_BIRTH, 32)  # 2024-04-26, 56 days later


@pytest.mark.parametrize(
    ("weeks", "on", "band", "corrected"),
    [
        # corrected 5 months → 3 m band; chronologically 7 months → 6 m band
        (32, add_months(TERM, 6) - timedelta(days=1), "cnws-3m", True),
        (32, add_months(TERM, 6), "cnws-6m", True),
        # 37 weeks is term: no correction
        (37, add_months(TERM, 6) - timedelta(days=1), "cnws-6m", False),
        (
            36.9,
            add_months(corrected_birth_date(PRETERM_BIRTH, 36.9), 3) - timedelta(days=1),
            "cnws-0m",
            True,
        ),
        (None, add_months(TERM, 6) - timedelta(days=1), "cnws-6m", False),
        # corrected age until 24 months: 23 corrected → 18 m band although 25 chronological
        (32, add_months(TERM, 24) - timedelta(days=1), "cnws-18m", True),
        (32, add_months(TERM, 24), "cnws-24m", False),
        # not yet at 40 weeks: screened at corrected age 0
        (32, PRETERM_BIRTH + timedelta(days=10), "cnws-0m", True),
    ],
)
def test_corrected_age_band(weeks, on, band, corrected) -> None:
    age = dev.age_used(CN, birth_date=PRETERM_BIRTH, gestational_weeks=weeks, assessment_date=on)
    assert dev.choose_band(CN, age).id == band
    assert age.corrected is corrected


def test_corrected_age_applies_to_checklist_too() -> None:
    on = add_months(TERM, 4) - timedelta(days=1)  # corrected 3 m, chronological 5 m
    assert band_at(MS, on, birth=PRETERM_BIRTH, weeks=30) == "ms-2m"
    assert band_at(MS, on, birth=PRETERM_BIRTH, weeks=38) == "ms-4m"


# ------------------------------------------------------------------ China warning signs


def _cn_on(band_id: str) -> date:
    return add_months(BIRTH, CN.band(band_id).low_months)


@pytest.mark.parametrize(
    ("band_id", "item"),
    [(b.id, i.id) for b in CN.bands for i in b.items],
)
def test_each_warning_sign_refers(band_id, item) -> None:
    result = assess(CN, _cn_on(band_id), answers_for(CN, band_id, **{item: "yes"}))
    assert result.outcome is dev.Outcome.REFER
    assert [f.code for f in result.flags] == ["DEV_WARNING_SIGN"]
    flag = result.flags[0]
    assert flag.severity is Severity.REFER
    assert flag.evidence.item_ids == (item,)
    assert (flag.evidence.instrument, flag.evidence.instrument_version) == (
        "cn-warning-signs",
        "2013.1",
    )
    assert flag.evidence.rule_version == "cn-ws-rule-2013.1"
    assert result.causing_items == (item,)


@pytest.mark.parametrize("band_id", [b.id for b in CN.bands])
def test_no_warning_sign_no_concern_and_regression_refers_at_every_age(band_id) -> None:
    clear = assess(CN, _cn_on(band_id), answers_for(CN, band_id))
    assert clear.outcome is dev.Outcome.NO_CONCERN and clear.flags == ()
    regressed = assess(CN, _cn_on(band_id), answers_for(CN, band_id, **{"cnws-regression": "yes"}))
    assert regressed.outcome is dev.Outcome.REFER
    assert [f.code for f in regressed.flags] == ["DEV_REGRESSION"]
    assert regressed.flags[0].evidence.item_ids == ("cnws-regression",)


def test_several_positive_items_in_one_flag_with_all_items() -> None:
    answers = answers_for(CN, "cnws-24m", **{"cnws-24m-1": "yes", "cnws-24m-4": "yes"})
    result = assess(CN, _cn_on("cnws-24m"), answers)
    assert result.flags[0].evidence.item_ids == ("cnws-24m-1", "cnws-24m-4")


def test_under_3_months_only_the_regression_question() -> None:
    result = assess(CN, BIRTH + timedelta(days=30), {"cnws-regression": "no"})
    assert result.band_id == "cnws-0m" and result.outcome is dev.Outcome.NO_CONCERN


# ------------------------------------------------------------------ parent checklist


def _ms_on(band_id: str) -> date:
    return add_months(BIRTH, MS.band(band_id).low_months)


@pytest.mark.parametrize("band_id", [b.id for b in MS.bands])
def test_checklist_any_not_yet_discuss(band_id) -> None:
    item = MS.band(band_id).items[-1].id
    result = assess(MS, _ms_on(band_id), answers_for(MS, band_id, **{item: "not_yet"}))
    assert result.outcome is dev.Outcome.DISCUSS
    flag = next(f for f in result.flags if f.code == "DEV_MILESTONE_NOT_YET")
    assert flag.severity is Severity.REVIEW and flag.evidence.item_ids == (item,)


def test_checklist_parent_concern_discuss() -> None:
    result = assess(MS, _ms_on("ms-12m"), answers_for(MS, "ms-12m", **{"ms-parent-concern": "yes"}))
    assert result.outcome is dev.Outcome.DISCUSS
    assert [f.code for f in result.flags] == ["DEV_PARENT_CONCERN"]
    assert result.flags[0].severity is Severity.REVIEW
    assert result.act_early == "act_early.development.discuss"


@pytest.mark.parametrize(
    ("on", "band_id"),
    [
        (add_months(BIRTH, 2), "ms-2m"),  # the first day the checklist is asked
        (add_months(BIRTH, 12) - timedelta(days=1), "ms-9m"),
        (add_months(BIRTH, 12), "ms-12m"),
        (add_months(BIRTH, 72) - timedelta(days=1), "ms-5y"),  # the last day
    ],
)
def test_checklist_lost_skill_refers_at_any_age(on, band_id) -> None:
    """screening.md 1a/3: regression at any age refers (ms-rule-1.1; it was a review flag)."""
    result = assess(MS, on, answers_for(MS, band_id, **{"ms-lost-skill": "yes"}))
    assert result.band_id == band_id and result.outcome is dev.Outcome.REFER
    [flag] = [f for f in result.flags if f.severity is not Severity.ADVICE]  # not the reminders
    assert (flag.code, flag.severity) == ("DEV_LOST_SKILL", Severity.REFER)
    assert flag.evidence.item_ids == ("ms-lost-skill",)
    assert flag.evidence.rule_version == "ms-rule-1.1"
    assert result.act_early == "act_early.development.refer"
    no = assess(MS, on, answers_for(MS, band_id))
    assert no.outcome is dev.Outcome.NO_CONCERN and no.act_early is None
    assert "DEV_LOST_SKILL" not in [f.code for f in no.flags]


def test_checklist_lost_skill_outranks_not_yet_and_concern() -> None:
    item = MS.band("ms-18m").items[0].id
    answers = answers_for(MS, "ms-18m", **{item: "not_yet", "ms-lost-skill": "yes",
                                           "ms-parent-concern": "yes"})  # fmt: skip
    result = assess(MS, _ms_on("ms-18m"), answers)
    severities = {f.code: f.severity for f in result.flags}
    assert severities["DEV_LOST_SKILL"] is Severity.REFER
    assert severities["DEV_MILESTONE_NOT_YET"] is Severity.REVIEW
    assert severities["DEV_PARENT_CONCERN"] is Severity.REVIEW
    assert result.outcome is dev.Outcome.REFER
    assert result.act_early == "act_early.development.refer"


@pytest.mark.parametrize(
    ("outcome", "not_sure", "message"),
    [
        (dev.Outcome.REFER, True, "act_early.development.refer"),
        (dev.Outcome.REFER, False, "act_early.development.refer"),
        (dev.Outcome.DISCUSS, True, "act_early.development.discuss"),
        (dev.Outcome.DISCUSS, False, "act_early.development.discuss"),
        (dev.Outcome.NO_CONCERN, True, "act_early.development.not_sure"),
        (dev.Outcome.NO_CONCERN, False, None),
    ],
)
def test_act_early_follows_the_outcome(outcome, not_sure, message) -> None:
    assert dev.act_early_message_id(outcome, not_sure) == message


def test_a_warning_sign_acts_early_with_the_referral() -> None:
    band = CN.band("cnws-12m")
    on = add_months(BIRTH, band.low_months)
    result = assess(CN, on, answers_for(CN, "cnws-12m", **{band.items[0].id: "yes"}))
    assert result.act_early == "act_early.development.refer"


def test_every_checklist_age_has_two_or_three_activities_in_both_languages() -> None:
    for band in MS.bands:
        assert 2 <= len(band.activities) <= 3, band.id
        for activity in band.activities:
            assert activity.zh_cn.strip() and activity.en.strip()
            assert not any(c in activity.zh_cn for c in "他她")  # 孩子/宝宝: any child
    for other in (CN, MOTOR):
        assert all(b.activities == () for b in other.bands)


@pytest.mark.parametrize(
    ("months", "band_id"),
    [(2, "ms-2m"), (3, "ms-2m"), (4, "ms-4m"), (17, "ms-15m"), (18, "ms-18m"), (71, "ms-5y")],
)
def test_activities_for_the_band_of_the_age(months, band_id) -> None:
    band = MS.band(band_id)
    assert dev.band_activities(months) == band.activities
    assert dev.activities_for(months, "en") == tuple(a.en for a in band.activities)
    assert dev.activities_for(months, "zh-CN") == tuple(a.zh_cn for a in band.activities)


def test_no_activities_outside_the_checklist_ages() -> None:
    assert dev.activities_for(1, "en") == () and dev.activities_for(72, "zh-CN") == ()
    assert dev.activities_for(0, "en") == ()
    assert "tummy" in dev.activities_for(2, "en")[0]


def test_checklist_not_sure_is_no_concern_but_listed() -> None:
    item = MS.band("ms-6m").items[0].id
    result = assess(MS, _ms_on("ms-6m"), answers_for(MS, "ms-6m", **{item: "not_sure"}))
    assert result.outcome is dev.Outcome.NO_CONCERN
    assert result.not_sure_items == (item,)


@pytest.mark.parametrize(
    ("band_id", "reminders"),
    [
        ("ms-6m", []),
        ("ms-9m", ["DEV_REMIND_STANDARDISED_SCREENING"]),
        ("ms-12m", []),
        ("ms-18m", ["DEV_REMIND_STANDARDISED_SCREENING", "DEV_REMIND_AUTISM_SCREENING"]),
        ("ms-24m", ["DEV_REMIND_STANDARDISED_SCREENING", "DEV_REMIND_AUTISM_SCREENING"]),
        ("ms-30m", ["DEV_REMIND_STANDARDISED_SCREENING"]),
        ("ms-36m", []),
    ],
)
def test_checklist_screening_reminders(band_id, reminders) -> None:
    result = assess(MS, _ms_on(band_id), answers_for(MS, band_id))
    assert [f.code for f in result.flags] == reminders
    assert all(f.severity is Severity.ADVICE for f in result.flags)
    assert result.outcome is dev.Outcome.NO_CONCERN  # a reminder is not a concern


# ------------------------------------------------------------------ WHO motor windows


def _motor_answers(on_days: int, **overrides: str) -> dict[str, str]:
    months = on_days / 30.4375
    out = {i.id: "yes" for i in MOTOR.bands[0].items if months >= i.p1_months}
    out.update(overrides)
    return out


@pytest.mark.parametrize("item", MOTOR.bands[0].items, ids=lambda i: i.id)
def test_motor_window_p99_edges(item) -> None:
    last_inside = math.floor(item.p99_months * 30.4375)  # months <= P99
    for days, missed in ((last_inside, False), (last_inside + 1, True)):
        on = BIRTH + timedelta(days=days)
        result = assess(MOTOR, on, _motor_answers(days, **{item.id: "not_yet"}))
        refers = missed and item.refers
        assert (result.outcome is dev.Outcome.REFER) is refers, days
        if refers:
            assert result.flags[0].code == "DEV_MOTOR_WINDOW_MISSED"
            assert result.flags[0].evidence.item_ids == (item.id,)


def test_crawling_never_refers() -> None:
    on_days = 700
    result = assess(
        MOTOR,
        BIRTH + timedelta(days=on_days),
        _motor_answers(on_days, **{"who-motor-crawling": "not_yet"}),
    )
    assert result.outcome is dev.Outcome.NO_CONCERN


@pytest.mark.parametrize("item", MOTOR.bands[0].items, ids=lambda i: i.id)
def test_motor_item_required_from_p1(item) -> None:
    first = math.ceil(item.p1_months * 30.4375)
    answers = _motor_answers(first)
    del answers[item.id]
    with pytest.raises(dev.MissingAnswerError):
        assess(MOTOR, BIRTH + timedelta(days=first), answers)
    assess(MOTOR, BIRTH + timedelta(days=first - 1), _motor_answers(first - 1))  # not yet required


def test_motor_windows_use_corrected_age() -> None:
    # sitting P99 = 9.2 months (day 281 is beyond); 8 weeks early: day 281 + 56 chronological
    birth = date(2024, 1, 1)
    on = birth + timedelta(days=281 + 56)
    answers = _motor_answers(281, **{"who-motor-sitting": "not_yet"})
    assert assess(MOTOR, on, answers, birth=birth, weeks=32).outcome is dev.Outcome.REFER
    answers = _motor_answers(280, **{"who-motor-sitting": "not_yet"})
    assert (
        assess(MOTOR, on - timedelta(days=1), answers, birth=birth, weeks=32).outcome
        is dev.Outcome.NO_CONCERN
    )


# ------------------------------------------------------------------ bad input


def test_answers_from_another_band_are_refused() -> None:
    on = _cn_on("cnws-12m")
    with pytest.raises(dev.WrongAgeBandError) as info:
        assess(CN, on, answers_for(CN, "cnws-8m"))
    assert info.value.params["given"] == "cnws-8m" and info.value.params["expected"] == "cnws-12m"
    assert info.value.message_id == "error.development.wrong_age_band"


def test_form_band_must_be_the_childs_band() -> None:
    on = _cn_on("cnws-12m") - timedelta(days=1)  # still 8 m band
    with pytest.raises(dev.WrongAgeBandError):
        assess(CN, on, answers_for(CN, "cnws-12m"), band_id="cnws-12m")
    assert assess(CN, on, answers_for(CN, "cnws-8m"), band_id="cnws-8m").band_id == "cnws-8m"


def test_unknown_item_is_refused() -> None:
    answers = answers_for(CN, "cnws-12m", **{"cnws-12m-9": "no"})
    with pytest.raises(dev.UnknownItemError) as info:
        assess(CN, _cn_on("cnws-12m"), answers)
    assert info.value.params == {"item": "cnws-12m-9", "instrument": "cn-warning-signs"}


def test_missing_answers_are_refused_with_their_ids() -> None:
    answers = answers_for(CN, "cnws-12m")
    del answers["cnws-12m-2"], answers["cnws-regression"]
    with pytest.raises(dev.MissingAnswerError) as info:
        assess(CN, _cn_on("cnws-12m"), answers)
    assert info.value.params == {"items": "cnws-12m-2, cnws-regression", "band": "cnws-12m"}
    assert "cnws-12m-2" in str(info.value)


@pytest.mark.parametrize(
    ("inst", "band_id", "item", "value"),
    [
        (CN, "cnws-12m", "cnws-12m-1", "not_yet"),
        (CN, "cnws-12m", "cnws-regression", "maybe"),
        (MS, "ms-12m", "ms-12m-se-1", "no"),
        (MS, "ms-12m", "ms-parent-concern", "not_sure"),
    ],
)
def test_invalid_answer_value_is_refused(inst, band_id, item, value) -> None:
    with pytest.raises(dev.InvalidAnswerError):
        assess(
            inst,
            add_months(BIRTH, inst.band(band_id).low_months),
            answers_for(inst, band_id, **{item: value}),
        )


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"sex": "X"}, "sex"),
        ({"gestational_weeks": 19}, "gestational_weeks"),
        ({"gestational_weeks": 46}, "gestational_weeks"),
        ({"assessment_date": BIRTH - timedelta(days=1)}, "assessment_date"),
    ],
)
def test_invalid_child_fields(kw, field) -> None:
    args = {
        "sex": "M",
        "birth_date": BIRTH,
        "gestational_weeks": 39,
        "assessment_date": BIRTH + timedelta(days=30),
        "answers": {"cnws-regression": "no"},
    } | kw
    with pytest.raises(dev.InvalidChildError) as info:
        dev.assess("cn-warning-signs", **args)
    assert info.value.params["field"] == field


def test_unknown_instrument() -> None:
    with pytest.raises(reference.UnknownVersionError):
        dev.assess(
            "asq-3",
            sex="M",
            birth_date=BIRTH,
            gestational_weeks=39,
            assessment_date=BIRTH,
            answers={},
        )
