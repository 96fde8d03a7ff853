"""Sign-in and session hardening: the sign-in throttle (growing delays per account and per
client address, shared in the database, ``Retry-After``), fresh session id, CSRF on every unsafe
route, the Content-Security-Policy (see also test_pages.py and test_account_sessions.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar.testing import TestClient
from litestar.testing import transport as litestar_transport
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import throttle
from health.db import make_engine
from health.models import SignInThrottle
from tests.api.api_world import PASSWORD, World, login, serve
from tests.api.test_access_matrix import fill, routes

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


class FakeClock:
    """A clock that only moves when told to (seconds)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def from_address(client: TestClient, host: str) -> TestClient:
    """Make ``client``'s requests come from the client address ``host`` (until changed)."""
    transport = client._transport
    plain = litestar_transport.TestClientTransport.parse_request

    def parse(request: Any) -> dict[str, Any]:
        return {**plain(transport, request), "client": (host, 50000)}  # type: ignore[arg-type]

    transport.parse_request = parse  # type: ignore[method-assign]
    return client


def _try(client: TestClient, username: str, password: str) -> Any:
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The throttle's clock, moved by the test."""
    fake = FakeClock()
    monkeypatch.setattr(throttle, "clock", fake)
    return fake


def test_delays_grow_after_five_failures_and_429_says_how_long(app_client, clock) -> None:
    client = login(app_client, "parent1")  # any session: for the CSRF token
    statuses = [_try(client, "facility1", "wrong-password").status_code for _ in range(5)]
    assert statuses == [401] * 5
    refused = _try(client, "facility1", PASSWORD)  # the right password waits too from here
    assert refused.status_code == 429 and refused.headers["retry-after"] == "30"
    assert refused.headers["content-type"].startswith("application/problem+json")
    clock.now += 29
    assert _try(client, "facility1", PASSWORD).headers["retry-after"] == "1"
    clock.now += 1  # the delay is over: one more try
    assert _try(client, "facility1", "wrong-password").status_code == 401
    assert _try(client, "facility1", PASSWORD).headers["retry-after"] == "60"  # doubled
    for _ in range(10):
        clock.now += throttle.MAX_DELAY_S
        assert _try(client, "facility1", "wrong-password").status_code == 401
    capped = _try(client, "facility1", PASSWORD)
    assert capped.headers["retry-after"] == str(int(throttle.MAX_DELAY_S))  # never longer
    clock.now += throttle.MAX_DELAY_S
    assert _try(client, "facility1", PASSWORD).status_code == 201  # then the account is clear
    assert _try(client, "facility1", "wrong-password").status_code == 401


def test_the_sign_in_page_says_429_with_retry_after(app_client, clock) -> None:
    client = login(app_client, "parent1")
    for _ in range(5):
        _try(client, "doctor2", "wrong-password")
    page = client.post("/login", headers={"accept": "text/html"},
                       data={"username": "doctor2", "password": PASSWORD})  # fmt: skip
    assert page.status_code == 429 and page.headers["retry-after"] == "30"
    assert "失败次数过多" in page.text


def test_failures_elsewhere_do_not_hold_back_a_clean_address(app_client, clock) -> None:
    attacker = from_address(login(app_client, "parent1"), "203.0.113.7")
    for _ in range(8):
        clock.now += throttle.MAX_DELAY_S  # however long they keep trying
        assert _try(attacker, "admin", "guess").status_code == 401
    assert _try(attacker, "admin", PASSWORD).status_code == 429  # the attacker's address waits
    owner = from_address(attacker, "198.51.100.20")  # the administrator's own address
    assert _try(owner, "admin", PASSWORD).status_code == 201
    from_address(owner, "203.0.113.7")  # success forgets the account's failures
    assert _try(owner, "admin", "guess").status_code == 401


def test_one_address_cannot_try_many_usernames(app_client, clock) -> None:
    client = from_address(login(app_client, "parent1"), "203.0.113.9")
    answers = [_try(client, f"someone-{n}", "guess") for n in range(throttle.ADDRESS_FREE)]
    assert [a.status_code for a in answers] == [401] * throttle.ADDRESS_FREE
    refused = _try(client, "someone-new", "guess")
    assert refused.status_code == 429 and refused.headers["retry-after"] == "30"
    assert _try(client, "parent2", PASSWORD).status_code == 429  # the address waits for all
    assert _try(from_address(client, "198.51.100.1"), "parent2", PASSWORD).status_code == 201


def test_failures_are_forgotten_an_hour_after_the_last_one(app_client, clock) -> None:
    client = login(app_client, "parent1")
    for _ in range(5):
        _try(client, "parent2", "wrong-password")
    assert _try(client, "parent2", PASSWORD).status_code == 429
    clock.now += throttle.FORGET_S + 1
    for _ in range(4):  # the free failures count from zero again
        assert _try(client, "parent2", "wrong-password").status_code == 401
    assert _try(client, "parent2", PASSWORD).status_code == 201


def test_the_throttle_is_shared_by_two_apps_on_one_database(world: World, clock) -> None:
    url = f"sqlite:///{world.db_file}"
    with serve(url) as first, serve(url) as second:
        login(first, "parent1")
        for _ in range(5):
            assert _try(first, "doctor1", "wrong-password").status_code == 401
        login(second, "parent2")
        refused = _try(second, "doctor1", PASSWORD)  # another process, the same address
        assert refused.status_code == 429 and refused.headers["retry-after"] == "30"


def test_usernames_and_addresses_are_stored_as_hashes_only(app_client, world: World, clock):
    client = from_address(login(app_client, "parent1"), "192.0.2.44")
    _try(client, "Facility1 ", "wrong-password")
    engine = make_engine(f"sqlite:///{world.db_file}")
    with Session(engine) as db:
        keys = set(db.execute(select(SignInThrottle.key)).scalars())
    engine.dispose()
    assert keys == {throttle.account_key("facility1"), throttle.address_key("192.0.2.44")}
    assert not any("facility1" in k or "192.0.2" in k for k in keys)


def test_an_ipv6_client_counts_by_its_64_network() -> None:
    key = throttle.address_key
    assert key("2001:db8:1:2::7") == key("2001:db8:1:2:ffff::1") != key("2001:db8:1:3::7")
    assert key("::ffff:192.0.2.1") == key("192.0.2.1") != key("192.0.2.2")
    assert key("testclient") == key("testclient")  # not an address: taken as it is


def test_delay_rule_at_its_edges() -> None:
    free = throttle.ACCOUNT_FREE
    assert throttle.delay_s(free - 1, free) == 0
    assert throttle.delay_s(free, free) == throttle.FIRST_DELAY_S
    assert throttle.delay_s(free + 1, free) == 2 * throttle.FIRST_DELAY_S
    assert throttle.delay_s(free + 30, free) == throttle.MAX_DELAY_S
    assert [throttle.retry_after(w) for w in (0.2, 1.0, 29.01)] == ["1", "1", "30"]


def test_session_id_changes_at_every_sign_in(app_client) -> None:
    client = login(app_client, "parent1")
    first = client.cookies.get("childhealth_session")
    response = client.post("/api/v1/auth/login", json={"username": "doctor1", "password": PASSWORD})
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
