"""The channel's services on both databases: the doctor's advice for the facility on
``close_case``; what the family (:func:`family_outcomes`) and the facility
(:func:`facility_actions`) read of the outcomes; the advisor's visits (:func:`record_visit`,
:func:`last_visits`) with their edges (today, the enrolment's first and last day)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from growth_charts import value_at_z
from health.clock import Moment
from health.errors import RecordError
from health.models import (
    CaseClose,
    CaseEvent,
    Clinic,
    Enrolment,
    FacilityVisit,
    MeasurementCreate,
    UserCreate,
)
from health.models.enums import Source
from health.pipeline import Author, record_measurement
from health.registry import create_user
from health.services import close_case
from health.services.channel import facility_actions, family_outcomes
from health.services.facility_visits import (
    FacilityNotLinkedError,
    enrolled_on,
    last_visits,
    last_visits_by_code,
    record_visit,
)
from tests.health.health_builders import add_child, build_geography, d

NOW = dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.UTC)
TODAY = dt.date(2025, 6, 1)
LATER = NOW + dt.timedelta(hours=3)


@pytest.fixture
def units(session: Session) -> dict:
    return build_geography(session)


def _case(session: Session, code: str, facility=None):
    """A child of township T1 (clinic CL1) with weight-for-age at -2.4 z: an open case."""
    child = add_child(session, code, "2023-06-01", "T1", facility=facility)
    weight = round(float(value_at_z("wfa", "F", 700, -2.4)[0]), 2)
    data = {"measured_on": dt.date(2025, 5, 1), "source": "home", "weight_kg": weight}
    result = record_measurement(
        session, child, MeasurementCreate(**data), by=Author(Source.home),
        at=Moment(now=NOW, today=TODAY), confirm=True,
    )  # fmt: skip
    assert result.case is not None
    return child, result.case


def _doctor(session: Session, clinic: Clinic, name: str = "dr"):
    return create_user(
        session,
        UserCreate(username=name, password="tests-Kestrel-58-lantern", role="doctor",
                   clinic_id=clinic.id),
        now=NOW, password_hash="x",
    )  # fmt: skip


def test_close_case_keeps_the_advice_nfc_and_refuses_control_characters(
    session: Session, units: dict
) -> None:
    _child, case = _case(session, "a1")
    with pytest.raises(RecordError) as refused:
        close_case(session, case.id, CaseClose(outcome="advice", facility_advice="a\u0000b"),
                   actor_id=None, now=LATER, today=TODAY)  # fmt: skip
    assert (refused.value.field, refused.value.params) == ("facility_advice",
                                                            {"character": "U+0000"})  # fmt: skip
    closed = close_case(
        session, case.id, CaseClose(outcome="advice", facility_advice="  cafe\u0301 daily  "),
        actor_id=None, now=LATER, today=TODAY,
    )  # fmt: skip
    assert closed.facility_advice == "café daily"
    event = session.exec(select(CaseEvent).where(CaseEvent.action == "closed")).one()
    assert event.detail["facility_advice"] == "café daily"
    assert event.detail["note_for_family"] is False


def test_the_family_reads_outcomes_newest_first_with_the_note_only_when_marked(
    session: Session, units: dict
) -> None:
    doctor = _doctor(session, units["CL1"])
    child, case = _case(session, "f1")
    close_case(session, case.id, CaseClose(outcome="recheck", recheck_on=d("2025-07-01"),
               outcome_note="internal", facility_advice="weigh weekly"),
               actor_id=doctor.id, now=NOW, today=TODAY)  # fmt: skip
    close_case(session, case.id, CaseClose(outcome="normal", outcome_note="all good",
               note_for_family=True), actor_id=doctor.id, now=LATER, today=TODAY)  # fmt: skip
    got = family_outcomes(session, child.id)
    assert [(o.outcome, o.clinic, o.recheck_on, o.note, o.facility_advice) for o in got] == [
        ("normal", "Clinic one", None, "all good", None),
        ("recheck", "Clinic one", d("2025-07-01"), None, "weigh weekly"),
    ]
    assert [o.at for o in got] == [LATER, NOW]
    assert family_outcomes(session, child.id, limit=1)[0].outcome == "normal"


def test_a_referral_names_the_institution_and_a_withdrawn_close_is_no_outcome(
    session: Session, units: dict
) -> None:
    child, case = _case(session, "r1")
    close_case(session, case.id, CaseClose(outcome="referred", outcome_note="County hospital"),
               actor_id=None, now=NOW, today=TODAY)  # fmt: skip
    session.add(CaseEvent(case_id=case.id, at=LATER, action="closed_withdrawn",
                          detail={"outcome": "withdrawn"}))  # fmt: skip
    session.flush()
    (only,) = family_outcomes(session, child.id)
    assert (only.outcome, only.institution, only.note, only.clinic) == (
        "referred", "County hospital", None, "Clinic one",
    )  # fmt: skip


def test_the_facility_sees_the_waiting_recheck_and_the_latest_advice_only(
    session: Session, units: dict
) -> None:
    facility = units["F1"]
    waiting, case_w = _case(session, "w1", facility)
    closed, case_c = _case(session, "c1", facility)
    quiet, case_q = _case(session, "q1", facility)
    close_case(session, case_w.id, CaseClose(outcome="recheck", recheck_on=d("2025-06-20")),
               actor_id=None, now=NOW, today=TODAY)  # fmt: skip
    close_case(session, case_c.id, CaseClose(outcome="recheck", recheck_on=d("2025-06-20"),
               facility_advice="old advice"), actor_id=None, now=NOW, today=TODAY)  # fmt: skip
    close_case(session, case_c.id, CaseClose(outcome="advice", facility_advice="new advice"),
               actor_id=None, now=LATER, today=TODAY)  # fmt: skip
    close_case(session, case_q.id, CaseClose(outcome="normal"), actor_id=None, now=NOW,
               today=TODAY)  # fmt: skip
    got = facility_actions(session, [waiting.id, closed.id, quiet.id])
    assert set(got) == {waiting.id, closed.id}
    assert (got[waiting.id].recheck_on, got[waiting.id].advice) == (d("2025-06-20"), None)
    assert (got[closed.id].recheck_on, got[closed.id].advice, got[closed.id].at) == (
        None, "new advice", LATER,
    )  # fmt: skip
    assert got[closed.id].clinic == "Clinic one"


def test_a_visit_is_refused_after_today_or_beyond_the_children_enrolled_that_day(
    session: Session, units: dict
) -> None:
    facility, clinic = units["F1"], units["CL1"]
    advisor = _doctor(session, clinic)
    child = add_child(session, "e1", "2023-06-01", "T2")
    session.add(Enrolment(child_id=child.id, facility_id=facility.id, start_date=d("2025-03-01"),
                          end_date=d("2025-05-31")))  # fmt: skip
    add_child(session, "e2", "2023-06-01", "T2", facility=facility)  # start unknown, still there
    assert [enrolled_on(session, facility.id, d(x)) for x in
            ("2025-02-28", "2025-03-01", "2025-05-31", "2025-06-01")] == [1, 2, 2, 1]  # fmt: skip

    def visit(on: str, seen: int, **kw):
        values = {"clinic_id": clinic.id, "advisor_id": advisor.id, "facility_id": facility.id,
                  "note": None, "today": TODAY, "now": NOW} | kw  # fmt: skip
        return record_visit(session, visited_on=d(on), children_seen=seen, **values)

    for on, seen, field, message in (
        ("2025-06-02", 0, "visited_on", "error.record.visit_after_today"),
        ("1999-12-31", 0, "visited_on", "error.record.visit_too_early"),
        ("2025-06-01", -1, "children_seen", "error.record.visit_children_negative"),
        ("2025-06-01", 2, "children_seen", "error.record.visit_children_more_than_enrolled"),
    ):
        with pytest.raises(RecordError) as refused:
            visit(on, seen)
        assert (refused.value.field, refused.value.message_id) == (field, message)
    with pytest.raises(FacilityNotLinkedError):
        visit("2025-06-01", 0, clinic_id=units["CL2"].id)
    with pytest.raises(RecordError) as bad_note:
        visit("2025-06-01", 0, note="x\u202ey")
    assert bad_note.value.field == "note"
    assert session.exec(select(FacilityVisit)).all() == []
    visit("2025-05-31", 2, note="  lunch and\r\nmorning checks ")
    visit("2025-06-01", 1)  # today
    assert last_visits(session, [facility.id]) == {facility.id: d("2025-06-01")}
    assert last_visits_by_code(session, ["F1", "nowhere"]) == {"F1": d("2025-06-01")}
    notes = [v.note for v in session.exec(select(FacilityVisit).order_by(FacilityVisit.id))]
    assert notes == ["lunch and\nmorning checks", None]
    session.commit()
