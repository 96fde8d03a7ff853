"""Regression tests for what the contract fuzzing (``test_fuzz_api.py``) found, one test per
finding, each the smallest request that showed it."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from tests.api.api_world import World, login

PROBLEM = "application/problem+json"


@pytest.mark.parametrize(
    "method,path",
    [
        ("POST", "/api/v1/cases/{big}/outcome"),
        ("GET", "/api/v1/children/{big}"),
        ("GET", "/api/v1/children/{big}/flags"),
    ],
)
@pytest.mark.parametrize("big", [2**63, 2**110, -(2**63) - 1])
def test_id_beyond_64_bits_is_not_found(
    app_client: TestClient, method: str, path: str, big: int
) -> None:
    """An id no database column can hold is an unknown record (404), not a server error
    (SQLite refused to bind it: OverflowError)."""
    login(app_client, "doctor1")
    body = {"outcome": "referred"} if method == "POST" else None
    response = app_client.request(method, path.format(big=big), json=body)
    assert response.status_code == 404, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["status"] == 404


def test_largest_id_is_still_looked_up(app_client: TestClient) -> None:
    """The boundary itself, 2**63 - 1, is a valid id that names no child: 404 as well."""
    login(app_client, "admin")
    assert app_client.get(f"/api/v1/children/{2**63 - 1}").status_code == 404


@pytest.mark.parametrize("facility_id", [2**63, 2**80, 0, -1])
def test_queue_facility_id_out_of_range_is_a_bad_request(
    app_client: TestClient, facility_id: int
) -> None:
    """``GET /api/v1/cases?facility_id=`` with an id beyond 64 bits crashed the query (500):
    ids outside 1..2**63-1 are refused as a bad parameter (400, problem details)."""
    login(app_client, "doctor1")
    response = app_client.get("/api/v1/cases", params={"facility_id": facility_id})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith(PROBLEM)


def test_queue_facility_id_in_range_still_filters(
    app_client: TestClient, world: World
) -> None:
    """The bounds keep real ids working: the queue of facility 1 answers 200."""
    login(app_client, "doctor1")
    response = app_client.get("/api/v1/cases", params={"facility_id": world.facility1})
    assert response.status_code == 200, response.text
    assert isinstance(response.json(), list)


def test_sign_in_lockout_is_documented(app_client: TestClient) -> None:
    """The sign-in throttle answers 429 after five failures for one username; the OpenAPI of
    the sign-in route did not list 429, so the answer broke the contract."""
    app_client.get("/health")
    app_client.headers["x-csrftoken"] = app_client.cookies.get("childhealth_csrf") or ""
    wrong = {"username": "locked-out-by-findings-test", "password": "not-the-password"}
    statuses = [app_client.post("/api/v1/auth/login", json=wrong).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    answer = app_client.post("/api/v1/auth/login", json=wrong)
    assert answer.headers["content-type"].startswith(PROBLEM)
    assert answer.json()["status"] == 429
    paths = app_client.get("/schema/openapi.json").json()["paths"]
    documented = paths["/api/v1/auth/login"]["post"]
    assert "application/problem+json" in documented["responses"]["429"]["content"]


def test_schema_routes_are_served_but_not_documented_as_api(app_client: TestClient) -> None:
    """``GET /schema/{path}`` was documented with 200/400 only, yet an unknown path answered an
    undocumented 404 in HTML: the schema's own routes are now served outside the contract."""
    paths = app_client.get("/schema/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith("/schema")]
    assert "/api/v1/auth/login" in paths
    assert app_client.get("/schema/openapi.json").status_code == 200
