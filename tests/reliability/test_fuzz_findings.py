"""Regression tests for what the contract fuzzing (``test_fuzz_api.py``) found, one test per
finding, each the smallest request that showed it."""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

from api.i18n import gettext
from api.services.forms import COUNT_TOO_BIG, NOT_A_COUNT
from screening import reference
from tests.api.api_world import World, breast_milk_only, login

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


def test_queue_facility_id_in_range_still_filters(app_client: TestClient, world: World) -> None:
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


# ---- issue 12: what an attacker found (each input once through the API and once through a page)

HTML = {"accept": "text/html"}
DEEP = {"array": "[" * 1000 + "]" * 1000, "object": '{"a":' * 1000 + "1" + "}" * 1000}


def _problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    """The problem details of ``response``: its status and type as expected."""
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert (body["status"], body["type"]) == (status, f"urn:childhealth:problem:{slug}")
    return body


def _page(response: Any, status: int, words: str) -> None:
    """A page (HTML) answering ``status`` that says ``words``."""
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].startswith("text/html")
    assert words in response.text, response.text[:2000]


def _anonymous(client: TestClient) -> TestClient:
    """``client`` without a session, with the CSRF header a browser's script would send."""
    client.cookies.clear()
    client.get("/health")
    client.headers["x-csrftoken"] = client.cookies.get("childhealth_csrf") or ""
    return client


@pytest.mark.parametrize("shape", list(DEEP))
def test_deep_json_to_sign_in_is_refused_before_parsing(app_client: TestClient, shape: str) -> None:
    """JSON nested 1,000 deep to the sign-in route (no session needed) raised RecursionError
    (500): bodies nested deeper than 32 levels are a 400 problem, in the caller's language."""
    client = _anonymous(app_client)
    json_body = {"content-type": "application/json"}
    refused = client.post("/api/v1/auth/login", content=DEEP[shape], headers=json_body)
    assert _problem(refused, 400, "too-deep")["title"] == "请求内容的嵌套层级过多。"
    english = client.post("/api/v1/auth/login?lang=en", content=DEEP[shape], headers=json_body)
    assert _problem(english, 400, "too-deep")["title"] == "The request is nested too deeply."


@pytest.mark.parametrize("shape", list(DEEP))
def test_deep_json_to_a_measurement_is_refused(
    app_client: TestClient, world: World, shape: str
) -> None:
    login(app_client, "parent1")
    url = f"/api/v1/children/{world.own_child}/measurements"
    json_body = {"content-type": "application/json"}
    _problem(app_client.post(url, content=DEEP[shape], headers=json_body), 400, "too-deep")
    assert app_client.get(url).json() == []  # nothing stored
    usual = {"measured_on": "2026-06-10", "source": "home", "weight_kg": 7.1}
    assert app_client.post(url, json=usual).status_code == 201


def test_doctor_page_facility_beyond_64_bits_is_a_bad_request(app_client: TestClient) -> None:
    """``/doctor?facility=9223372036854775808`` overflowed the query (500): the page's ids are
    bounded to 1..2**63-1 like the API's (400, as a page and as problem JSON)."""
    login(app_client, "doctor1")
    for value in (2**63, 0, -1, "abc"):
        _page(app_client.get(f"/doctor?facility={value}", headers=HTML), 400, "请求有误")
        _problem(app_client.get(f"/doctor?facility={value}"), 400, "bad-request")
    assert app_client.get(f"/doctor?facility={2**63 - 1}", headers=HTML).status_code == 200


def _feeding_form(solid_feeds: str) -> dict[str, str]:
    bank = reference.recall_bank()
    form = {"breastfed": "yes", "bottle_with_nipple": "no", "vitamin_d": "yes",
            "solid_feeds": solid_feeds}  # fmt: skip
    form |= {f"liquids.{q.id}": "no" for q in bank.liquids}
    form |= {f"foods.{f.id}": "yes" for f in bank.foods}
    return form


