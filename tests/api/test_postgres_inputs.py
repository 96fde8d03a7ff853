"""Hostile text on PostgreSQL, which refuses a NUL in any text (SQLite stores it): every such
input is a 4xx problem, never a server error (skipped when PostgreSQL is not reachable)."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from tests.api.api_world import World, login
from tests.api.test_postgres import pg_client, pg_world

pytestmark = pytest.mark.postgres
__all__ = ["pg_client", "pg_world"]  # the fixtures, taken from the PostgreSQL journeys


def _refused(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


def test_a_nul_in_a_sign_in_name_is_a_bad_request(pg_client: tuple[TestClient, World]) -> None:
    client, _ = pg_client
    client.cookies.clear()
    client.get("/health")
    client.headers["x-csrftoken"] = client.cookies.get("childhealth_csrf") or ""
    body = {"username": "parent1\x00", "password": "not-the-password"}
    problem = _refused(client.post("/api/v1/auth/login", json=body), 400)
    assert problem["type"] == "urn:childhealth:problem:unstorable-value"
    assert problem["title"] == "请求中的某个值无法保存。"
    assert "parent1" not in problem.get("detail", "")  # the value is not echoed


@pytest.mark.parametrize(
    "fields,status",
    [({"area_code": "T1\x00"}, 400), ({"name": "a\x00b"}, 422), ({"name": "a\u202eb"}, 422)],
)
def test_a_nul_in_a_new_child_is_refused(
    pg_client: tuple[TestClient, World], fields: dict[str, str], status: int
) -> None:
    client, _ = pg_client
    login(client, "parent1")
    before = len(client.get("/api/v1/children").json())
    body = {"sex": "F", "birth_date": "2025-01-01", "area_code": "T1"} | fields
    _refused(client.post("/api/v1/children", json=body), status)
    assert len(client.get("/api/v1/children").json()) == before


def test_a_nul_in_an_outcome_note_is_refused(pg_client: tuple[TestClient, World]) -> None:
    client, world = pg_client
    login(client, "doctor2")
    url = f"/api/v1/cases/{world.other_case}/outcome"
    problem = _refused(client.post(url, json={"outcome": "advice", "outcome_note": "\x00"}), 422)
    assert problem["message_id"] == "error.record.note_characters"
    assert [e["case_id"] for e in client.get("/api/v1/cases").json()] == [world.other_case]


@pytest.mark.slow
@pytest.mark.parametrize("role", ["parent1", "doctor2", "facility1", "bureau_a", "admin"])
def test_the_hostile_corpus_gets_no_server_error_on_postgres(
    pg_client: tuple[TestClient, World], role: str
) -> None:
    """The corpus of ``tests/reliability/test_fuzz_api.py`` on PostgreSQL: never a 5xx."""
    from tests.reliability.test_fuzz_api import _hostile_requests

    client, world = pg_client
    login(client, role)
    for method, url, kwargs in _hostile_requests(client.app, world):
        response = client.request(method, url, follow_redirects=False, **kwargs)
        assert response.status_code < 500, (method, url, kwargs, response.text[:300])
        if "/auth/" in url or "login" in url or "logout" in url:
            login(client, role)
