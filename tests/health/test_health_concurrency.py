"""Two requests flag the same child at the same time: still exactly one open case."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import Engine, text
from sqlmodel import Session

from growth_charts import value_at_z
from health.clock import Moment
from health.db import for_writing
from health.models import Child, MeasurementCreate
from health.pipeline import Author, record_measurement
from tests.health.health_builders import add_child, build_geography

NOW = dt.datetime(2025, 6, 1, 9, 0, tzinfo=dt.UTC)


def test_concurrent_flags_open_one_case(engine: Engine) -> None:
    with Session(engine) as session:
        build_geography(session)
        child = add_child(session, "cc", "2023-06-01", "T1")
        session.commit()
        child_id = child.id
    low = round(float(value_at_z("wfa", "F", 700, -2.6)[0]), 2)
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def record(day: int) -> None:
        try:
            with Session(for_writing(engine)) as session:
                barrier.wait(timeout=10)
                data = MeasurementCreate(
                    measured_on=dt.date(2025, 5, day), source="home", weight_kg=low
                )
                child = session.get(Child, child_id)
                at = Moment(NOW, NOW.date())
                record_measurement(session, child, data, by=Author(data.source), at=at)
                session.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=record, args=(d,)) for d in (1, 2, 3, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    with engine.connect() as conn:
        cases = conn.execute(text("SELECT status FROM cases")).scalars().all()
        measurements = conn.execute(text("SELECT COUNT(*) FROM measurements")).scalar_one()
    assert cases == ["open"]
    assert measurements == 4
