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
from tests.api.api_world import PASSWORD, TODAY, World, settings_for

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
def test_every_operation_answers_as_documented(
    role: str, role_app: Litestar, world: World
) -> None:
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
