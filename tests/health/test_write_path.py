"""The set-based write path: the SQL statements of one home measurement submission, counted
with SQLAlchemy's ``before_cursor_execute`` event (``BEGIN`` left out), per kind of submission,
on SQLite and PostgreSQL, so that the count cannot creep back up; and the rows they wrote.

One plain submission: the child's history in one query (pending re-measure requests outer
joined to its accepted series), ``INSERT … RETURNING`` of the row. A flagged one adds the open
case with its open flags (one query), the responsible clinic (one query), the case's one
``INSERT … ON CONFLICT … RETURNING``, the new flags and the case's events (one executemany
each; a repeat refreshes the open flag by one ``UPDATE`` instead). An implausible one stores
the row, its advice flag and its re-measure request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from growth_charts import value_at_z
from health.clock import Moment
from health.models import Case, CaseEvent, Child, ChildCreate, FlagRecord, MeasurementCreate
from health.models.enums import Source
from health.pipeline import Author, record_measurement
from health.registry import create_child
from tests.health.health_builders import build_geography

TODAY = dt.date(2026, 6, 15)
AT = Moment(now=dt.datetime(2026, 6, 15, 1, 0, tzinfo=dt.UTC), today=TODAY)
LATER = Moment(now=dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC), today=TODAY)
HOME = Author(Source.home)
DAYS = 200


@contextmanager
def counted(session: Session) -> Iterator[list[str]]:
    """The first word of every statement sent while inside (``BEGIN`` left out)."""
    seen: list[str] = []
    engine = session.get_bind()

    def note(_conn, _cursor, statement: str, *_args) -> None:
        verb = statement.split()[0].upper()
        if verb != "BEGIN":
            seen.append(f"{verb} {_table(statement)}")

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def _table(statement: str) -> str:
    """The table a statement reads or writes (a read from a derived one-row select: the first
    table outer-joined to it)."""
    words = statement.replace("(", " ").split()
    for key in ("INTO", "UPDATE", "FROM"):
        if key in words:
            table = words[words.index(key) + 1]
            if table == "SELECT" and "OUTER" in words:
                return words[words.index("OUTER") + 2]
            return table
    return ""


@pytest.fixture
def kids(session: Session) -> list[Child]:
    build_geography(session)
    children = [
        create_child(session, ChildCreate(code=f"w{i}", sex="F", area_code="T1",
                     birth_date=TODAY - dt.timedelta(days=DAYS)))
        for i in range(3)
    ]  # fmt: skip
    session.commit()
    return children


def submit(session: Session, child: Child, at: Moment = AT, **values: object) -> list[str]:
    data = MeasurementCreate(measured_on=values.pop("on", TODAY), source="home", **values)
    with counted(session) as seen:
        record_measurement(session, child, data, by=HOME, at=at, confirm=True)
        session.commit()
    return seen


def test_a_plain_submission_reads_once_and_writes_once(session: Session, kids) -> None:
    first = submit(session, kids[0], on=TODAY - dt.timedelta(days=30), weight_kg=7.3)
    assert first == ["SELECT measurements", "INSERT measurements"]
    again = submit(session, kids[0], weight_kg=7.6, length_cm=66.0, measure="L")
    assert again == ["SELECT measurements", "INSERT measurements"]
    assert session.exec(select(Case)).all() == []


def test_a_flagged_submission_upserts_the_case_in_one_statement(session: Session, kids) -> None:
    low = float(value_at_z("wfa", "F", DAYS, -2.5)[0])  # weight-for-age -2.5: review
    opened = submit(session, kids[1], weight_kg=low)
    assert opened == [
        "SELECT measurements",  # history: pending requests and the accepted series
        "INSERT measurements",
        "SELECT cases",  # the responsible clinic (one CASE over two subqueries), outer-joined
        # to the open case and its open flags
        "INSERT cases",  # INSERT … ON CONFLICT … DO UPDATE … RETURNING
        "INSERT flags",
        "INSERT case_events",
    ]
    again = submit(session, kids[1], at=LATER, weight_kg=low)
    assert again == [
        "SELECT measurements", "INSERT measurements", "SELECT cases", "INSERT cases",
        "UPDATE flags", "INSERT case_events",
    ]  # fmt: skip
    [case] = session.exec(select(Case)).all()
    assert (case.status, case.severity, case.clinic_id) == ("open", "review", 1)
    assert case.updated_at.replace(tzinfo=dt.UTC) == LATER.now
    actions = [e.action for e in session.exec(select(CaseEvent).order_by(CaseEvent.id))]
    assert actions == ["opened", "flag_added", "flag_updated"]
    [flag] = session.exec(select(FlagRecord)).all()
    assert (flag.code, flag.case_id, flag.source_id) == ("GROWTH_UNDERWEIGHT", case.id, 2)


def test_an_implausible_submission_stores_its_request(session: Session, kids) -> None:
    seen = submit(session, kids[2], weight_kg=2.0)  # beyond WHO's limits, confirmed
    assert seen == [
        "SELECT measurements", "INSERT measurements", "INSERT remeasure_requests", "INSERT flags",
    ]  # fmt: skip
    assert session.exec(select(Case)).all() == []
    # a plausible value replaces it: the old row is superseded by one UPDATE
    replaced = submit(session, kids[2], weight_kg=7.5)
    assert replaced == [
        "SELECT measurements", "INSERT measurements", "UPDATE remeasure_requests",
        "UPDATE measurements",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("workers", "cores", "size", "overflow"),
    [(1, 2, 10, 0), (2, 2, 10, 0), (4, 16, 16, 0), (1, 32, 90, 0), (64, 2, 1, 0)],
)
def test_the_pool_is_sized_from_the_worker_count(
    monkeypatch: pytest.MonkeyPatch, workers: int, cores: int, size: int, overflow: int
) -> None:
    # pool_size = 2 × max(5, 2 × ceil(cores / workers)) within 90 // workers connections, all
    # kept open (no overflow to open and close): 32 cores, 1 worker → 128 cut to 90; 64
    # workers share 90: 1 each
    from health.db import pool_settings

    monkeypatch.delenv("CHILDHEALTH_DB_MAX_CONNECTIONS", raising=False)
    got = pool_settings(workers, cores)
    assert (got["pool_size"], got["max_overflow"]) == (size, overflow)
    assert got["pool_pre_ping"] is False and workers * (size + overflow) <= 90


def test_serve_tells_the_workers_how_many_they_are(monkeypatch: pytest.MonkeyPatch) -> None:
    from health.db import make_engine, pool_settings

    monkeypatch.setenv("CHILDHEALTH_WORKERS", "3")
    monkeypatch.setenv("CHILDHEALTH_DB_MAX_CONNECTIONS", "12")
    assert pool_settings(cores=2)["pool_size"] == 4  # 2 × max(5, 2) capped by 12 // 3
    engine = make_engine("postgresql://nobody@127.0.0.1:1/none")  # no connection is made
    assert (engine.pool.size(), engine.pool._max_overflow) == (4, 0)  # type: ignore[attr-defined]


def test_a_recalls_advice_flags_go_in_one_statement(session: Session, kids) -> None:
    from health.models import FeedingRecall
    from health.pipeline.questionnaires import record_feeding
    from tests.api.api_world import breast_milk_only

    # 200 days (6 completed months), breast milk only: solids not started, MMF, MDD, egg or
    # flesh, MAD not met, no vegetable or fruit (6 advice flags), stored in one INSERT
    with counted(session) as seen:
        record_feeding(session, kids[0], recalled_on=TODAY, answers=breast_milk_only(),
                       by=HOME, at=AT)  # fmt: skip
        session.commit()
    assert seen == [
        "SELECT feeding_recalls",  # the previous recall
        "SELECT flags",  # an open faltering flag
        "INSERT feeding_recalls",
        "SELECT flags",  # the child's standing feeding advice
        "INSERT flags",
    ]
    stored = session.exec(select(FlagRecord).order_by(FlagRecord.id)).all()
    assert [f.code for f in stored] == [
        "FEED_SOLIDS_NOT_STARTED", "FEED_MMF_NOT_MET", "FEED_MDD_NOT_MET",
        "FEED_NO_EGG_OR_FLESH", "FEED_MAD_NOT_MET", "FEED_NO_VEGETABLE_OR_FRUIT",
    ]  # fmt: skip
    [recall] = session.exec(select(FeedingRecall)).all()
    assert {f.source_id for f in stored} == {recall.id}
