"""Issue 11: the doctor's missed-checks list with the guardian's phone (clinic roles only, never
facility staff or a bureau); a child registered today is not listed as missing a check whose
window closed before; the guardian's phone on the add-child form and ``POST /api/v1/children``,
refused in words."""

from __future__ import annotations

import datetime as dt
import re

from litestar.testing import TestClient
from sqlmodel import select

from health.models import Child, ChildCreate
from health.registry import create_child
from tests.api.api_world import TODAY, World, login, world_db

HTML = {"accept": "text/html"}
OWN_PHONE = "100-0000-0001"  # made up: no real number starts with 100


def _give_phone(world: World) -> None:
    with world_db(world) as db:
        own = db.get(Child, world.own_child)
        assert own is not None
        own.guardian_phone = OWN_PHONE


def _table(page: str) -> str:
    return page[page.index('<table id="missed"') : page.index("</table>")]


def _row(table: str, words: str) -> str:
    return next(r for r in table.split("<tr") if words in r)


def _field_error(page: str, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="{name}-error"[^>]*>(.*?)</p>', page, re.S)
    return found[1] if found else ""


def test_the_doctor_sees_the_guardians_phone_on_the_missed_list(
    app_client: TestClient, world: World
) -> None:
    _give_phone(world)
    doctor = login(app_client, "doctor1")
    table = _table(doctor.get("/doctor/missed", headers=HTML).text)
    assert "<th>联系电话</th>" in table
    own = _row(table, "Xiaoming")  # born 2025-12-01: the newborn visit closed 2025-12-29
    assert f'<a href="tel:{OWN_PHONE}">{OWN_PHONE}</a>' in own and "新生儿家庭访视" in own
    other = _row(table, "未命名儿童")  # K-T1: no phone on file
    assert "未登记电话" in other and "tel:" not in other
    doctor.cookies.set("lang", "en", domain="testserver.local")
    english = _table(doctor.get("/doctor/missed", headers=HTML).text)
    assert "<th>Contact</th>" in english and "No phone on file" in english


def test_the_missed_checks_api_gives_the_phone_to_clinicians_only(
    app_client: TestClient, world: World
) -> None:
    _give_phone(world)
    for clinician in ("doctor1", "admin"):
        rows = login(app_client, clinician).get("/api/v1/missed-checks").json()
        phones = {r["child_id"]: r["guardian_phone"] for r in rows}
        assert phones[world.own_child] == OWN_PHONE and phones[world.t1_child] is None
    staff = login(app_client, "facility1")
    assert staff.get("/api/v1/missed-checks").status_code == 403
    due = staff.get("/api/v1/facility/due")
    assert due.status_code == 200 and world.own_child in {r["child_id"] for r in due.json()}
    assert all("guardian_phone" not in r for r in due.json()) and OWN_PHONE not in due.text
    page = staff.get("/facility", headers=HTML)
    assert page.status_code == 200 and "Xiaoming" in page.text and OWN_PHONE not in page.text
    for role in ("doctor1", "facility1", "parent1"):  # the child's public view has no phone
        child = login(app_client, role).get(f"/api/v1/children/{world.own_child}")
        assert child.status_code == 200 and "guardian_phone" not in child.json()


def test_no_bureau_response_shows_a_phone(app_client: TestClient, world: World) -> None:
    _give_phone(world)
    paths = sorted(
        {route.path for route in app_client.app.routes
         for handler in getattr(route, "route_handlers", [])
         if "GET" in handler.http_methods and "bureau" in (handler.opt.get("roles") or ())}
    )  # fmt: skip
    assert "/bureau" in paths and "/api/v1/coverage" in paths
    for username in ("bureau_p", "bureau_a"):
        client = login(app_client, username)
        for path in paths:
            for params in ({}, {"by": "clinic"}, {"by": "facility"}):
                response = client.get(path, params=params, headers=HTML)
                assert response.status_code == 200, (path, params)
                assert OWN_PHONE not in response.text and "guardian_phone" not in response.text


def test_a_child_registered_today_is_not_listed_as_missing_the_newborn_visit(
    app_client: TestClient, world: World
) -> None:
    parent = login(app_client, "parent1")
    form = {"sex": "F", "birth_date": "2026-03-15", "area_code": "T1", "name": "小红",
            "guardian_phone": " 100 2222-3333 "}  # fmt: skip
    made = parent.post("/parent/children/new", headers=HTML, data=form, follow_redirects=False)
    assert made.status_code == 303
    with world_db(world) as db:
        child = db.exec(select(Child).where(Child.name == "小红")).one()
        assert (child.registered_on, child.guardian_phone) == (TODAY, "100 2222-3333")
        # the same three-month-old, registered on the day of birth: the visit was missed
        at_birth = create_child(db, ChildCreate(sex="M", birth_date=dt.date(2026, 3, 15),
                                                area_code="T1", name="小刚"),
                                today=dt.date(2026, 3, 15))  # fmt: skip
        new_id, birth_id = child.id, at_birth.id
    doctor = login(app_client, "doctor1")
    table = _table(doctor.get("/doctor/missed", headers=HTML).text)
    assert "小红" not in table
    missed = _row(table, "小刚")
    assert "新生儿家庭访视" in missed and "逾期 64 天" in missed  # closed 2026-04-12
    listed = {r["child_id"]: r["check"] for r in doctor.get("/api/v1/missed-checks").json()}
    assert new_id not in listed and listed[birth_id] == "newborn_visit"
    schedule = {s["code"]: s["status"] for s in
                doctor.get(f"/api/v1/children/{new_id}/schedule").json()}  # fmt: skip
    assert (schedule["newborn_visit"], schedule["full_month"], schedule["m3"]) == (
        "before_registration",
        "before_registration",
        "due",
    )
    page = parent.get(f"/children/{new_id}", headers=HTML).text
    assert "<td>登记前已过</td>" in page and ">before_registration<" not in page


def test_the_phone_on_the_add_child_form_is_refused_in_words_with_the_entry_kept(
    app_client: TestClient,
) -> None:
    parent = login(app_client, "parent1")
    form = {"sex": "F", "birth_date": "2026-03-15", "area_code": "T1", "guardian_phone": "12ab"}
    page = parent.post("/parent/children/new", headers=HTML, data=form)
    assert page.status_code == 422
    assert _field_error(page.text, "guardian_phone") == (
        "电话号码只能由数字组成，可以用 + 开头，数字之间可以用空格或连字符（-）隔开；"
        "请删除“a”后再保存。"
    )
    assert 'name="guardian_phone" inputmode="tel"' in page.text and 'value="12ab"' in page.text
    short = parent.post("/parent/children/new", headers=HTML, data=form | {"guardian_phone": "123"})
    assert (
        _field_error(short.text, "guardian_phone")
        == "电话号码应有 5 到 20 位数字，这个号码有 3 位，请核对。"
    )
    parent.cookies.set("lang", "en", domain="testserver.local")
    english = parent.post("/parent/children/new", headers=HTML,
                          data=form | {"guardian_phone": "+86 (100) 1234"})  # fmt: skip
    assert _field_error(english.text, "guardian_phone") == (
        "A phone number holds digits only, with an optional + at the start and spaces or "
        "hyphens between the digits. Remove “(” and save again."
    )
    long = parent.post(
        "/parent/children/new", headers=HTML, data=form | {"guardian_phone": "1" * 21}
    )
    assert _field_error(long.text, "guardian_phone") == (
        "A phone number has 5 to 20 digits; this one has 21. Please check it."
    )
    with_birth = parent.post("/parent/children/new", headers=HTML,
                             data=form | {"birth_date": "soon"})  # fmt: skip
    assert "Remove “a”" in _field_error(with_birth.text, "guardian_phone")  # all at once
    assert _field_error(with_birth.text, "birth_date") != ""


def test_the_phone_through_the_json_api(app_client: TestClient, world: World) -> None:
    parent = login(app_client, "parent1")
    body = {"sex": "M", "birth_date": "2026-05-01", "area_code": "T1",
            "guardian_phone": "＋８６ １００ ４４４４ ５５５５"}  # fmt: skip
    made = parent.post("/api/v1/children", json=body)
    assert made.status_code == 201 and "guardian_phone" not in made.json()
    with world_db(world) as db:
        child = db.get(Child, made.json()["id"])
        assert child is not None
        assert (child.guardian_phone, child.registered_on) == ("+86 100 4444 5555", TODAY)
    refused = parent.post("/api/v1/children", json=body | {"guardian_phone": "100-1"})
    problem = refused.json()
    assert refused.status_code == 422 and refused.headers["content-type"].startswith(
        "application/problem+json"
    )
    assert (problem["message_id"], problem["field"]) == (
        "error.record.phone_digits",
        "guardian_phone",
    )
    assert problem["params"] == {"count": "4", "low": "5", "high": "20"}
