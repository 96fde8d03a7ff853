"""The service on PostgreSQL: the main journeys and the scope rules (skipped when PostgreSQL
is not reachable on 127.0.0.1:5432, database ``test``, user ``postgres``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from tests.api.api_world import PG_URL, World, login, postgres_world, serve

pytestmark = pytest.mark.postgres
PG = PG_URL


@pytest.fixture(scope="module")
def pg_world() -> Iterator[tuple[str, World]]:
    with postgres_world("ch_api") as found:
        yield found


@pytest.fixture
def pg_client(pg_world) -> Iterator[tuple[TestClient, World]]:
    url, world = pg_world
    with serve(url) as client:
        yield client, world


def test_parent_to_doctor_to_bureau_on_postgres(pg_client) -> None:
    client, world = pg_client
    parent = login(client, "parent1")
    body = {"measured_on": "2026-06-10", "source": "home", "weight_kg": 6.0}
    made = parent.post(f"/api/v1/children/{world.own_child}/measurements", json=body)
    assert made.status_code == 201 and made.json()["case_opened"] is True
    assert parent.get(f"/api/v1/children/{world.other_child}").status_code == 404
    doctor = login(client, "doctor1")
    queue = doctor.get("/api/v1/cases").json()
    assert [q["child_id"] for q in queue] == [world.own_child]
    closed = doctor.post(f"/api/v1/cases/{queue[0]['case_id']}/outcome", json={"outcome": "normal"})
    assert closed.status_code == 201 and closed.json()["status"] == "closed"
    bureau = login(client, "bureau_p")
    view = bureau.get("/api/v1/coverage").json()
    child = next(r for r in view["totals"] if r["indicator"] == "child_health_management_0_6")
    assert (child["numerator"], child["denominator"], child["suppressed"]) == (None, None, True)
    page = bureau.get("/bureau", headers={"accept": "text/html"})
    assert page.status_code == 200
