"""Generated bodies and parameters (schemathesis, from the app's own OpenAPI) against the
JSON API as a signed-in parent: every answer is a success or a problem details document,
never a server error."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.api.api_world import World, login

pytestmark = pytest.mark.slow
WRITES = (
    "/api/v1/children",
    "/api/v1/children/{child_id}/measurements",
    "/api/v1/children/{child_id}/milestones",
    "/api/v1/children/{child_id}/feeding",
)


def test_generated_requests_get_problem_details(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    schema = schemathesis.openapi.from_dict(client.get("/schema/openapi.json").json())
    statuses: set[int] = set()
    for path in WRITES:
        operation = schema[path]["POST"]
        strategy = operation.as_strategy()

        @settings(max_examples=25, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(case=strategy)
        def check(case) -> None:
            url = case.path.replace("{child_id}", str(world.own_child))  # the caller's own child
            response = client.request(case.method, url, json=case.body, params=case.query)
            statuses.add(response.status_code)
            assert response.status_code < 500, (case.path, case.body, response.text)
            if response.status_code >= 400:
                assert response.headers["content-type"].startswith("application/problem+json")
                assert response.json()["status"] == response.status_code

        check()
    assert {400, 422} <= statuses  # bodies reached validation and the domain, past the guard
