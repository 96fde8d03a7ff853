"""Issue 13, item 5 through the pipeline: the WHO motor windows with the age at achievement and
beyond the table's last band open a referral case in the clinic's queue and store the ages
beside the answers; a feeding recall with a milk "taken, number of times not known" is decided
and stored as answered, and read back the same way."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from health.clock import Moment
from health.models import FlagRecord, MilestoneAnswer
from health.models.enums import Source
from health.pipeline import MOTOR_WINDOWS, Author, checklist_for, record_feeding, record_milestones
from health.pipeline.questionnaires import ACHIEVED_SUFFIX, stored_recall_scoring
from screening import feeding, reference
from tests.health.health_builders import add_child, build_geography

NOW = dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.UTC)
ON = NOW.date()
AT = Moment(now=NOW, today=ON)
MOTOR = reference.instrument(MOTOR_WINDOWS)
ALL_YES = {i.id: "yes" for i in MOTOR.bands[0].items}
WALK = "who-motor-walking-alone"


@pytest.fixture
def units(session: Session) -> dict:
    return build_geography(session)


def _motor(session: Session, child, answers=None, achieved=None):
    return record_milestones(
        session, child, instrument=MOTOR_WINDOWS, administered_on=ON, by=Author(Source.clinic),
        answers=answers or ALL_YES, achieved_months=achieved, at=AT,
    )  # fmt: skip


def test_not_walking_at_26_months_opens_a_referral(session: Session, units: dict) -> None:
    child = add_child(session, "m26", "2023-04-01")  # 26 completed months on 2025-06-01
    form = checklist_for(child, MOTOR_WINDOWS, ON)
    assert form.band.id == "who-motor-0-23m" and set(form.required) == set(ALL_YES)
    result = _motor(session, child, {**ALL_YES, WALK: "not_yet"})
    assert [f.code for f in result.flags] == ["DEV_MOTOR_WINDOW_MISSED"]
    assert result.case is not None and result.case.severity == "refer"
    assert result.case.clinic_id == units["CL1"].id


def test_walked_alone_at_18_5_months_is_referred_and_stored(session: Session, units) -> None:
    child = add_child(session, "m20", "2023-10-01")  # 20 completed months
    result = _motor(session, child, achieved={WALK: 18.5})
    [flag] = result.flags
    assert (flag.code, flag.severity.value) == ("DEV_MOTOR_ACHIEVED_LATE", "refer")
    assert flag.evidence.values["achieved_months"] == "18.5"
    assert result.case is not None and result.case.severity == "refer"
    stored = dict(
        session.exec(
            select(MilestoneAnswer.item_code, MilestoneAnswer.answer).where(
                MilestoneAnswer.administration_id == result.record.id
            )
        ).all()
    )
    assert stored[WALK] == "yes" and stored[f"{WALK}{ACHIEVED_SUFFIX}"] == "18.5"
    assert len(stored) == len(ALL_YES) + 1
    codes = session.exec(select(FlagRecord.code).where(FlagRecord.child_id == child.id)).all()
    assert codes == ["DEV_MOTOR_ACHIEVED_LATE"]


def test_walked_alone_at_p99_exactly_opens_no_case(session: Session, units: dict) -> None:
    child = add_child(session, "m20b", "2023-10-01")
    result = _motor(session, child, achieved={WALK: 17.6})
    assert result.flags == () and result.case is None


def _recall(formula: dict, solid: int) -> dict:
    bank = reference.recall_bank()
    liquids = {q.id: {"taken": False} for q in bank.liquids}
    foods = {f.id: {"taken": False} for f in bank.foods}
    liquids["infant_formula"] = formula
    foods["porridge_rice"] = {"taken": True}
    return {"breastfed": False, "bottle_with_nipple": False, "liquids": liquids, "foods": foods,
            "solid_feeds": solid, "vitamin_d": True}  # fmt: skip


@pytest.mark.parametrize(
    ("solid", "mmf", "advice"),
    [(3, feeding.Status.MET, False), (2, feeding.Status.UNKNOWN, False)],
)
def test_recall_with_formula_times_not_known(session: Session, units, solid, mmf, advice) -> None:
    child = add_child(session, "f12", "2024-05-20")  # 12 completed months on the recall day
    result = record_feeding(session, child, recalled_on=ON - dt.timedelta(days=1),
                            answers=_recall({"taken": True}, solid), by=Author(Source.home),
                            at=AT)  # fmt: skip
    assert result.scoring.indicators["MMF"] is mmf
    assert result.scoring.meal_count_at_least == solid + 1
    assert ("FEED_MMF_NOT_MET" in {f.code for f in result.flags}) is advice
    again = stored_recall_scoring(result.record)
    assert again.indicators == result.scoring.indicators
