"""The doctor's journey (issue 11): the queue's filters, the outcome history and its refusals
on the child's page, evidence and flags in words, one advice flag per rule, the missed-checks
list."""

from __future__ import annotations

from litestar.testing import TestClient

from tests.api.api_world import World, login

HTML = {"accept": "text/html"}


def test_queue_filter_all_children_is_the_whole_queue(app_client: TestClient, world: World) -> None:
    """Pressing 筛选 with the defaults sends ``facility=&domain=``: the whole queue, not 400."""
    login(app_client, "doctor2")
    response = app_client.get("/doctor?facility=&domain=", headers=HTML)
    assert response.status_code == 200, response.text[:500]
    assert f"/children/{world.other_child}" in response.text
    assert app_client.get("/doctor?facility=", headers=HTML).status_code == 200
    for value in (2**63, 0, -1, "abc", " "):
        assert app_client.get(f"/doctor?facility={value}", headers=HTML).status_code == 400


def _outcome(client: TestClient, world: World, **form: str):
    return client.post(f"/cases/{world.other_case}/outcome", headers=HTML, data=form,
                       follow_redirects=False)  # fmt: skip


def _section(page: str, section_id: str) -> str:
    start = page.index(f'id="{section_id}"')
    return page[start : page.index("</section>", start)]


def test_outcomes_are_shown_on_the_child_page(app_client: TestClient, world: World) -> None:
    """A recheck with its date and note, then a referral with its institution: both outcomes
    with who, when, the outcome in words, the date and the note/institution."""
    client = login(app_client, "doctor2")
    page = client.get(f"/children/{world.other_child}", headers=HTML).text
    assert "尚未记录处理结果" in _section(page, "outcomes")
    planned = _outcome(client, world, outcome="recheck", recheck_on="2026-07-01",
                       outcome_note="weigh again after feeding advice")  # fmt: skip
    assert planned.status_code == 303
    page = client.get(f"/children/{world.other_child}", headers=HTML).text
    history = _section(page, "outcomes")
    assert "预约复查" in history and "2026-07-01" in history and "doctor2" in history
    assert "weigh again after feeding advice" in history
    referred = _outcome(client, world, outcome="referred", outcome_note="County MCH hospital")
    assert referred.status_code == 303
    page = client.get(f"/children/{world.other_child}", headers=HTML).text
    history = _section(page, "outcomes")
    assert "转诊至County MCH hospital" in history
    assert "weigh again after feeding advice" in history  # the first outcome's note is kept
    assert history.index("County MCH hospital") < history.index("weigh again")  # newest first
    client.cookies.set("lang", "en", domain="testserver.local")
    english = _section(client.get(f"/children/{world.other_child}", headers=HTML).text, "outcomes")
    assert "Referred to County MCH hospital" in english and "Recheck planned" in english


def test_a_refused_outcome_comes_back_inline_with_the_input(
    app_client: TestClient, world: World
) -> None:
    """A recheck without its date, a referral without an institution, no outcome at all: the
    child's page again (422) with the message in the outcome form and what was typed kept."""
    client = login(app_client, "doctor2")
    refused = _outcome(client, world, outcome="recheck", outcome_note="a long note typed")
    assert refused.status_code == 422 and refused.headers["content-type"].startswith("text/html")
    form = _section(refused.text, "outcome")
    assert 'id="outcome-error"' in form and "复查" in form
    assert "a long note typed</textarea>" in form
    assert 'value="recheck" checked' in form
    assert f"/cases/{world.other_case}/outcome" in form  # the form is there to send again
    referral = _outcome(client, world, outcome="referred", recheck_on="2026-07-02")
    assert referral.status_code == 422
    assert 'id="outcome-error"' in referral.text and 'value="2026-07-02"' in referral.text
    nothing = _outcome(client, world, outcome_note="kept")
    assert nothing.status_code == 422 and "请选择一项处理结果" in nothing.text
    assert "outcome:" not in nothing.text  # no field names
    page = client.get(f"/children/{world.other_child}", headers=HTML).text
    assert "尚未记录处理结果" in _section(page, "outcomes")  # nothing was stored


