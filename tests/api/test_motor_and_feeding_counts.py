"""Issue 13, item 5 through the API and the pages: a WHO motor milestone entered with the age it
was achieved (walked alone at 18.5 months, after the 99th-centile age 17.6 → refer), a child
older than the windows' table not walking (26 months → refer, not an out-of-range refusal), and
the feeding recall's "had some, not sure how many times" (3 solid feeds + formula taken → at
least 4 feeds, minimum meal frequency met). The pinned today is 2026-06-15."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlmodel import select

from api.i18n import gettext
from api.pages.questionnaires import SOME_AND_TIMES, SOME_BUT_NO
from health.models import ChildCreate, FeedingRecall, MilestoneAnswer
from health.registry import create_child
from screening import reference
from screening.messages import text
from tests.api.api_world import TODAY, World, breast_milk_only, login, world_db

HTML = {"accept": "text/html"}
MOTOR = reference.instrument("who-motor-windows")
WALK = "who-motor-walking-alone"
ALL_YES = {i.id: "yes" for i in MOTOR.bands[0].items}
BORN_26M = dt.date(2024, 4, 10)  # 26 completed months, 796 days (26.15 months) on 2026-06-15


@pytest.fixture
def toddler(world: World) -> int:
    """A boy of township T1 (clinic C1: doctor1's scope), 26 months old today."""
    with world_db(world) as db:
        child = create_child(db, ChildCreate(sex="M", birth_date=BORN_26M, area_code="T1"))
        return int(child.id)  # type: ignore[arg-type]


def _motor_json(client, child: int, answers=None, achieved=None):
    body = {"instrument": "who-motor-windows", "administered_on": TODAY.isoformat(),
            "answers": answers or ALL_YES, "achieved_months": achieved or {}}  # fmt: skip
    return client.post(f"/api/v1/children/{child}/milestones", json=body)


def _stored_answers(world: World) -> dict[str, str]:
    with world_db(world) as db:
        rows = db.exec(select(MilestoneAnswer)).all()
        return {r.item_code: r.answer for r in rows}


# ------------------------------------------------------------------ motor windows, JSON


def test_not_walking_at_26_months_is_referred_not_refused(app_client, world, toddler) -> None:
    client = login(app_client, "doctor1")
    form = client.get(f"/api/v1/children/{toddler}/milestones/form",
                      params={"instrument": "who-motor-windows"})  # fmt: skip
    assert form.status_code == 200, form.text
    questions = form.json()["questions"]
    assert [q["id"] for q in questions] == list(ALL_YES)
    assert all(q["required"] and q["takes_achieved_age"] for q in questions)
    out = _motor_json(client, toddler, {**ALL_YES, WALK: "not_yet"})
    assert out.status_code == 201, out.text
    body = out.json()
    assert body["outcome"] == "refer" and body["case_opened"] is True
    assert [f["code"] for f in body["flags"]] == ["DEV_MOTOR_WINDOW_MISSED"]


@pytest.mark.parametrize(("achieved", "outcome"), [(18.5, "refer"), (17.6, "no_concern")])
def test_walked_alone_at_an_age_after_p99(app_client, world, toddler, achieved, outcome) -> None:
    client = login(app_client, "doctor1")
    out = _motor_json(client, toddler, achieved={WALK: achieved})
    assert out.status_code == 201, out.text
    body = out.json()
    assert body["outcome"] == outcome
    assert body["achieved_months"] == {WALK: achieved}
    codes = [f["code"] for f in body["flags"]]
    assert codes == (["DEV_MOTOR_ACHIEVED_LATE"] if outcome == "refer" else [])
    assert _stored_answers(world)[f"{WALK}.achieved_months"] == f"{achieved:g}"


@pytest.mark.parametrize(
    ("answers", "achieved", "reason"),
    [
        ({WALK: "not_yet"}, {WALK: 15.0}, "not_achieved"),
        ({}, {WALK: 27.0}, "after_today"),
        ({}, {WALK: -1.0}, "not_a_number"),
    ],
)
def test_unusable_ages_at_achievement_are_problems(app_client, toddler, answers, achieved, reason):
    client = login(app_client, "doctor1")
    out = _motor_json(client, toddler, {**ALL_YES, **answers}, achieved)
    assert out.status_code == 422, out.text
    assert out.headers["content-type"].startswith("application/problem+json")
    params = {"item": WALK, "value": next(iter(achieved.values())), "age_months": 26.15}
    assert out.json()["detail"] == text(f"error.development.achieved_age.{reason}", "en", **params)


# ------------------------------------------------------------------ motor windows, page


def _motor_form(**overrides: str) -> dict[str, str]:
    form = {f"a:{i}": a for i, a in ALL_YES.items()} | {f"age:{i}": "" for i in ALL_YES}
    return form | overrides


def _field_error(page: str, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="{re.escape(name)}-error"[^>]*>([^<]*)</p>',
                      page)  # fmt: skip
    return found.group(1) if found else ""


def test_motor_page_refers_a_late_walker_in_words(app_client, toddler) -> None:
    client = login(app_client, "doctor1")
    assert "大运动里程碑" in client.get(f"/children/{toddler}", headers=HTML).text
    empty = client.get(f"/children/{toddler}/motor", headers=HTML)
    assert empty.status_code == 200 and "第一次做到时的月龄" in empty.text
    page = client.post(f"/children/{toddler}/motor", headers=HTML,
                       data=_motor_form(**{f"age:{WALK}": "18,5"}))  # fmt: skip
    assert page.status_code == 200, page.text
    result = page.text.split('id="motor-result"')[1].split("</section>")[0]
    assert text("flag.dev_motor_achieved_late.parent", "zh-CN") in result
    assert text("act_early.development.refer", "zh-CN") in result
    causing = result.split('id="motor-causing-items"')[1].split("</ul>")[0]
    assert MOTOR.bands[0].items[-1].text.zh_cn in causing
    assert 'value="18,5"' in page.text  # the input kept
    visible = re.sub(r"<[^>]*>", "", result)
    assert not [c for c in ("who-motor", "DEV_", "not_yet", "refer", "p99") if c in visible]


def test_motor_page_errors_stand_under_their_fields(app_client, toddler) -> None:
    client = login(app_client, "doctor1")
    page = client.post(f"/children/{toddler}/motor", headers=HTML,
                       data=_motor_form(**{f"age:{WALK}": "eighteen"}))  # fmt: skip
    assert page.status_code == 422
    assert _field_error(page.text, f"age:{WALK}") == gettext("zh-CN", "Please write a number, "
                                                             "for example 7.25.")  # fmt: skip
    assert 'value="eighteen"' in page.text
    form = _motor_form(**{f"a:{WALK}": "not_yet", f"age:{WALK}": "15"})
    late = client.post(f"/children/{toddler}/motor", headers=HTML, data=form)
    assert late.status_code == 422
    assert _field_error(late.text, f"age:{WALK}") == text(
        "error.development.achieved_age.not_achieved", "zh-CN", value=15.0
    )
    missing = _motor_form()
    del missing[f"a:{WALK}"]
    unanswered = client.post(f"/children/{toddler}/motor", headers=HTML, data=missing)
    assert unanswered.status_code == 422
    assert _field_error(unanswered.text, f"a:{WALK}") == gettext("zh-CN", "Please answer this "
                                                                 "question.")  # fmt: skip


# ------------------------------------------------------------------ feeding: had some


def _not_breastfed_formula_some() -> dict:
    recall = breast_milk_only()
    recall["breastfed"] = False
    recall["liquids"]["infant_formula"] = {"taken": True}  # times not known
    recall["foods"]["porridge_rice"] = {"taken": True}
    recall["solid_feeds"] = 3
    return recall


def test_feeding_json_decides_meal_frequency_from_one_feed(app_client, world) -> None:
    client = login(app_client, "parent1")
    body = {"recalled_on": "2026-06-14", "answers": _not_breastfed_formula_some()}
    out = client.post(f"/api/v1/children/{world.own_child}/feeding", json=body)
    assert out.status_code == 201, out.text
    body = out.json()
    assert body["indicators"]["MMF"] == "met" and body["indicators"]["MMFF"] == "unknown"
    assert (body["meal_count"], body["meal_count_at_least"], body["meal_target"]) == (None, 4, 4)
    assert "FEED_MMF_NOT_MET" not in [f["code"] for f in body["flags"]]


def _feeding_form(**overrides: str) -> dict[str, str]:
    bank = reference.recall_bank()
    form = {"breastfed": "no", "bottle_with_nipple": "no", "vitamin_d": "yes"}
    form |= {f"liquids.{q.id}": "no" for q in bank.liquids}
    form |= {f"foods.{f.id}": "no" for f in bank.foods}
    return form | overrides


def test_feeding_page_had_some_counts_as_one_feed(app_client, world) -> None:
    client = login(app_client, "parent1")
    client.cookies.set("lang", "en", domain="testserver.local")
    form = _feeding_form(**{"liquids.infant_formula": "yes",
                            "liquids.infant_formula.times.some": "yes",
                            "foods.porridge_rice": "yes", "solid_feeds": "3"})  # fmt: skip
    page = client.post(f"/children/{world.own_child}/feeding", headers=HTML, data=form)
    assert page.status_code == 200, page.text
    assert "had some, not sure how many times" in page.text
    assert "Meals: at least 4 of 4" in page.text
    assert "Your child had enough meals yesterday. Good." in page.text
    with world_db(world) as db:
        stored = db.exec(select(FeedingRecall)).all()[-1].answers
    assert stored["liquids"]["infant_formula"] == {"taken": True, "times": None}


def test_feeding_page_solids_had_some(app_client, world) -> None:
    client = login(app_client, "parent1")
    form = _feeding_form(**{"breastfed": "yes", "foods.porridge_rice": "yes",
                            "solid_feeds.some": "yes"})  # fmt: skip
    page = client.post(f"/children/{world.own_child}/feeding", headers=HTML, data=form)
    assert page.status_code == 200, page.text
    with world_db(world) as db:
        stored = db.exec(select(FeedingRecall)).all()[-1].answers
    assert stored["solid_feeds"] is None and stored["solid_feeds_taken"] is True
    assert 'name="solid_feeds.some" value="yes" checked' in page.text


@pytest.mark.parametrize(
    ("overrides", "field", "sentence"),
    [
        ({"liquids.infant_formula": "yes", "liquids.infant_formula.times": "2",
          "liquids.infant_formula.times.some": "yes"}, "liquids.infant_formula.times.some",
         SOME_AND_TIMES),
        ({"liquids.infant_formula": "no", "liquids.infant_formula.times.some": "yes"},
         "liquids.infant_formula.times.some", SOME_BUT_NO),
        ({"foods.porridge_rice": "yes", "solid_feeds": "2", "solid_feeds.some": "yes"},
         "solid_feeds.some", SOME_AND_TIMES),
    ],
)  # fmt: skip
def test_feeding_page_had_some_contradictions_inline(app_client, world, overrides, field, sentence):
    client = login(app_client, "parent1")
    page = client.post(f"/children/{world.own_child}/feeding", headers=HTML,
                       data=_feeding_form(**overrides))  # fmt: skip
    assert page.status_code == 422
    assert _field_error(page.text, field) == gettext("zh-CN", sentence)
