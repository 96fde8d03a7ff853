"""Withdrawing and correcting an entry (issue 11): only its author, once; the row stays stored
and in the audit trail, and no longer counts for flags, cases, the series rules or the latest
result."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, col, select

from growth_charts import value_at_z
from health.clock import Moment
from health.errors import ImplausibleMeasurementError
from health.models import (
    AuditEntry,
    Case,
    CaseEvent,
    Child,
    ChildCreate,
    FlagRecord,
    Measurement,
    MeasurementCreate,
    RemeasureRequest,
    User,
    UserCreate,
)
from health.models.enums import Source
from health.pipeline import (
    AlreadyWithdrawnError,
    Author,
    EntryNotFoundError,
    NotYourEntryError,
    correct_measurement,
    record_measurement,
    withdraw_measurement,
)
from health.registry import create_child, create_user
from tests.health.health_builders import build_geography

TODAY = dt.date(2026, 6, 15)
AT = Moment(now=dt.datetime(2026, 6, 15, 1, 0, tzinfo=dt.UTC), today=TODAY)
LATER = Moment(now=dt.datetime(2026, 6, 15, 2, 30, tzinfo=dt.UTC), today=TODAY)
SIX_MONTHS = 182  # days old
PASSWORD = "tests-Heron-27-lantern"


@pytest.fixture
def units(session: Session) -> dict:
    return build_geography(session)


def account(session: Session, name: str, role: str = "parent", **scope: int) -> Author:
    user = create_user(
        session, UserCreate(username=name, password=PASSWORD, role=role, **scope), now=AT.now,
        password_hash="x",
    )  # fmt: skip
    source = {"parent": Source.home, "doctor": Source.clinic}[role]
    return Author(source, user.id, scope.get("clinic_id"))


def boy(session: Session, code: str = "w6") -> Child:
    birth = TODAY - dt.timedelta(days=SIX_MONTHS)
    return create_child(session, ChildCreate(code=code, sex="M", birth_date=birth, area_code="T1"))


def weight_at(z: float, days: int = SIX_MONTHS) -> float:
    """The boy's weight (kg, 3 decimals) whose weight-for-age z is ``z`` at ``days``."""
    return round(float(value_at_z("wfa", "M", days, z)[0]), 3)


def entry(weight_kg: float, days: int = SIX_MONTHS) -> MeasurementCreate:
    on = TODAY - dt.timedelta(days=SIX_MONTHS - days)
    return MeasurementCreate(measured_on=on, source="home", weight_kg=weight_kg)


def open_flags(session: Session, child: Child) -> list[str]:
    rows = session.exec(
        select(FlagRecord).where(
            FlagRecord.child_id == child.id, col(FlagRecord.resolved_at).is_(None)
        )
    )
    return sorted(f.code for f in rows)


def counted(session: Session, child: Child) -> list[Measurement]:
    """What the chart, the table and the latest result read (api.services.views.measurements)."""
    from api.services.views import measurements

    return measurements(session, int(child.id))


def test_a_withdrawn_45_kg_no_longer_counts_and_stays_stored(session: Session, units) -> None:
    parent = account(session, "mother")
    child = boy(session)
    first = record_measurement(session, child, entry(weight_at(0.0, 120), 120), by=parent, at=AT)
    assert first.measurement.z_wfa == 0.0
    typo = record_measurement(session, child, entry(45.0), by=parent, at=AT, confirm=True)
    row = typo.measurement
    assert (row.status, row.implausible) == ("remeasure", True)
    assert [f.code for f in typo.flags] == ["GROWTH_IMPLAUSIBLE"]
    assert typo.remeasure is not None and open_flags(session, child) == ["GROWTH_IMPLAUSIBLE"]
    assert [m.id for m in counted(session, child)][-1] == row.id  # the latest result, for now

    done = withdraw_measurement(session, row.id, by=parent, at=LATER, child_id=child.id)

    assert [f.code for f in done.flags_resolved] == ["GROWTH_IMPLAUSIBLE"]
    assert open_flags(session, child) == []
    request = session.get(RemeasureRequest, typo.remeasure.id)
    assert (request.status, request.resolved_at) == ("cancelled", LATER.now)
    assert done.remeasure_cancelled is not None and done.case is None and not done.case_closed
    kept = session.get(Measurement, row.id)
    assert (kept.weight_kg, kept.withdrawn_by_id) == (45.0, parent.actor_id)
    assert kept.withdrawn_at == LATER.now
    assert [m.id for m in counted(session, child)] == [first.measurement.id]  # latest: day 120
    [audit] = session.exec(select(AuditEntry).where(AuditEntry.action == "measurement.withdraw"))
    assert (audit.actor_id, audit.role, audit.object_kind, audit.object_ref) == (
        parent.actor_id, "parent", "measurement", str(row.id),
    )  # fmt: skip


