"""The bureau dashboard's figures are kept in the store every process shares, and never shown
stale: two app instances on one database read the same kept figure, and a check recorded
through one is in the other's next dashboard at once (the data's stamp moved,
``health.models.changes``). Every write path moves the stamp, on SQLite and on PostgreSQL; a
rolled-back write does not. The store holds released counts only, never a child's data.

The apps keep their figures where the suite's sessions go: the database, or Valkey/Redis when
``CHILDHEALTH_STORE_URL`` is set (``make test-store``)."""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select, text, update
from sqlmodel import Session

from api.access import CurrentUser
from api.services import dashboard as dash
from api.stores import DatabaseStore
from health import release
from health.clock import Moment
from health.db import make_engine
from health.migrate import upgrade
from health.models import (
    Area,
    AreaCreate,
    Check,
    Child,
    ChildCreate,
    ClinicCreate,
    Enrolment,
    FacilityCreate,
)
from health.models.changes import data_stamp
from health.periods import add_months
from health.registry import create_area, create_child, create_clinic, create_facility, enrol
from tests.api.api_world import (
    TODAY,
    World,
    copy_of,
    login,
    postgres_world,
    serve,
)

ROUTINE = (3, 6, 8, 12, 18, 24, 30, 36)
CHILD = "child_health_management_0_6"


def _crowd(url: str) -> None:
    """40 children in each of townships T1 (county P11) and T2 (county P12), born over six
    years, most of them checked on time: counts large enough to be shown."""
    engine = make_engine(url)
    rng = random.Random(7)
    with Session(engine) as s:
        for town in ("T1", "T2"):
            for i in range(40):
                born = TODAY - dt.timedelta(days=rng.randrange(30, 6 * 365))
                child = create_child(s, ChildCreate(code=f"Y-{town}-{i}", sex="MF"[i % 2],
                                                    birth_date=born, area_code=town))  # fmt: skip
                for months in ROUTINE:
                    due = add_months(born, months)
                    if due < TODAY and rng.random() < 0.8:
                        s.add(Check(child_id=child.id, kind="routine", check_date=due))
        s.commit()
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def crowd_url(
    request: pytest.FixtureRequest, template_world: World, tmp_path: Path
) -> Iterator[tuple[str, World]]:
    """A crowded world on each database: ``(url, world)``."""
    if request.param == "sqlite":
        world = copy_of(template_world, tmp_path / "shared.db")
        url = f"sqlite:///{world.db_file}"
        _crowd(url)
        yield url, world
        return
    with postgres_world("figures") as (url, world):
        _crowd(url)
        yield url, world


def _row(view: dict[str, Any], code: str, indicator: str) -> dict[str, Any]:
    (found,) = [r for r in view["rows"] if (r["unit_code"], r["indicator"]) == (code, indicator)]
    return found


