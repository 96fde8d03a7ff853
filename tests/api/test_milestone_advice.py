"""The milestone result page (issue 11): what to do and by when, as the screening rule chose it
from the outcome (refer: contact the clinic now; a review flag: talk to the doctor within two
weeks; only "not sure": watch and answer again), and 2-3 activities for the age the checklist
used, in zh-CN and en, with no codes on the page. parent1's child was born on 2025-12-01: on
2026-06-15 (the pinned today) the 6-month band."""

from __future__ import annotations

import re

from screening import reference
from screening.messages import text
from tests.api.api_world import TODAY, World, login

HTML = {"accept": "text/html"}
MS = reference.instrument("milestone-checklist")
CODES = ("ms-", "not_yet", "not_sure", "no_concern", "DEV_", "act_early", "refer", "discuss")


def _form(band_id: str = "ms-6m", **answers: str) -> dict[str, str]:
    form = {f"a:{item.id}": answers.get(item.id, "yes") for item in MS.band(band_id).items}
    return form | {f"a:{q.id}": answers.get(q.id, "no") for q in MS.global_questions}


def _result(page: str) -> str:
    return page.split('id="milestone-result"')[1].split("</section>")[0]


def _advice(page: str) -> str:
    found = re.search(r'id="act-early-advice"[^>]*>([^<]*)</p>', page)
    return found.group(1) if found else ""


def _activities(page: str) -> list[str]:
    listed = page.split('id="milestone-activities"')[1].split("</ul>")[0]
    return re.findall(r"<li>([^<]*)</li>", listed)


def _post(client, child: int, form: dict[str, str]) -> str:
    page = client.post(f"/children/{child}/milestones", headers=HTML, data=form)
    assert page.status_code == 200, page.text
    return page.text


def test_not_yet_gives_the_discuss_advice_and_the_activities_in_chinese(
    app_client, world: World
) -> None:
    client = login(app_client, "parent1")
    item = MS.band("ms-6m").items[0]
    page = _post(client, world.own_child, _form(**{item.id: "not_yet"}))
    result = _result(page)
    assert _advice(page) == text("act_early.development.discuss", "zh-CN")
    assert "两周内" in _advice(page) and "该怎么做、什么时候做" in result
    assert 'class="note" id="act-early-advice"' in result  # a review, not an alarm
    assert _activities(page) == [a.zh_cn for a in MS.band("ms-6m").activities]
    assert "这个年龄可以和孩子一起做的事" in result
    assert item.text.zh_cn in result.split('id="not-yet-items"')[1].split("</ul>")[0]
    assert not [code for code in CODES if code in re.sub(r"<[^>]*>", "", result)]


