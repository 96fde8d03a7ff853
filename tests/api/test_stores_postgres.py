"""The shared stores on PostgreSQL: idempotent writes, the sign-in throttle and the account
check of sessions, across two apps on one database (skipped when PostgreSQL is not reachable,
see ``test_postgres.py``)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api import throttle
from health.db import make_engine
from health.models import IdempotencyRecord, Measurement, User
from health.services import accounts, idempotency
from tests.api.api_world import PASSWORD, World, login, postgres_world, serve
from tests.api.test_hardening import FakeClock, from_address

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_world() -> Iterator[tuple[str, World]]:
    """A world of its own in a fresh schema (each test writes)."""
    with postgres_world("ch_stores") as found:
        yield found


def _count(url: str, model: Any) -> int:
    engine = make_engine(url)
    with Session(engine) as db:
        found = int(db.scalar(select(func.count()).select_from(model)))
    engine.dispose()
    return found


def test_idempotent_writes_across_two_apps(pg_world) -> None:
    url, world = pg_world
    target = f"/api/v1/children/{world.own_child}/measurements"
    body = {"measured_on": "2026-06-10", "source": "home", "weight_kg": 7.1}
    with serve(url) as first, serve(url) as second:
        one = login(first, "parent1").post(target, json=body, headers={"Idempotency-Key": "pg"})
        two = login(second, "parent1").post(target, json=body, headers={"Idempotency-Key": "pg"})
        assert one.status_code == two.status_code == 201 and one.json() == two.json()
        other = {**body, "weight_kg": 7.3}
        reused = second.post(target, json=other, headers={"Idempotency-Key": "pg"})
        assert reused.status_code == 422
        taps = [first.post(target, json=other) for _ in range(2)]  # no key: a double tap
        assert taps[0].json() == taps[1].json()
    assert _count(url, Measurement) == 3  # the fixture's, the keyed one, the double tap's


def test_a_key_claimed_at_the_same_moment_goes_to_one_request(pg_world) -> None:
    url, _ = pg_world
    engine = make_engine(url)
    now = dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC)
    with Session(engine) as db:
        parent1 = int(db.scalar(select(User.id).where(User.username == "parent1")))
    results: list[Any] = []
    inserted = threading.Event()

    def first() -> None:
        with Session(engine) as db:
            results.append(idempotency.claim(db, parent1, "race", "f" * 64, now=now))
            inserted.set()
            threading.Event().wait(0.3)  # hold the new row uncommitted while the other claims
            db.commit()

    def second() -> None:
        inserted.wait()
        with Session(engine) as db:
            results.append(idempotency.claim(db, parent1, "race", "f" * 64, now=now))
            db.commit()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    engine.dispose()
    assert isinstance(results[0], idempotency.Claim) and results[1] is None
    assert _count(url, IdempotencyRecord) == 1


def test_the_throttle_on_postgres(pg_world, monkeypatch) -> None:
    url, _ = pg_world
    clock = FakeClock()
    monkeypatch.setattr(throttle, "clock", clock)
    with serve(url) as first, serve(url) as second:
        attacker = from_address(login(first, "parent1"), "203.0.113.7")
        wrong = {"username": "doctor1", "password": "guess"}
        assert [attacker.post("/api/v1/auth/login", json=wrong).status_code
                for _ in range(5)] == [401] * 5  # fmt: skip
        refused = from_address(login(second, "parent2"), "203.0.113.7").post(
            "/api/v1/auth/login", json={"username": "doctor1", "password": PASSWORD}
        )
        assert refused.status_code == 429 and refused.headers["retry-after"] == "30"
        clean = from_address(second, "198.51.100.3").post(
            "/api/v1/auth/login", json={"username": "doctor1", "password": PASSWORD}
        )
        assert clean.status_code == 201


def test_sessions_follow_the_account_on_postgres(pg_world) -> None:
    url, _ = pg_world
    with serve(url) as first, serve(url) as second:
        admin = login(first, "admin")
        parent = login(second, "parent1")
        engine = make_engine(url)
        with Session(engine) as db:
            parent1 = int(db.scalar(select(User.id).where(User.username == "parent1")))
            doctor1 = int(db.scalar(select(User.id).where(User.username == "doctor1")))
        assert admin.post(f"/api/v1/users/{parent1}/sign-out-everywhere").status_code == 204
        assert parent.get("/api/v1/children").status_code == 401
        doctor = login(second, "doctor1")
        with Session(engine) as db:
            accounts.deactivate(db, doctor1, now=first.app.state["clock"].now())
            db.commit()
        engine.dispose()
        assert doctor.get("/api/v1/children").status_code == 401
