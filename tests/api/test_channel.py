"""The channel between clinic, facility and family (issue 14, item 4): the doctor's advice for
the nursery on the outcome form and in the outcome history; the family's plain words for the
doctor's outcomes (date, clinic, recheck date or institution, the note only when marked for the
family); the facility's recheck dates and advice per enrolled child without a diagnosis; the
health advisor's visits (page, JSON, audit) and the last visit on the facility's page and the
bureau's facility table."""

from __future__ import annotations

import datetime as dt

from litestar.testing import TestClient
from sqlmodel import col, select

from api.services.present import flag_name
from health.models import AuditEntry, Case, FacilityVisit, FlagRecord, User
from screening.reference import load_all
from tests.api.api_world import World, login, world_db

HTML = {"accept": "text/html"}
EN = {"lang": "en"}


def _section(page: str, section_id: str) -> str:
    start = page.index(f'id="{section_id}"')
    return page[start : page.index("</section>", start)]


def _outcome(client: TestClient, case_id: int, lang: str = "zh-CN", **form: str):
    return client.post(f"/cases/{case_id}/outcome", headers=HTML, data=form,
                       params={"lang": lang}, follow_redirects=False)  # fmt: skip


def _audit(world: World, action: str) -> list[tuple[str, str, str]]:
    """(object kind, object ref, role) of each audit entry of ``action``."""
    with world_db(world) as db:
        return [
            (e.object_kind, e.object_ref, e.role)
            for e in db.exec(select(AuditEntry).where(AuditEntry.action == action))
        ]


# -- 1. the doctor's outcome form: advice for the nursery -------------------------------------


def test_the_advice_for_the_nursery_is_stored_and_shown_in_the_outcome_history(
    app_client: TestClient, world: World
) -> None:
    client = login(app_client, "doctor2")
    form = _section(client.get(f"/children/{world.other_child}", headers=HTML).text, "outcome")
    assert "给托育机构的建议" in form and 'name="facility_advice"' in form
    saved = _outcome(client, world.other_case, outcome="advice", outcome_note="喂养指导",
                     facility_advice="午餐后 请加一份蛋羹\r\n每周称体重")  # fmt: skip
    assert saved.status_code == 303, saved.text
    with world_db(world) as db:
        case = db.get(Case, world.other_case)
        assert case.facility_advice == "午餐后 请加一份蛋羹\n每周称体重"  # line breaks kept as LF
    history = _section(client.get(f"/children/{world.other_child}", headers=HTML).text, "outcomes")
    assert '<p class="facility-advice">给托育机构的建议：午餐后 请加一份蛋羹' in history
    english = _section(
        client.get(f"/children/{world.other_child}", params=EN, headers=HTML).text, "outcomes"
    )
    assert "Advice for the nursery: 午餐后" in english and "每周称体重" in english
    assert len(_audit(world, "case.outcome")) == 1


def test_a_refused_advice_comes_back_inline_with_everything_typed(
    app_client: TestClient, world: World
) -> None:
    client = login(app_client, "doctor2")
    refused = _outcome(client, world.other_case, outcome="recheck", recheck_on="2026-07-01",
                       outcome_note="internal", facility_advice="请\u202e注意")  # fmt: skip
    assert refused.status_code == 422
    form = _section(refused.text, "outcome")
    assert 'id="outcome-error"' in form and "U+202E" in form and "不允许的字符" in form
    assert "请\u202e注意</textarea>" in form and 'value="2026-07-01"' in form
    long = _outcome(client, world.other_case, outcome="advice", facility_advice="字" * 501,
                    lang="en")  # fmt: skip
    assert long.status_code == 422
    assert "This text is too long: at most 500 characters." in long.text
    assert "facility_advice" not in _section(long.text, "outcome").replace(
        'name="facility_advice"', ""
    )  # no field name in words
    with world_db(world) as db:
        assert db.get(Case, world.other_case).facility_advice is None  # nothing stored


# -- 2. the parent's child page ---------------------------------------------------------------


