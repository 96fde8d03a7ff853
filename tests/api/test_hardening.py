"""Sign-in and session hardening: temporary lock-out, fresh session id, CSRF on every unsafe
route (see also test_pages.py for the lock-out itself and the basic headers)."""

from __future__ import annotations

import re

import pytest

from api import throttle
from tests.api.api_world import World, login
from tests.api.test_access_matrix import fill, routes

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


class FakeClock:
    """A monotonic clock that only moves when told to (seconds)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_lock_out_ends_when_the_window_has_passed(app_client, monkeypatch) -> None:
    clock = FakeClock()
    monkeypatch.setattr(throttle, "clock", clock)
    client = login(app_client, "parent1")
    wrong = {"username": "facility1", "password": "wrong-password"}
    right = {"username": "facility1", "password": "password-1"}
    try:
        for _ in range(throttle.MAX_FAILURES):
            assert client.post("/api/v1/auth/login", json=wrong).status_code == 401
        assert client.post("/api/v1/auth/login", json=right).status_code == 429
        clock.now += throttle.WINDOW_S - 1  # still inside the window
        assert client.post("/api/v1/auth/login", json=right).status_code == 429
        clock.now += 2  # the first failure is now older than the window
        assert client.post("/api/v1/auth/login", json=right).status_code == 201
    finally:
        throttle.clear("facility1")


def test_failures_older_than_the_window_do_not_count() -> None:
    name = "someone-else"
    try:
        for t in (0.0, 1.0, 2.0, 3.0, 4.0):
            throttle.record_failure(name, now=t)
        assert throttle.blocked(name, now=4.0)  # five failures inside one window
        throttle.clear(name)
        for t in (0.0, 1.0, 2.0, 3.0):
            throttle.record_failure(name, now=t)
        throttle.record_failure(name, now=3.0 + throttle.WINDOW_S)  # first four have expired
        assert not throttle.blocked(name, now=3.5 + throttle.WINDOW_S)
    finally:
        throttle.clear(name)


def test_session_id_changes_at_every_sign_in(app_client) -> None:
    client = login(app_client, "parent1")
    first = client.cookies.get("childhealth_session")
    response = client.post(
        "/api/v1/auth/login", json={"username": "doctor1", "password": "password-1"}
    )
    second = response.cookies.get("childhealth_session")
    assert first and second and first != second
    client.cookies.set("childhealth_session", first, domain="testserver.local")
    assert client.get("/api/v1/me").status_code == 401  # the old id no longer works


def _unsafe_routes(app) -> list[tuple[str, str]]:
    return [(m, p) for m, p, _ in routes(app) if m in UNSAFE]


def test_every_unsafe_route_refuses_a_missing_csrf_token(app_client, world: World) -> None:
    targets = _unsafe_routes(app_client.app)
    assert len(targets) >= 5 and ("POST", "/login") in targets
    client = login(app_client, "admin")
    del client.headers["x-csrftoken"]
    for method, path in targets:
        url = fill(path, world.own_child, world.other_case)
        for kwargs in ({"json": {}}, {"data": {"x": "1"}}):  # API call and HTML form post
            response = client.request(method, url, **kwargs)
            assert response.status_code == 403, (method, path, response.status_code)


@pytest.mark.parametrize("token", ["", "forged-token"])
def test_a_wrong_csrf_token_is_refused(app_client, token: str) -> None:
    client = login(app_client, "parent1")
    client.headers["x-csrftoken"] = token
    response = client.post("/api/v1/auth/logout")
    assert response.status_code == 403
    assert response.json()["type"] == "urn:childhealth:problem:csrf"


def test_sessions_expire_when_idle_and_after_their_lifetime(app_client, monkeypatch) -> None:
    from api import sessions

    settings = app_client.app.state["settings"]  # 30 min idle, 8 h lifetime
    assert (settings.session_idle_s, settings.session_max_age_s) == (1800, 28800)
    clock = FakeClock()
    monkeypatch.setattr(sessions, "clock", clock)
    client = login(app_client, "parent1")
    clock.now += 1800  # exactly the idle limit: still alive, and the request renews it
    assert client.get("/api/v1/me").status_code == 200
    clock.now += 1801  # idle one second too long
    assert client.get("/api/v1/me").status_code == 401
    page = client.get("/parent", headers={"accept": "text/html"}, follow_redirects=False)
    assert page.status_code in (302, 303) and page.headers["location"].startswith("/login")

    login(client, "parent1")
    for _ in range(16):  # active every 30 min: alive for 8 h after sign-in, then over
        clock.now += 1800
        assert client.get("/api/v1/me").status_code == 200
    clock.now += 1
    assert client.get("/api/v1/me").status_code == 401


def test_expiry_rule_at_its_edges() -> None:
    from api.sessions import SEEN, STARTED, expired

    alive = {STARTED: 0.0, SEEN: 100.0}
    assert not expired(alive, 160.0, idle_s=60, lifetime_s=1000)
    assert expired(alive, 160.5, idle_s=60, lifetime_s=1000)
    assert expired({STARTED: 0.0, SEEN: 999.0}, 1000.5, idle_s=60, lifetime_s=1000)
    assert expired({"user": {"id": 1}}, 0.0, idle_s=60, lifetime_s=1000)  # no timestamps


SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def _inline_scripts(html: str) -> list[str]:
    """Opening tags of scripts a browser would run from the page itself (no src, not JSON)."""
    out = []
    for match in SCRIPT_TAG.finditer(html):
        attrs = match.group(1)
        if re.search(r"\bsrc\s*=", attrs) or re.search(r'type\s*=\s*"application/json"', attrs):
            continue
        out.append(match.group(0))
    return out


def test_every_page_has_the_csp_and_no_inline_script(app_client, world: World) -> None:
    pages = [p for m, p, _ in routes(app_client.app) if m == "GET" and not p.startswith("/api")]
    seen: dict[str, str] = {}
    body = {"measured_on": "2026-06-10", "source": "home", "weight_kg": 7.1}  # so a chart shows
    measured = login(app_client, "parent1").post(
        f"/api/v1/children/{world.own_child}/measurements", json=body
    )
    assert measured.status_code == 201
    for username in ("parent1", "doctor1", "facility1", "bureau_a", "admin", None):
        client = login(app_client, username) if username else app_client
        if username is None:
            client.cookies.clear()
        for path in pages:
            url = fill(path, world.own_child, world.other_case)
            response = client.get(url, headers={"accept": "text/html"})
            assert response.headers["content-security-policy"] == CSP, url
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "same-origin"
            if response.headers.get("content-type", "").startswith("text/html"):
                assert _inline_scripts(response.text) == [], url
                assert "onclick=" not in response.text and " style=" not in response.text, url
                if response.status_code == 200:
                    seen.setdefault(url, response.text)  # the first role that may see it
    child_page = seen[f"/children/{world.own_child}"]
    assert "data-figure=" in child_page and 'src="/static/figures.js"' in child_page
    assert "data-figure=" in seen["/bureau"]
    assert len(seen) >= 10


def test_api_and_error_responses_have_the_csp(app_client) -> None:
    for path in ("/api/v1/me", "/health", "/no-such-page"):
        assert app_client.get(path).headers["content-security-policy"] == CSP


def test_a_figure_block_cannot_be_closed_by_its_text() -> None:
    import json

    from api.services.figures import figure_block

    evil = "</script><script>alert(1)</script>"
    html = figure_block(json.dumps([{"name": evil}]), json.dumps({"title": "t"}), {"a": 1})
    assert html.count("</script>") == 1 and "<script>" not in html
    block_id = re.search(r'data-figure="(figure-[0-9a-f]{12})"', html).group(1)
    body = html.split(f'id="{block_id}">', 1)[1].removesuffix("</script>")
    assert json.loads(body) == {
        "data": [{"name": evil}],
        "layout": {"title": "t"},
        "config": {"a": 1},
    }


def test_only_the_docs_ui_may_run_inline_scripts(app_client) -> None:
    docs = app_client.get("/schema/swagger")
    assert docs.status_code == 200
    policy = docs.headers["content-security-policy"]
    assert policy == CSP.replace("script-src 'self';", "script-src 'self' 'unsafe-inline';")
    schema = app_client.get("/schema/openapi.json").headers["content-security-policy"]
    assert schema == CSP


def test_session_limits_come_from_the_environment(monkeypatch) -> None:
    from api.settings import Settings

    monkeypatch.setenv("CHILDHEALTH_SESSION_IDLE_S", "600")
    monkeypatch.setenv("CHILDHEALTH_SESSION_MAX_AGE_S", "3600")
    settings = Settings.from_env()
    assert (settings.session_idle_s, settings.session_max_age_s) == (600, 3600)
    monkeypatch.setenv("CHILDHEALTH_SESSION_IDLE_S", "ten minutes")
    with pytest.raises(ValueError, match="CHILDHEALTH_SESSION_IDLE_S"):
        Settings.from_env()
