"""The parent's forms (issue 11): every refused field in words from the catalogue, next to the
field, all at once, with the entry kept; the feeding recall and the milestone checklist say
what was answered and what it means."""

from __future__ import annotations

import re

from api.i18n import gettext
from api.services import forms
from tests.api.api_world import World, login

HTML = {"accept": "text/html"}
RAW = ("Input should", "weight_kg:", "length_cm:", "head_cm:", "not_met", "greater_than")


def _field_error(page: str, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="{re.escape(name)}-error"[^>]*>([^<]*)</p>',
                      page)  # fmt: skip
    return found.group(1) if found else ""


def test_measure_form_shows_every_error_in_words_next_to_its_field(
    app_client, world: World
) -> None:
    client = login(app_client, "parent1")
    form = {"measured_on": "2026-06-10", "weight_kg": "abc", "length_cm": "-5",
            "measure": "L", "head_cm": "0"}  # fmt: skip
    page = client.post(f"/children/{world.own_child}/measure", headers=HTML, data=form)
    assert page.status_code == 422
    assert _field_error(page.text, "weight_kg") == "请填写数字，例如 7.25。"
    assert _field_error(page.text, "length_cm") == "数值应大于 0。"
    assert _field_error(page.text, "head_cm") == "数值应大于 0。"
    assert not any(raw in page.text for raw in RAW)
    assert 'value="abc"' in page.text and 'value="-5"' in page.text  # the entry is kept


