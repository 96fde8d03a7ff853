"""The call list through the web (issue 14, item 2): the doctor's list with the phone and the
pivotal child (hand-computed on the test world, 2026-06-15), the facility's without phone,
a call recorded by JSON and by the page's form (inline error, input kept), the audit entries,
and the CSV read back."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

import pytest
from litestar.testing import TestClient
from sqlmodel import select

from health.clock import Moment
from health.models import AuditEntry, Child, User
from health.models.outreach import ContactAttempt
from health.services.call_list import AttemptEntry, record_contact_attempt
from tests.api.api_world import TODAY, World, login, world_db

HTML = {"accept": "text/html"}
PHONE = "100-0000-0007"  # made up: no real number starts with 100

# K-OWN (born 2025-12-01, enrolled at F1): the 6-month window closes 2026-07-01, 16 days left;
# in 2026 it is due 4 routine checks and only 3 windows are left (m6, m8, m12): not countable.
# K-T1 (born 2024-06-01): the 24-month window closes 2026-07-01; due 2, windows m24 and m30
# left: countable. Clinic C1: denominator 2, none counted, gap ⌈1.9⌉ = 2 ≥ 1 countable child:
# K-T1 is needed for 95 % whatever the horizon.


def _phone(world: World) -> None:
    with world_db(world) as db:
        own = db.get(Child, world.own_child)
        assert own is not None
        own.guardian_phone = PHONE


def test_the_doctors_list_by_horizon_with_phone_and_pivotal_child(
    app_client: TestClient, world: World
) -> None:
    _phone(world)
    doctor = login(app_client, "doctor1")
    week = doctor.get("/api/v1/call-list", params={"within": 7}).json()
    assert week["standing"] == {"year": 2026, "denominator": 2, "numerator": 0, "gap": 2,
                                "countable": 1, "pivotal": True}  # fmt: skip
    assert [(r["child_code"], r["check"], r["days_left"], r["closing"], r["pivotal"])
            for r in week["rows"]] == [("K-T1", "routine_24m", 16, False, True)]  # fmt: skip
    month = doctor.get("/api/v1/call-list", params={"within": 30}).json()
    assert [(r["child_code"], r["check"], r["window_end"], r["age_days"], r["closing"],
             r["pivotal"], r["guardian_phone"]) for r in month["rows"]] == [
        ("K-OWN", "routine_6m", "2026-07-01", 196, True, False, PHONE),
        ("K-T1", "routine_24m", "2026-07-01", 744, True, True, None),
    ]  # fmt: skip
    with world_db(world) as db:
        audited = db.exec(select(AuditEntry).where(AuditEntry.action == "calls.list")).all()
        listed = [(a.object_kind, a.object_ref) for a in audited]
    assert listed == [("call-list", "1"), ("call-list", "2")]


def test_the_facility_sees_its_enrolled_children_without_phone(
    app_client: TestClient, world: World
) -> None:
    _phone(world)
    staff = login(app_client, "facility1")
    listed = staff.get("/api/v1/call-list", params={"within": 30})
    assert [r["child_code"] for r in listed.json()["rows"]] == ["K-OWN"]
    assert [r["guardian_phone"] for r in listed.json()["rows"]] == [None]
    assert PHONE not in listed.text
    page = staff.get("/facility/calls?within=30", headers=HTML).text
    assert "Xiaoming" in page and PHONE not in page and 'class="call-form"' not in page
    assert 'href="/facility/calls"' in staff.get("/facility", headers=HTML).text
    sheet = staff.get("/api/v1/call-list.csv", params={"within": 30}).text
    assert PHONE not in sheet and "监护人电话" not in sheet
    refused = staff.post(f"/api/v1/children/{world.own_child}/contact-attempts",
                         json={"check": "routine_6m", "result": "reached"})  # fmt: skip
    assert refused.status_code == 403


def test_a_call_recorded_by_json_is_audited_and_shown_last(
    app_client: TestClient, world: World
) -> None:
    doctor = login(app_client, "doctor1")
    url = f"/api/v1/children/{world.t1_child}/contact-attempts"
    bad = doctor.post(url, json={"check": "routine_24m", "result": "booked"})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert (bad.json()["message_id"], bad.json()["field"]) == (
        "error.record.booked_needs_date",
        "booked_on",
    )
    made = doctor.post(url, json={"check": "routine_24m", "result": "booked",
                                  "booked_on": "2026-06-20", "note": "mornings"})  # fmt: skip
    assert made.status_code == 201, made.text
    assert (made.json()["result"], made.json()["booked_on"]) == ("booked", "2026-06-20")
    other = doctor.post(f"/api/v1/children/{world.other_child}/contact-attempts",
                        json={"check": "routine_8m", "result": "reached"})  # fmt: skip
    assert other.status_code == 404  # clinic 2's child
    row = doctor.get("/api/v1/call-list", params={"within": 7}).json()["rows"][0]
    assert row["last_attempt"]["result"] == "booked"
    assert row["last_attempt"]["booked_on"] == "2026-06-20"
    with world_db(world) as db:
        entries = db.exec(select(AuditEntry).where(AuditEntry.action == "contact.record")).all()
        stored = db.exec(select(ContactAttempt)).all()
        refs = [e.object_ref for e in entries]
        kept = [(s.check_code, s.note) for s in stored]
    assert refs == [str(world.t1_child)]
    assert kept == [("routine_24m", "mornings")]


def _field_error(page: str, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="{name}-error"[^>]*>(.*?)</p>', page, re.S)
    return found[1] if found else ""


def test_the_page_form_keeps_the_input_and_says_what_is_wrong(
    app_client: TestClient, world: World
) -> None:
    doctor = login(app_client, "doctor1")
    page = doctor.get("/doctor/calls?within=30", headers=HTML)
    assert page.status_code == 200 and 'id="calls-count">需联系 2 名儿童' in page.text
    assert "达标所需" in page.text and "尚未联系" in page.text
    form = {"check": "routine_24m", "result": "reached", "booked_on": "2026-06-20",
            "note": "aunt answered", "within": "30", "page": "1"}  # fmt: skip
    refused = doctor.post(f"/doctor/calls/{world.t1_child}", data=form, headers=HTML)
    assert refused.status_code == 422
    assert "只有“已预约”需要填写日期" in _field_error(refused.text, "booked_on")
    assert 'value="aunt answered"' in refused.text and 'value="2026-06-20"' in refused.text
    form["result"] = "booked"
    saved = doctor.post(f"/doctor/calls/{world.t1_child}", data=form, headers=HTML,
                        follow_redirects=False)  # fmt: skip
    assert (
        saved.status_code == 303 and saved.headers["location"] == "/doctor/calls?within=30&page=1"
    )
    again = doctor.get("/doctor/calls?within=30", headers=HTML).text
    row = again[again.index(f'id="call-{world.t1_child}"') :]
    assert "已预约 2026-06-20" in row[: row.index("</tr>")]
    assert 'href="/doctor/calls"' in doctor.get("/doctor", headers=HTML).text


def test_the_csv_reads_back_in_chinese_and_english(app_client: TestClient, world: World) -> None:
    _phone(world)
    doctor = login(app_client, "doctor1")
    zh = doctor.get("/api/v1/call-list.csv", params={"within": 30})
    assert zh.status_code == 200 and zh.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(zh.content.decode("utf-8-sig"))))
    assert rows[0] == [
        "儿童编号", "姓名", "年龄", "体检", "时间窗开始", "时间窗结束", "剩余天数", "达标所需",
        "监护人电话", "最近一次联系", "最近一次联系结果", "预约日期",
    ]  # fmt: skip
    assert rows[1][:3] == ["K-OWN", "Xiaoming", "6月龄"] and rows[1][5:9] == [
        "2026-07-01",
        "16",
        "否",
        PHONE,
    ]
    en = doctor.get("/api/v1/call-list.csv", params={"within": 30, "lang": "en"})
    english = list(csv.reader(io.StringIO(en.content.decode("utf-8-sig"))))
    assert english[0][:4] == ["Child ID", "Name", "Age", "Check"]
    assert english[2][0] == "K-T1" and english[2][7] == "yes" and english[2][3] == "24-month check"


def test_the_command_line_gives_the_clinics_list_with_its_columns(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from api.cli import app
    from health import db

    _phone(world)
    with world_db(world) as session:
        doctor = session.exec(select(User).where(User.username == "doctor1")).one()
        child = session.get(Child, world.t1_child)
        assert child is not None
        moment = Moment(now=dt.datetime(2026, 6, 14, 23, 30, tzinfo=dt.UTC), today=TODAY)
        record_contact_attempt(session, child, AttemptEntry("routine_24m", "unreachable"),
                               clinic_id=world.clinic1, by_user_id=int(doctor.id),  # type: ignore[arg-type]
                               role="doctor", at=moment)  # fmt: skip
    monkeypatch.setenv(db.ENV_VAR, f"sqlite:///{world.db_file}")
    monkeypatch.setenv("CHILDHEALTH_TIMEZONE", "Asia/Shanghai")
    db.get_engine.cache_clear()
    try:
        runner = CliRunner()
        out = runner.invoke(app, ["call-list", "--clinic", "C1", "--on", "2026-06-15",
                                  "--within", "30"])  # fmt: skip
        assert out.exit_code == 0, out.output
        assert out.output.splitlines() == [
            "child_id,check,opens,window_end,days_left,age_days,closing,pivotal,guardian_phone,"
            "last_attempt_on,last_result,booked_on",
            f"K-OWN,routine_6m,2026-05-17,2026-07-01,16,196,true,false,{PHONE},,,",
            "K-T1,routine_24m,2026-05-01,2026-07-01,16,744,true,true,,2026-06-15,unreachable,",
        ]  # 23:30 UTC on 14 June is 07:30 on 15 June in Shanghai
        week = runner.invoke(app, ["call-list", "--clinic", "C1", "--on", "2026-06-15",
                                   "--within", "7", "--format", "json"])  # fmt: skip
        rows = json.loads(week.output)
        assert [(r["child_id"], r["check"], r["window_end"], r["days_left"]) for r in rows] == [
            ("K-T1", "routine_24m", "2026-07-01", 16)
        ]
        facility = runner.invoke(app, ["call-list", "--facility", "F1", "--on", "2026-06-15",
                                       "--within", "30"])  # fmt: skip
        assert "guardian_phone" not in facility.output and PHONE not in facility.output
        unknown = runner.invoke(app, ["call-list", "--clinic", "NOPE", "--on", "2026-06-15"])
        assert unknown.exit_code == 2 and "unknown clinic 'NOPE'" in unknown.output
        bad = runner.invoke(app, ["call-list", "--clinic", "C1", "--on", "15/06/2026"])
        assert bad.exit_code == 2 and "--on must be a date" in bad.output
    finally:
        db.get_engine().dispose()
        db.get_engine.cache_clear()
    with world_db(world) as session:
        cli = session.exec(select(AuditEntry).where(AuditEntry.role == "cli")).all()
        entries = [(a.action, a.object_ref) for a in cli]
    assert entries == [("calls.list", "2"), ("calls.list", "1"), ("calls.list", "1")]


def test_a_bad_horizon_is_a_problem_and_the_bureau_is_refused(
    app_client: TestClient, world: World
) -> None:
    doctor = login(app_client, "doctor1")
    for value in ("400", "-1", "soon"):
        bad = doctor.get("/api/v1/call-list", params={"within": value})
        assert bad.status_code == 400, value
        assert bad.headers["content-type"].startswith("application/problem+json")
    unknown = doctor.post(f"/api/v1/children/{world.t1_child}/contact-attempts",
                          json={"check": "routine_5m", "result": "reached"})  # fmt: skip
    assert unknown.status_code == 422 and unknown.json()["field"] == "check"
    bureau = login(app_client, "bureau_p")
    assert bureau.get("/api/v1/call-list").status_code == 403
    assert bureau.get("/doctor/calls", headers=HTML).status_code == 403