def test_the_family_reads_the_doctors_outcomes_in_plain_words(
    app_client: TestClient, world: World
) -> None:
    doctor = login(app_client, "doctor2")
    assert _outcome(doctor, world.other_case, outcome="recheck", recheck_on="2026-07-01",
                    outcome_note="疑似营养不良，内部备注",
                    facility_advice="每周称一次体重").status_code == 303  # fmt: skip
    parent = login(app_client, "parent2")
    page = parent.get(f"/children/{world.other_child}", headers=HTML).text
    said = _section(page, "doctor-outcomes")
    assert "医生希望再给孩子看一次。" in said
    assert "2026-06-15 · Clinic 2" in said  # the local date and the doctor's clinic
    assert "请在 2026-07-01 带孩子回Clinic 2复查。" in said
    assert "医生请托育机构做的事：每周称一次体重" in said
    assert "内部备注" not in page  # the doctor's own note is not the family's
    assert 'id="outcomes"' not in page and 'id="flags"' not in page

    doctor = login(app_client, "doctor2")
    assert _outcome(doctor, world.other_case, outcome="referred",
                    outcome_note="County MCH hospital").status_code == 303  # fmt: skip
    parent = login(app_client, "parent2")
    said = _section(parent.get(f"/children/{world.other_child}", headers=HTML).text,
                    "doctor-outcomes")  # fmt: skip
    assert "医生建议孩子到另一家机构进一步检查。" in said
    assert "请前往：County MCH hospital。" in said
    assert said.index("County MCH hospital") < said.index("医生希望再给孩子看一次")  # newest first
    english = _section(
        parent.get(f"/children/{world.other_child}", params=EN, headers=HTML).text,
        "doctor-outcomes",
    )
    assert "The doctor asked for your child to be seen at another institution." in english
    assert "Where to go: County MCH hospital." in english
    assert "Please bring your child back to Clinic 2 on 2026-07-01." in english
    assert "What the doctor asked the nursery to do: 每周称一次体重" in english
    assert "referred" not in english.replace("outcome-referred", "")  # words, never the code


def test_a_note_marked_for_the_family_is_shown_to_it(app_client: TestClient, world: World) -> None:
    doctor = login(app_client, "doctor2")
    assert _outcome(doctor, world.other_case, outcome="normal", note_for_family="1",
                    outcome_note="体重增长正常，继续母乳喂养").status_code == 303  # fmt: skip
    parent = login(app_client, "parent2")
    said = _section(parent.get(f"/children/{world.other_child}", headers=HTML).text,
                    "doctor-outcomes")  # fmt: skip
    assert "医生看过了结果：没有需要担心的地方。" in said
    assert "医生想告诉您：体重增长正常，继续母乳喂养" in said
    english = parent.get(f"/children/{world.other_child}", params=EN, headers=HTML).text
    assert "The doctor&#39;s words for you: 体重增长正常" in english
    doctor = login(app_client, "doctor2")
    history = _section(doctor.get(f"/children/{world.other_child}", headers=HTML).text, "outcomes")
    assert "（家长可见）" in history or "(家长可见)" in history


# -- 3. the facility's page: actions without diagnoses ----------------------------------------


def _opening(message_id: str, language: str) -> str:
    """The words of a catalogue text before its first placeholder ("" for no id)."""
    if not message_id:
        return ""
    return load_all().messages[message_id][language].split("{")[0].strip()


def _case_for_own_child(app_client: TestClient, world: World) -> int:
    """A clinic measurement of parent1's child (enrolled at F1) far below the weight-for-age
    cut-off: a case in clinic 1's queue."""
    doctor = login(app_client, "doctor1")
    body = {"measured_on": "2026-06-10", "source": "clinic", "weight_kg": 5.0,
            "length_cm": 64.0, "measure": "L"}  # fmt: skip
    made = doctor.post(f"/api/v1/children/{world.own_child}/measurements", json=body)
    assert made.status_code == 201, made.text
    with world_db(world) as db:
        case = db.exec(select(Case).where(Case.child_id == world.own_child)).one()
        return int(case.id)


