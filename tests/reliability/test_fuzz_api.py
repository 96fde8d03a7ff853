"""Contract fuzzing: schemathesis generates requests from the app's own OpenAPI and sends them
in-process (its ASGI transport, no network) as a signed-in user of each role, for every
operation of the schema, in positive and negative mode.

Every answer must be documented: no 5xx, a status code the operation lists, the content type it
declares for that status (``application/problem+json`` for errors), a body that validates against
the documented schema, and in negative mode a 4xx refusal. Path ids of positive cases are drawn
three times in four from the fixture world's records (in and out of the caller's scope, so the
guard lets many requests through to the handlers), else by schemathesis; dates are often recent,
and half of the generated bodies of three writes get plausible values merged in, so that their
success answers are validated too.
At least :data:`MIN_CASES` cases run in total (counted per role).

Runs are deterministic (``derandomize``); set ``CHILDHEALTH_FUZZ_RANDOM=1`` to explore new cases.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from litestar import Litestar
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import CSRF_COOKIE, CSRF_HEADER, create_app
from tests.api.api_world import (
    PASSWORD,
    TODAY,
    World,
    breast_milk_only,
    login,
    serve,
    settings_for,
)

pytestmark = pytest.mark.slow

ACCOUNTS = {
    "parent": "parent1",
    "doctor": "doctor1",
    "facility": "facility1",
    "bureau": "bureau_a",
    "admin": "admin",
}
MIN_CASES = 1000
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
NEGATIVE_CHECKS = [*CHECKS, negative_data_rejection]
EXAMPLES = {GenerationMode.POSITIVE: 14, GenerationMode.NEGATIVE: 6}
RECENT = st.dates(dt.date(2020, 1, 1), TODAY)  # dates a record of the fixture children may carry
schemathesis.openapi.format("date", st.one_of(RECENT, st.dates()).map(dt.date.isoformat))
RANDOM = bool(os.environ.get("CHILDHEALTH_FUZZ_RANDOM"))


def _signed_in(app: Litestar, username: str) -> requests.Session:
    """schemathesis' in-process client signed in as ``username``, with the CSRF header set
    (it keeps cookies across calls like a browser)."""
    client = asgi.get_client(app)
    client.get(f"http://{asgi.HOST}/health")
    token = client.cookies.get(CSRF_COOKIE)
    assert token, "the CSRF cookie is set on a safe request"
    client.headers[CSRF_HEADER] = token
    response = client.post(
        f"http://{asgi.HOST}/api/v1/auth/login", json={"username": username, "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    return client


def _ids(world: World) -> dict[str, list[int]]:
    """Path ids worth trying: records in and out of each role's scope, and cases made during
    the run (small ids)."""
    children = [world.own_child, world.own_child, world.t1_child, world.other_child]
    return {"child_id": children, "case_id": [world.other_case, 1, 2, 3]}


def _plausible(label: str, rng: Any) -> dict[str, Any]:
    """Fields that make a generated body acceptable to the domain (merged into half of the
    positive bodies of these writes), so that success answers get validated as well."""
    day = str(TODAY - dt.timedelta(days=rng.randint(0, 60)))
    if label == "POST /api/v1/children":
        born = str(TODAY - dt.timedelta(days=rng.randint(0, 1800)))
        return {"area_code": rng.choice(["T1", "T2"]), "birth_date": born, "sex": "F"}
    if label == "POST /api/v1/children/{child_id}/measurements":
        return {"measured_on": day, "weight_kg": round(rng.uniform(5.5, 9.5), 2),
                "length_cm": round(rng.uniform(60, 72), 1), "measure": "L",
                "head_cm": None, "muac_cm": None}  # fmt: skip
    if label == "POST /api/v1/cases/{case_id}/outcome":
        return {"outcome": rng.choice(["normal", "advice"]), "recheck_on": None}
    return {}


def _operations(schema: Any) -> Iterator[Any]:
    for result in schema.get_all_operations():
        yield result.ok()


@pytest.fixture
def role_app(world: World) -> Litestar:
    # cookie_secure off: the in-process client speaks plain http to "testserver"
    return create_app(settings_for(f"sqlite:///{world.db_file}", cookie_secure=False))


def _fuzz(operation: Any, mode: GenerationMode, send: Any, ids: dict[str, list[int]]) -> None:
    """Run ``operation``'s generated cases of ``mode`` through ``send`` (which returns the
    response) and validate each answer against the schema."""
    negative = mode is GenerationMode.NEGATIVE
    checks = NEGATIVE_CHECKS if negative else CHECKS

    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        database=None,
        derandomize=not RANDOM,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), pick=st.randoms())
    def check(case: Any, pick: Any) -> None:
        for name in case.path_parameters or {}:
            if name in ids and not negative and pick.random() < 0.75:  # keep negated ids
                case.path_parameters[name] = pick.choice(ids[name])
        patch = _plausible(operation.label, pick)
        if patch and not negative and isinstance(case.body, dict) and pick.random() < 0.5:
            case.body = {**case.body, **patch}
        case.validate_response(send(case), checks=checks)

    try:
        check()
    except Unsatisfiable:
        assert negative  # nothing to negate (no parameters, no body)


@pytest.mark.parametrize("role", list(ACCOUNTS))
def test_every_operation_answers_as_documented(role: str, role_app: Litestar, world: World) -> None:
    """Generated requests of every operation, as ``role``: each answer is documented."""
    username = ACCOUNTS[role]
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", role_app)
    state = {"session": _signed_in(role_app, username)}

    per_operation: Counter[str] = Counter()
    statuses: Counter[int] = Counter()

    def send(case: Any) -> Any:
        per_operation[case.operation.label] += 1
        response = case.call(session=state["session"])
        statuses[response.status_code] += 1
        return response

    operations = list(_operations(schema))
    assert sum(op.path.startswith("/api/v1/") for op in operations) >= 18
    for operation in operations:
        for mode in EXAMPLES:
            _fuzz(operation, mode, send, _ids(world))
        if "/auth/" in operation.path:  # a sign-in or sign-out changed the session
            state["session"] = _signed_in(role_app, username)
    assert {op.label for op in operations} == set(per_operation), per_operation
    sent = sum(per_operation.values())
    assert sent >= MIN_CASES // len(ACCOUNTS), per_operation  # five roles: >= MIN_CASES in all
    assert {200, 400, 422} <= set(statuses), statuses  # past the guard, into the domain
    print(f"{role}: {sent} cases over {len(operations)} operations, statuses {dict(statuses)}")


# ---- the hostile corpus: shapes an attacker sent (issue 12), over every route and role

DEEP_BODIES = {
    "deep array": "[" * 1000 + "]" * 1000,
    "deep object": '{"a":' * 1000 + "1" + "}" * 1000,
    "too large": '{"x": "' + "a" * (64 * 1024) + '"}',
}
HOSTILE_VALUES: list[Any] = [
    2**63, 10**20, -(2**63) - 1, 0, "99999999999999999999", "²", "\x00", "a\u202eb", "\x1b[0m",
    "0001-01-01", "9999-12-31", "1900-01-01",
]  # fmt: skip
QUERY_NAMES = (
    "facility", "facility_id", "domain", "area", "by", "period", "chart", "county", "next",
    "back", "instrument", "limit", "action", "confirm", "lang",
)  # fmt: skip
FORM_NAMES = (
    "sex", "birth_date", "name", "area_code", "gestational_weeks", "measured_on", "weight_kg",
    "length_cm", "head_cm", "muac_cm", "measure", "outcome", "outcome_note", "recheck_on",
    "solid_feeds", "breastfed", "bottle_with_nipple", "vitamin_d", "username", "password",
)  # fmt: skip
BODIES: dict[str, dict[str, Any]] = {
    "/api/v1/children": {"sex": "F", "birth_date": "2025-01-01", "area_code": "T1", "name": "a"},
    "/api/v1/children/{child_id:int}/measurements": {
        "measured_on": "2026-06-10", "source": "home", "weight_kg": 7.0, "length_cm": 66.0,
        "measure": "L",
    },
    "/api/v1/cases/{case_id:int}/outcome": {
        "outcome": "recheck", "recheck_on": "2026-07-01", "outcome_note": "n",
    },
    "/api/v1/children/{child_id:int}/feeding": {"recalled_on": "2026-06-14"},
}  # fmt: skip
"""Plausible bodies whose fields the corpus replaces one by one. The sign-in routes get only
the deep and oversized shapes (refused before any check of a password): failed sign-ins would
slow down the next ones (the sign-in throttle)."""


def _hostile_requests(app: Litestar, world: World) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(method, url, keyword arguments of the client's request) for every route of ``app``."""
    from tests.api.test_access_matrix import fill, routes

    for method, path, _ in routes(app):
        url = fill(path, world.own_child, world.other_case)
        yield method, url + "%00", {}
        for big in (2**63, 10**20, 0, -1):
            if "{child_id:int}" in path or "{case_id:int}" in path:
                yield method, fill(path, big, big), {}
        for value in HOSTILE_VALUES:
            yield method, url, {"params": {name: value for name in QUERY_NAMES}}
        if method not in ("POST", "PUT", "PATCH", "DELETE"):
            continue
        for body in DEEP_BODIES.values():
            yield method, url, {"content": body, "headers": {"content-type": "application/json"}}
        if "login" in path:
            continue
        for value in HOSTILE_VALUES:
            yield method, url, {"data": {name: str(value) for name in FORM_NAMES}}
        plausible = BODIES.get(path, {})
        if path.endswith("/feeding"):
            plausible = plausible | {"answers": breast_milk_only()}
        for field in plausible:
            for value in HOSTILE_VALUES:
                if field == "answers":
                    body = plausible | {"answers": breast_milk_only() | {"solid_feeds": value}}
                else:
                    body = plausible | {field: value}
                yield method, url, {"json": body}


@pytest.mark.parametrize("role", list(ACCOUNTS))
def test_the_hostile_corpus_gets_no_server_error(role: str, world: World) -> None:
    """Every shape of the attack (deep and oversized JSON, ids and counts beyond 64 bits,
    control and direction characters, dates of year 1 and 9999) on every route as ``role``:
    never a 5xx; every refusal of the API is problem details with its status."""
    with serve(f"sqlite:///{world.db_file}") as client:
        login(client, ACCOUNTS[role])
        sent: Counter[int] = Counter()
        for method, url, kwargs in _hostile_requests(client.app, world):
            response = client.request(method, url, follow_redirects=False, **kwargs)
            sent[response.status_code] += 1
            assert response.status_code < 500, (method, url, kwargs, response.text[:300])
            if url.startswith("/api/") and response.status_code >= 400:
                assert response.headers["content-type"].startswith("application/problem+json")
                assert response.json()["status"] == response.status_code
            if "/auth/" in url or "login" in url or "logout" in url:
                login(client, ACCOUNTS[role])  # a sign-in or sign-out may have changed it
        assert sum(sent.values()) >= 500 and {400, 413} <= set(sent), sent