@pytest.mark.parametrize(
    "count,words",
    [
        ("99999999999999999999", gettext("zh-CN", COUNT_TOO_BIG)),
        ("9" * 5000, gettext("zh-CN", COUNT_TOO_BIG)),
        ("²", gettext("zh-CN", NOT_A_COUNT)),
        ("-1", gettext("zh-CN", NOT_A_COUNT)),
        ("1.5", gettext("zh-CN", NOT_A_COUNT)),
    ],
)
def test_feeding_page_refuses_counts_that_are_no_counts(
    app_client: TestClient, world: World, count: str, words: str
) -> None:
    """A count of ``99999999999999999999`` or ``²`` in the feeding form raised a server error
    (OverflowError in the typed frame; ``int("²")``): the form answers 422 with the words, next
    to the question (never the field's name)."""
    client = login(app_client, "parent1")
    url = f"/children/{world.own_child}/feeding"
    refused = client.post(url, headers=HTML, data=_feeding_form(count))
    _page(refused, 422, words)
    assert "solid_feeds" not in refused.text.split("<form", 1)[0]  # no field name in the words
    assert client.get(f"/api/v1/children/{world.own_child}/questionnaires").status_code == 403
    assert client.post(url, headers=HTML, data=_feeding_form("３")).status_code == 200  # full-width


@pytest.mark.parametrize("count", [10**20, -(10**20), 2**63, 1001])
def test_feeding_api_refuses_counts_beyond_any_day(
    app_client: TestClient, world: World, count: int
) -> None:
    login(app_client, "parent1")
    answers = breast_milk_only() | {"solid_feeds": count}
    response = app_client.post(
        f"/api/v1/children/{world.own_child}/feeding",
        json={"recalled_on": "2026-06-14", "answers": answers},
    )
    body = _problem(response, 422, "invalid-screening-input")
    assert body["message_id"] == "error.feeding.invalid_value"
    assert str(count) in body["text"]


@pytest.mark.parametrize("path", ["/static/app.css%00.js", "/static/app%01.css", "/static/%7f"])
def test_static_paths_with_control_characters_are_refused(
    app_client: TestClient, path: str
) -> None:
    """``GET /static/app.css%00.js`` reached the file system (ValueError: embedded null byte,
    500): an address with a control character is a 400 problem that does not echo it."""
    body = _problem(app_client.get(path), 400, "bad-address")
    assert body["title"] == "网址中含有不允许的字符。"
    assert "\x00" not in body["instance"] and "\x01" not in body["instance"]
    assert app_client.get("/static/app.css").status_code == 200


@pytest.mark.parametrize("address", ["/lang/en%00", "/doctor?domain=growth%00", "/doctor?d=%1b"])
def test_page_addresses_with_control_characters_are_refused(
    app_client: TestClient, address: str
) -> None:
    """The same rule for the pages' paths and query strings: a 400 page in words."""
    login(app_client, "doctor1")
    _page(app_client.get(address, headers=HTML), 400, "网址中含有不允许的字符")
    _problem(app_client.get(address), 400, "bad-address")


def _new_child(client: TestClient, **fields: Any) -> Any:
    body = {"sex": "F", "birth_date": "2025-01-01", "area_code": "T1"} | fields
    return client.post("/api/v1/children", json=body)


def _new_child_page(client: TestClient, **fields: Any) -> Any:
    form = {"sex": "F", "birth_date": "2025-01-01", "area_code": "T1"} | fields
    return client.post("/parent/children/new", headers=HTML, data=form, follow_redirects=False)


@pytest.mark.parametrize(
    "fields,message_id,words",
    [
        ({"area_code": "P11"}, "error.record.area_not_township", "请选择孩子居住的乡镇"),
        ({"area_code": "P1"}, "error.record.area_not_township", "请选择孩子居住的乡镇"),
        ({"area_code": "P"}, "error.record.area_not_township", "请选择孩子居住的乡镇"),
        ({"birth_date": "0001-01-01"}, "error.record.birth_too_long_ago", "早于 2019-06-15"),
        ({"birth_date": "1900-01-01"}, "error.record.birth_too_long_ago", "早于 2019-06-15"),
        ({"birth_date": "2019-06-14"}, "error.record.birth_too_long_ago", "早于 2019-06-15"),
        ({"birth_date": "2026-06-16"}, "error.record.birth_in_future", "晚于今天"),
        ({"name": "a\x00b"}, "error.record.name_characters", "U+0000"),
        ({"name": "Xiao\u202egnp.exe"}, "error.record.name_characters", "U+202E"),
        ({"name": "\x1b[31mXiao"}, "error.record.name_characters", "U+001B"),
        ({"name": "Xiao\u2066ming"}, "error.record.name_characters", "U+2066"),
    ],
)
def test_a_child_is_registered_only_within_the_input_rules(
    app_client: TestClient, fields: dict[str, str], message_id: str, words: str
) -> None:
    """A child in a county or province (no doctor's scope reaches it), born 0001-01-01 or
    1900-01-01, or named with NUL, U+202E or ESC was stored: each is a 422 problem with its
    catalogue message (JSON ``text`` and the form's words), and nothing is stored."""
    client = login(app_client, "parent1")
    body = _problem(_new_child(client, **fields), 422, "invalid-record")
    assert body["message_id"] == message_id and words in body["text"]
    _page(_new_child_page(client, **fields), 422, words)
    assert len(client.get("/api/v1/children").json()) == 1  # only the world's own child