def test_measure_form_errors_in_english(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    client.cookies.set("lang", "en")
    form = {"measured_on": "2026-06-10", "weight_kg": "7,1kg", "length_cm": "300"}
    page = client.post(f"/children/{world.own_child}/measure", headers=HTML, data=form)
    assert page.status_code == 422
    assert _field_error(page.text, "weight_kg") == "Please write a number, for example 7.25."
    assert _field_error(page.text, "length_cm") == "The value must be less than 250."
    assert not any(raw in page.text for raw in RAW)


def test_measure_form_record_refusal_is_next_to_its_field(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    page = client.post(f"/children/{world.own_child}/measure", headers=HTML,
                       data={"measured_on": "2026-06-10"})  # fmt: skip
    assert page.status_code == 422 and _field_error(page.text, "weight_kg")
    assert "weight_kg" not in _field_error(page.text, "weight_kg")


def _page_error(page: str) -> str:
    found = re.search(r'<p class="error" role="alert">([^<]*)</p>', page)
    return found.group(1) if found else ""


def _field_error(html: str, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="{name}-error"[^>]*>(.*?)</p>', html, re.S)
    return found[1] if found else ""


def test_child_form_errors_are_words_next_to_each_field(app_client) -> None:
    client = login(app_client, "parent1")
    page = client.post("/parent/children/new", headers=HTML,
                       data={"sex": "X", "birth_date": "soon", "name": "小明",
                             "gestational_weeks": "abc", "area_code": "T1"})  # fmt: skip
    assert page.status_code == 422
    # every refused field at once, next to it, in words; the entry kept
    assert _field_error(page.text, "sex") == gettext("zh-CN", forms.CHOOSE_ONE)
    assert _field_error(page.text, "birth_date") == forms.date_error("zh-CN")
    assert _field_error(page.text, "gestational_weeks") == gettext("zh-CN", forms.NOT_A_NUMBER)
    assert 'value="小明"' in page.text and 'value="abc"' in page.text
    for code in ("gestational_weeks", "Input should", "sex:"):
        assert code not in _page_error(page.text)
    later = {"sex": "F", "birth_date": "2031-01-01", "area_code": "T1"}
    future = client.post("/parent/children/new", headers=HTML, data=later)
    assert future.status_code == 422 and "晚于今天" in _field_error(future.text, "birth_date")


def _feeding_form(**extra: str) -> dict[str, str]:
    from screening import reference

    bank = reference.recall_bank()
    form = {"breastfed": "yes", "bottle_with_nipple": "no", "solid_feeds": "0",
            "vitamin_d": "yes"}  # fmt: skip
    form |= {f"liquids.{q.id}": "no" for q in bank.liquids}
    form |= {f"foods.{f.id}": "no" for f in bank.foods}
    return form | extra


def test_feeding_form_starts_unanswered(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    page = client.get(f"/children/{world.own_child}/feeding", headers=HTML)
    assert page.status_code == 200
    assert " checked" not in page.text.split('id="feeding-result"')[-1]
    assert 'name="solid_feeds" inputmode="numeric" size="3" value=""' in page.text


def test_feeding_form_keeps_the_answers_after_submitting(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    form = _feeding_form(**{"liquids.infant_formula": "yes", "liquids.infant_formula.times": "3"})
    page = client.post(f"/children/{world.own_child}/feeding", headers=HTML, data=form)
    assert page.status_code == 200
    assert re.search(r'name="breastfed" value="yes" checked', page.text)
    assert re.search(r'name="liquids.infant_formula" value="yes" checked', page.text)
    assert 'name="liquids.infant_formula.times" inputmode="numeric" size="3" value="3"' in page.text
    assert not re.search(r'name="vitamin_d" value="no" checked', page.text)
    again = client.get(f"/children/{world.own_child}/feeding", headers=HTML)  # a new recall
    assert 'id="feeding-result"' in again.text and " checked" not in again.text.split("<form")[-1]


def test_feeding_form_refuses_text_and_negative_counts_per_field(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    form = _feeding_form(**{"solid_feeds": "abc", "liquids.infant_formula": "yes",
                            "liquids.infant_formula.times": "-3"})  # fmt: skip
    page = client.post(f"/children/{world.own_child}/feeding", headers=HTML, data=form)
    assert page.status_code == 422 and 'id="feeding-result"' not in page.text
    assert "整数" in _field_error(page.text, "solid_feeds")
    assert "整数" in _field_error(page.text, "liquids.infant_formula.times")
    assert 'value="abc"' in page.text and 'value="-3"' in page.text


def test_feeding_refusal_names_the_question_not_the_column(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    form = _feeding_form(**{"liquids.infant_formula": "yes", "liquids.infant_formula.times": "0"})
    page = client.post(f"/children/{world.own_child}/feeding", headers=HTML, data=form)
    assert page.status_code == 422
    sentence = _field_error(page.text, "liquids.infant_formula.times")
    assert sentence and "liquid_" not in sentence and "infant_formula" not in sentence


def test_feeding_result_is_plain_sentences_not_codes(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    form = _feeding_form(**{"liquids.infant_formula": "yes", "liquids.infant_formula.times": "2",
                            "bottle_with_nipple": "yes"})  # fmt: skip
    for language in ("zh-CN", "en"):
        client.cookies.set("lang", language)
        keyed = form | {"idempotency_key": f"feeding-{language}"}
        page = client.post(f"/children/{world.own_child}/feeding", headers=HTML, data=keyed)
        result = page.text.split('id="feeding-result"')[1].split("</section>")[0]
        for raw in ("EBF", "MixMF", "BoF", "ZVF", "not_met", "未达到", ": 达到", ": met"):
            assert raw not in result, (language, raw)
    assert "Your child drank from a bottle with a teat yesterday" in result
    assert "no vegetables and no fruit yesterday: give some" in result  # advice, not "met"
    assert 'class="tone-advice"' in result and 'class="tone-good"' in result


def test_feeding_no_vegetables_reads_as_advice_not_good_news() -> None:
    from health.pipeline.questionnaires import feeding_sentences, score_recall
    from tests.api.api_world import breast_milk_only

    answers = breast_milk_only()
    answers["foods"] = dict(answers["foods"]) | {"porridge_rice": {"taken": True}}
    answers["solid_feeds"] = 3
    sentences = {s.code: s for s in feeding_sentences(score_recall(answers, 300))}
    assert sentences["ZVF"].status == "met" and sentences["ZVF"].tone == "advice"
    assert sentences["SwB"].tone == "good" and sentences["MDD"].tone == "advice"


def test_preterm_feeding_advice_says_which_age_it_uses(app_client, world: World) -> None:
    import datetime as dt

    client = login(app_client, "parent1")
    made = client.post(
        "/api/v1/children",
        json={"sex": "F", "birth_date": "2025-12-20", "gestational_weeks": 30, "area_code": "T1"},
    )
    assert made.status_code in (200, 201), made.text
    child = made.json()["id"]
    page = client.get(f"/children/{child}/feeding", headers=HTML)
    note = re.search(r'id="feeding-age-note">([^<]*)<', page.text)
    assert note and "实际月龄" in note.group(1) and "矫正月龄" in note.group(1)
    own = client.get(f"/children/{world.own_child}/feeding", headers=HTML)
    assert 'id="feeding-age-note"' not in own.text  # born at term: one age
    assert dt.date.fromisoformat(made.json()["birth_date"]) == dt.date(2025, 12, 20)


def _band_for(born: str, today: str = "2026-06-15"):
    import datetime as dt

    from screening import reference
    from screening.development import age_used, choose_band

    inst = reference.instrument("milestone-checklist")
    age = age_used(inst, birth_date=dt.date.fromisoformat(born), gestational_weeks=None,
                   assessment_date=dt.date.fromisoformat(today))  # fmt: skip
    return inst, choose_band(inst, age)


def _checklist(born: str, lost: str = "no", **answers: str) -> dict[str, str]:
    inst, band = _band_for(born)
    form = {f"a:{item.id}": answers.get(item.id, "yes") for item in band.items}
    form |= {f"a:{q.id}": "no" for q in inst.global_questions}
    return form | {"a:ms-lost-skill": lost}


def test_milestone_result_lists_the_not_yet_items_and_keeps_the_answers(
    app_client, world: World
) -> None:
    client = login(app_client, "parent1")
    _, band = _band_for("2025-12-01")
    first, second = band.items[0], band.items[1]
    form = _checklist("2025-12-01", **{first.id: "not_yet", second.id: "not_sure"})
    page = client.post(f"/children/{world.own_child}/milestones", headers=HTML, data=form)
    assert page.status_code == 200
    listed = page.text.split('id="not-yet-items"')[1].split("</ul>")[0]
    assert first.text.get("zh-CN") in listed and second.text.get("zh-CN") not in listed
    assert f'name="a:{first.id}" value="not_yet" required checked' in page.text
    assert f'name="a:{second.id}" value="not_sure" required checked' in page.text
    assert 'name="a:ms-lost-skill" value="no" checked' in page.text


def test_milestone_answers_and_outcome_are_words_in_english(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    client.cookies.set("lang", "en")
    form = client.get(f"/children/{world.own_child}/milestones", headers=HTML)
    assert "Yes, can do it" in form.text and "Not sure" in form.text and "Not yet" in form.text
    assert "> not_sure" not in form.text and "> not_yet" not in form.text
    page = client.post(f"/children/{world.own_child}/milestones", headers=HTML,
                       data=_checklist("2025-12-01"))  # fmt: skip
    heading = page.text.split('id="milestone-result"')[1].split("</h2>")[0]
    assert "No concern" in heading and "no_concern" not in heading


def test_milestone_lost_skill_says_to_contact_the_clinic_now(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    page = client.post(f"/children/{world.own_child}/milestones", headers=HTML,
                       data=_checklist("2025-12-01", lost="yes"))  # fmt: skip
    advice = re.search(r'id="act-early-advice"[^>]*>([^<]*)<', page.text)
    assert advice and "现在就" in advice.group(1) and "不要等到下次体检" in advice.group(1)
    heading = page.text.split('id="milestone-result"')[1].split("</h2>")[0]
    assert "下次体检时" not in heading


def test_milestone_questions_use_the_girls_pronoun(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    made = client.post(
        "/api/v1/children", json={"sex": "F", "birth_date": "2026-02-01", "area_code": "T1"}
    )
    girl = made.json()["id"]
    page = client.get(f"/children/{girl}/milestones", headers=HTML)
    legends = re.findall(r"<legend>([^<]*)</legend>", page.text)
    assert any("她" in text for text in legends)
    assert not any(re.search(r"(?<!其)他", text) for text in legends)
    boy = client.get(f"/children/{world.own_child}/milestones", headers=HTML)
    assert "她" not in "".join(re.findall(r"<legend>([^<]*)</legend>", boy.text))


def test_preterm_milestones_say_they_use_the_corrected_age(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    made = client.post(
        "/api/v1/children",
        json={"sex": "M", "birth_date": "2025-12-20", "gestational_weeks": 30, "area_code": "T1"},
    )
    page = client.get(f"/children/{made.json()['id']}/milestones", headers=HTML)
    note = re.search(r'id="milestone-age-note">([^<]*)<', page.text)
    assert note and "矫正月龄" in note.group(1) and "实际月龄" in note.group(1)
    own = client.get(f"/children/{world.own_child}/milestones", headers=HTML)
    assert 'id="milestone-age-note"' not in own.text


def test_milestone_unanswered_questions_are_marked_in_words(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    _, band = _band_for("2025-12-01")
    form = _checklist("2025-12-01")
    for item in band.items[:2]:
        form.pop(f"a:{item.id}")
    third = band.items[2].id
    page = client.post(f"/children/{world.own_child}/milestones", headers=HTML, data=form)
    assert page.status_code == 422
    for item in band.items[:2]:
        assert _field_error(page.text, f"a:{item.id}") == "请回答这一题。"
    assert f'name="a:{third}" value="yes" required checked' in page.text  # the rest is kept
    assert band.id not in page.text.split('<form method="post" class="card">')[0]
    bad = _checklist("2025-12-01") | {f"a:{third}": "maybe"}
    page = client.post(f"/children/{world.own_child}/milestones", headers=HTML, data=bad)
    assert page.status_code == 422 and _field_error(page.text, f"a:{third}") == "请选择其中一项。"
    assert "not_sure, not_yet" not in page.text


def test_feeding_result_says_how_many_questions_were_left_unanswered(
    app_client, world: World
) -> None:
    client = login(app_client, "parent1")
    form = _feeding_form()
    del form["foods.eggs"], form["vitamin_d"]
    page = client.post(f"/children/{world.own_child}/feeding", headers=HTML, data=form)
    note = re.search(r'id="feeding-unanswered">([^<]*)<', page.text)
    assert page.status_code == 200 and note and "有2个问题没有回答" in note.group(1)
    assert not re.search(r'name="foods.eggs" value="no" checked', page.text)
    complete = client.post(f"/children/{world.own_child}/feeding", headers=HTML,
                           data=_feeding_form(**{"idempotency_key": "complete"}))  # fmt: skip
    assert 'id="feeding-unanswered"' not in complete.text