def test_the_facility_sees_the_recheck_and_the_advice_but_no_diagnosis(
    app_client: TestClient, world: World
) -> None:
    case_id = _case_for_own_child(app_client, world)
    doctor = login(app_client, "doctor1")
    assert _outcome(doctor, case_id, outcome="recheck", recheck_on="2026-07-01",
                    outcome_note="重度低体重，排查喂养",
                    facility_advice="请每天午餐后加一份辅食").status_code == 303  # fmt: skip
    with world_db(world) as db:
        flags = [
            (f.code, f.clinician_message_id, f.parent_message_id)
            for f in db.exec(select(FlagRecord).where(FlagRecord.child_id == world.own_child))
        ]
    assert flags
    staff = login(app_client, "facility1")
    page = staff.get("/facility", headers=HTML).text
    enrolled = page[page.index('<table class="enrolled">') :]
    assert "<th>医生对托育机构的要求</th>" in enrolled
    assert "2026-07-01 在Clinic 1复查：请提醒家长。" in enrolled
    assert "医生的建议（2026-06-15，Clinic 1）：请每天午餐后加一份辅食" in enrolled
    english = staff.get("/facility", params=EN, headers=HTML).text
    assert "Recheck at Clinic 1 on 2026-07-01: please remind the family." in english
    assert "Advice from the doctor (2026-06-15, Clinic 1): 请每天午餐后加一份辅食" in english
    for language, shown in (("zh-CN", page), ("en", english)):
        assert "重度低体重" not in shown  # the doctor's note
        for code, clinician_id, parent_id in flags:
            for words in (
                flag_name(code, language),
                _opening(clinician_id, language),
                _opening(parent_id, language),
            ):
                if words:
                    assert words not in shown, words
        for word in ("z =", "z-score", "Z-score", "percentile", "百分位", "低体重", "消瘦",
                     "underweight", "wasting", "severe", "urgent", "refer"):  # fmt: skip
            assert word not in shown, word
    reads = _audit(world, "facility.actions")
    assert [r[:2] for r in reads] == [("facility-actions", "1")] * 2


def test_the_facility_sees_nothing_asked_once_the_case_is_closed_without_advice(
    app_client: TestClient, world: World
) -> None:
    case_id = _case_for_own_child(app_client, world)
    doctor = login(app_client, "doctor1")
    assert _outcome(doctor, case_id, outcome="recheck", recheck_on="2026-07-01",
                    facility_advice="多喝水").status_code == 303  # fmt: skip
    assert _outcome(doctor, case_id, outcome="normal").status_code == 303
    page = login(app_client, "facility1").get("/facility", headers=HTML).text
    enrolled = page[page.index('<table class="enrolled">') :]
    assert "暂无要求" in enrolled and "多喝水" not in enrolled and "复查" not in enrolled


# -- 4. the health advisor's visits ------------------------------------------------------------


def _visit(client: TestClient, lang: str = "zh-CN", **form: str):
    return client.post("/doctor/facility-visits", headers=HTML, data=form,
                       params={"lang": lang}, follow_redirects=False)  # fmt: skip


