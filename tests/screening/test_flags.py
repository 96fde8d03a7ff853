"""The one Flag type: frozen, ordered severities, and texts that fill in both languages for
every flag the rules actually produce."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest

from screening import checks, development, feeding, growth, reference
from screening.flags import RULES, Domain, Flag, Severity, most_severe, rule
from screening.growth import WeightPoint
from screening.messages import LANGUAGES, text
from screening.vocabulary import add_months


def test_flag_is_frozen_and_hashable() -> None:
    flag = rule("GROWTH_WASTING").flag(z={"wflh": -2.2}, values={"age_days": 100})
    with pytest.raises(dataclasses.FrozenInstanceError):
        flag.code = "X"  # type: ignore[misc]
    with pytest.raises(TypeError):
        flag.evidence.values["age_days"] = 5  # type: ignore[index]
    assert hash(flag) == hash(
        rule("GROWTH_WASTING").flag(z={"wflh": -2.2}, values={"age_days": 100})
    )
    assert flag.parent_message_id == "flag.growth_wasting.parent"
    assert flag.clinician_message_id == "flag.growth_wasting.clinician"


def test_severity_order_and_domains() -> None:
    assert [
        s.rank for s in (Severity.URGENT, Severity.REFER, Severity.REVIEW, Severity.ADVICE)
    ] == [3, 2, 1, 0]
    flags = [
        rule("GROWTH_STUNTING").flag(),
        rule("GROWTH_OEDEMA").flag(),
        rule("FEED_BOTTLE").flag(),
    ]
    assert most_severe(flags) is Severity.URGENT
    assert most_severe([]) is None
    assert {r.domain for r in RULES.values()} == {
        Domain.GROWTH,
        Domain.DEVELOPMENT,
        Domain.FEEDING,
        Domain.ANAEMIA,
        Domain.HEARING,
        Domain.VISION,
        Domain.ORAL,
    }


def _produced_flags() -> list[Flag]:
    flags: list[Flag] = []
    birth = date(2020, 1, 15)
    for code in ("cn-warning-signs", "milestone-checklist"):
        inst = reference.instrument(code)
        for band in inst.bands:
            on = add_months(birth, band.low_months)
            bad = {"cn-warning-signs": "yes", "milestone-checklist": "not_yet"}[code]
            answers = {i.id: bad for i in band.items} | {q.id: "yes" for q in inst.global_questions}
            flags += development.assess(
                code,
                sex="F",
                birth_date=birth,
                gestational_weeks=39,
                assessment_date=on,
                answers=answers,
            ).flags
    motor = reference.instrument("who-motor-windows").bands[0].items
    flags += development.assess(
        "who-motor-windows",
        sex="M",
        birth_date=birth,
        gestational_weeks=40,
        assessment_date=birth + timedelta(days=600),
        answers={i.id: "not_yet" for i in motor},
    ).flags
    flags += development.assess(
        "who-motor-windows",
        sex="M",
        birth_date=birth,
        gestational_weeks=40,
        assessment_date=birth + timedelta(days=600),
        answers={i.id: "yes" for i in motor},
        achieved_months={"who-motor-walking-alone": 18.5},
    ).flags
    for z in (
        {"wflh": -3.5, "lhfa": -3.5, "wfa": -3.5, "hcfa": -3.5},
        {"wflh": 3.5, "hcfa": 3.5},
        {"wflh": -2.5, "lhfa": -2.5, "wfa": -2.5, "hcfa": -2.5},
        {"wflh": 2.5, "hcfa": 2.5},
        {"bmi_2007": -3.5},
        {"bmi_2007": -2.5},
        {"wfa": -7.0},
    ):
        flags += growth.measurement_flags(z, age_days=400, muac_cm=12.0, oedema=True)
    flags += growth.measurement_flags({}, age_days=400, muac_cm=11.0)
    flags += growth.series_flags([WeightPoint(0, 3.0, 0.0), WeightPoint(60, 4.0, -2.5)])
    flags += growth.series_flags([WeightPoint(0, 3.0, -1.0), WeightPoint(120, 7.0, 0.5)])
    flags += growth.series_flags([WeightPoint(0, 3.0), WeightPoint(5, 2.6)])
    flags += growth.series_flags([WeightPoint(0, 3.0), WeightPoint(25, 2.9)])
    flags += growth.anaemia(95, age_days=400).flags
    flags += _trajectory_flags()
    flags += checks.check_flags(
        age_days=1500, hearing_left="refer", hearing_right="refer", red_reflex="abnormal",
        eye_position="abnormal", visual_behaviour="abnormal", acuity_left=4.5, acuity_right=4.8,
        caries_teeth=2,
    )  # fmt: skip
    flags += checks.check_flags(age_days=200, vitamin_d_given=False)
    bank = reference.recall_bank()
    nothing = {f.id: feeding.Consumed(False) for f in bank.foods}
    no_liquid = {q.id: feeding.Consumed(False) for q in bank.liquids}
    liquids = dict(no_liquid, juice=feeding.Consumed(True), water=feeding.Consumed(True))
    for age, foods, solid, bf in (
        (100, dict(nothing, sweets=feeding.Consumed(True)), 1, True),
        (200, nothing, 0, True),
        (300, dict(nothing, sweets=feeding.Consumed(True)), 1, False),
    ):
        r = feeding.Recall(age, bf, True, liquids, foods, solid, False)
        current = feeding.assess_recall(r).flags
        flags += current
        flags += feeding.escalate(current, current, growth_faltering=True)
    return flags


def _trajectory_flags() -> list:
    """Each trajectory rule once: home weight, length and head off the trajectory (velocity
    and conditional z), and a professional's weight velocity below the 5th centile."""
    from screening.growth.trajectory import TrajectoryPoint as P
    from screening.growth.trajectory import judge

    off = judge("M", {"weight": [P(61, 5.6)], "length": [P(100, 60.0, "L")],
                      "head": [P(61, 39.0)]},
                {"weight": P(91, 8.6), "length": P(130, 70.0, "L"), "head": P(122, 46.0)},
                professional=False)  # fmt: skip
    slow = judge("M", {"weight": [P(61, 5.6)]}, {"weight": P(91, 5.7)}, professional=True)
    return [*off.remeasure, *slow.review]


def test_every_produced_flag_has_both_texts_filled() -> None:
    flags = _produced_flags()
    assert {f.code for f in flags} == set(RULES)  # every rule of the table was exercised
    for flag in flags:
        for lang in LANGUAGES:
            for message_id in (flag.parent_message_id, flag.clinician_message_id):
                rendered = text(message_id, lang, **flag.message_params())
                assert "{" not in rendered and rendered.strip(), (flag.code, lang)