def _count_coverage(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    real = release.coverage
    monkeypatch.setattr(release, "coverage", lambda *a, **k: calls.append(1) or real(*a, **k))
    return calls


def _fresh(url: str, tmp_path: Path) -> dict[tuple[str, str], Any]:
    """County P11's sub-area rows computed now from the data (a store of its own, empty)."""
    engine = make_engine(url)
    own = make_engine(f"sqlite:///{tmp_path / f'own-{uuid.uuid4().hex}.db'}")
    upgrade(own)
    try:
        with Session(engine) as s:
            area_id = s.execute(select(Area.id).where(Area.code == "P11")).scalar_one()
            user = CurrentUser(id=0, username="b", role="bureau", area_id=area_id)
            at = Moment(dt.datetime(2026, 6, 15, 4, tzinfo=dt.UTC), TODAY)
            view = dash.dashboard(s, user, at, store=DatabaseStore(own))
            return {(r.unit_code, r.indicator): r.as_dict() for r in view.rows}
    finally:
        engine.dispose()
        own.dispose()


def test_two_apps_share_one_figure_and_a_new_check_is_seen_at_once(
    crowd_url: tuple[str, World], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, world = crowd_url
    calls = _count_coverage(monkeypatch)
    with serve(url) as one, serve(url) as two:
        bureau_one, bureau_two = login(one, "bureau_a"), login(two, "bureau_a")
        first = bureau_one.get("/api/v1/coverage").json()
        computed = len(calls)
        assert computed == 5  # the year and four quarters, every area at once
        assert bureau_two.get("/api/v1/coverage").json() == first  # the same kept figure
        assert len(calls) == computed  # the second app computed nothing
        before = _row(first, "T1", CHILD)
        assert not before["suppressed"] and before["numerator"] > 5

        doctor = login(one, "doctor1")  # the same client, signed in again
        body = {"check_date": "2026-06-01", "kind": "routine"}  # K-T1 has no check this year
        recorded = doctor.post(f"/api/v1/children/{world.t1_child}/checks", json=body,
                               headers={"Idempotency-Key": uuid.uuid4().hex})  # fmt: skip
        assert recorded.status_code == 201, recorded.text

        bureau_two = login(two, "bureau_a")
        after = bureau_two.get("/api/v1/coverage").json()
        assert len(calls) == 2 * computed  # the other app's next view computed again
        assert _row(after, "T1", CHILD)["numerator"] == before["numerator"] + 1
        bureau_one = login(one, "bureau_a")
        assert bureau_one.get("/api/v1/coverage").json() == after  # and the first app too
        assert len(calls) == 2 * computed
    fresh = _fresh(url, tmp_path)  # the figures as computed now, without any kept figure
    assert {(r["unit_code"], r["indicator"]): r for r in after["rows"]} == fresh


def test_a_clinic_table_after_a_check_is_computed_again(crowd_url: tuple[str, World]) -> None:
    url, world = crowd_url
    with serve(url) as one, serve(url) as two:
        query = {"area": "T1", "by": "clinic"}
        first = login(one, "bureau_a").get("/api/v1/coverage", params=query).json()
        assert login(two, "bureau_a").get("/api/v1/coverage", params=query).json() == first
        before = _row(first, "C1", CHILD)
        body = {"check_date": "2026-06-01", "kind": "routine"}
        recorded = login(one, "doctor1").post(
            f"/api/v1/children/{world.t1_child}/checks", json=body,
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )  # fmt: skip
        assert recorded.status_code == 201, recorded.text
        after = login(two, "bureau_a").get("/api/v1/coverage", params=query).json()
        assert not before["suppressed"]
        assert _row(after, "C1", CHILD)["numerator"] == before["numerator"] + 1


def _stamp_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'stamp.db'}")
        upgrade(engine)
        yield engine
        engine.dispose()
        return
    with postgres_world("stamp") as (url, _world):
        engine = make_engine(url)
        yield engine
        engine.dispose()


stamp_engine = pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)(_stamp_engine)


def test_every_write_moves_the_stamp_and_a_rollback_does_not(stamp_engine: Any) -> None:
    engine = stamp_engine
    seen: list[str] = []

    def moved() -> bool:
        with Session(engine) as s:
            now = data_stamp(s)
        fresh = now not in seen
        seen.append(now)
        return fresh

    moved()
    assert not moved()  # nothing written: the same stamp
    with Session(engine) as s:
        create_area(s, AreaCreate(code="Z", name="Zone", level="province"))
        s.commit()
        assert moved()
        for code, level, up in (("Z1", "city", "Z"), ("Z2", "county", "Z1"),
                                ("Z3", "township", "Z2")):  # fmt: skip
            create_area(s, AreaCreate(code=code, name=code, level=level, parent_code=up))
            s.commit()
            assert moved()
        create_clinic(s, ClinicCreate(code="ZC", name="Zone clinic", area_code="Z3"))
        s.commit()
        assert moved()
        facility = create_facility(s, FacilityCreate(code="ZF", name="Zone nursery",
                                                     area_code="Z3", clinic_code="ZC"))  # fmt: skip
        s.commit()
        assert moved()
        child = create_child(s, ChildCreate(code="Z-1", sex="F", birth_date=dt.date(2025, 1, 1),
                                            area_code="Z3"))  # fmt: skip
        s.commit()
        assert moved()
        s.add(Check(child_id=child.id, kind="routine", check_date=dt.date(2025, 4, 1)))
        s.commit()
        assert moved()
        s.execute(update(Check).where(Check.child_id == child.id).values(weight_kg=6.1))
        s.commit()
        assert moved()
        enrol(s, child, facility, dt.date(2026, 1, 1))
        s.commit()
        assert moved()
        s.execute(update(Enrolment).where(Enrolment.child_id == child.id)
                  .values(end_date=dt.date(2026, 3, 1)))  # fmt: skip
        s.commit()
        assert moved()
        s.execute(update(Child).where(Child.id == child.id).values(birth_date=dt.date(2025, 2, 1)))
        s.commit()
        assert moved()
        s.execute(delete(Check).where(Check.child_id == child.id))
        s.commit()
        assert moved()
        s.add(Check(child_id=child.id, kind="routine", check_date=dt.date(2025, 5, 1)))
        s.flush()
        s.rollback()
        assert not moved()  # a rolled-back write leaves the stamp where it was
        s.execute(update(Area).where(Area.code == "Z3").values(name="Zone three"))
        s.commit()
        assert moved()
        if engine.dialect.name == "postgresql":  # a COPY is one statement: one trigger
            child_id = child.id  # read before the COPY holds the connection
            raw = s.connection().connection.driver_connection
            with (
                raw.cursor() as cur,
                cur.copy(
                    "COPY checks (child_id, kind, check_date) FROM STDIN (FORMAT csv)"
                ) as copy,
            ):
                copy.write(f"{child_id},routine,2025-07-01\n")
            s.commit()
            assert moved()


