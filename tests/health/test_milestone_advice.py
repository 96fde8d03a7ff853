"""A parent's milestone checklist through the pipeline (issue 11): a lost skill is a referral
(regression at any age, screening.md 1a/3) and puts the child's case at refer in the clinic's
queue; the summary carries the act-early advice chosen from the outcome and the activities of
the age the checklist used (the corrected age of a baby born early)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session

from health.clock import Moment
from health.models.enums import Source
from health.pipeline import Author, record_milestones
from health.pipeline.questionnaires import milestone_activities, milestone_summary
from screening import development, reference
from tests.health.health_builders import add_child, build_geography

NOW = dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.UTC)
ON = NOW.date()
MS = reference.instrument("milestone-checklist")


@pytest.fixture
def units(session: Session) -> dict:
    return build_geography(session)


def _answers(band_id: str, **overrides: str) -> dict[str, str]:
    answers = {item.id: "yes" for item in MS.band(band_id).items}
    answers |= {q.id: "no" for q in MS.global_questions}
    return answers | overrides


def _record(session: Session, child, answers: dict[str, str]):
    return record_milestones(
        session, child, instrument="milestone-checklist", administered_on=ON,
        by=Author(Source.home), answers=answers, at=Moment(now=NOW, today=ON),
    )  # fmt: skip


def test_a_lost_skill_opens_a_referral_case(session: Session, units: dict) -> None:
    child = add_child(session, "ls1", "2024-06-01")  # 12 completed months on ON
    result = _record(session, child, _answers("ms-12m", **{"ms-lost-skill": "yes"}))
    [flag] = result.flags
    assert (flag.code, flag.severity.value) == ("DEV_LOST_SKILL", "refer")
    assert result.case is not None and result.case.severity == "refer"
    assert result.case.clinic_id == units["CL1"].id
    summary = milestone_summary(result.scoring)
    assert summary.lost_skill and summary.act_early == "act_early.development.refer"
    assert summary.activities == MS.band("ms-12m").activities


def test_a_not_yet_opens_a_review_case_with_the_discuss_advice(
    session: Session, units: dict
) -> None:
    child = add_child(session, "ny1", "2024-06-01")
    item = MS.band("ms-12m").items[0].id
    result = _record(session, child, _answers("ms-12m", **{item: "not_yet"}))
    assert result.case is not None and result.case.severity == "review"
    summary = milestone_summary(result.scoring)
    assert not summary.lost_skill and summary.not_yet == (item,)
    assert summary.act_early == "act_early.development.discuss"


def test_not_sure_only_opens_nothing_and_says_watch_and_answer_again(
    session: Session, units: dict
) -> None:
    child = add_child(session, "ns1", "2024-06-01")
    item = MS.band("ms-12m").items[1].id
    result = _record(session, child, _answers("ms-12m", **{item: "not_sure"}))
    assert result.case is None
    assert milestone_summary(result.scoring).act_early == "act_early.development.not_sure"


def test_all_yes_has_no_act_early_advice_but_the_activities(session: Session, units: dict) -> None:
    child = add_child(session, "ok1", "2024-06-01")
    result = _record(session, child, _answers("ms-12m"))
    summary = milestone_summary(result.scoring)
    assert result.case is None and summary.act_early is None
    assert len(summary.activities) == 3


def test_activities_follow_the_corrected_age_of_a_baby_born_early(
    session: Session, units: dict
) -> None:
    child = add_child(session, "pt1", "2025-01-01")
    child.gestational_weeks = 30  # term 10 weeks later: 2025-03-12
    session.flush()
    # 5 completed months since birth, 2 of corrected age on ON: the 2-month band, not the 4-month
    age = development.age_used(MS, birth_date=child.birth_date, gestational_weeks=30,
                               assessment_date=ON)  # fmt: skip
    assert (age.corrected, age.completed_months) == (True, 2)
    assert milestone_activities(child, ON) == MS.band("ms-2m").activities
    born_at_term = add_child(session, "pt2", "2025-01-01")
    assert milestone_activities(born_at_term, ON) == MS.band("ms-4m").activities


@pytest.mark.parametrize(
    ("birth", "expected"),
    [("2025-04-02", ()), ("2019-06-01", ()), ("2025-04-01", "ms-2m"), ("2019-06-02", "ms-5y")],
)
def test_activities_at_the_ends_of_the_checklist(
    session: Session, units: dict, birth: str, expected
) -> None:
    """Under 2 completed months and from 72 months there is no checklist and no activity."""
    child = add_child(session, f"e{birth}", birth)
    found = milestone_activities(child, ON)
    assert found == (MS.band(expected).activities if expected else ())


def test_no_activities_before_birth(session: Session, units: dict) -> None:
    child = add_child(session, "bb1", "2025-05-01")
    assert milestone_activities(child, dt.date(2025, 4, 30)) == ()
