"""Responses with personal data are never stored by a cache; the access log records the status
the client got (a CSRF refusal included)."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from api.app import CSRF_HEADER
from api.logs import JsonFormatter
from tests.api.api_world import World, login

HTML = {"accept": "text/html"}


def _not_stored(response) -> bool:  # type: ignore[no-untyped-def]
    return (
        response.headers.get("cache-control") == "no-store"
        and response.headers.get("pragma") == "no-cache"
    )


def test_pages_json_and_errors_are_never_stored(app_client, world: World) -> None:
    client = login(app_client, "doctor1")
    own, other = world.own_child, world.other_child
    answers = [
        client.get("/api/v1/children"),
        client.get(f"/api/v1/children/{own}"),
        client.get(f"/children/{own}", headers=HTML),
        client.get("/doctor", headers=HTML),
        client.get(f"/api/v1/children/{other}"),  # 404 problem
        client.get(f"/children/{other}", headers=HTML),  # 404 page
        client.post(f"/api/v1/children/{own}/measurements", json={"weight_kg": "x"}),  # 400
        client.get("/no/such/path"),
        client.get("/login", headers=HTML),
    ]
    client.headers.pop(CSRF_HEADER)
    answers.append(client.post(f"/api/v1/children/{own}/measurements", json={}))  # CSRF 403
    client.cookies.clear()
    answers.append(client.get("/api/v1/children"))  # 401
    assert [a.status_code for a in answers] == [200, 200, 200, 200, 404, 404, 400, 404, 200,
                                                403, 401]  # fmt: skip
    assert all(_not_stored(a) for a in answers), [dict(a.headers) for a in answers]


def test_static_assets_schema_and_health_may_be_cached(app_client) -> None:
    for path in ("/static/app.css", "/static/plotly.min.js", "/schema/openapi.json", "/health"):
        response = app_client.get(path)
        assert response.status_code == 200, path
        assert "no-store" not in response.headers.get("cache-control", ""), path
        assert "pragma" not in response.headers, path
    assert app_client.get("/static/plotly.min.js").headers["cache-control"] == "max-age=86400"


@contextmanager
def _access_lines() -> Iterator[list[dict]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("childhealth.api.access")
    logger.addHandler(handler)
    lines: list[dict] = []
    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        lines.extend(json.loads(line) for line in stream.getvalue().splitlines())


def test_the_access_log_records_the_status_the_client_got(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    url = f"/api/v1/children/{world.own_child}/measurements"
    with _access_lines() as lines:
        statuses = [client.get(url).status_code, client.get("/no/such/path").status_code]
        client.headers.pop(CSRF_HEADER)
        refused = client.post(url, json={"measured_on": "2026-06-10", "weight_kg": 7.1})
        statuses.append(refused.status_code)
    assert statuses == [200, 404, 403]
    assert refused.json()["type"] == "urn:childhealth:problem:csrf"
    assert [(r["method"], r["route"], r["status"], r["role"]) for r in lines] == [
        ("GET", "/api/v1/children/{child_id}/measurements", 200, "parent"),
        ("GET", "", 404, None),  # no route matched: no template (never the path), no session
        ("POST", "/api/v1/children/{child_id}/measurements", 403, "parent"),
    ]
    assert isinstance(lines[0]["ms"], float) and lines[1]["ms"] is None
    assert refused.headers["server-timing"].startswith("app;dur=")