def test_withdrawing_the_entry_behind_a_case_closes_it_with_an_event(
    session: Session, units
) -> None:
    parent = account(session, "father")
    child = boy(session)
    low = record_measurement(session, child, entry(weight_at(-3.5)), by=parent, at=AT)
    assert low.measurement.z_wfa == -3.5
    assert [f.code for f in low.flags] == ["GROWTH_SEVERE_UNDERWEIGHT"]
    case = low.case
    assert case is not None and case.status == "open"

    done = withdraw_measurement(session, low.measurement.id, by=parent, at=LATER)

    assert done.case_closed and done.case.id == case.id
    stored = session.get(Case, case.id)
    assert (stored.status, stored.outcome, stored.closed_by_id) == ("closed", None, parent.actor_id)
    events = session.exec(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
    ).all()
    assert [e.action for e in events][-2:] == ["flag_withdrawn", "closed_withdrawn"]
    assert events[-1].detail == {
        "outcome": "withdrawn", "source_kind": "measurement", "source_id": low.measurement.id,
    }  # fmt: skip
    from api.services.views import outcome_history

    [outcome] = outcome_history(session, int(child.id))
    assert (outcome.outcome, outcome.by) == ("withdrawn", "father")


def test_a_case_with_another_open_flag_stays_open_at_that_flags_severity(
    session: Session, units
) -> None:
    parent = account(session, "aunt")
    child = boy(session)
    # day 120: z -2.5 (underweight, review); day 182: z -3.5 (severe, refer) joins the case
    first = record_measurement(session, child, entry(weight_at(-2.5, 120), 120), by=parent, at=AT)
    second = record_measurement(session, child, entry(weight_at(-3.5)), by=parent, at=AT)
    assert first.case is not None and second.case.id == first.case.id
    assert second.case.severity == "refer"
    done = withdraw_measurement(session, second.measurement.id, by=parent, at=LATER)
    assert not done.case_closed
    case = session.get(Case, first.case.id)
    assert (case.status, case.severity) == ("open", "review")
    assert open_flags(session, child) == ["GROWTH_UNDERWEIGHT"]


def test_a_correction_is_a_new_entry_that_names_the_old_one(session: Session, units) -> None:
    parent = account(session, "grandma")
    child = boy(session)
    typo = record_measurement(session, child, entry(45.0), by=parent, at=AT, confirm=True)
    fixed = correct_measurement(
        session, typo.measurement.id, entry(weight_at(0.5)), by=parent, at=LATER
    )
    new = fixed.result.measurement
    assert (new.corrects_id, new.z_wfa, new.status, new.implausible) == (
        typo.measurement.id, 0.5, "accepted", False,
    )  # fmt: skip
    assert new.weight_kg == weight_at(0.5) and fixed.result.flags == ()
    old = session.get(Measurement, typo.measurement.id)
    assert old.withdrawn_at is not None and old.status == "remeasure"  # not "superseded"
    assert session.get(RemeasureRequest, typo.remeasure.id).status == "cancelled"
    assert [m.id for m in counted(session, child)] == [new.id]
    assert open_flags(session, child) == []
    actions = session.exec(select(AuditEntry.action, AuditEntry.object_ref)).all()
    assert ("measurement.correct", str(typo.measurement.id)) in actions


