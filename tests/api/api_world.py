"""A small province for the API tests (``build``) and ``login``: two townships each with a
clinic, a facility linked to the first clinic, children in each scope, one account per role
(password ``password-1``).

Built once per test session into a SQLite file; each test gets a fresh copy of that file, so
tests can write freely without seeing each other's data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from litestar.testing import TestClient
from sqlmodel import Session

from api.app import CSRF_COOKIE, CSRF_HEADER
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
from health.pipeline import record_measurement
from health.registry import (
    add_guardian,
    create_area,
    create_child,
    create_clinic,
    create_facility,
    create_user,
    enrol,
)

TODAY = dt.date(2026, 6, 15)
PASSWORD = "password-1"


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
        own = create_child(
            s,
            ChildCreate(
                sex="M",
                birth_date=dt.date(2025, 12, 1),
                area_code="T1",
                name="Xiaoming",
                code="K-OWN",
            ),
        )
        other = create_child(
            s,
            ChildCreate(
                sex="F",
                birth_date=dt.date(2025, 10, 1),
                area_code="T2",
                name="Other",
                code="K-OTHER",
            ),
        )
        t1 = create_child(
            s, ChildCreate(sex="F", birth_date=dt.date(2024, 6, 1), area_code="T1", code="K-T1")
        )
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
        made = {
            name: create_user(s, UserCreate(username=name, password=PASSWORD, **extra), now=now)
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
            at=Moment(now=now, today=TODAY),
            actor_id=made["doctor2"].id,
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