def _milestones_not_yet(client: TestClient, world: World) -> list[str]:
    """The parent answers "not yet" to every milestone of the band; the items' texts."""
    import datetime as dt

    from screening import reference
    from screening.development import age_used, choose_band

    inst = reference.instrument("milestone-checklist")
    band = choose_band(inst, age_used(inst, birth_date=dt.date(2025, 12, 1),
                                      gestational_weeks=None,
                                      assessment_date=dt.date(2026, 6, 15)))  # fmt: skip
    form = {f"a:{item.id}": "not_yet" for item in band.items}
    form |= {f"a:{q.id}": "no" for q in inst.global_questions}
    assert client.post(f"/children/{world.own_child}/milestones", headers=HTML,
                       data=form).status_code == 200  # fmt: skip
    return [item.text.get("zh-CN") for item in band.items]


def test_the_doctor_reads_flags_and_evidence_in_words(app_client: TestClient, world: World) -> None:
    """Flag names with their cut-off instead of codes, indicators by name with their z, item
    texts instead of ids, the clinician's wording (not the parent's), flags before the
    schedule, a confirmed implausible value marked in the measurement table."""
    from screening.messages import text

    parent = login(app_client, "parent1")
    items = _milestones_not_yet(parent, world)
    low = {"measured_on": "2026-06-10", "weight_kg": "5.2", "length_cm": "66", "measure": "L"}
    assert parent.post(f"/children/{world.own_child}/measure", headers=HTML, data=low,
                       follow_redirects=False).status_code == 303  # fmt: skip
    doctor = login(app_client, "doctor1")
    odd = {"measured_on": "2026-06-12", "weight_kg": "19.5", "confirm": "yes"}
    assert doctor.post(f"/children/{world.own_child}/measure", headers=HTML, data=odd,
                       follow_redirects=False).status_code == 303  # fmt: skip
    page = doctor.get(f"/children/{world.own_child}", headers=HTML).text
    flags = _section(page, "flags")
    assert "GROWTH_" not in page and "DEV_" not in page and "ms-6m-" not in page
    assert "{'" not in flags and "z {" not in flags
    assert "重度消瘦（身长/身高别体重Z &lt; -3）" in flags
    assert "身长（身高）别体重 Z = -" in flags  # the indicator by name with its z
    assert all(item in flags for item in items)  # the instrument's words, not its ids
    assert text("flag.growth_severe_wasting.parent", "zh-CN") not in page
    assert text("flag.dev_milestone_not_yet.parent", "zh-CN") not in page
    assert page.index('id="flags"') < page.index('id="schedule"')
    table = _section(page, "measurements")
    assert table.count("超出合理范围的数值（已确认）") == 1
    doctor.cookies.set("lang", "en", domain="testserver.local")
    english = _section(doctor.get(f"/children/{world.own_child}", headers=HTML).text, "flags")
    assert "Severe wasting (weight-for-length/height z &lt; -3)" in english
    assert "Weight-for-length/height Z = -" in english or "Weight-for-length" in english


def test_resending_the_feeding_form_lists_each_advice_once(
    app_client: TestClient, world: World
) -> None:
    """The same recall sent four times (four submissions of the form): the doctor's list
    holds each advice flag once."""
    from tests.api.api_world import breast_milk_only

    parent = login(app_client, "parent1")
    recall = breast_milk_only() | {"vitamin_d": False}
    for n in range(4):
        sent = parent.post(f"/api/v1/children/{world.own_child}/feeding",
                           json={"recalled_on": "2026-06-14", "answers": recall},
                           headers={"Idempotency-Key": f"recall-{n}"})  # fmt: skip
        assert sent.status_code == 201, sent.text
    doctor = login(app_client, "doctor1")
    flags = doctor.get(f"/api/v1/children/{world.own_child}/flags").json()
    open_codes = [f["code"] for f in flags if f["resolved_at"] is None]
    assert "FEED_NO_VITAMIN_D" in open_codes
    assert len(open_codes) == len(set(open_codes))
    page = _section(doctor.get(f"/children/{world.own_child}", headers=HTML).text, "flags")
    assert page.count("<strong>未补充维生素D</strong>") == 1


