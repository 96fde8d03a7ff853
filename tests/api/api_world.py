"""A small province for the API tests (``build``) and ``login``: two townships each with a
clinic, a facility linked to the first clinic, children in each scope, one account per role
(password :data:`PASSWORD`).

Built once per test session into a SQLite file; each test gets a fresh copy of that file, so
tests can write freely without seeing each other's data. The fixtures ``template_world`` (the
session's file), ``world`` (a test's copy) and ``app_client`` (an in-process client of the app on
that copy) are defined here and taken into a folder's tests by its conftest.py.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from litestar.testing import TestClient
from sqlalchemy import text
from sqlmodel import Session

from api.app import CSRF_COOKIE, CSRF_HEADER, create_app
from api.settings import Settings
from health.clock import Moment
from health.db import make_engine
from health.migrate import upgrade
from health.models import (
    AreaCreate,
    ChildCreate,
    ClinicCreate,
    FacilityCreate,
    MeasurementCreate,
    UserCreate,
)
from health.models.enums import Source
from health.pipeline import Author, record_measurement
from health.registry import (
    add_guardian,
    create_area,
    create_child,
    create_clinic,
    create_facility,
    create_user,
    enrol,
)
from screening import reference

TODAY = dt.date(2026, 6, 15)
PASSWORD = "tests-Kestrel-58-lantern"
BASE_URL = "https://testserver.local"


@dataclass(frozen=True)
class World:
    """Ids of the fixture records."""

    db_file: Path
    own_child: int  # parent1's child, township T1, enrolled at facility F1
    other_child: int  # parent2's child, township T2 (clinic C2)
    t1_child: int  # a child of township T1 with no parent account, not enrolled
    clinic1: int
    clinic2: int
    facility1: int
    other_case: int  # the open case of other_child (clinic C2)


def build(path: Path, url: str | None = None) -> World:
    """The world in the SQLite file ``path`` (or in the database at ``url``)."""
    engine = make_engine(url or f"sqlite:///{path}")
    upgrade(engine)
    now = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
    with Session(engine) as s:
        create_area(s, AreaCreate(code="P", name="Province", level="province"))
        create_area(s, AreaCreate(code="P1", name="City", level="city", parent_code="P"))
        create_area(s, AreaCreate(code="P11", name="County A", level="county", parent_code="P1"))
        create_area(s, AreaCreate(code="P12", name="County B", level="county", parent_code="P1"))
        create_area(s, AreaCreate(code="T1", name="Town 1", level="township", parent_code="P11"))
        create_area(s, AreaCreate(code="T2", name="Town 2", level="township", parent_code="P12"))
        c1 = create_clinic(s, ClinicCreate(code="C1", name="Clinic 1", area_code="T1"))
        c2 = create_clinic(s, ClinicCreate(code="C2", name="Clinic 2", area_code="T2"))
        f1 = create_facility(
            s, FacilityCreate(code="F1", name="Nursery 1", area_code="T1", clinic_code="C1")
        )

        def child(code: str, sex: str, born: dt.date, area: str, name: str | None = None):
            return create_child(
                s, ChildCreate(code=code, sex=sex, birth_date=born, area_code=area, name=name)
            )

        own = child("K-OWN", "M", dt.date(2025, 12, 1), "T1", name="Xiaoming")
        other = child("K-OTHER", "F", dt.date(2025, 10, 1), "T2", name="Other")
        t1 = child("K-T1", "F", dt.date(2024, 6, 1), "T1")
        enrol(s, own, f1, dt.date(2026, 3, 1))
        users = {
            "parent1": {"role": "parent"},
            "parent2": {"role": "parent"},
            "doctor1": {"role": "doctor", "clinic_id": c1.id},
            "doctor2": {"role": "doctor", "clinic_id": c2.id},
            "facility1": {"role": "facility", "facility_id": f1.id},
            "bureau_a": {"role": "bureau", "area_id": 3},
            "bureau_p": {"role": "bureau", "area_id": 1},
            "admin": {"role": "admin"},
        }
        # one argon2id hash of low cost for every account, so that signing in takes microseconds
        # instead of a tenth of a second (the cost of record: tests/health/test_health_passwords.py)
        cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
        made = {
            name: create_user(
                s,
                UserCreate(username=name, password=PASSWORD, **extra),
                now=now,
                password_hash=cheap,
            )
            for name, extra in users.items()
        }
        add_guardian(s, made["parent1"], own)
        add_guardian(s, made["parent2"], other)
        low = MeasurementCreate(
            measured_on=dt.date(2026, 5, 1),
            source="clinic",
            weight_kg=4.0,
            length_cm=58.0,
            measure="L",
        )
        result = record_measurement(
            s,
            other,
            low,
            by=Author(Source.clinic, made["doctor2"].id),
            at=Moment(now=now, today=TODAY),
        )
        assert result.case is not None
        s.commit()
        world = World(path, own.id, other.id, t1.id, c1.id, c2.id, f1.id, result.case.id)
    engine.dispose()
    return world


def login(client: TestClient, username: str) -> TestClient:
    """Sign ``client`` in as ``username`` and set the CSRF header for unsafe requests."""
    client.cookies.clear()
    client.headers.pop(CSRF_HEADER, None)
    client.get("/health")
    token = client.cookies.get(CSRF_COOKIE)
    assert token, "the CSRF cookie is set on a safe request"
    client.headers[CSRF_HEADER] = token
    response = client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 201, response.text
    return client


def breast_milk_only() -> dict[str, Any]:
    """The answers of a previous-day feeding recall: breast milk and vitamin D, nothing else."""
    bank = reference.recall_bank()
    return {
        "breastfed": True,
        "bottle_with_nipple": False,
        "liquids": {q.id: {"taken": False} for q in bank.liquids},
        "foods": {f.id: {"taken": False} for f in bank.foods},
        "solid_feeds": 0,
        "vitamin_d": True,
    }


def copy_of(world: World, target: Path) -> World:
    """``world`` in a copy of its SQLite file at ``target``."""
    shutil.copy(world.db_file, target)
    return replace(world, db_file=target)


def settings_for(database_url: str, **overrides: Any) -> Settings:
    """The app's settings for a test database: a fixed secret, sessions in the shared store
    (the database, or ``$CHILDHEALTH_STORE_URL`` when the suite runs on Valkey/Redis) and
    ``today`` pinned to :data:`TODAY`."""
    store_url = os.environ.get("CHILDHEALTH_STORE_URL", "").strip()
    fixed = {"secret_key": "t" * 32, "store_url": store_url, "today": TODAY}
    return Settings(database_url=database_url, **(fixed | overrides))


@contextmanager
def serve(database_url: str, **overrides: Any) -> Iterator[TestClient]:
    """An in-process client of the app on ``database_url`` (see :func:`settings_for`)."""
    app = create_app(settings_for(database_url, **overrides))
    with TestClient(app, base_url=BASE_URL) as client:
        yield client


@pytest.fixture(scope="session")
def template_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build(tmp_path_factory.mktemp("apidb") / "template.db")


@pytest.fixture
def world(template_world: World, tmp_path: Path) -> World:
    return copy_of(template_world, tmp_path / "api.db")


@pytest.fixture
def app_client(world: World) -> Iterator[TestClient]:
    with serve(f"sqlite:///{world.db_file}") as client:
        yield client


@contextmanager
def world_db(world: World) -> Iterator[Session]:
    """A session on the world's SQLite file (what an administrator's tool would do), committed
    at the end."""
    engine = make_engine(f"sqlite:///{world.db_file}")
    with Session(engine) as db:
        yield db
        db.commit()
    engine.dispose()


@contextmanager
def postgres_world(prefix: str) -> Iterator[tuple[str, World]]:
    """A world in a fresh schema of the ``test`` database on 127.0.0.1:5432 (skipped when it is
    not reachable), dropped afterwards: ``(url, world)``."""
    if not postgres_reachable():
        pytest.skip("PostgreSQL not reachable on 127.0.0.1:5432 (database test, user postgres)")
    schema = f"{prefix}_{secrets.token_hex(5)}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    try:
        yield url, build(Path("unused"), url)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def postgres_reachable() -> bool:
    """PostgreSQL answers on 127.0.0.1:5432 (database ``test``, user ``postgres``)."""
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            pass
        import psycopg

        psycopg.connect(host="127.0.0.1", user="postgres", dbname="test", connect_timeout=2).close()
    except Exception:
        return False
    return True
