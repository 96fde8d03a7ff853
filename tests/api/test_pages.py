"""Page forms in process: add a child, the confirm step, milestones, feeding, an outcome; the
session cookie's flags; access logs without personal data."""

from __future__ import annotations

import io
import json
import logging

from screening import reference
from screening.development import age_used, choose_band
from tests.api.api_world import PASSWORD, World, login

HTML = {"accept": "text/html"}


def test_parent_adds_a_child_through_the_form(app_client) -> None:
    client = login(app_client, "parent1")
    bad = client.post("/parent/children/new", headers=HTML,
                      data={"sex": "F", "birth_date": "2027-01-01", "area_code": "T1"})  # fmt: skip
    assert bad.status_code == 422 and "晚于今天" in bad.text
    form = {"sex": "F", "birth_date": "2026-02-01", "area_code": "T1"}
    made = client.post("/parent/children/new", headers=HTML, data=form, follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"].endswith("/measure")
    assert len(client.get("/api/v1/children").json()) == 2


def test_measurement_form_asks_to_confirm_an_implausible_value(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    url = f"/children/{world.own_child}/measure"
    form = {"measured_on": "2026-06-10", "weight_kg": "30", "measure": "L"}
    first = client.post(url, headers=HTML, data=form)
    assert first.status_code == 422
    assert 'name="confirm"' in first.text and 'value="30"' in first.text
    saved = client.post(url, headers=HTML, data=form | {"confirm": "yes"}, follow_redirects=False)
    assert saved.status_code == 303
    page = client.get(f"/children/{world.own_child}", headers=HTML)
    assert "请再测一次" in page.text  # the result page asks to measure again
    rows = client.get(f"/api/v1/children/{world.own_child}/measurements").json()
    assert [r["status"] for r in rows] == ["remeasure"]


def test_measurement_form_refuses_text_and_keeps_the_entry(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    response = client.post(f"/children/{world.own_child}/measure", headers=HTML,
                           data={"measured_on": "2026-06-10", "weight_kg": "seven"})  # fmt: skip
    assert response.status_code == 422 and "请填写数字" in response.text  # words, not a field name
    assert 'value="seven"' in response.text and "weight_kg不是数字" not in response.text


def test_milestone_form_scores_the_answers(app_client, world: World) -> None:
    import datetime as dt

    client = login(app_client, "parent1")
    inst = reference.instrument("milestone-checklist")
    band = choose_band(inst, age_used(inst, birth_date=dt.date(2025, 12, 1),
                                      gestational_weeks=None,
                                      assessment_date=dt.date(2026, 6, 15)))  # fmt: skip
    form = {f"a:{item.id}": "yes" for item in band.items}
    form |= {f"a:{q.id}": "no" for q in inst.global_questions}
    page = client.get(f"/children/{world.own_child}/milestones", headers=HTML)
    assert all(f'name="a:{item.id}"' in page.text for item in band.items)
    result = client.post(f"/children/{world.own_child}/milestones", headers=HTML, data=form)
    assert result.status_code == 200 and 'id="milestone-result"' in result.text
    assert "无异常" in result.text  # no concern


def test_feeding_form_gives_results_and_advice(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    bank = reference.recall_bank()
    form = {"breastfed": "yes", "bottle_with_nipple": "no", "solid_feeds": "0",
            "vitamin_d": "yes"}  # fmt: skip
    form |= {f"liquids.{q.id}": "no" for q in bank.liquids}
    form |= {f"foods.{f.id}": "no" for f in bank.foods}
    result = client.post(f"/children/{world.own_child}/feeding", headers=HTML, data=form)
    assert result.status_code == 200 and 'id="feeding-result"' in result.text
    assert "食物种类：8类中的1类" in result.text  # breast milk only


def test_doctor_outcome_form_closes_the_case(app_client, world: World) -> None:
    client = login(app_client, "doctor2")
    page = client.get(f"/children/{world.other_child}", headers=HTML)
    assert f'action="/cases/{world.other_case}/outcome"' in page.text
    done = client.post(f"/cases/{world.other_case}/outcome", headers=HTML,
                       data={"outcome": "advice", "outcome_note": "diet advice"},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    queue = client.get("/doctor", headers=HTML)
    assert f"/children/{world.other_child}" not in queue.text


def test_session_cookie_is_secure_httponly_and_lax(app_client) -> None:
    login(app_client, "parent1")
    response = app_client.post("/api/v1/auth/login",
                               json={"username": "parent1", "password": PASSWORD})  # fmt: skip
    cookie = next(v for k, v in response.headers.multi_items()
                  if k == "set-cookie" and v.startswith("childhealth_session="))  # fmt: skip
    flags = cookie.lower()
    assert "secure" in flags and "httponly" in flags and "samesite=lax" in flags


def test_access_log_names_the_route_not_the_child(app_client, world: World) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("childhealth.api.access")
    logger.addHandler(handler)
    from api.logs import JsonFormatter

    handler.setFormatter(JsonFormatter())
    try:
        client = login(app_client, "parent1")
        body = {"measured_on": "2026-06-10", "source": "home", "weight_kg": 7.1}
        client.post(f"/api/v1/children/{world.own_child}/measurements", json=body)
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    posted = [r for r in lines if r["method"] == "POST" and "measurements" in r["route"]]
    assert posted and posted[0]["route"] == "/api/v1/children/{child_id}/measurements"
    assert posted[0]["role"] == "parent" and posted[0]["status"] == 201
    # timestamps and durations are numbers that may contain "7.1" by chance: look past them
    kept = [{k: v for k, v in r.items() if k not in ("ts", "ms")} for r in lines]
    text = "\n".join(json.dumps(r) for r in kept)
    for secret in ("Xiaoming", "K-OWN", "2025-12-01", "7.1"):
        assert secret not in text


def test_doctor_sees_the_answers_worth_a_look(app_client, world: World) -> None:
    import datetime as dt

    parent = login(app_client, "parent1")
    inst = reference.instrument("milestone-checklist")
    band = choose_band(inst, age_used(inst, birth_date=dt.date(2025, 12, 1),
                                      gestational_weeks=None,
                                      assessment_date=dt.date(2026, 6, 15)))  # fmt: skip
    answers = {item.id: "yes" for item in band.items} | {q.id: "no" for q in inst.global_questions}
    answers[band.items[0].id] = "not_yet"
    parent.post(f"/api/v1/children/{world.own_child}/milestones",
                json={"administered_on": "2026-06-15", "answers": answers})  # fmt: skip
    doctor = login(app_client, "doctor1")
    page = doctor.get(f"/children/{world.own_child}", headers=HTML)
    section = page.text.split('id="answers"')[1].split("</section>")[0]
    assert band.items[0].text.get("zh-CN") in section and "还不会" in section
    assert band.items[1].text.get("zh-CN") not in section


def test_no_open_redirect_after_sign_in_or_language_switch(app_client) -> None:
    from api.pages.render import local_path

    assert [local_path(t) for t in ("/doctor", "//evil.example", "/\\evil", "https://x")] == [
        "/doctor",
        "/",
        "/",
        "/",
    ]
    switched = app_client.get("/lang/en", params={"back": "//evil.example"}, follow_redirects=False)
    assert switched.headers["location"] == "/"


def test_sign_in_is_throttled_after_five_failures(app_client) -> None:
    from api import throttle

    client = login(app_client, "parent1")  # any session: for the CSRF token
    body = {"username": "facility1", "password": "wrong-password"}
    try:
        statuses = [client.post("/api/v1/auth/login", json=body).status_code for _ in range(6)]
        assert statuses == [401] * 5 + [429]
        right = {"username": "facility1", "password": PASSWORD}
        assert client.post("/api/v1/auth/login", json=right).status_code == 429
        page = client.post("/login", headers=HTML, data=right)
        assert page.status_code == 429 and "失败次数过多" in page.text
    finally:
        throttle.clear("facility1")
    assert client.post("/api/v1/auth/login", json=right).status_code == 201


def test_sessions_start_at_sign_in_with_a_fresh_id(app_client) -> None:
    anonymous = app_client.get("/login", headers=HTML)
    assert "childhealth_session" not in anonymous.headers.get("set-cookie", "")
    login(app_client, "parent1")
    app_client.cookies.set("childhealth_session", "chosen-by-someone-else",
                           domain="testserver.local")  # fmt: skip
    response = app_client.post("/api/v1/auth/login",
                               json={"username": "parent1", "password": PASSWORD})  # fmt: skip
    fresh = response.cookies.get("childhealth_session")
    assert fresh and fresh != "chosen-by-someone-else"
    assert app_client.get("/api/v1/me").json()["username"] == "parent1"


def test_responses_carry_basic_security_headers(app_client) -> None:
    for path in ("/login", "/api/v1/me", "/health"):
        headers = app_client.get(path, headers=HTML).headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"


def test_adding_a_child_picks_the_county_then_its_townships(app_client) -> None:
    client = login(app_client, "parent1")
    first = client.get("/parent/children/new", headers=HTML)
    assert 'value="P11"' in first.text and 'name="area_code"' not in first.text
    second = client.get("/parent/children/new", params={"county": "P11"}, headers=HTML)
    assert 'value="T1"' in second.text and 'value="T2"' not in second.text


def test_questionnaires_for_the_doctor_in_json(app_client, world: World) -> None:
    parent = login(app_client, "parent1")
    bank = reference.recall_bank()
    recall = {
        "breastfed": True, "bottle_with_nipple": False, "solid_feeds": 0, "vitamin_d": True,
        "liquids": {q.id: {"taken": False} for q in bank.liquids},
        "foods": {f.id: {"taken": False} for f in bank.foods},
    }  # fmt: skip
    parent.post(f"/api/v1/children/{world.own_child}/feeding",
                json={"recalled_on": "2026-06-14", "answers": recall})  # fmt: skip
    doctor = login(app_client, "doctor1")
    sets = doctor.get(f"/api/v1/children/{world.own_child}/questionnaires").json()
    assert [s["kind"] for s in sets] == ["feeding"]
    assert ["ISSSF", "not_met"] in sets[0]["notable"]  # solids not started at 6 months


def test_write_requests_take_the_sqlite_write_lock_first(tmp_path) -> None:
    import sqlite3

    from sqlalchemy.orm import Session

    from api.database import begin_write
    from health.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'lock.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    with Session(engine) as session:
        begin_write(session)
        other = sqlite3.connect(tmp_path / "lock.db", timeout=0.1, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            raise AssertionError("the write lock was not taken")
        except sqlite3.OperationalError as exc:
            assert "locked" in str(exc)
        finally:
            other.close()
    engine.dispose()