def test_a_correction_that_still_needs_the_doctor_keeps_the_case(session: Session, units) -> None:
    parent = account(session, "uncle")
    child = boy(session)
    low = record_measurement(session, child, entry(weight_at(-3.5)), by=parent, at=AT)
    fixed = correct_measurement(
        session, low.measurement.id, entry(weight_at(-2.5)), by=parent, at=LATER
    )
    assert fixed.result.measurement.z_wfa == -2.5
    assert not fixed.withdrawal.case_closed
    case = session.get(Case, low.case.id)
    assert (case.status, case.severity) == ("open", "review")
    assert open_flags(session, child) == ["GROWTH_UNDERWEIGHT"]
    assert fixed.result.case.id == case.id


def test_series_rules_leave_a_withdrawn_weight_out(session: Session, units) -> None:
    parent = account(session, "sister")
    child = boy(session)
    record_measurement(session, child, entry(weight_at(-0.2, 60), 60), by=parent, at=AT)
    wrong = record_measurement(session, child, entry(weight_at(-1.0, 120), 120), by=parent, at=AT)
    withdraw_measurement(session, wrong.measurement.id, by=parent, at=LATER)
    # z 0.0 now: up 0.2 from the day-60 value; with the withdrawn −1.0 it would be 1.0 > 0.67
    now = record_measurement(session, child, entry(weight_at(0.0)), by=parent, at=LATER)
    assert [f.code for f in now.flags] == []


def test_only_the_author_may_withdraw_and_only_once(session: Session, units) -> None:
    parent, other = account(session, "mum"), account(session, "neighbour")
    doctor = account(session, "doc", "doctor", clinic_id=units["CL1"].id)
    child, second = boy(session), boy(session, "w6b")
    row = record_measurement(session, child, entry(weight_at(-3.5)), by=parent, at=AT).measurement
    for someone in (other, doctor, Author(Source.home)):
        with pytest.raises(NotYourEntryError) as refused:
            withdraw_measurement(session, row.id, by=someone, at=LATER)
        assert (refused.value.message_id, refused.value.status_code) == (
            "error.record.not_your_entry", 403,
        )  # fmt: skip
    with pytest.raises(EntryNotFoundError):
        withdraw_measurement(session, row.id, by=parent, at=LATER, child_id=second.id)
    with pytest.raises(EntryNotFoundError):
        withdraw_measurement(session, row.id + 1000, by=parent, at=LATER)
    assert session.get(Measurement, row.id).withdrawn_at is None
    withdraw_measurement(session, row.id, by=parent, at=LATER)
    for again in (
        lambda: withdraw_measurement(session, row.id, by=parent, at=LATER),
        lambda: correct_measurement(session, row.id, entry(7.0), by=parent, at=LATER),
    ):
        with pytest.raises(AlreadyWithdrawnError) as refused:
            again()
        assert (refused.value.message_id, refused.value.status_code) == (
            "error.record.already_withdrawn", 409,
        )  # fmt: skip
    audited = session.exec(select(AuditEntry).where(AuditEntry.action == "measurement.withdraw"))
    assert len(list(audited)) == 1
    assert session.get(User, parent.actor_id) is not None


def test_a_refused_correction_leaves_the_old_entry_as_it_was(session: Session, units) -> None:
    parent = account(session, "nan")
    child = boy(session)
    low = record_measurement(session, child, entry(weight_at(-3.5)), by=parent, at=AT)
    with pytest.raises(ImplausibleMeasurementError):
        correct_measurement(session, low.measurement.id, entry(45.0), by=parent, at=LATER)
    session.flush()
    old = session.get(Measurement, low.measurement.id)
    assert old.withdrawn_at is None
    assert open_flags(session, child) == ["GROWTH_SEVERE_UNDERWEIGHT"]
    assert session.get(Case, low.case.id).status == "open"
    assert len(session.exec(select(Measurement)).all()) == 1
    assert session.exec(select(AuditEntry)).all() == []