def test_an_advisor_records_a_visit_and_the_facility_and_bureau_see_the_day(
    app_client: TestClient, world: World
) -> None:
    bureau = login(app_client, "bureau_p")
    table = bureau.get("/bureau", params={"area": "T1", "by": "facility"}, headers=HTML).text
    assert "<th>最近走访</th>" in table and "未走访" in table
    english = bureau.get("/bureau", params={"area": "T1", "by": "facility", **EN}, headers=HTML)
    assert "not visited" in english.text
    staff = login(app_client, "facility1")
    assert "签约卫生机构保健人员尚未走访。" in staff.get("/facility", headers=HTML).text

    doctor = login(app_client, "doctor1")
    page = doctor.get("/doctor/facility-visits", headers=HTML).text
    assert "走访签约托育机构" in page and "Nursery 1" in page and 'max="2026-06-15"' in page
    saved = _visit(doctor, facility_id=str(world.facility1), visited_on="2026-06-10",
                   children_seen="1", note="检查了午餐和晨检记录")  # fmt: skip
    assert saved.status_code == 303 and saved.headers["location"].endswith("?saved=1")
    listed = doctor.get("/doctor/facility-visits?saved=1", headers=HTML).text
    assert "走访已记录。" in listed
    visits = _section(listed, "visits")
    assert "2026-06-10" in visits and "doctor1" in visits and "检查了午餐和晨检记录" in visits
    english = doctor.get("/doctor/facility-visits", params=EN, headers=HTML).text
    assert "Visits to linked facilities" in english and "<th>Children seen</th>" in english
    with world_db(world) as db:
        stored = db.exec(select(FacilityVisit)).one()
        assert (stored.facility_id, stored.clinic_id, stored.visited_on, stored.children_seen) == (
            world.facility1, world.clinic1, dt.date(2026, 6, 10), 1,
        )  # fmt: skip
    entries = _audit(world, "facility_visit.record")
    assert entries == [("facility", str(world.facility1), "doctor")]

    staff = login(app_client, "facility1")
    facility_page = staff.get("/facility", headers=HTML).text
    assert "签约卫生机构保健人员最近一次走访：2026-06-10" in facility_page
    bureau = login(app_client, "bureau_p")
    table = bureau.get("/bureau", params={"area": "T1", "by": "facility"}, headers=HTML).text
    cells = [c for c in table.split('<td class="last-visit">')[1:]]
    assert cells and all(c.startswith("2026-06-10</td>") for c in cells)
    assert "Xiaoming" not in table and "K-OWN" not in table and "检查了午餐" not in table


def test_a_refused_visit_comes_back_inline_with_the_input(
    app_client: TestClient, world: World
) -> None:
    doctor = login(app_client, "doctor1")
    future = _visit(doctor, facility_id=str(world.facility1), visited_on="2026-06-16",
                    children_seen="1", note="备注保留")  # fmt: skip
    assert future.status_code == 422
    assert 'id="visited_on-error"' in future.text
    assert "走访日期 2026-06-16 晚于今天（2026-06-15）" in future.text
    assert 'value="2026-06-16"' in future.text and "备注保留</textarea>" in future.text
    many = _visit(doctor, facility_id=str(world.facility1), visited_on="2026-06-10",
                  children_seen="2", lang="en")  # fmt: skip
    assert many.status_code == 422 and 'id="children_seen-error"' in many.text
    assert "The number of children seen (2) is more than the 1 enrolled on 2026-06-10." in many.text
    before = _visit(doctor, facility_id=str(world.facility1), visited_on="2026-02-27",
                    children_seen="1")  # fmt: skip
    assert before.status_code == 422 and "（0）" in before.text  # enrolled from 2026-03-01
    several = _visit(doctor, facility_id="x", visited_on="not a date", children_seen="-1")
    assert several.status_code == 422
    for field in ("facility_id", "visited_on", "children_seen"):
        assert f'id="{field}-error"' in several.text
    assert 'value="-1"' in several.text
    bad_note = _visit(doctor, facility_id=str(world.facility1), visited_on="2026-06-10",
                      children_seen="0", note="a\u0007b")  # fmt: skip
    assert bad_note.status_code == 422 and 'id="note-error"' in bad_note.text
    assert "U+0007" in bad_note.text
    with world_db(world) as db:
        assert db.exec(select(FacilityVisit)).all() == []
    assert _audit(world, "facility_visit.record") == []