def test_the_edges_of_registration_are_accepted(app_client: TestClient) -> None:
    """Born exactly seven years before today or today, in a township, named in NFC."""
    client = login(app_client, "parent1")
    oldest = _new_child(client, birth_date="2019-06-15", name="Cafe\u0301 ")
    assert oldest.status_code == 201 and oldest.json()["name"] == "Caf\u00e9"
    assert _new_child(client, birth_date="2026-06-15").status_code == 201
    assert _new_child_page(client, birth_date="2019-06-15").status_code == 303


def test_no_measurement_is_stored_for_a_child_born_centuries_ago(app_client: TestClient) -> None:
    """A measurement was stored for a child born 0001-01-01: such a child is never registered,
    so there is no child to measure."""
    client = login(app_client, "parent1")
    assert _new_child(client, birth_date="0001-01-01").status_code == 422
    children = client.get("/api/v1/children").json()
    assert [c["birth_date"] for c in children] == ["2025-12-01"]


@pytest.mark.parametrize(
    "fields,message_id,words",
    [
        ({"outcome": "recheck", "recheck_on": "0001-01-01"},
         "error.record.recheck_not_after_today", "必须晚于今天"),
        ({"outcome": "recheck", "recheck_on": "2026-06-15"},
         "error.record.recheck_not_after_today", "必须晚于今天"),
        ({"outcome": "recheck", "recheck_on": "2027-06-17"},
         "error.record.recheck_too_far", "太远了"),
        ({"outcome": "advice", "outcome_note": "a\x00b"}, "error.record.note_characters", "U+0000"),
        ({"outcome": "referred", "outcome_note": "\u202eCounty"},
         "error.record.note_characters", "U+202E"),
    ],
)  # fmt: skip
def test_an_outcome_is_recorded_only_within_the_input_rules(
    app_client: TestClient, world: World, fields: dict[str, str], message_id: str, words: str
) -> None:
    """A recheck on 0001-01-01 with a NUL note was stored: the date falls after today and at
    most a year ahead, the note holds no control character; the case stays as it was."""
    client = login(app_client, "doctor2")
    url = f"/cases/{world.other_case}/outcome"
    body = _problem(client.post(f"/api/v1{url}", json=fields), 422, "invalid-record")
    assert body["message_id"] == message_id and words in body["text"]
    _page(client.post(url, headers=HTML, data=fields), 422, words)
    queue = client.get("/api/v1/cases").json()
    assert [(e["case_id"], e["recheck_on"]) for e in queue] == [(world.other_case, None)]


def test_a_recheck_keeps_the_case_open_until_the_next_outcome(
    app_client: TestClient, world: World
) -> None:
    """The outcome "recheck" closed the case although the API said it keeps it open: the case
    stays in the queue with its date (API and page) and the trail says so, until the doctor's
    next outcome closes it."""
    client = login(app_client, "doctor2")
    api = f"/api/v1/cases/{world.other_case}/outcome"
    planned = client.post(api, json={"outcome": "recheck", "recheck_on": "2026-07-15"})
    assert planned.status_code == 201, planned.text
    case = planned.json()
    assert (case["status"], case["outcome"]) == ("open", "recheck")
    assert case["recheck_on"] == "2026-07-15"
    assert case["closed_at"] is None
    queue = client.get("/api/v1/cases").json()
    assert [(e["case_id"], e["recheck_on"]) for e in queue] == [(world.other_case, "2026-07-15")]
    assert "复查 2026-07-15" in client.get("/doctor", headers=HTML).text
    child_page = client.get(f"/children/{world.other_child}", headers=HTML).text
    assert f'action="/cases/{world.other_case}/outcome"' in child_page  # still to be closed
    assert "计划复查" in child_page  # the trail: recheck planned
    moved = client.post(f"/cases/{world.other_case}/outcome", headers=HTML,
                        data={"outcome": "recheck", "recheck_on": "2026-08-01"},
                        follow_redirects=False)  # fmt: skip
    assert moved.status_code == 303
    assert client.get("/api/v1/cases").json()[0]["recheck_on"] == "2026-08-01"
    closed = client.post(api, json={"outcome": "normal"})
    assert closed.status_code == 201 and closed.json()["status"] == "closed"
    assert client.get("/api/v1/cases").json() == []
