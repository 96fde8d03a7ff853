"""A parent's journey on a phone (390×844), issue 11: add a baby born at 34 weeks, see both
ages, measure, read the result in words, find both points (actual and corrected age) on the
chart, answer the milestones with a "not yet", fill in the feeding recall from its unanswered
state, meet each refusal in words next to its field; once more in English; the 404 page.

The module runs its own server on its own copy of the API tests' world (parent1's township is
Town 1 of County A); the tests run in order and share the child parent1 adds in the first one.
Today is pinned to 2026-06-15: the baby born on 2025-12-15 is 182 days old (182 / 30.4375 =
5.98, "5 months"); born 6 weeks early its corrected age is 182 − 42 = 140 days (4.60, "4
months")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.api.api_world import build
from tests.e2e.browsing import serve_world, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
BIRTH = "2025-12-15"
ACTUAL_MONTHS = 182 / 30.4375  # 5.98: the point at the actual age
CORRECTED_MONTHS = 140 / 30.4375  # 4.60: the point at the corrected age
STATE: dict[str, Any] = {}  # the child added in the first test


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """``(base URL, world)`` of this module's own server."""
    folder = tmp_path_factory.mktemp("journey_parent")
    world = build(folder / "e2e.db")
    yield from serve_world(folder, world)


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A page on a phone-sized screen, in zh-CN."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def _child(base: str) -> str:
    """The address of the child the first test added."""
    assert "child" in STATE, "the baby is added by the first test or the ``baby`` fixture"
    return f"{base}/children/{STATE['child']}"


@pytest.fixture
def baby(site: tuple[str, Any], browser: Any) -> int:
    """The id of parent1's baby born at 34 weeks: the one the first test added, or (when a
    test runs on its own) one added the same way through the form."""
    if "child" not in STATE:
        base, _ = site
        context = browser.new_context(viewport=PHONE, locale="zh-CN")
        try:
            page = context.new_page()
            sign_in(page, base, "parent1")
            _add_baby(page, base, weeks="34")
            STATE["child"] = int(page.url.split("/")[-2])
        finally:
            context.close()
    return int(STATE["child"])


def _add_baby(page: Any, base: str, weeks: str) -> None:
    """Fill in the add-child form for 小雨, born on :data:`BIRTH` at ``weeks`` weeks."""
    page.goto(base + "/parent/children/new?county=P11")
    page.fill("input[name=name]", "小雨")
    page.check("input[name=sex][value=F]")
    page.fill("input[name=birth_date]", BIRTH)
    page.fill("input[name=gestational_weeks]", weeks)
    _submit(page, "#child-form")


def _submit(page: Any, form: str) -> None:
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")


def test_1_parent_adds_a_preterm_baby_refusals_in_words_then_both_ages(site, phone) -> None:
    base, _ = site
    page = phone
    sign_in(page, base, "parent1")
    page.wait_for_url(base + "/parent")
    with page.expect_navigation():
        page.click("a[href='/parent/children/new']")
    page.select_option("select[name=county]", label="County A")
    _submit(page, "#county-form")
    assert page.url == base + "/parent/children/new?county=P11"
    _add_baby(page, base, weeks="三十四")
    assert page.locator("#gestational_weeks-error").inner_text() == "请填写数字，例如 7.25。"
    assert "gestational_weeks" not in page.locator("main").inner_text()
    assert page.input_value("input[name=name]") == "小雨"  # the entry is kept
    assert page.input_value("input[name=birth_date]") == BIRTH
    assert page.is_checked("input[name=sex][value=F]")
    page.fill("input[name=gestational_weeks]", "34")
    _submit(page, "#child-form")
    assert page.url.endswith("/measure"), page.url
    STATE["child"] = int(page.url.split("/")[-2])
    page.goto(_child(base))
    header = page.locator("main p.muted").first.inner_text()
    assert header == "女孩 · 出生于 2025-12-15 · 5月龄 · 矫正年龄 4月龄 · 出生胎龄34.0周"


