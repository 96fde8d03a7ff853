"""Issue 13, item 5 in a real browser: a doctor enters the WHO motor milestones of a child older
than the windows' table with the age walking alone began (18.5 months, after the 99th-centile
age 17.6 → refer, in words); a parent ticks "had some, not sure how many times" for formula and
the result counts at least 4 meals (3 solid feeds + formula)."""

from __future__ import annotations

import pytest

from tests.e2e.browsing import sign_in

pytestmark = pytest.mark.e2e
WALK = "who-motor-walking-alone"


def test_doctor_enters_a_late_walker_with_the_age_at_achievement(server, page) -> None:
    base, world = server
    sign_in(page, base, "doctor1")
    page.wait_for_url(base + "/doctor")
    page.goto(f"{base}/children/{world.t1_child}")  # 24 months old: beyond the 0-23 m table
    with page.expect_navigation():
        page.click("text=大运动里程碑")
    for radio in page.locator("input[type=radio][value=yes]").all():
        radio.check()
    page.fill(f"input[name='age:{WALK}']", "18.5")
    with page.expect_navigation():
        page.click("form.card button[type=submit]")
    result = page.locator("#motor-result").inner_text()
    assert "学会一项大运动本领的时间比几乎所有孩子都晚" in result
    assert "不扶任何东西能独自走几步" in page.locator("#motor-causing-items").inner_text()
    assert page.locator("#act-early-advice").get_attribute("role") == "alert"
    assert page.input_value(f"input[name='age:{WALK}']") == "18.5"
    assert "who-motor" not in result and "DEV_" not in result


def test_parent_ticks_had_some_and_the_meals_count_at_least_one(server, page) -> None:
    base, world = server
    sign_in(page, base, "parent1")
    page.wait_for_url(base + "/parent")
    page.goto(f"{base}/children/{world.own_child}/feeding")
    page.check("input[name=breastfed][value=no]")
    page.check("input[name='liquids.infant_formula'][value=yes]")
    page.check("input[name='liquids.infant_formula.times.some']")
    page.check("input[name='foods.porridge_rice'][value=yes]")
    page.fill("input[name=solid_feeds]", "3")
    with page.expect_navigation():
        page.click("form.card button[type=submit]")
    result = page.locator("#feeding-result").inner_text()
    assert "进食次数：至少 4 次（目标 4 次）" in result
    assert page.is_checked("input[name='liquids.infant_formula.times.some']")
