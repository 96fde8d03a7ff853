"""The stored measurement row, written by one ``INSERT … RETURNING id`` without the ORM's unit
of work: every column as the ORM's ``add`` and ``flush`` stored it (the literal rows below were
written that way), on SQLite and PostgreSQL, for a plain, a flagged, an implausible confirmed,
an off-trajectory and a replacing value; the object returned is the session's persistent row."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session

from health.clock import Moment
from health.models import ChildCreate, Measurement, MeasurementCreate, User
from health.models.enums import MeasurementStatus, Source
from health.pipeline import Author, MeasurementResult, record_measurement
from health.pipeline.withdraw import correct_measurement
from health.registry import create_child
from tests.health.health_builders import build_geography

TODAY = dt.date(2026, 6, 15)
NOW = dt.datetime(2026, 6, 15, 1, 0, tzinfo=dt.UTC)
AT = Moment(now=NOW, today=TODAY)
BOY = TODAY - dt.timedelta(days=91)
GIRL = TODAY - dt.timedelta(days=200)


def _entry(born: dt.date, age_days: int, **values: Any) -> MeasurementCreate:
    return MeasurementCreate(measured_on=born + dt.timedelta(days=age_days), source="home",
                             **values)  # fmt: skip


def record_all(session: Session) -> list[MeasurementResult]:
    """Six submissions: a clinic's value; a home value off the trajectory (waits); a plausible
    one replacing it; a flagged one with MUAC and oedema; an implausible one confirmed at
    home (waits); a facility's implausible one confirming it."""
    build_geography(session)
    user = User(username="nurse", password_hash="-", role="parent", created_at=NOW)
    session.add(user)
    session.flush()
    boy = create_child(session, ChildCreate(code="b", sex="M", birth_date=BOY, area_code="T1"))
    girl = create_child(session, ChildCreate(code="g", sex="F", birth_date=GIRL, area_code="T2"))
    clinic = Author(Source.clinic, actor_id=user.id, clinic_id=1)
    home = Author(Source.home, actor_id=user.id)
    facility = Author(Source.facility, facility_id=1)
    steps = [
        (boy, _entry(BOY, 61, weight_kg=5.6, length_cm=58.0, measure="L"), clinic, False),
        (boy, _entry(BOY, 91, weight_kg=8.6), home, False),
        (boy, _entry(BOY, 91, weight_kg=6.5, length_cm=61.5, measure="L", head_cm=40.1), home,
         False),
        (girl, _entry(GIRL, 200, weight_kg=5.4, muac_cm=11.2, oedema=True), home, False),
        (girl, _entry(GIRL, 200, weight_kg=2.0), home, True),
        (girl, _entry(GIRL, 200, weight_kg=2.1, length_cm=64.0, measure="H"), facility, True),
    ]  # fmt: skip
    results = [
        record_measurement(session, child, data, by=by, at=AT, confirm=confirm)
        for child, data, by, confirm in steps
    ]
    session.commit()
    return results


COLUMNS = (
    "id", "child_id", "entered_by_id", "age_days", "created_at", "measured_on", "source",
    "weight_kg", "length_cm", "measure", "head_cm", "muac_cm", "oedema", "clinic_id",
    "facility_id", "z_lhfa", "z_wfa", "z_wflh", "z_bmi", "z_hcfa", "z_acfa", "implausible",
    "status", "rule_set", "withdrawn_at", "withdrawn_by_id", "corrects_id",
)  # fmt: skip
RULES = "who-anthro+growth-flags-1.0"
CREATED = dt.datetime(2026, 6, 15, 1, 0)
EXPECTED = [
    (1, 1, 1, 61, CREATED, dt.date(2026, 5, 16), 'clinic', 5.6, 58.0, 'L', None, None, False,
     1, None, -0.22, 0.04, 0.39, 0.23, None, None, False, 'accepted', RULES, None, None, None),
    (2, 1, 1, 91, CREATED, dt.date(2026, 6, 15), 'home', 8.6, None, None, None, None, False,
     None, None, None, 2.63, None, None, None, None, False, 'superseded', RULES, None, None,
     None),
    (3, 1, 1, 91, CREATED, dt.date(2026, 6, 15), 'home', 6.5, 61.5, 'L', 40.1, None, False,
     None, None, 0.05, 0.17, 0.2, 0.2, -0.34, None, False, 'accepted', RULES, None, None,
     None),
    (4, 2, 1, 200, CREATED, dt.date(2026, 6, 15), 'home', 5.4, None, None, None, 11.2, True,
     None, None, None, None, None, None, None, -2.59, False, 'accepted', RULES, None, None,
     None),
    (5, 2, 1, 200, CREATED, dt.date(2026, 6, 15), 'home', 2.0, None, None, None, None, False,
     None, None, None, -7.91, None, None, None, None, True, 'remeasure', RULES, None, None,
     None),
    (6, 2, None, 200, CREATED, dt.date(2026, 6, 15), 'facility', 2.1, 64.0, 'H', None, None,
     False, None, 1, -1.15, -7.76, -9.88, -9.68, None, None, True, 'accepted', RULES, None,
     None, None),
]  # fmt: skip


def stored(session: Session) -> list[tuple[Any, ...]]:
    """Every column of every measurement as the database returns it, in id order."""
    table = Measurement.__table__  # type: ignore[attr-defined]
    query = select(*(table.c[name] for name in COLUMNS)).order_by(table.c.id)
    return [tuple(r) for r in session.connection().execute(query)]


def _naive(value: Any) -> Any:
    return value.replace(tzinfo=None) if isinstance(value, dt.datetime) else value


def test_the_rows_are_those_the_orm_stored(session: Session) -> None:
    record_all(session)
    assert [tuple(_naive(v) for v in row) for row in stored(session)] == EXPECTED


def test_the_result_holds_the_stored_row(session: Session) -> None:
    results = record_all(session)
    rows = stored(session)
    for result, row in zip(results, rows, strict=True):
        got = tuple(getattr(result.measurement, name) for name in COLUMNS)
        assert [_naive(v) for v in got] == [_naive(v) for v in row]
        assert session.get(Measurement, row[0]) is result.measurement
        m = result.measurement
        assert (type(m.source), type(m.status), m.created_at) == (Source, MeasurementStatus, NOW)
    assert [r.measurement.id for r in results if r.remeasure] == [
        r.remeasure.measurement_id for r in results if r.remeasure
    ]


def test_a_correction_updates_the_new_row_in_place(session: Session) -> None:
    results = record_all(session)
    first = results[0].measurement
    by = Author(Source.clinic, actor_id=first.entered_by_id, clinic_id=1)
    fixed = correct_measurement(session, int(first.id), _entry(BOY, 61, weight_kg=5.7), by=by,
                                at=AT)  # fmt: skip
    session.commit()
    rows = stored(session)
    assert len(rows) == len(results) + 1  # one new row, not two
    assert rows[-1][COLUMNS.index("corrects_id")] == first.id
    assert rows[-1][0] == fixed.result.measurement.id


def test_a_refused_value_writes_nothing(session: Session) -> None:
    from health.errors import ImplausibleMeasurementError

    build_geography(session)
    girl = create_child(session, ChildCreate(code="g", sex="F", birth_date=GIRL, area_code="T2"))
    with pytest.raises(ImplausibleMeasurementError):
        record_measurement(session, girl, _entry(GIRL, 200, weight_kg=2.0),
                           by=Author(Source.home), at=AT)  # fmt: skip
    assert stored(session) == []