def test_2_measurement_result_in_words_and_both_points_on_the_chart(site, baby, phone) -> None:
    base, _ = site
    page = phone
    sign_in(page, base, "parent1")
    page.goto(_child(base) + "/measure")
    page.fill("input[name=weight_kg]", "6.2")
    page.fill("input[name=length_cm]", "62")
    page.fill("input[name=head_cm]", "40")
    _submit(page, "#measure-form")
    assert page.url == _child(base)
    results = page.locator("#results").inner_text()
    assert "年龄别体重: z = -0.65" in results  # girl, at the corrected age of 140 days
    assert results.count("在同年龄、同性别孩子的正常范围内。") == 5
    for code in ("wfa", "lhfa", "wflh", "bmi", "hcfa", "z_"):
        assert code not in results
    page.wait_for_selector("#chart .plotly-graph-div .main-svg")
    points = page.evaluate(
        "() => document.querySelector('#chart .plotly-graph-div')._fullData"
        ".filter(t => t.mode && t.mode.includes('markers'))"
        ".map(t => ({name: t.name, x: Array.from(t.x), y: Array.from(t.y)}))"
    )
    by_name = {p["name"]: p for p in points}
    assert set(by_name) == {"按实际月龄", "孩子的测量值（矫正月龄）"}
    actual, corrected = by_name["按实际月龄"], by_name["孩子的测量值（矫正月龄）"]
    assert actual["x"] == [pytest.approx(ACTUAL_MONTHS, abs=1e-6)] and actual["y"] == [6.2]
    assert corrected["x"] == [pytest.approx(CORRECTED_MONTHS, abs=1e-6)]
    assert corrected["y"] == [6.2]
    legend = page.locator("#chart .legendtext").all_text_contents()
    assert "按实际月龄" in legend and "孩子的测量值（矫正月龄）" in legend
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def _answer_milestones(page: Any, not_yet: str) -> None:
    """Every item "会" but the one whose question contains ``not_yet``; the two global
    questions "否"."""
    for fieldset in page.locator("form.card fieldset").all():
        legend = fieldset.locator("legend").inner_text()
        if fieldset.locator("input[value=no]").count():
            fieldset.locator("input[value=no]").check()
        elif not_yet in legend:
            fieldset.locator("input[value=not_yet]").check()
        else:
            fieldset.locator("input[value=yes]").check()


def test_3_milestones_for_the_corrected_age_list_the_not_yet_item(site, baby, phone) -> None:
    base, _ = site
    page = phone
    sign_in(page, base, "parent1")
    page.goto(_child(base) + "/milestones")
    note = page.locator("#milestone-age-note").inner_text()
    assert "矫正月龄（4月龄）" in note and "实际月龄（5月龄）" in note
    assert page.locator("form.card input[type=radio]:checked").count() == 0
    _answer_milestones(page, "把手放到嘴边")
    _submit(page, "form.card")
    result = page.locator("#milestone-result")
    assert result.locator("#not-yet-items li").all_inner_texts() == ["会把手放到嘴边"]
    assert "请在下次体检时和医生谈谈" in result.inner_text()
    act_early = result.locator("#act-early-advice").inner_text()  # what to do, by when
    assert act_early.startswith("请在两周内和儿童保健医生谈谈这些回答")
    assert 2 <= result.locator("#milestone-activities li").count() <= 3  # for the age
    main = page.locator("main").inner_text()
    for raw in ("not_yet", "ms-4m", "DEV_", "{", "}"):
        assert raw not in main


def test_3b_the_milestone_band_is_named_in_words(site, baby, phone) -> None:
    base, _ = site
    page = phone
    sign_in(page, base, "parent1")
    page.goto(_child(base) + "/milestones")
    heading = page.locator("form.card p.muted").first.inner_text()
    assert "4m" not in heading and "4月龄" in heading