def test_the_visits_json_api(app_client: TestClient, world: World) -> None:
    doctor = login(app_client, "doctor1")
    body = {"facility_id": world.facility1, "visited_on": "2026-06-15", "children_seen": 0}
    made = doctor.post("/api/v1/facility-visits", json=body)
    assert made.status_code == 201, made.text
    out = made.json()
    assert (out["facility"], out["visited_on"], out["children_seen"], out["advisor"]) == (
        "Nursery 1", "2026-06-15", 0, "doctor1",
    )  # fmt: skip
    assert [v["id"] for v in doctor.get("/api/v1/facility-visits").json()] == [out["id"]]
    future = doctor.post("/api/v1/facility-visits", json=body | {"visited_on": "2026-06-16"})
    assert future.status_code == 422
    assert future.json()["message_id"] == "error.record.visit_after_today"
    assert future.json()["field"] == "visited_on"
    negative = doctor.post("/api/v1/facility-visits", json=body | {"children_seen": -1})
    assert negative.status_code == 400 and negative.headers["content-type"].startswith(
        "application/problem+json"
    )
    other = login(app_client, "doctor2")  # clinic 2: the facility is not linked to it
    refused = other.post("/api/v1/facility-visits", json=body)
    assert refused.status_code == 404
    assert refused.json()["message_id"] == "error.record.visit_facility_unknown"
    assert other.get("/api/v1/facility-visits").json() == []
    for role in ("facility1", "parent1", "bureau_p"):
        client = login(app_client, role)
        assert client.post("/api/v1/facility-visits", json=body).status_code == 403
        assert client.get("/doctor/facility-visits", headers=HTML).status_code == 403
    with world_db(world) as db:
        assert len(db.exec(select(FacilityVisit).where(col(FacilityVisit.id) > 0)).all()) == 1
    assert len(_audit(world, "facility_visit.record")) == 1


def test_the_outcome_json_api_takes_the_advice_and_the_notes_audience(
    app_client: TestClient, world: World
) -> None:
    doctor = login(app_client, "doctor2")
    url = f"/api/v1/cases/{world.other_case}/outcome"
    bad = doctor.post(url, json={"outcome": "advice", "facility_advice": "a\u2066b"})
    assert bad.status_code == 422
    assert (bad.json()["field"], bad.json()["message_id"]) == (
        "facility_advice", "error.record.note_characters",
    )  # fmt: skip
    body = {"outcome": "advice", "outcome_note": "多晒太阳", "note_for_family": True,
            "facility_advice": "户外活动每天 2 小时"}  # fmt: skip
    made = doctor.post(url, json=body)
    assert made.status_code == 201, made.text
    assert made.json()["facility_advice"] == "户外活动每天 2 小时"
    said = _section(login(app_client, "parent2").get(f"/children/{world.other_child}",
                    headers=HTML).text, "doctor-outcomes")  # fmt: skip
    assert "医生给了照顾孩子的建议。" in said and "医生想告诉您：多晒太阳" in said


def test_the_bureau_reads_each_facilitys_last_visit_as_json(
    app_client: TestClient, world: World
) -> None:
    doctor = login(app_client, "doctor1")
    for day in ("2026-06-01", "2026-06-12", "2026-06-05"):
        body = {"facility_id": world.facility1, "visited_on": day, "children_seen": 1}
        assert doctor.post("/api/v1/facility-visits", json=body).status_code == 201
    bureau = login(app_client, "bureau_p")
    assert bureau.get("/api/v1/facilities/last-visits").json() == [
        {"facility_code": "F1", "facility": "Nursery 1", "last_visited_on": "2026-06-12"}
    ]
    assert bureau.get("/api/v1/facilities/last-visits", params={"area": "T2"}).json() == []
    county_a = login(app_client, "bureau_a")  # county P11 holds T1
    assert county_a.get("/api/v1/facilities/last-visits", params={"area": "T2"}).status_code == 404
    with world_db(world) as db:
        advisor = db.exec(select(User).where(User.username == "doctor1")).one()
        db.add(FacilityVisit(facility_id=world.facility1, clinic_id=world.clinic1,
                             advisor_id=advisor.id, visited_on=dt.date(2026, 6, 14),
                             children_seen=0,
                             created_at=dt.datetime(2026, 6, 14, tzinfo=dt.UTC)))  # fmt: skip
    assert county_a.get("/api/v1/facilities/last-visits").json()[0]["last_visited_on"] == (
        "2026-06-14"
    )
    assert login(app_client, "doctor1").get("/api/v1/facilities/last-visits").status_code == 403