def test_missed_checks_in_words_with_a_filter_a_count_and_pages(
    app_client: TestClient, world: World
) -> None:
    """Age in words, days overdue, the check in words, "未命名儿童" instead of a code; a
    filter by check, a count and pages of 50."""
    import datetime as dt

    from health.models import ChildCreate
    from health.registry import create_child
    from tests.api.api_world import world_db

    with world_db(world) as db:
        codes = [create_child(db, ChildCreate(sex="M", birth_date=dt.date(2026, 4, 1),
                                              area_code="T1")).code for _ in range(60)]  # fmt: skip
    doctor = login(app_client, "doctor1")
    page = doctor.get("/doctor/missed", headers=HTML).text
    table = page[page.index('<table id="missed"') : page.index("</table>")]
    assert not any(code in page for code in codes)
    assert table.count("未命名儿童") == 49 and table.count("<tr class=") == 50  # + Xiaoming
    assert "2月龄" in table and "逾期 47 天" in table  # born 2026-04-01; newborn visit closed 04-29
    assert "新生儿家庭访视" in table
    assert "共 62 项错过的体检，涉及 62 名儿童" in page and "第 1 页，共 2 页" in page
    second = doctor.get("/doctor/missed", params={"page": 2}, headers=HTML).text
    rest = second[second.index('<table id="missed"') : second.index("</table>")]
    assert rest.count("<tr class=") == 12
    only = doctor.get("/doctor/missed", params={"check": "m12", "page": ""}, headers=HTML)
    assert only.status_code == 200 and "共 1 项错过的体检，涉及 1 名儿童" in only.text
    empty = doctor.get("/doctor/missed?check=&page=1", headers=HTML)
    assert empty.status_code == 200 and "共 62 项" in empty.text
    assert doctor.get("/doctor/missed?check=%3Cx%3E", headers=HTML).status_code == 400
    doctor.cookies.set("lang", "en", domain="testserver.local")
    english = doctor.get("/doctor/missed", headers=HTML).text
    assert "Unnamed child" in english and "62 missed checks of 62 children" in english


def test_questionnaires_on_the_doctor_page_are_in_words(
    app_client: TestClient, world: World
) -> None:
    """The notable feeding answers by the indicator's name (not ``ISSSF``), the instrument by
    its name (not ``milestone-checklist@1.0``)."""
    from tests.api.api_world import breast_milk_only

    parent = login(app_client, "parent1")
    _milestones_not_yet(parent, world)
    recall = {"recalled_on": "2026-06-14", "answers": breast_milk_only()}
    fed = parent.post(f"/api/v1/children/{world.own_child}/feeding", json=recall)
    assert fed.status_code == 201, fed.text
    doctor = login(app_client, "doctor1")
    answers = _section(doctor.get(f"/children/{world.own_child}", headers=HTML).text, "answers")
    assert "ISSSF" not in answers and "milestone-checklist" not in answers
    assert "辅食添加（6-8月龄）" in answers and "儿童发育里程碑家长自查表 1.0" in answers


def test_a_refused_outcome_page_is_audited_as_a_read(app_client: TestClient, world: World) -> None:
    """The refused outcome shows the child's record again: one ``child.read`` entry, and no
    ``case.outcome`` entry (nothing was recorded)."""
    client = login(app_client, "doctor2")
    assert _outcome(client, world, outcome="recheck").status_code == 422
    login(client, "admin")
    entries = client.get("/api/v1/audit", params={"action": "child.read"}).json()
    assert [(e["object_kind"], e["object_ref"]) for e in entries] == [
        ("child", str(world.other_child))
    ]
    assert client.get("/api/v1/audit", params={"action": "case.outcome"}).json() == []


def test_the_latest_result_speaks_to_the_doctor_as_a_clinician(
    app_client: TestClient, world: World
) -> None:
    """The indicator list says the flag's name and cut-off to a doctor, where a parent reads
    "see a doctor today"; an indicator without a flag says where its z lies."""
    from screening.messages import text

    parent = login(app_client, "parent1")
    low = {"measured_on": "2026-06-10", "weight_kg": "5.2", "length_cm": "66", "measure": "L"}
    assert parent.post(f"/children/{world.own_child}/measure", headers=HTML, data=low,
                       follow_redirects=False).status_code == 303  # fmt: skip
    own = parent.get(f"/children/{world.own_child}", headers=HTML).text
    assert text("result.low.urgent", "zh-CN") in own
    doctor = login(app_client, "doctor1")
    page = doctor.get(f"/children/{world.own_child}", headers=HTML).text
    results = page.split('class="indicators"')[1].split("</ul>")[0]
    assert "重度消瘦（身长/身高别体重Z &lt; -3）" in results
    assert text("result.low.urgent", "zh-CN") not in page and "请今天就带孩子" not in page
    assert "您的孩子" not in page
