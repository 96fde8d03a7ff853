"""record_check with screening results: validation, flags and one case (both databases)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from health.clock import Moment
from health.errors import RecordError
from health.models import Check, CheckCreate, FlagRecord
from health.models.enums import Source
from health.pipeline import Author, record_check
from tests.health.health_builders import add_child, build_geography

NOW = dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.UTC)
CLINIC = Author(Source.clinic)


def at() -> Moment:
    return Moment(now=NOW, today=NOW.date())


@pytest.fixture
def units(session: Session) -> dict:
    return build_geography(session)


def check(**kw) -> CheckCreate:
    return CheckCreate(check_date=dt.date(2025, 5, 1), kind="routine", clinic_code="CL1", **kw)


def test_results_raise_flags_and_one_case(session: Session, units: dict) -> None:
    child = add_child(session, "r1", "2020-11-01")  # 53 completed months on 2025-05-01
    result = record_check(
        session, child,
        check(hearing_left="pass", hearing_right="refer", acuity_left=4.7, acuity_right=4.8,
              caries_teeth=3, hb_g_l=104, red_reflex="normal"),
        by=CLINIC, at=at(),
    )  # fmt: skip
    # hb 104 g/L at 53 months: anaemia (below 110, WHO 2011); acuity 4.7 < 4.8 at 4 years
    assert sorted(f.code for f in result.flags) == [
        "ANAEMIA", "CHECK_ACUITY_LOW", "CHECK_CARIES", "CHECK_HEARING_REFER_RIGHT",
    ]  # fmt: skip
    assert result.case is not None and result.case.severity == "refer"
    stored = session.exec(select(Check).where(Check.child_id == child.id)).one()
    assert (stored.hearing_right, stored.acuity_left, stored.caries_teeth) == ("refer", 4.7, 3)
    records = session.exec(select(FlagRecord).where(FlagRecord.child_id == child.id)).all()
    assert {r.code for r in records} == {
        "CHECK_ACUITY_LOW", "CHECK_CARIES", "CHECK_HEARING_REFER_RIGHT", "ANAEMIA",
    }  # fmt: skip


def test_haemoglobin_of_a_check_goes_through_the_anaemia_rule(
    session: Session, units: dict
) -> None:
    child = add_child(session, "r2", "2024-05-01")  # 12 months
    result = record_check(session, child, check(hb_g_l=109.9, vitamin_d_given=False),
                          by=CLINIC, at=at())  # fmt: skip
    assert sorted(f.code for f in result.flags) == ["ANAEMIA", "CHECK_NO_VITAMIN_D"]


def test_passing_results_raise_nothing(session: Session, units: dict) -> None:
    child = add_child(session, "r3", "2024-11-01")  # 6 months
    result = record_check(
        session, child,
        check(hearing_left="pass", hearing_right="pass", red_reflex="normal",
              eye_position="normal", visual_behaviour="normal", caries_teeth=0,
              vitamin_d_given=True),
        by=CLINIC, at=at(),
    )  # fmt: skip
    assert result.flags == () and result.case is None


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"hearing_left": "fail"}, "hearing_left", "error.record.check_choice"),
        ({"red_reflex": "refer"}, "red_reflex", "error.record.check_choice"),
        ({"acuity_left": 4.85}, "acuity_left", "error.record.acuity_scale"),
        ({"acuity_right": 4.9}, "acuity_right", "error.record.acuity_too_young"),
    ],
)
def test_bad_results_are_refused_with_their_field(
    session: Session, units: dict, values: dict, field: str, message: str
) -> None:
    child = add_child(session, "r4", "2023-06-01")  # 35 months: too young for a chart
    with pytest.raises(RecordError) as refused:
        record_check(session, child, check(**values), by=CLINIC, at=at())
    assert refused.value.field == field
    assert refused.value.message_id == message
    assert session.exec(select(Check).where(Check.child_id == child.id)).first() is None
