"""Request limits (``api/limits.py``), checked before anything parses a request: JSON nesting,
body size (declared or streamed), control characters in the address; each refusal a problem
in the caller's language, logged with its status."""

from __future__ import annotations

import json

import pytest

from tests.api.api_world import PASSWORD, World, login


@pytest.mark.parametrize(
    "body,depth",
    [
        (b"", 0),
        (b'{"a": 1}', 1),
        (b'{"a": [[1], {"b": {}}]}', 4),
        (b'{"a": "[[[[{{{{"}', 1),  # brackets inside a string do not count
        (b'["\\"[[[", "\\\\", [[]]]', 3),  # nor after escaped quotes and backslashes
        (b"[" * 40, 40),  # unbalanced: counted as far as it goes
        (b'"[[[[' + b"[" * 40, 0),  # an unterminated string hides what follows
    ],
)
def test_json_depth_counts_nesting_outside_strings(body: bytes, depth: int) -> None:
    from api.limits import json_depth

    assert json_depth(body) == depth


def _post_json(client, content: bytes | str, **headers: str):
    return client.post(
        "/api/v1/auth/login",
        content=content,
        headers={"content-type": "application/json"} | headers,
    )


def _sign_in(extra: str) -> str:
    """parent1's sign-in body with the raw JSON ``extra`` as a field the handler ignores."""
    return json.dumps({"username": "parent1", "password": PASSWORD})[:-1] + f', "x": {extra}}}'


def test_json_nesting_up_to_the_limit_reaches_the_handler(app_client) -> None:
    from api.limits import MAX_JSON_DEPTH

    client = login(app_client, "parent1")
    deepest = _sign_in("[" * (MAX_JSON_DEPTH - 1) + "]" * (MAX_JSON_DEPTH - 1))
    assert _post_json(client, deepest).status_code == 201  # the extra field is ignored
    too_deep = _sign_in("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH)
    refused = _post_json(client, too_deep)
    assert refused.status_code == 400 and refused.json()["limit_depth"] == MAX_JSON_DEPTH
    in_a_string = _sign_in('"' + "[" * 100 + '"')
    assert _post_json(client, in_a_string).status_code == 201


def test_a_body_over_the_size_limit_is_refused_declared_or_streamed(app_client) -> None:
    from api.limits import MAX_BODY_BYTES

    client = login(app_client, "parent1")
    big = '{"x": "%s"}' % ("a" * MAX_BODY_BYTES)
    refused = _post_json(client, big)
    assert refused.status_code == 413, refused.text
    body = refused.json()
    assert body["type"] == "urn:childhealth:problem:body-too-large"
    assert (body["title"], body["limit_bytes"]) == ("请求内容过大。", MAX_BODY_BYTES)

    def chunks():  # no content-length: counted as it arrives
        for _ in range(MAX_BODY_BYTES // 1024 + 2):
            yield b" " * 1024

    streamed = client.post("/api/v1/auth/logout", content=chunks())
    assert streamed.status_code == 413
    assert client.get("/api/v1/me").status_code == 200  # the session is untouched


def test_a_form_is_limited_in_size_not_in_brackets(app_client, world: World) -> None:
    client = login(app_client, "doctor2")
    url = f"/cases/{world.other_case}/outcome"
    note = "[" * 100 + "{" * 100
    done = client.post(url, data={"outcome": "advice", "outcome_note": note},
                       headers={"accept": "text/html"}, follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    large = client.post(url, data={"outcome": "advice", "outcome_note": "a" * 70_000},
                        headers={"accept": "text/html"})  # fmt: skip
    assert large.status_code == 413 and "请求内容过大" in large.text


def test_refusals_of_the_limits_are_logged_with_their_status(app_client) -> None:
    import io
    import json
    import logging

    from api.logs import JsonFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("childhealth.api.access")
    logger.addHandler(handler)
    try:
        app_client.get("/static/app.css%00")
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [r["status"] for r in lines if r["route"].startswith("/static")] == [400]


def test_problems_carry_the_refusal_in_the_callers_language(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    url = f"/api/v1/children/{world.own_child}/measurements"
    future = {"measured_on": "2026-06-16", "source": "home", "weight_kg": 7.0}
    chinese = client.post(url, json=future).json()
    assert chinese["text"] == "日期 2026-06-16 晚于今天，请检查日期。"
    english = client.post(url, params={"lang": "en"}, json=future).json()
    assert english["text"] == "The date 2026-06-16 is later than today. Please check the date."
    schema = client.get("/schema/openapi.json").json()["components"]["schemas"]
    assert "text" in schema["ProblemDetails"]["properties"]
