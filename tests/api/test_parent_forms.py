"""The parent's forms (issue 11): every refused field in words from the catalogue, next to the
field, all at once, with the entry kept; the feeding recall and the milestone checklist say
what was answered and what it means."""

from __future__ import annotations

import re

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


def test_child_form_errors_are_words_not_field_names(app_client) -> None:
    client = login(app_client, "parent1")
    page = client.post("/parent/children/new", headers=HTML,
                       data={"sex": "F", "birth_date": "2026-02-01",
                             "gestational_weeks": "abc", "area_code": "T1"})  # fmt: skip
    error = _page_error(page.text)
    assert page.status_code == 422 and "出生胎龄" in error and "gestational_weeks" not in error
    bad_sex = client.post(
        "/parent/children/new",
        headers=HTML,
        data={"sex": "X", "birth_date": "2026-02-01", "area_code": "T1"},
    )
    error = _page_error(bad_sex.text)
    assert bad_sex.status_code == 422 and "性别" in error and "请选择其中一项" in error
    assert "Input should" not in error and "sex" not in error
