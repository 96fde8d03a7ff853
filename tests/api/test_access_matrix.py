"""Every route × every role × identifiers from another scope: 401/403/404, never data."""

from __future__ import annotations

import re

import pytest
from litestar.routes import HTTPRoute

from tests.api.api_world import World, login

ROLES_USERS = {
    "parent": "parent1",
    "doctor": "doctor1",
    "facility": "facility1",
    "bureau": "bureau_a",
    "admin": "admin",
}
SECRETS = ("K-OTHER", "Other", "2025-10-01")  # the foreign child's code, name, birth date
SKIP_PREFIX = ("/static", "/schema")


def routes(app) -> list[tuple[str, str, object]]:
    out = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(SKIP_PREFIX):
            continue
        for method, entry in route.route_handler_map.items():
            handler = entry[0] if isinstance(entry, tuple) else entry
            if method in ("HEAD", "OPTIONS"):
                continue
            out.append((method, route.path, handler))
    return out


def fill(path: str, child_id: int, case_id: int, user_id: int = 2) -> str:
    """``path`` with its parameters: the child, the case, an account (parent2), a measurement,
    a language."""
    path = re.sub(r"\{child_id:int\}", str(child_id), path)
    path = re.sub(r"\{case_id:int\}", str(case_id), path)
    path = re.sub(r"\{user_id:int\}", str(user_id), path)
    path = re.sub(r"\{measurement_id:int\}", "1", path)  # the world's first measurement
    return re.sub(r"\{code:str\}", "en", path)


def test_every_route_declares_roles(app_client) -> None:
    for method, path, handler in routes(app_client.app):
        assert handler.opt.get("roles"), f"{method} {path} declares no roles"


def test_anonymous_gets_401_everywhere_but_public(app_client, world: World) -> None:
    client = app_client
    for method, path, handler in routes(client.app):
        if handler.opt["roles"] == ("*",):
            continue
        response = client.request(method, fill(path, world.own_child, world.other_case))
        assert response.status_code in (401, 403), (method, path, response.status_code)
        assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("role", list(ROLES_USERS))
def test_foreign_identifiers_are_refused(app_client, world: World, role: str) -> None:
    """Paths naming the other township's child or its case: 403 (role) or 404 (scope)."""
    client = login(app_client, ROLES_USERS[role])
    for method, path, handler in routes(client.app):
        if "{child_id" not in path and "{case_id" not in path:
            continue
        roles = handler.opt["roles"]
        response = client.request(method, fill(path, world.other_child, world.other_case), json={})
        if role == "admin":
            continue  # admin sees everything
        expected = 404 if role in roles else 403
        assert response.status_code == expected, (role, method, path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert not any(secret in response.text for secret in SECRETS)


@pytest.mark.parametrize("role", list(ROLES_USERS))
def test_role_not_allowed_is_403(app_client, world: World, role: str) -> None:
    client = login(app_client, ROLES_USERS[role])
    for method, path, handler in routes(client.app):
        roles = handler.opt["roles"]
        if roles == ("*",) or role in roles:
            continue
        response = client.request(method, fill(path, world.own_child, world.other_case), json={})
        assert response.status_code == 403, (role, method, path)
        assert not any(secret in response.text for secret in SECRETS)


def test_missing_child_is_the_same_404_as_a_foreign_child(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    foreign = client.get(f"/api/v1/children/{world.other_child}")
    missing = client.get("/api/v1/children/999999")
    assert foreign.status_code == missing.status_code == 404
    strip = lambda body: {k: v for k, v in body.items() if k != "instance"}  # noqa: E731
    assert strip(foreign.json()) == strip(missing.json())


def test_facility_staff_do_not_see_children_not_enrolled(app_client, world: World) -> None:
    client = login(app_client, "facility1")
    assert client.get(f"/api/v1/children/{world.own_child}").status_code == 200
    assert client.get(f"/api/v1/children/{world.t1_child}").status_code == 404


def test_doctor_sees_township_and_linked_facility_children(app_client, world: World) -> None:
    client = login(app_client, "doctor1")
    ids = {c["id"] for c in client.get("/api/v1/children").json()}
    assert ids == {world.own_child, world.t1_child}


def test_bureau_cannot_reach_an_area_outside_its_own(app_client) -> None:
    client = login(app_client, "bureau_a")  # county P11
    assert client.get("/api/v1/coverage", params={"area": "P12"}).status_code == 404
    assert client.get("/api/v1/coverage", params={"area": "NOPE"}).status_code == 404
    assert client.get("/api/v1/coverage", params={"area": "T1"}).status_code == 200
    assert client.get("/api/v1/coverage.csv", params={"area": "P1"}).status_code == 404


def test_unsafe_request_without_csrf_token_is_refused(app_client) -> None:
    client = login(app_client, "parent1")
    del client.headers["x-csrftoken"]
    response = client.post("/api/v1/auth/logout")
    assert response.status_code == 403
    assert response.json()["type"] == "urn:childhealth:problem:csrf"