def test_the_store_holds_released_counts_only(crowd_url: tuple[str, World]) -> None:
    """On the database store: every kept figure names units and counts, never a child."""
    url, _world = crowd_url
    with serve(url, store_url="") as client:
        bureau = login(client, "bureau_a")
        for query in ({}, {"by": "clinic"}, {"by": "facility"}, {"area": "T1", "by": "clinic"}):
            assert bureau.get("/api/v1/coverage", params=query).status_code == 200
    engine = make_engine(url)
    try:
        with Session(engine) as s:
            kept = s.execute(
                text("SELECT key, value FROM kv_store WHERE key LIKE :p"),
                {"p": f"childhealth.{dash.NAMESPACE}:%"},
            ).all()
            codes = s.execute(select(Child.code)).scalars().all()
    finally:
        engine.dispose()
    assert kept, "the figures were kept in the database's store"
    blob = b"".join(bytes(value) for _, value in kept)
    assert b"Xiaoming" not in blob and not any(code.encode() in blob for code in codes)
    assert b"birth" not in blob and b"phone" not in blob


def test_many_keys_at_once_on_the_database_and_on_redis(tmp_path: Path) -> None:
    """``read_now`` / ``write_now`` (the blocking side the dashboard uses): absent keys left
    out, values replaced, expiry kept; on Valkey/Redis the same keys as the async side."""
    import asyncio

    from api.stores import RedisStores, SyncStore
    from tests.api.test_shared_store import PinnedClock, redis_server

    engine = make_engine(f"sqlite:///{tmp_path / 'kv.db'}")
    upgrade(engine)
    clock = PinnedClock()
    on_db = DatabaseStore(engine, clock=clock).with_namespace("figures")
    (tmp_path / "redis").mkdir()
    try:
        with redis_server(tmp_path / "redis") as url:
            on_redis = RedisStores(url).with_namespace("figures")
            stores: list[SyncStore] = [on_db, on_redis]
            for store in stores:
                assert store.read_now(["a", "b"]) == {}
                store.write_now({"a": b"1", "b": b"2"}, 60)
                store.write_now({"b": b"3"}, 60)
                assert store.read_now(["a", "b", "c"]) == {"a": b"1", "b": b"3"}
            assert asyncio.run(on_redis.get("b")) == b"3"  # what the async side reads
            assert asyncio.run(on_redis.expires_in("a")) in (59, 60)
            on_redis.write_now({"short": b"x"}, 0.05)
            clock.now += 61
            assert on_db.read_now(["a", "b"]) == {}  # expired on the database's clock
            for _ in range(100):
                if not on_redis.read_now(["short"]):
                    break
                time.sleep(0.01)
            assert on_redis.read_now(["short"]) == {}
    finally:
        engine.dispose()