def test_the_advice_and_activities_in_english(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    client.cookies.set("lang", "en")
    item = MS.band("ms-6m").items[2]
    page = _post(client, world.own_child, _form(**{item.id: "not_yet"}))
    result = _result(page)
    assert _advice(page) == text("act_early.development.discuss", "en")
    assert "within the next two weeks" in _advice(page)
    assert "What to do, and by when" in result and "Things to do together at this age" in result
    assert _activities(page) == [a.en for a in MS.band("ms-6m").activities]
    assert not [code for code in CODES if code in re.sub(r"<[^>]*>", "", result)]
    assert not re.search(r"[\u4e00-\u9fff]", re.sub(r"<[^>]*>", "", result))


def test_a_lost_skill_says_contact_the_clinic_now_as_a_referral(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    client.cookies.set("lang", "en")
    page = _post(client, world.own_child, _form(**{"ms-lost-skill": "yes"}))
    result = _result(page)
    assert _advice(page) == text("act_early.development.refer", "en")
    assert 'class="warn" id="act-early-advice" role="alert"' in result
    assert "Please contact the child-health clinic now" in result.split("</h2>")[0]
    assert 'class="sev-refer"' in result  # the flag the clinic's queue now holds
    assert text("flag.dev_lost_skill.parent", "en") in result
    assert len(_activities(page)) == 3


def test_not_sure_only_says_watch_and_answer_again(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    item = MS.band("ms-6m").items[1]
    page = _post(client, world.own_child, _form(**{item.id: "not_sure"}))
    assert _advice(page) == text("act_early.development.not_sure", "zh-CN")
    assert "两周" in _advice(page) and "再填一次" in _advice(page)


def test_all_yes_has_no_advice_to_act_on_but_the_activities(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    page = _post(client, world.own_child, _form())
    assert 'id="act-early-advice"' not in page
    assert _activities(page) == [a.zh_cn for a in MS.band("ms-6m").activities]


def test_a_baby_born_early_gets_the_activities_of_the_corrected_age(
    app_client, world: World
) -> None:
    """Born 2025-12-20 at 30 weeks: 5 months since birth on 2026-06-15, 3 months corrected
    (term 2026-02-28), so the 2-month band's questions and activities."""
    client = login(app_client, "parent1")
    made = client.post(
        "/api/v1/children",
        json={"sex": "F", "birth_date": "2025-12-20", "gestational_weeks": 30, "area_code": "T1"},
    )
    child = made.json()["id"]
    page = _post(client, child, _form("ms-2m"))
    assert _activities(page) == [a.zh_cn for a in MS.band("ms-2m").activities]
    assert _activities(page) != [a.zh_cn for a in MS.band("ms-4m").activities]


def test_the_form_names_its_age_band_in_words(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    page = client.get(f"/children/{world.own_child}/milestones", headers=HTML).text
    heading = re.search(r'<p class="muted">([^<]*)</p>', page).group(1)
    assert heading.endswith("· 6月龄") and "6m" not in heading
    client.cookies.set("lang", "en")
    page = client.get(f"/children/{world.own_child}/milestones", headers=HTML).text
    assert re.search(r'<p class="muted">([^<]*)</p>', page).group(1).endswith("· 6 months")


def test_band_ages_in_years_read_as_years() -> None:
    from screening.messages import band_words, text

    assert [band_words(n, "zh-CN") for n in ("2m", "36m", "4y", "5y")] == [
        "2月龄",
        "36月龄",
        "4岁",
        "5岁",
    ]
    assert band_words("4y", "en") == "4 years" and band_words("15m", "en") == "15 months"
    # every text with a band says it in words (the doctor's flag texts included)
    assert text("flag.dev_milestone_not_yet.clinician", "zh-CN", band="6m", items="x") == (
        "家长自查表（6月龄）回答“还不会”：x。下次体检时讨论。"
    )
    assert "at 4 years:" in text("flag.dev_warning_sign.clinician", "en", band="4y", items="x")


def test_the_doctor_sees_the_lost_skill_as_a_referral_in_words(app_client, world: World) -> None:
    parent = login(app_client, "parent1")
    _post(parent, world.own_child, _form(**{"ms-lost-skill": "yes"}))
    doctor = login(app_client, "doctor1")
    doctor.cookies.set("lang", "en")
    page = doctor.get(f"/children/{world.own_child}", headers=HTML).text
    flags = page.split('id="flags"')[1].split("</section>")[0]
    assert "regression is an abnormal screen at any age" in flags and "refer." in flags
    assert "Has your child lost any skill they once had?" in flags  # the question, not its id
    assert "ms-lost-skill" not in flags and "DEV_LOST_SKILL" not in flags


def test_the_json_answer_carries_the_advice_and_activities_too(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    client.cookies.set("lang", "en")
    item = MS.band("ms-6m").items[0]
    answers = {k.removeprefix("a:"): v for k, v in _form(**{item.id: "not_yet"}).items()}
    made = client.post(
        f"/api/v1/children/{world.own_child}/milestones",
        json={
            "instrument": "milestone-checklist",
            "administered_on": TODAY.isoformat(),
            "answers": answers,
        },
    )
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["not_yet"] == [item.id] and body["not_sure"] == []
    assert body["act_early"] == text("act_early.development.discuss", "en")
    assert body["activities"] == [a.en for a in MS.band("ms-6m").activities]
