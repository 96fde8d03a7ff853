"""64-bit ids (migration 0010, ``health/models/ids.py``): on PostgreSQL the ids of the tables
that grow per check, measurement, answer or read, and every column holding one, are BIGINT with
BIGINT sequences, and an id beyond 2^31 is stored, referenced and read back through the
pipeline; on SQLite the ids stay INTEGER PRIMARY KEY (the 64-bit rowid) and still number new
rows, whether the schema came from the migrations or from the models.

PostgreSQL tests skip with the reason when 127.0.0.1:5432 is unreachable.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import BigInteger, Engine, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel, select

from growth_charts import value_at_z
from health.clock import Moment
from health.db import make_engine
from health.migrate import downgrade, upgrade
from health.models import (
    AuditEntry,
    Case,
    CaseEvent,
    Check,
    CheckCreate,
    ChildCreate,
    ContactAttempt,
    FeedingRecall,
    FlagRecord,
    IdempotencyRecord,
    Measurement,
    MeasurementCreate,
    MilestoneAnswer,
    Notification,
    RemeasureRequest,
    UserCreate,
)
from health.models.enums import Source
from health.pipeline import (
    Author,
    checklist_for,
    correct_measurement,
    measurement_result,
    record_check,
    record_measurement,
    record_milestones,
)
from health.registry import create_child, create_user
from tests.health.conftest import PG_SKIP_REASON, _truncate_all
from tests.health.health_builders import build_geography

pg_only = pytest.mark.skipif(PG_SKIP_REASON is not None, reason=PG_SKIP_REASON or "")

INT_MAX = 2**31 - 1
BEYOND = 2**31  # the first id a 32-bit INTEGER cannot hold

#: every column that holds a 64-bit id (table → columns); every other id stays INTEGER
BIGINT_COLUMNS = {
    "measurements": {"id", "corrects_id"},
    "checks": {"id"},
    "milestone_administrations": {"id"},
    "milestone_answers": {"administration_id"},
    "feeding_recalls": {"id"},
    "cases": {"id"},
    "flags": {"id", "case_id", "source_id"},
    "case_events": {"id", "case_id"},
    "remeasure_requests": {"id", "measurement_id"},
    "audit_log": {"id"},
    "notifications": {"id"},
    "contact_attempts": {"id"},
    "idempotency_records": {"id"},
}
MADE_BIGINT_LATER = {"tally_changes": {"id"}}  # migration 0012: a row per write statement
NUMBERED = sorted(t for t, columns in BIGINT_COLUMNS.items() if "id" in columns)
PARTITIONED = ("checks", "audit_log")

TODAY = dt.date(2026, 6, 15)
AT = Moment(now=dt.datetime(2026, 6, 15, 1, 0, tzinfo=dt.UTC), today=TODAY)
LATER = Moment(now=dt.datetime(2026, 6, 15, 2, 30, tzinfo=dt.UTC), today=TODAY)
SIX_MONTHS = 182  # days old


# ---- the models, without a database -----------------------------------------------------------


def is_id(column: str) -> bool:
    """Whether a column holds an id (``id``, ``<something>_id``), not a count or a value."""
    return column == "id" or column.endswith("_id")


def test_the_models_say_bigint_on_postgresql_and_the_rowid_on_sqlite() -> None:
    """The model types of the ids agree with the list above; every foreign key to a 64-bit id
    is 64-bit itself; on SQLite each of them is plain INTEGER (a one-column INTEGER primary key
    is the rowid alias that numbers rows)."""
    found: dict[str, set[str]] = {}
    for table in SQLModel.metadata.tables.values():
        for column in table.columns:
            on_postgresql = column.type.dialect_impl(postgresql.dialect())
            if is_id(column.name) and isinstance(on_postgresql, BigInteger):
                found.setdefault(table.name, set()).add(column.name)
                assert column.type.compile(dialect=sqlite.dialect()) == "INTEGER"
            for key in column.foreign_keys:
                target = key.column.type.dialect_impl(postgresql.dialect())
                if isinstance(target, BigInteger):
                    assert column.name in BIGINT_COLUMNS.get(table.name, set()), column
    assert found == {**BIGINT_COLUMNS, **MADE_BIGINT_LATER}


# ---- SQLite -----------------------------------------------------------------------------------


@pytest.fixture(params=["migrated", "models"])
def sqlite_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """SQLite built by the migrations (the template), or by ``create_all`` from the models."""
    path = tmp_path / "ids.db"
    if request.param == "migrated":
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        engine = make_engine(f"sqlite:///{path}")
    else:
        engine = make_engine(f"sqlite:///{path}")
        SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()


def test_sqlite_ids_are_the_rowid_and_go_past_32_bits(sqlite_engine: Engine) -> None:
    with sqlite_engine.connect() as conn:
        for table in NUMBERED:
            info = {row[1]: (row[2], row[5]) for row in conn.exec_driver_sql(
                f"PRAGMA table_info({table})"
            )}  # fmt: skip
            assert info["id"] == ("INTEGER", 1), table  # declared INTEGER, the only key column
    with Session(sqlite_engine, expire_on_commit=False) as session:
        build_geography(session)
        child = boy(session)
        first = measurement(child.id)
        session.add(first)
        session.flush()
        assert first.id == 1  # numbered by SQLite, not left empty
        big = measurement(child.id, id=BEYOND + 5)
        session.add(big)
        session.flush()
        after = measurement(child.id, corrects_id=big.id)
        session.add(after)
        session.flush()
        assert after.id == BEYOND + 6  # the rowid goes on from the largest
        request = RemeasureRequest(
            child_id=child.id, measurement_id=big.id, indicators=["wfa"], requested_at=AT.now
        )
        session.add(request)
        session.commit()
    with Session(sqlite_engine) as session:
        stored = session.get(RemeasureRequest, request.id)
        assert stored is not None and stored.measurement_id == BEYOND + 5
        assert session.get(Measurement, BEYOND + 6).corrects_id == BEYOND + 5  # type: ignore[union-attr]


# ---- PostgreSQL -------------------------------------------------------------------------------


def _columns(conn, table_pattern: str = "%") -> dict[tuple[str, str], str]:  # type: ignore[no-untyped-def]
    rows = conn.execute(
        text(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name LIKE :p"
        ),
        {"p": table_pattern},
    )
    return {(t, c): kind for t, c, kind in rows}


def _sequences(conn) -> dict[str, tuple[str, int]]:  # type: ignore[no-untyped-def]
    """table → (type, largest value) of the sequence numbering its ``id``."""
    out = {}
    for table in NUMBERED:
        name = conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table}).scalar()
        kind, top = conn.execute(
            text(
                "SELECT format_type(seqtypid, NULL), seqmax FROM pg_sequence "
                "WHERE seqrelid = CAST(:s AS regclass)"
            ),
            {"s": name},
        ).one()
        out[table] = (kind, int(top))
    return out


def _id_types(conn) -> dict[tuple[str, str], str]:  # type: ignore[no-untyped-def]
    """The type of every integer id column of the model tables (partitions left out)."""
    models = set(SQLModel.metadata.tables)
    return {
        key: kind
        for key, kind in _columns(conn).items()
        if key[0] in models and is_id(key[1]) and kind in ("integer", "bigint")
    }


def _expected_bigint(head: bool = True) -> set[tuple[str, str]]:
    """The BIGINT id columns after migration 0010, and at ``head`` those made so later."""
    tables = {**BIGINT_COLUMNS, **MADE_BIGINT_LATER} if head else BIGINT_COLUMNS
    return {(t, c) for t, columns in tables.items() for c in columns}


@pg_only
@pytest.mark.postgres
def test_postgresql_ids_are_bigint_with_bigint_sequences(pg_engine: Engine) -> None:
    with pg_engine.connect() as conn:
        types = _id_types(conn)
        assert {k for k, kind in types.items() if kind == "bigint"} == _expected_bigint()
        assert ("children", "id") in types and types["children", "id"] == "integer"
        for table in PARTITIONED:  # every yearly and default partition too
            parts = {t: kind for (t, c), kind in _columns(conn, f"{table}_%").items() if c == "id"}
            assert parts and set(parts.values()) == {"bigint"}, parts
        assert _sequences(conn) == {t: ("bigint", 2**63 - 1) for t in NUMBERED}
        views = conn.execute(
            text(
                "SELECT COUNT(*) FROM information_schema.view_column_usage "
                "WHERE table_schema = current_schema()"
            )
        ).scalar()
        assert views == 0  # nothing that a type change would have to rebuild


@pytest.fixture
def beyond_pg(pg_engine: Engine) -> Iterator[Engine]:
    """The shared PostgreSQL schema, emptied, with every 64-bit id sequence past 2^31 (each
    table its own range, so that an id taken from the wrong table shows); emptied again, its
    sequences restarted, afterwards."""
    _truncate_all(pg_engine)
    with pg_engine.begin() as conn:
        for i, table in enumerate(NUMBERED):
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :v)"),
                {"t": table, "v": BEYOND + 1000 * i},
            )
    yield pg_engine
    _truncate_all(pg_engine)


def boy(session: Session, code: str = "b1", days: int = SIX_MONTHS):  # type: ignore[no-untyped-def]
    birth = TODAY - dt.timedelta(days=days)
    return create_child(session, ChildCreate(code=code, sex="M", birth_date=birth, area_code="T1"))


def measurement(child_id: int | None, **extra: object) -> Measurement:
    return Measurement(
        child_id=child_id, age_days=SIX_MONTHS, created_at=AT.now, measured_on=TODAY,
        source="home", weight_kg=7.9, rule_set="test", **extra,
    )  # fmt: skip


def weight_at(z: float) -> float:
    return round(float(value_at_z("wfa", "M", SIX_MONTHS, z)[0]), 3)


def home(weight_kg: float) -> MeasurementCreate:
    return MeasurementCreate(measured_on=TODAY, source="home", weight_kg=weight_kg)


@pg_only
@pytest.mark.postgres
def test_ids_beyond_32_bits_are_written_referenced_and_read_back(beyond_pg: Engine) -> None:
    with Session(beyond_pg, expire_on_commit=False) as session:
        units = build_geography(session)
        user = create_user(
            session, UserCreate(username="mother", password="tests-Heron-27-lantern",
                                role="parent"), now=AT.now, password_hash="x",
        )  # fmt: skip
        parent = Author(Source.home, user.id)
        child = boy(session)

        low = record_measurement(session, child, home(weight_at(-3.5)), by=parent, at=AT)
        m_id = low.measurement.id
        assert low.case is not None and m_id is not None
        assert m_id > INT_MAX and low.case.id > INT_MAX
        flags = session.exec(select(FlagRecord).where(FlagRecord.child_id == child.id)).all()
        assert flags and all(f.id > INT_MAX for f in flags)  # type: ignore[operator]
        assert {(f.source_id, f.case_id) for f in flags} == {(m_id, low.case.id)}
        events = session.exec(select(CaseEvent).where(CaseEvent.case_id == low.case.id)).all()
        assert events and all(e.id > INT_MAX for e in events)  # type: ignore[operator]

        fixed = correct_measurement(session, m_id, home(weight_at(0.0)), by=parent, at=LATER)
        assert fixed.result.measurement.corrects_id == m_id
        [audit] = session.exec(  # into its year's partition
            select(AuditEntry).where(AuditEntry.action == "measurement.correct")
        ).all()
        assert audit.id > INT_MAX and audit.object_ref == str(m_id)  # type: ignore[operator]

        odd = record_measurement(session, child, home(45.0), by=parent, at=LATER, confirm=True)
        assert odd.remeasure is not None and odd.remeasure.id > INT_MAX  # type: ignore[operator]
        assert odd.remeasure.measurement_id == odd.measurement.id

        clinic = Author(Source.clinic, clinic_id=units["CL1"].id)
        older = boy(session, "b2", days=400)
        check = record_check(
            session, older, CheckCreate(check_date=TODAY, kind="routine", weight_kg=9.5),
            by=clinic, at=AT,
        )  # fmt: skip
        assert check.check.id > INT_MAX  # type: ignore[operator]
        assert check.measurement is not None and check.measurement.measurement.id > INT_MAX  # type: ignore[operator]

        form = checklist_for(child, "milestone-checklist", TODAY)
        answers = {item.id: "yes" for item in form.band.items}
        answers |= {q.id: "no" for q in form.instrument.global_questions}
        checklist = record_milestones(
            session, child, instrument="milestone-checklist", administered_on=TODAY,
            answers=answers, by=parent, at=AT,
        )  # fmt: skip
        adm_id = checklist.record.id
        assert adm_id > INT_MAX  # type: ignore[operator]
        stored_answers = session.exec(
            select(MilestoneAnswer).where(MilestoneAnswer.administration_id == adm_id)
        ).all()
        assert len(stored_answers) == len(answers)

        others = [
            FeedingRecall(child_id=child.id, age_days=SIX_MONTHS, created_at=AT.now,
                          recalled_on=TODAY, source="home", answers={}),
            Notification(user_id=user.id, child_id=child.id, kind="check_due", item_key="k",
                         message_id="m", due_on=TODAY, created_at=AT.now, send_after=AT.now),
            ContactAttempt(child_id=child.id, clinic_id=units["CL1"].id, check_code="routine_6m",
                           attempted_at=AT.now, by_user_id=user.id, result="reached"),
            IdempotencyRecord(user_id=user.id, key="k", fingerprint="f", created_at=AT.now,
                              expires_at=LATER.now),
        ]  # fmt: skip
        session.add_all(others)
        session.commit()
        assert all(row.id > INT_MAX for row in others)  # type: ignore[operator]
        big_ids = {m_id, check.check.id, adm_id, low.case.id}

    with Session(beyond_pg) as session:
        row = session.get(Measurement, fixed.result.measurement.id)
        assert row is not None and row.corrects_id == m_id
        again = measurement_result(session, child, session.get(Measurement, m_id))  # type: ignore[arg-type]
        assert again.measurement.id == m_id
        assert session.get(Case, low.case.id) is not None
        assert session.get(Check, check.check.id) is not None
        with beyond_pg.connect() as conn:
            part = conn.execute(
                text("SELECT tableoid::regclass::text FROM checks WHERE id = :i"),
                {"i": check.check.id},
            ).scalar()
        assert part == "checks_y2026"
        assert all(i > INT_MAX for i in big_ids)  # type: ignore[operator]


# ---- the migration on a populated database, up and back --------------------------------------


def _seed_0009(engine: Engine) -> None:
    """A child with a measurement, a re-measure request on it, a check and an audit entry."""
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO areas (code, name, level) VALUES ('P', 'P', 'province')"))
        conn.execute(
            text(
                "INSERT INTO children (code, sex, birth_date, resident, area_id) "
                "SELECT 'c1', 'M', '2025-06-01', true, id FROM areas"
            )
        )
        conn.execute(
            text(
                "INSERT INTO measurements (child_id, age_days, created_at, measured_on, source, "
                "weight_kg, oedema, implausible, status, rule_set) SELECT id, 100, now(), "
                "'2025-09-09', 'home', 6.1, false, false, 'accepted', 'r' FROM children"
            )
        )
        conn.execute(
            text(
                "INSERT INTO remeasure_requests (child_id, measurement_id, indicators, status, "
                "requested_at) SELECT child_id, id, '[]', 'pending', now() FROM measurements"
            )
        )
        conn.execute(
            text(
                "INSERT INTO checks (child_id, check_date, kind) "
                "SELECT id, '2025-09-09', 'routine' FROM children"
            )
        )
        conn.execute(
            text(
                "INSERT INTO audit_log (at, role, action, object_kind, object_ref) "
                "VALUES ('2025-09-09 08:00+00', 'cli', 'child.read', 'child', '1')"
            )
        )


@pg_only
@pytest.mark.postgres
def test_the_migration_keeps_rows_and_goes_back_only_while_ids_fit(private_pg: Engine) -> None:
    engine = private_pg
    upgrade(engine, "0009")
    with engine.connect() as conn:
        assert set(_id_types(conn).values()) == {"integer"}
    _seed_0009(engine)
    upgrade(engine, "0010")
    with engine.begin() as conn:
        types = _id_types(conn)
        assert {k for k, kind in types.items() if kind == "bigint"} == _expected_bigint(False)
        assert set(_sequences(conn).values()) == {("bigint", 2**63 - 1)}
        assert conn.execute(
            text("SELECT m.id, r.measurement_id FROM measurements m JOIN remeasure_requests r "
                 "ON r.measurement_id = m.id")
        ).all() == [(1, 1)]  # fmt: skip
        assert conn.execute(text("SELECT id FROM checks")).scalar() == 1
        conn.execute(
            text(
                "INSERT INTO measurements (id, child_id, age_days, created_at, measured_on, "
                "source, weight_kg, oedema, implausible, status, rule_set, corrects_id) "
                "SELECT :big, child_id, 101, now(), '2025-09-10', 'home', 6.2, false, false, "
                "'accepted', 'r', id FROM measurements"
            ),
            {"big": BEYOND + 1},
        )
    with pytest.raises(RuntimeError, match=r"measurements\.id holds 2147483649"):
        downgrade(engine, "0009")
    with engine.begin() as conn:  # the refusal changed nothing
        assert _id_types(conn)["measurements", "id"] == "bigint"
        conn.execute(text("DELETE FROM measurements WHERE id > :m"), {"m": INT_MAX})
        conn.execute(
            text("SELECT setval(pg_get_serial_sequence('flags', 'id'), :v)"), {"v": BEYOND}
        )
    with pytest.raises(RuntimeError, match=r"sequence of flags\.id is at 2147483648"):
        downgrade(engine, "0009")
    with engine.begin() as conn:
        conn.execute(text("SELECT setval(pg_get_serial_sequence('flags', 'id'), 1, false)"))
    downgrade(engine, "0009")
    with engine.connect() as conn:
        assert set(_id_types(conn).values()) == {"integer"}
        assert set(_sequences(conn).values()) == {("integer", INT_MAX)}
        assert conn.execute(text("SELECT COUNT(*) FROM remeasure_requests")).scalar() == 1
    upgrade(engine, "0010")  # and up again
    with engine.connect() as conn:
        assert _id_types(conn)["checks", "id"] == "bigint"