def test_4_feeding_recall_starts_unanswered_and_refuses_counts_in_words(site, baby, phone) -> None:
    base, _ = site
    page = phone
    sign_in(page, base, "parent1")
    page.goto(_child(base) + "/feeding")
    note = page.locator("#feeding-age-note").inner_text()
    assert "实际月龄（5月龄）" in note and "矫正月龄（4月龄）" in note
    assert page.locator("form.card input[type=radio]:checked").count() == 0
    counts = page.locator("form.card input[inputmode=numeric]").all()
    assert len(counts) == 5 and all(c.input_value() == "" for c in counts)
    page.check("input[name=breastfed][value=yes]")
    page.check("input[name='liquids.infant_formula'][value=yes]")
    page.fill("input[name='liquids.infant_formula.times']", "-3")
    page.fill("input[name=solid_feeds]", "abc")
    _submit(page, "form.card")
    errors = page.locator(".field-error")
    assert errors.count() == 2  # both at once
    integer = "请填写整数（0、1、2……）；不清楚就空着。"
    assert page.locator("#solid_feeds-error").inner_text() == integer
    assert page.locator("[id='liquids.infant_formula.times-error']").inner_text() == integer
    assert page.input_value("input[name=solid_feeds]") == "abc"  # what was typed is kept
    assert page.is_checked("input[name=breastfed][value=yes]")
    assert page.locator("#feeding-result").count() == 0
    page.fill("input[name='liquids.infant_formula.times']", "2")
    page.fill("input[name=solid_feeds]", "")
    _submit(page, "form.card")
    result = page.locator("#feeding-result")
    assert result.locator(".feeding-indicators li").count() >= 1
    questions = page.evaluate(
        "() => new Set([...document.querySelectorAll('form.card input[type=radio]')]"
        ".map(i => i.name)).size"
    )
    assert questions == 36  # breastfed, bottle, 8 drinks, 25 foods, vitamin D
    unanswered = page.locator("#feeding-unanswered").inner_text()
    assert unanswered.startswith("有34个问题没有回答，算作“不知道”")  # 36 − the 2 answered
    text = result.inner_text()
    for raw in ("EBF", "MixMF", "ZVF", "not_met", "未达到", "{"):
        assert raw not in text
    assert page.is_checked("input[name=breastfed][value=yes]")
    assert page.input_value("input[name='liquids.infant_formula.times']") == "2"


def test_5_the_same_child_in_english(site, baby, phone) -> None:
    base, _ = site
    page = phone
    sign_in(page, base, "parent1")
    page.goto(_child(base))
    with page.expect_navigation():
        page.click("header.top a[lang=en]")
    assert page.url == _child(base)
    header = page.locator("main p.muted").first.inner_text()
    assert (
        header == "Girl · born 2025-12-15 · 5 months · corrected age 4 months · born at 34.0 weeks"
    )
    assert (
        "Within the usual range for children of the same age and sex."
        in page.locator("#results").inner_text()
    )
    page.goto(_child(base) + "/milestones")
    main = page.locator("main").inner_text()
    assert "corrected age (4 months)" in main
    assert "Not yet" in main and "not_yet" not in main and "not_sure" not in main
    page.goto(_child(base) + "/feeding")
    assert page.locator("h1").inner_text() == "What did your child eat and drink yesterday?"
    assert page.locator("form.card input[type=radio]:checked").count() == 0  # a new recall


def test_6_a_page_that_is_not_there_in_the_readers_language_with_a_way_home(site, phone) -> None:
    base, world = site
    page = phone
    sign_in(page, base, "parent1")
    response = page.goto(f"{base}/children/{world.other_child}")  # another family's child
    assert response is not None and response.status == 404
    assert page.locator("h1").inner_text() == "404 · 未找到"
    assert "Not Found" not in page.locator("main").inner_text()
    with page.expect_navigation():
        page.click("main a:text('返回我的首页')")
    assert page.url == base + "/parent"
    page.goto(base + "/lang/en?back=/parent")
    response = page.goto(base + "/no/such/page")
    assert response is not None and response.status == 404
    assert page.locator("h1").inner_text() == "404 · Not found"
    home = page.locator("main a").first
    assert home.inner_text().startswith("Back to")
    with page.expect_navigation():
        home.click()
    assert page.url in (base + "/", base + "/parent")
