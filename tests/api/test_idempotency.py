"""Idempotent writes: a repeat with the same ``Idempotency-Key`` (or, without one, the same
request within seconds: a double tap) gets the first answer and stores nothing again."""

from __future__ import annotations

import datetime as dt
import re
import threading
from typing import Any

import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select, update

from api import request_scope
from health.clock import Clock
from health.models import Child, FeedingRecall, IdempotencyRecord, Measurement
from health.models.enums import CaseStatus
from tests.api.api_world import TODAY, World, breast_milk_only, login, serve, world_db

HTML = {"accept": "text/html"}
KEY = request_scope.IDEMPOTENCY_HEADER


database = world_db


def count(world: World, model: Any) -> int:
    with database(world) as db:
        return int(db.scalar(select(func.count()).select_from(model)))


def measurement(day: int = 10, weight: float = 7.1) -> dict[str, Any]:
    return {"measured_on": f"2026-06-{day:02d}", "source": "home", "weight_kg": weight}


class MovingClock:
    """The app's clock source, moved by the test (no date pinned: a day later is tomorrow)."""

    def __init__(self) -> None:
        self.now = dt.datetime.combine(TODAY, dt.time(2, 0), tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def moving(app_client: TestClient) -> MovingClock:
    source = MovingClock()
    app_client.app.state["clock"] = Clock(source=source)
    return source


def test_a_replay_with_the_same_key_gets_the_first_answer(app_client, world) -> None:
    client = login(app_client, "parent1")
    url = f"/api/v1/children/{world.own_child}/measurements"
    before = count(world, Measurement)
    first = client.post(url, json=measurement(), headers={KEY: "tap-1"})
    again = client.post(url, json=measurement(), headers={KEY: "tap-1"})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers[request_scope.REPLAYED_HEADER] == "true"
    assert request_scope.REPLAYED_HEADER.lower() not in {h.lower() for h in first.headers}
    assert count(world, Measurement) == before + 1


def test_the_same_key_with_another_body_is_refused(app_client, world) -> None:
    client = login(app_client, "parent1")
    url = f"/api/v1/children/{world.own_child}/measurements"
    assert client.post(url, json=measurement(), headers={KEY: "k-2"}).status_code == 201
    other = client.post(url, json=measurement(weight=7.4), headers={KEY: "k-2"})
    assert other.status_code == 422
    assert other.json()["type"] == "urn:childhealth:problem:idempotency-key-reused"
    assert other.json()["title"] == "已用不同的内容提交过：请刷新页面后重试"
    recall = {"recalled_on": "2026-06-14", "answers": breast_milk_only()}
    feeding = f"/api/v1/children/{world.own_child}/feeding"
    elsewhere = client.post(feeding, json=recall, headers={KEY: "k-2"})
    assert elsewhere.status_code == 422  # another route is another request too
    assert count(world, FeedingRecall) == 0


def test_keys_belong_to_one_account(app_client, world) -> None:
    body = {"recalled_on": "2026-06-14", "answers": breast_milk_only()}
    url = f"/api/v1/children/{world.own_child}/feeding"
    parent = login(app_client, "parent1").post(url, json=body, headers={KEY: "shared"})
    doctor = login(app_client, "doctor1").post(url, json=body, headers={KEY: "shared"})
    assert parent.status_code == doctor.status_code == 201
    assert request_scope.REPLAYED_HEADER.lower() not in {h.lower() for h in doctor.headers}
    assert count(world, FeedingRecall) == 2


def test_a_double_tap_without_a_key_stores_one_record(app_client, world, moving) -> None:
    client = login(app_client, "parent1")
    body = {"sex": "F", "birth_date": "2026-01-02", "area_code": "T1", "name": "Twin"}
    before = count(world, Child)
    taps = [client.post("/api/v1/children", json=body) for _ in range(2)]
    assert [t.status_code for t in taps] == [201, 201] and taps[0].json() == taps[1].json()
    assert count(world, Child) == before + 1
    moving.now += dt.timedelta(seconds=11)  # a deliberate second entry, later
    later = client.post("/api/v1/children", json=body)
    assert later.status_code == 201 and later.json()["id"] != taps[0].json()["id"]
    assert count(world, Child) == before + 2


def test_a_key_is_kept_for_24_hours(app_client, world, moving) -> None:
    client = login(app_client, "parent1")
    url = f"/api/v1/children/{world.own_child}/measurements"
    first = client.post(url, json=measurement(), headers={KEY: "day-key"})
    moving.now += dt.timedelta(hours=23, minutes=59)
    assert client.post(url, json=measurement(), headers={KEY: "day-key"}).json() == first.json()
    moving.now += dt.timedelta(minutes=2)
    later = client.post(url, json=measurement(), headers={KEY: "day-key"})
    assert later.status_code == 201 and later.json() != first.json()
    with database(world) as db:
        assert db.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1  # purged


def test_a_refused_write_frees_its_key(app_client, world) -> None:
    client = login(app_client, "parent1")
    url = f"/api/v1/children/{world.own_child}/measurements"
    implausible = {**measurement(), "weight_kg": 30.0}
    assert client.post(url, json=implausible, headers={KEY: "k-3"}).status_code == 422
    confirmed = client.post(url, json=implausible, params={"confirm": True}, headers={KEY: "k-3"})
    assert confirmed.status_code == 201  # nothing was stored under the key before
    assert client.post(url, json=implausible, params={"confirm": True},
                       headers={KEY: "k-3"}).json() == confirmed.json()  # fmt: skip


def test_an_outcome_sent_twice_is_recorded_once(app_client, world) -> None:
    client = login(app_client, "doctor2")
    url = f"/api/v1/cases/{world.other_case}/outcome"
    body = {"outcome": "advice", "outcome_note": "feeding advice given"}
    first = client.post(url, json=body)
    again = client.post(url, json=body)  # a double tap: not a 409 for a closed case
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and first.json()["status"] == CaseStatus.closed


def test_a_key_longer_than_255_characters_is_a_bad_request(app_client, world) -> None:
    client = login(app_client, "parent1")
    url = f"/api/v1/children/{world.own_child}/measurements"
    answer = client.post(url, json=measurement(), headers={KEY: "k" * 256})
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert client.post(url, json=measurement(), headers={KEY: "k" * 255}).status_code == 201


def test_a_repeat_waits_for_the_request_holding_its_key(app_client, world, monkeypatch) -> None:
    client = login(app_client, "parent1")
    url = f"/api/v1/children/{world.own_child}/measurements"
    assert client.post(url, json=measurement(), headers={KEY: "held"}).status_code == 201
    with database(world) as db:  # as if that first request were still being answered
        db.execute(update(IdempotencyRecord).values(status_code=None))
    monkeypatch.setattr(request_scope, "WAIT_S", 0.1)
    busy = client.post(url, json=measurement(), headers={KEY: "held"})
    assert busy.status_code == 409 and busy.headers["retry-after"] == "1"
    assert busy.json()["type"] == "urn:childhealth:problem:idempotency-in-progress"
    assert count(world, Measurement) == 2  # the fixture's and the first request's


def _claimed_since_the_look_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """The next look-up misses the key, as if the request holding it claimed it just after."""
    real, missed = request_scope._look_up, []

    def look_up(*args: Any) -> Any:
        if not missed:
            missed.append(True)
            return None
        return real(*args)

    monkeypatch.setattr(request_scope, "_look_up", look_up)


def test_a_repeat_claiming_a_held_key_waits_for_its_answer(app_client, world, monkeypatch) -> None:
    client = login(app_client, "parent1")
    url = f"/api/v1/children/{world.own_child}/measurements"
    first = client.post(url, json=measurement(), headers={KEY: "race"})
    assert first.status_code == 201
    with database(world) as db:  # the first request has committed, its answer not yet kept
        kept = db.execute(select(IdempotencyRecord.status_code, IdempotencyRecord.body)).one()
        db.execute(update(IdempotencyRecord).values(status_code=None, body=None))
    _claimed_since_the_look_up(monkeypatch)

    def answer_kept() -> None:
        with database(world) as db:
            db.execute(update(IdempotencyRecord).values(status_code=kept[0], body=kept[1]))

    timer = threading.Timer(0.3, answer_kept)
    timer.start()
    try:
        again = client.post(url, json=measurement(), headers={KEY: "race"})
    finally:
        timer.join()
    assert again.status_code == 201 and again.headers[request_scope.REPLAYED_HEADER] == "true"
    assert again.json() == first.json()
    assert count(world, Measurement) == 2  # the fixture's and the first request's


def test_a_held_key_never_answered_is_409_after_the_wait(app_client, world, monkeypatch) -> None:
    client = login(app_client, "parent1")
    url = f"/api/v1/children/{world.own_child}/measurements"
    assert client.post(url, json=measurement(), headers={KEY: "stuck"}).status_code == 201
    with database(world) as db:
        db.execute(update(IdempotencyRecord).values(status_code=None))
    _claimed_since_the_look_up(monkeypatch)
    monkeypatch.setattr(request_scope, "WAIT_S", 0.1)
    busy = client.post(url, json=measurement(), headers={KEY: "stuck"})
    assert busy.status_code == 409 and busy.headers["retry-after"] == "1"
    assert busy.json()["type"] == "urn:childhealth:problem:idempotency-in-progress"
    assert busy.json()["title"] == "相同的请求仍在处理中，请稍后再试"
    assert count(world, Measurement) == 2
    with database(world) as db:  # the write was rolled back: nothing of it holds the key
        assert db.scalar(select(func.count()).select_from(IdempotencyRecord)) == 1


def _form_key(html: str) -> str:
    found = re.search(r'name="idempotency_key" value="([^"]+)"', html)
    assert found, "the form carries its idempotency key"
    return found.group(1)


def test_a_page_form_sent_twice_stores_one_measurement(app_client, world) -> None:
    client = login(app_client, "parent1")
    form_url = f"/children/{world.own_child}/measure"
    first_form, second_form = (client.get(form_url, headers=HTML).text for _ in range(2))
    assert _form_key(first_form) != _form_key(second_form)  # a new key per rendered form
    form = {
        "measured_on": "2026-06-11",
        "weight_kg": "7.3",
        "idempotency_key": _form_key(first_form),
    }
    before = count(world, Measurement)
    posts = [client.post(form_url, data=form, headers=HTML, follow_redirects=False)
             for _ in range(2)]  # fmt: skip
    assert [p.status_code for p in posts] == [303, 303]
    assert posts[0].headers["location"] == posts[1].headers["location"]
    assert count(world, Measurement) == before + 1
    changed = {**form, "weight_kg": "7.9"}
    refused = client.post(form_url, data=changed, headers=HTML, follow_redirects=False)
    assert refused.status_code == 422 and "请刷新页面后重试" in refused.text


@pytest.mark.parametrize(
    "page,role",
    [("/parent/children/new", "parent1"), ("/children/{own}/milestones", "parent1"),
     ("/children/{own}/feeding", "parent1"), ("/children/{own}", "doctor1")],
)  # fmt: skip
def test_every_page_form_that_creates_a_record_carries_a_key(
    app_client, world, page: str, role: str
) -> None:
    client = login(app_client, role)
    if role == "doctor1":  # the outcome form shows with an open case
        url = f"/api/v1/children/{world.own_child}/measurements"
        low = {"measured_on": "2026-06-10", "source": "clinic", "weight_kg": 4.5,
               "length_cm": 60.0, "measure": "L"}  # fmt: skip
        assert client.post(url, json=low).json()["case_opened"]
    html = client.get(page.format(own=world.own_child), headers=HTML).text
    for form in re.findall(r'<form method="post"(.*?)</form>', html, re.S):
        if 'action="/logout"' not in form:
            assert 'name="idempotency_key"' in form, page


def test_every_write_documents_the_header(app_client) -> None:
    paths = app_client.get("/schema/openapi.json").json()["paths"]
    writes = {p: item["post"] for p, item in paths.items() if "post" in item}
    keyed = {
        p for p, op in writes.items() if any(x["name"] == KEY for x in op.get("parameters", []))
    }
    assert keyed == {
        "/api/v1/children",
        "/api/v1/children/{child_id}/measurements",
        "/api/v1/children/{child_id}/milestones",
        "/api/v1/children/{child_id}/feeding",
        "/api/v1/cases/{case_id}/outcome",
        "/api/v1/children/{child_id}/measurements/{measurement_id}/withdraw",
        "/api/v1/children/{child_id}/measurements/{measurement_id}/correct",
        "/api/v1/children/{child_id}/checks",
        "/api/v1/children/{child_id}/contact-attempts",
        "/api/v1/facility-visits",
    }
    header = next(x for x in writes["/api/v1/children"]["parameters"] if x["name"] == KEY)
    assert header["in"] == "header" and header["schema"]["maxLength"] == 255


def test_a_replay_through_another_process_gets_the_first_answer(world: World) -> None:
    url = f"sqlite:///{world.db_file}"
    target = f"/api/v1/children/{world.own_child}/measurements"
    with serve(url) as first, serve(url) as second:
        answer = login(first, "parent1").post(target, json=measurement(), headers={KEY: "x-1"})
        replay = login(second, "parent1").post(target, json=measurement(), headers={KEY: "x-1"})
        assert answer.status_code == replay.status_code == 201
        assert replay.json() == answer.json()
    assert count(world, Measurement) == 2  # the fixture's and this one
