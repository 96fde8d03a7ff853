"""The trajectory rules in the recording pipeline: a home value far off the child's own
trajectory waits for a re-measure (no growth flag, no case), a repeat confirms it, a plausible
one replaces it; a professional's value is trusted; withdrawn rows do not count; weight velocity
below the 5th centile is a review flag with its evidence."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

from growth_charts.velocity import increment_at_z, velocity_table
from health.clock import Moment
from health.models import Case, Child, ChildCreate, Measurement, MeasurementCreate, RemeasureRequest
from health.models.enums import Source
from health.pipeline import Author, flags_of_source, measurement_result, record_measurement
from health.registry import create_child
from tests.health.health_builders import build_geography

TODAY = dt.date(2026, 6, 15)
BIRTH = TODAY - dt.timedelta(days=91)  # measured at 61 days (2 months) and at 91 days
AT = Moment(now=dt.datetime(2026, 6, 15, 1, 0, tzinfo=dt.UTC), today=TODAY)
HOME = Author(Source.home)


@pytest.fixture
def child(session: Session) -> Child:
    build_geography(session)
    return create_child(session, ChildCreate(code="t1", sex="M", birth_date=BIRTH, area_code="T1"))


def clinic(session: Session) -> Author:
    return Author(Source.clinic, clinic_id=1)


def on_day(age_days: int, **values: object) -> MeasurementCreate:
    return MeasurementCreate(
        measured_on=BIRTH + dt.timedelta(days=age_days), source="home", **values
    )


def weight_at_velocity_z(start_kg: float, z: float) -> float:
    """The weight at 91 days whose increment from ``start_kg`` at 61 days has velocity z."""
    row = velocity_table("weight-1mo").labels.index("2 – 3 mo")
    return round(start_kg + float(increment_at_z("weight-1mo", "M", row, z)[0]) / 1000.0, 3)


def test_a_home_value_off_the_trajectory_waits_for_a_remeasure(session, child) -> None:
    record_measurement(session, child, on_day(61, weight_kg=5.6), by=clinic(session), at=AT)
    result = record_measurement(session, child, on_day(91, weight_kg=8.6), by=HOME, at=AT)
    # +3000 g in a month (WHO velocity z 7.51): a re-measure, no growth flag, no case
    assert [f.code for f in result.flags] == ["GROWTH_TRAJECTORY_WEIGHT"]
    assert result.case is None and result.remeasure is not None
    assert result.remeasure.indicators == ["wfa"]
    assert result.measurement.status == "remeasure" and not result.measurement.implausible
    [wfa] = result.indicators
    assert wfa.sentence_id == "result.implausible"
    assert session.exec(select(Case)).all() == []
    values = result.flags[0].evidence.values
    assert (values["velocity_z"], values["previous_kg"], values["interval_days"]) == (7.51, 5.6, 30)
    again = measurement_result(session, child, result.measurement)
    assert again.indicators == result.indicators and again.remeasure is not None


def test_a_plausible_remeasure_replaces_the_value(session, child) -> None:
    record_measurement(session, child, on_day(61, weight_kg=5.6), by=clinic(session), at=AT)
    first = record_measurement(session, child, on_day(91, weight_kg=8.6), by=HOME, at=AT)
    second = record_measurement(session, child, on_day(91, weight_kg=6.5), by=HOME, at=AT)
    assert second.remeasure is None and second.measurement.status == "accepted"
    assert session.get(RemeasureRequest, first.remeasure.id).status == "replaced"
    assert session.get(Measurement, first.measurement.id).status == "superseded"


def test_a_repeat_in_the_same_direction_confirms_it(session, child) -> None:
    record_measurement(session, child, on_day(61, weight_kg=5.6), by=clinic(session), at=AT)
    first = record_measurement(session, child, on_day(91, weight_kg=5.0), by=HOME, at=AT)
    assert first.remeasure is not None  # −600 g in a month: velocity z −∞
    again = record_measurement(session, child, on_day(91, weight_kg=5.05), by=HOME, at=AT)
    assert again.remeasure is None and again.measurement.status == "accepted"
    assert session.get(RemeasureRequest, first.remeasure.id).status == "confirmed"
    codes = {f.code for f in again.flags}
    assert "GROWTH_WEIGHT_VELOCITY_LOW" in codes and again.case is not None


def test_a_repeat_the_other_way_waits_again(session, child) -> None:
    record_measurement(session, child, on_day(61, weight_kg=5.6), by=clinic(session), at=AT)
    record_measurement(session, child, on_day(91, weight_kg=5.0), by=HOME, at=AT)
    up = record_measurement(session, child, on_day(91, weight_kg=8.6), by=HOME, at=AT)
    assert up.remeasure is not None and up.case is None


def test_a_professionals_value_is_trusted(session, child) -> None:
    record_measurement(session, child, on_day(61, weight_kg=5.6), by=clinic(session), at=AT)
    result = record_measurement(session, child, on_day(91, weight_kg=8.6), by=clinic(session),
                                at=AT)  # fmt: skip
    assert result.remeasure is None and result.measurement.status == "accepted"
    assert not any(f.code.startswith("GROWTH_TRAJECTORY") for f in result.flags)
    # the normal growth flags: 8.6 kg at 91 days for a boy is beyond +2 z of weight-for-age
    assert result.indicators[0].z > 2 and result.indicators[0].sentence_id != "result.implausible"


def test_a_withdrawn_earlier_value_does_not_count(session, child) -> None:
    record_measurement(session, child, on_day(61, weight_kg=5.6), by=clinic(session), at=AT)
    typo = record_measurement(session, child, on_day(75, weight_kg=8.6), by=clinic(session),
                              at=AT)  # fmt: skip
    typo.measurement.withdrawn_at = AT.now
    session.add(typo.measurement)
    session.flush()
    # judged against 5.6 kg at 61 days (+900 g in 30 days, z 0.15), not against the 8.6 kg
    result = record_measurement(session, child, on_day(91, weight_kg=6.5), by=HOME, at=AT)
    assert result.remeasure is None and result.measurement.status == "accepted"


@pytest.mark.parametrize(("z", "flagged"), [(-1.64, False), (-1.65, True)])
def test_weight_velocity_below_the_5th_centile_is_a_review(session, child, z, flagged) -> None:
    record_measurement(session, child, on_day(61, weight_kg=5.6), by=clinic(session), at=AT)
    weight = weight_at_velocity_z(5.6, z)
    result = record_measurement(session, child, on_day(91, weight_kg=weight), by=HOME, at=AT)
    low = [f for f in result.flags if f.code == "GROWTH_WEIGHT_VELOCITY_LOW"]
    assert bool(low) is flagged and result.remeasure is None
    if flagged:
        assert result.case is not None and str(result.case.severity) == "review"
        stored = flags_of_source(session, int(child.id), "measurement", result.measurement.id)
        [kept] = [f for f in stored if f.code == "GROWTH_WEIGHT_VELOCITY_LOW"]
        assert kept.evidence.values["velocity_z"] == pytest.approx(z, abs=0.006)
        assert kept.evidence.values["previous_kg"] == 5.6
        assert kept.evidence.values["increment_g"] == round((weight - 5.6) * 1000)
