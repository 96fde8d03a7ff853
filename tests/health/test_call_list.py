"""The call list: windows closing within 7/14/30 days (hand-computed dates), the pivotal rule
at its edge (countable children equal to the gap, and one more), the facility's scope, and a
contact attempt with its audit entry and refusals."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from health.clock import Moment
from health.errors import RecordError
from health.models import AuditEntry, Child, Facility, UserCreate
from health.models.outreach import ContactAttempt
from health.registry import create_user
from health.schedule import load_schedule
from health.services.call_list import (
    AttemptEntry,
    Unit,
    call_list,
    exchange_check,
    record_contact_attempt,
)
from tests.health.health_builders import add_child, build_geography

ON = dt.date(2026, 6, 15)


def doctor_of(session: Session, clinic_id: int) -> int:
    """A doctor account of ``clinic_id`` (its id)."""
    user = create_user(
        session,
        UserCreate(username="doc", password="tests-Kestrel-58-lantern", role="doctor",
                   clinic_id=clinic_id),
        now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), password_hash="unused",
    )  # fmt: skip
    return int(user.id)  # type: ignore[arg-type]


AT = Moment(now=dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC), today=ON)


def _closing_world(session: Session) -> int:
    """Non-resident children of T1 (outside every denominator, so nobody is pivotal), each with
    the 3-month check due: its window closes 4 months after birth."""
    geo = build_geography(session)
    add_child(session, "A", "2026-02-22", resident=False)  # closes 06-22: 7 days left
    add_child(session, "B", "2026-02-23", resident=False)  # closes 06-23: 8 days left
    add_child(session, "C", "2026-03-01", resident=False)  # closes 07-01: 16 days left
    add_child(session, "D", "2026-03-16", resident=False)  # opens 06-01, closes 07-16: 31
    add_child(session, "E", "2026-02-22", resident=False, checks=(("2026-05-25", "routine"),))
    return int(geo["CL1"].id)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("within", "codes", "days"),
    [(7, ["A"], [7]), (14, ["A", "B"], [7, 8]), (30, ["A", "B", "C"], [7, 8, 16])],
)
def test_windows_closing_within(
    session: Session, within: int, codes: list[str], days: list[int]
) -> None:
    clinic = _closing_world(session)
    listed = call_list(session, Unit("clinic", clinic), ON, within)
    assert [r.child_code for r in listed.rows] == codes
    assert [r.days_left for r in listed.rows] == days
    assert all(r.check == "routine_3m" and r.code == "m3" and r.closing for r in listed.rows)
    assert not any(r.pivotal for r in listed.rows)
    first = listed.rows[0]
    assert (first.opens, first.window_end, first.age_days) == (
        dt.date(2026, 5, 7),
        dt.date(2026, 6, 22),
        113,
    )
    assert listed.standing.denominator == 0 and listed.standing.gap == 0


def _pivotal_world(session: Session, lost: bool) -> int:
    """20 residents of T1 due only at 36 months in 2026: 17 counted (a routine check in its
    window), then 3 not counted: with ``lost`` one of them was born two months earlier, so its
    window closed on 2026-05-01 (not countable)."""
    geo = build_geography(session)
    for i in range(17):
        add_child(session, f"N{i:02d}", "2023-06-01", checks=(("2026-05-20", "routine"),))
    add_child(session, "U1", "2023-06-01")  # m36: 05-01..07-01, 16 days left
    add_child(session, "U2", "2023-06-03")  # closes 07-03, 18 days left
    add_child(session, "U3", "2023-04-01" if lost else "2023-06-05")
    return int(geo["CL1"].id)  # type: ignore[arg-type]


def test_pivotal_when_countable_children_equal_the_gap(session: Session) -> None:
    clinic = _pivotal_world(session, lost=True)
    listed = call_list(session, Unit("clinic", clinic), ON, 7)
    s = listed.standing
    # ⌈0.95 × 20⌉ = 19 needed, 17 counted: gap 2; U1 and U2 are the only countable ones
    assert (s.denominator, s.numerator, s.gap, s.countable, s.pivotal) == (20, 17, 2, 2, True)
    assert [(r.child_code, r.check, r.days_left, r.closing, r.pivotal) for r in listed.rows] == [
        ("U1", "routine_36m", 16, False, True),
        ("U2", "routine_36m", 18, False, True),
    ]
    within_30 = call_list(session, Unit("clinic", clinic), ON, 30)
    assert [(r.child_code, r.closing, r.pivotal) for r in within_30.rows] == [
        ("U1", True, True),
        ("U2", True, True),
    ]


def test_nobody_pivotal_with_one_countable_child_more_than_the_gap(session: Session) -> None:
    clinic = _pivotal_world(session, lost=False)
    listed = call_list(session, Unit("clinic", clinic), ON, 7)
    s = listed.standing
    assert (s.denominator, s.numerator, s.gap, s.countable, s.pivotal) == (20, 17, 2, 3, False)
    assert listed.rows == []
    assert [r.child_code for r in call_list(session, Unit("clinic", clinic), ON, 30).rows] == [
        "U1",
        "U2",
        "U3",
    ]


def test_facility_lists_its_enrolled_children_and_the_clinic_counts_them(
    session: Session,
) -> None:
    geo = build_geography(session)
    facility = geo["F1"]
    assert isinstance(facility, Facility)
    add_child(session, "F-KID", "2026-02-22", area="T2", facility=facility)  # T2, enrolled F1
    add_child(session, "T2-KID", "2026-02-22", area="T2")
    on_f1 = call_list(session, Unit("facility", int(facility.id)), ON, 7)  # type: ignore[arg-type]
    assert [r.child_code for r in on_f1.rows] == ["F-KID"]
    cl1 = call_list(session, Unit("clinic", int(geo["CL1"].id)), ON, 7)  # type: ignore[arg-type]
    assert [r.child_code for r in cl1.rows] == ["F-KID"]
    assert cl1.standing.denominator == 1  # the responsible clinic of an enrolled child
    cl2 = call_list(session, Unit("clinic", int(geo["CL2"].id)), ON, 7)  # type: ignore[arg-type]
    assert cl2.standing.denominator == 1  # T2-KID only: F-KID counts for CL1


def test_contact_attempt_is_stored_audited_and_shown_as_the_last(session: Session) -> None:
    clinic = _closing_world(session)
    child = session.exec(select(Child).where(Child.code == "A")).one()
    doctor = doctor_of(session, clinic)
    record_contact_attempt(
        session,
        child,
        AttemptEntry("routine_3m", "unreachable"),
        clinic_id=clinic,
        by_user_id=doctor,
        role="doctor",
        at=AT,
    )
    later = Moment(now=AT.now + dt.timedelta(hours=1), today=ON)
    record_contact_attempt(
        session,
        child,
        AttemptEntry("m3", "booked", dt.date(2026, 6, 20), " Tuesday\n9:00 "),
        clinic_id=clinic,
        by_user_id=doctor,
        role="doctor",
        at=later,
    )
    session.commit()
    rows = session.exec(select(ContactAttempt).order_by(ContactAttempt.id)).all()
    assert [(r.result, r.check_code, r.booked_on, r.note) for r in rows] == [
        ("unreachable", "routine_3m", None, None),
        ("booked", "routine_3m", dt.date(2026, 6, 20), "Tuesday\n9:00"),
    ]
    audited = session.exec(select(AuditEntry).where(AuditEntry.action == "contact.record")).all()
    assert [(a.actor_id, a.object_kind, a.object_ref) for a in audited] == [
        (doctor, "child", str(child.id)),
        (doctor, "child", str(child.id)),
    ]
    last = call_list(session, Unit("clinic", clinic), ON, 7).rows[0].last_attempt
    assert last is not None and (last.result, last.booked_on) == ("booked", dt.date(2026, 6, 20))


@pytest.mark.parametrize(
    ("entry", "message_id"),
    [
        (AttemptEntry("routine_5m", "reached"), "error.record.contact_check"),
        (AttemptEntry("routine_3m", "maybe"), "error.record.contact_result"),
        (AttemptEntry("routine_3m", "booked"), "error.record.booked_needs_date"),
        (AttemptEntry("routine_3m", "reached", dt.date(2026, 6, 20)), "error.record.booked_only"),
        (AttemptEntry("routine_3m", "booked", dt.date(2026, 6, 14)), "error.record.booked_date"),
        (AttemptEntry("routine_3m", "booked", dt.date(2027, 6, 16)), "error.record.booked_date"),
        (AttemptEntry("routine_3m", "reached", None, "x" * 501), "error.record.text_too_long"),
    ],
)
def test_contact_attempt_refusals(session: Session, entry: AttemptEntry, message_id: str) -> None:
    clinic = _closing_world(session)
    child = session.exec(select(Child).where(Child.code == "A")).one()
    doctor = doctor_of(session, clinic)
    with pytest.raises(RecordError) as refused:
        record_contact_attempt(session, child, entry, clinic_id=clinic, by_user_id=doctor,
                               role="doctor", at=AT)  # fmt: skip
    assert refused.value.message_id == message_id
    assert session.exec(select(ContactAttempt)).all() == []


def test_exchange_names_of_the_schedule() -> None:
    names = [exchange_check(c) for c in load_schedule().checks]
    assert names[:4] == ["newborn_visit", "full_month", "routine_3m", "routine_6m"]
    assert names[-1] == "routine_72m"
