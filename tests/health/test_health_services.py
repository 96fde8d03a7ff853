"""Services on both databases: measurements → z-scores → flags → exactly one open case per child
in the right clinic's queue; re-measure requests for implausible values; closing with an
outcome; the audit trail; checks with haemoglobin; milestones; the schedule."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from growth_charts import value_at_z
from health.clock import Moment
from health.errors import RecordError
from health.models import (
    Case,
    CaseClose,
    CaseEvent,
    CheckCreate,
    FlagRecord,
    Measurement,
    MeasurementCreate,
    RemeasureRequest,
)
from health.models.enums import Source
from health.pipeline import Author, record_check, record_milestones
from health.pipeline import record_measurement as _record_measurement
from health.services import (
    CaseStateError,
    close_case,
    open_queue,
    schedule_for_child,
)
from screening import development, reference
from tests.health.health_builders import add_child, build_geography

NOW = dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.UTC)
BIRTH = "2023-06-01"  # two years old on NOW


CLINIC = Author(Source.clinic)


def at(now: dt.datetime) -> Moment:
    return Moment(now=now, today=now.date())


def record_measurement(session: Session, child, data, *, now: dt.datetime = NOW, **kw):
    """The pipeline with the confirm step passed (the service-level tests store every value)."""
    by = Author(data.source)
    return _record_measurement(session, child, data, by=by, at=at(now), confirm=True, **kw)


def length_at(z: float, age_days: int, sex: str = "F") -> float:
    return round(float(value_at_z("lhfa", sex, age_days, z)[0]), 1)


def weight_at(z: float, age_days: int, sex: str = "F") -> float:
    return round(float(value_at_z("wfa", sex, age_days, z)[0]), 2)


def home(on: str, **values: float | str) -> MeasurementCreate:
    return MeasurementCreate(measured_on=dt.date.fromisoformat(on), source="home", **values)


@pytest.fixture
def units(session: Session) -> dict:
    return build_geography(session)


def cases_of(session: Session, child_id: int) -> list[Case]:
    return list(session.exec(select(Case).where(Case.child_id == child_id)))


def test_stunting_opens_one_case_at_the_township_clinic(session: Session, units: dict) -> None:
    child = add_child(session, "s1", BIRTH, "T2")
    first = record_measurement(
        session, child, home("2025-05-01", length_cm=length_at(-2.5, 700), measure="L"),
        now=NOW,
    )  # fmt: skip
    assert [f.code for f in first.flags] == ["GROWTH_STUNTING"]
    assert first.case is not None and first.case.clinic_id == units["CL2"].id
    assert first.case.severity == "review"
    stored = session.get(Measurement, first.measurement.id)
    assert stored.z_lhfa == pytest.approx(-2.5, abs=0.011)
    assert stored.rule_set.startswith("who-anthro")
    # a second, worse measurement: same case, escalated, no duplicate flag rows per code
    later = NOW + dt.timedelta(days=1)
    second = record_measurement(
        session, child, home("2025-05-30", length_cm=length_at(-3.3, 729), measure="L"),
        now=later,
    )  # fmt: skip
    assert second.case.id == first.case.id
    assert len(cases_of(session, child.id)) == 1
    assert second.case.severity == "refer"
    codes = sorted(f.code for f in session.exec(select(FlagRecord)))
    assert codes == ["GROWTH_SEVERE_STUNTING", "GROWTH_STUNTING"]
    actions = [e.action for e in session.exec(select(CaseEvent).order_by(CaseEvent.id))]
    assert actions == ["opened", "flag_added", "flag_added", "escalated"]


def test_enrolled_child_goes_to_the_facility_clinic(session: Session, units: dict) -> None:
    child = add_child(session, "s2", BIRTH, "T2", facility=units["F1"])
    result = record_measurement(
        session, child, home("2025-05-01", weight_kg=weight_at(-3.4, 700)), now=NOW
    )
    assert result.case.clinic_id == units["CL1"].id  # F1 is linked to CL1, child lives in T2
    assert [c.id for c in open_queue(session, units["CL1"].id)] == [result.case.id]
    assert open_queue(session, units["CL2"].id) == []


def test_normal_measurement_opens_nothing(session: Session, units: dict) -> None:
    child = add_child(session, "s3", BIRTH)
    result = record_measurement(
        session, child,
        home("2025-05-01", weight_kg=weight_at(0.1, 700), length_cm=length_at(0.2, 700),
             measure="L"),
        now=NOW,
    )  # fmt: skip
    assert result.case is None and result.flags == ()
    assert cases_of(session, child.id) == []


def test_implausible_value_asks_for_a_remeasure_not_a_case(session: Session, units: dict) -> None:
    child = add_child(session, "s4", BIRTH)
    bad = record_measurement(
        session, child, home("2025-05-01", length_cm=length_at(-7.0, 700), measure="L"),
        now=NOW,
    )  # fmt: skip
    assert bad.case is None and bad.remeasure is not None
    assert bad.remeasure.indicators == ["lhfa"]
    assert session.get(Measurement, bad.measurement.id).status == "remeasure"
    assert cases_of(session, child.id) == []
    # the family measures again, plausible: the request is settled, the old value superseded
    good = record_measurement(
        session, child, home("2025-05-02", length_cm=length_at(0.0, 701), measure="L"),
        now=NOW,
    )  # fmt: skip
    assert good.case is None
    assert session.get(RemeasureRequest, bad.remeasure.id).status == "replaced"
    assert session.get(Measurement, bad.measurement.id).status == "superseded"


def test_implausible_value_confirmed_by_the_clinic_opens_a_case(
    session: Session, units: dict
) -> None:
    child = add_child(session, "s5", BIRTH)
    record_measurement(
        session, child, home("2025-05-01", length_cm=length_at(-6.5, 700), measure="L"),
        now=NOW,
    )  # fmt: skip
    again = MeasurementCreate(
        measured_on=dt.date(2025, 5, 3), source="clinic", length_cm=length_at(-6.5, 702),
        measure="L",
    )  # fmt: skip
    confirmed = record_measurement(session, child, again, now=NOW)
    assert confirmed.remeasure is None
    assert confirmed.case is not None and confirmed.case.severity == "refer"
    assert session.exec(select(RemeasureRequest)).one().status == "confirmed"


def test_closing_a_case_resolves_flags_and_a_new_flag_opens_a_new_case(
    session: Session, units: dict
) -> None:
    child = add_child(session, "s6", BIRTH)
    opened = record_measurement(
        session, child, home("2025-05-01", weight_kg=weight_at(-2.4, 700)), now=NOW
    )
    later = NOW + dt.timedelta(hours=3)
    closed = close_case(
        session, opened.case.id, CaseClose(outcome="advice", outcome_note="feed more often"),
        actor_id=None, now=later,
    )  # fmt: skip
    assert (closed.status, closed.outcome, closed.closed_at) == ("closed", "advice", later)
    assert all(f.resolved_at == later for f in session.exec(select(FlagRecord)))
    with pytest.raises(CaseStateError, match="already closed"):
        close_case(session, opened.case.id, CaseClose(outcome="normal"), actor_id=None, now=later)
    again = record_measurement(
        session, child, home("2025-05-20", weight_kg=weight_at(-2.5, 719)), now=later
    )
    assert again.case.id != opened.case.id
    assert [c.status for c in cases_of(session, child.id)] == ["closed", "open"]
    session.commit()


def test_a_recheck_keeps_the_case_open_until_the_doctor_closes_it(
    session: Session, units: dict
) -> None:
    """``recheck`` leaves the case open in the queue with its date and open flags; a new flag
    joins that case; another recheck moves the date; the next outcome closes it."""
    child = add_child(session, "s6r", BIRTH)
    opened = record_measurement(
        session, child, home("2025-05-01", weight_kg=weight_at(-2.4, 700)), now=NOW
    )
    later = NOW + dt.timedelta(hours=3)
    plan = CaseClose(outcome="recheck", recheck_on=dt.date(2025, 7, 1), outcome_note="in 4 weeks")
    kept = close_case(session, opened.case.id, plan, actor_id=None, now=later)
    assert (kept.status, kept.outcome, kept.recheck_on) == ("open", "recheck", dt.date(2025, 7, 1))
    assert kept.closed_at is None and kept.outcome_note == "in 4 weeks"
    assert all(f.resolved_at is None for f in session.exec(select(FlagRecord)))
    assert [c.id for c in open_queue(session, kept.clinic_id)] == [kept.id]
    again = record_measurement(
        session, child, home("2025-05-20", weight_kg=weight_at(-2.5, 719)), now=later
    )
    assert again.case.id == kept.id  # the child's one open case
    moved = CaseClose(outcome="recheck", recheck_on=dt.date(2025, 7, 15))
    moved_case = close_case(session, kept.id, moved, actor_id=None, now=later)
    assert (moved_case.status, moved_case.recheck_on) == ("open", dt.date(2025, 7, 15))
    done = close_case(session, kept.id, CaseClose(outcome="normal"), actor_id=None, now=later)
    assert (done.status, done.outcome, done.recheck_on) == ("closed", "normal", None)
    assert all(f.resolved_at == later for f in session.exec(select(FlagRecord)))
    trail = session.exec(
        select(CaseEvent).where(CaseEvent.case_id == kept.id).order_by(CaseEvent.id)
    )
    actions = [e.action for e in trail]
    assert actions.count("recheck_planned") == 2 and actions[-1] == "closed"
    session.commit()


@pytest.mark.parametrize(
    "recheck_on,message_id",
    [
        (dt.date(1, 1, 1), "error.record.recheck_not_after_today"),
        (NOW.date() - dt.timedelta(days=1), "error.record.recheck_not_after_today"),
        (NOW.date(), "error.record.recheck_not_after_today"),
        (NOW.date() + dt.timedelta(days=367), "error.record.recheck_too_far"),
        (dt.date(9999, 12, 31), "error.record.recheck_too_far"),
    ],
)
def test_recheck_date_falls_after_today_and_within_a_year(
    session: Session, units: dict, recheck_on: dt.date, message_id: str
) -> None:
    child = add_child(session, "s7d", BIRTH)
    case = record_measurement(
        session, child, home("2025-05-01", weight_kg=weight_at(-2.4, 700)), now=NOW
    ).case
    entry = CaseClose(outcome="recheck", recheck_on=recheck_on)
    with pytest.raises(RecordError) as refused:
        close_case(session, case.id, entry, actor_id=None, now=NOW, today=NOW.date())
    assert (refused.value.message_id, refused.value.field) == (message_id, "recheck_on")
    assert session.get(Case, case.id).outcome is None  # nothing recorded
    edge = NOW.date() + dt.timedelta(days=366)
    ok = close_case(session, case.id, CaseClose(outcome="recheck", recheck_on=edge),
                    actor_id=None, now=NOW, today=NOW.date())  # fmt: skip
    assert ok.recheck_on == edge


@pytest.mark.parametrize("note", ["a\x00b", "see \u202egnp.exe", "\x1b[31mred", "x\x85y"])
def test_outcome_notes_refuse_control_and_override_characters(
    session: Session, units: dict, note: str
) -> None:
    child = add_child(session, "s7n", BIRTH)
    case = record_measurement(
        session, child, home("2025-05-01", weight_kg=weight_at(-2.4, 700)), now=NOW
    ).case
    with pytest.raises(RecordError) as refused:
        close_case(session, case.id, CaseClose(outcome="referred", outcome_note=note),
                   actor_id=None, now=NOW)  # fmt: skip
    assert refused.value.message_id == "error.record.note_characters"


def test_outcome_notes_keep_their_lines_in_nfc(session: Session, units: dict) -> None:
    child = add_child(session, "s7l", BIRTH)
    case = record_measurement(
        session, child, home("2025-05-01", weight_kg=weight_at(-2.4, 700)), now=NOW
    ).case
    note = "  County MCH hospital\r\nCafe\u0301\tbed 3  "
    closed = close_case(session, case.id, CaseClose(outcome="referred", outcome_note=note),
                        actor_id=None, now=NOW)  # fmt: skip
    assert closed.outcome_note == "County MCH hospital\nCaf\u00e9\tbed 3"


def test_recheck_needs_a_date(session: Session, units: dict) -> None:
    child = add_child(session, "s7", BIRTH)
    case = record_measurement(
        session, child, home("2025-05-01", weight_kg=weight_at(-2.4, 700)), now=NOW
    ).case
    with pytest.raises(RecordError, match="recheck_on"):
        close_case(session, case.id, CaseClose(outcome="recheck"), actor_id=None, now=NOW)


def test_check_with_low_haemoglobin_refers(session: Session, units: dict) -> None:
    child = add_child(session, "s8", "2024-05-01")
    result = record_check(
        session, child,
        CheckCreate(check_date=dt.date(2025, 5, 1), kind="routine", clinic_code="CL1",
                    hb_g_l=95),
        by=CLINIC, at=at(NOW),
    )  # fmt: skip
    assert [f.code for f in result.flags] == ["ANAEMIA"]
    assert result.case.severity == "refer"
    with pytest.raises(RecordError, match="already recorded"):
        again = CheckCreate(check_date=dt.date(2025, 5, 1), kind="routine")
        record_check(session, child, again, by=CLINIC, at=at(NOW))


def test_dates_before_birth_or_in_the_future_are_refused(session: Session, units: dict) -> None:
    child = add_child(session, "s9", BIRTH)
    with pytest.raises(RecordError, match="before the birth date"):
        record_measurement(session, child, home("2023-05-01", weight_kg=3.0), now=NOW)
    with pytest.raises(RecordError, match="after today"):
        record_measurement(session, child, home("2025-06-02", weight_kg=12.0), now=NOW)


def test_milestone_not_yet_goes_to_review(session: Session, units: dict) -> None:
    child = add_child(session, "m1", BIRTH)
    inst = reference.instrument("milestone-checklist")
    on = dt.date(2025, 6, 1)
    age = development.age_used(inst, birth_date=dt.date(2023, 6, 1), gestational_weeks=None,
                               assessment_date=on)  # fmt: skip
    band = development.choose_band(inst, age)
    answers = {item.id: "yes" for item in band.items}
    answers |= {q.id: "no" for q in inst.global_questions}
    answers[band.items[0].id] = "not_yet"
    result = record_milestones(
        session, child, instrument="milestone-checklist", administered_on=on,
        by=Author(Source.home), answers=answers, at=at(NOW),
    )  # fmt: skip
    assert "DEV_MILESTONE_NOT_YET" in [f.code for f in result.flags]
    assert result.case is not None and result.case.severity == "review"


def test_schedule_for_child(session: Session, units: dict) -> None:
    child = add_child(session, "k1", "2024-01-15", checks=(("2024-01-20", "newborn_visit"),
                                                          ("2024-05-15", "routine")))  # fmt: skip
    statuses, nxt = schedule_for_child(session, child, dt.date(2024, 7, 1))
    assert [s.status for s in statuses[:5]] == ["done", "missed", "done", "due", "upcoming"]
    assert nxt is not None and (nxt.code, nxt.target) == ("m6", dt.date(2024, 7, 15))


def test_repeated_recalls_keep_one_advice_flag_per_rule(session: Session) -> None:
    """Issue 11: the same feeding advice from four recalls is one open flag, refreshed (its
    source the newest recall); advice the newest recall no longer gives is resolved; advice
    about a measurement stays with each measurement."""
    from health.services.cases import raise_flags
    from screening.flags import rule

    build_geography(session)
    child = add_child(session, "K-ADVICE", BIRTH)
    bottle = rule("FEED_BOTTLE").flag()
    no_d = rule("FEED_NO_VITAMIN_D").flag(item_ids=["vitamin_d"])
    for recall_id in (1, 2, 3, 4):
        later = NOW + dt.timedelta(days=recall_id)
        raise_flags(session, child, [bottle, no_d], source_kind="feeding", source_id=recall_id,
                    at=at(later))  # fmt: skip

    def open_advice(code: str) -> list[FlagRecord]:
        return list(session.exec(select(FlagRecord).where(
            FlagRecord.child_id == child.id, FlagRecord.code == code,
            FlagRecord.resolved_at.is_(None))))  # fmt: skip

    [only] = open_advice("FEED_BOTTLE")
    assert only.source_id == 4 and len(open_advice("FEED_NO_VITAMIN_D")) == 1
    assert only.raised_at.replace(tzinfo=dt.UTC) == NOW + dt.timedelta(days=4)
    raise_flags(session, child, [no_d], source_kind="feeding", source_id=5, at=at(NOW))
    assert open_advice("FEED_BOTTLE") == [] and len(open_advice("FEED_NO_VITAMIN_D")) == 1
    odd = rule("GROWTH_IMPLAUSIBLE").flag()
    for measurement_id in (10, 11):
        raise_flags(session, child, [odd], source_kind="measurement", source_id=measurement_id,
                    at=at(NOW))  # fmt: skip
    assert sorted(f.source_id for f in open_advice("GROWTH_IMPLAUSIBLE")) == [10, 11]
