"""A doctor's journey (issue 11) on a desktop (1280×800), the queue once on a phone: the queue
filtered with "全部儿童" (no error), a flagged child whose flags come before the schedule, the
evidence in words, a recheck with its date in the outcome history (who, when, outcome, date,
note), refusals next to the outcome form with the entry kept, the missed-checks list with its
count and pages; once more in English.

The module's own server runs on a copy of the API tests' world with, added before it starts:
parent1's Xiaoming (boy, born 2025-12-01, 196 days on the pinned 2026-06-15) weighed at home at
6.0 kg (weight-for-age z −2.70: low weight, a case in Clinic 1's queue) and answering one
milestone "not yet"; 52 named children of Town 1 born 2025-09-01 with no check. The missed list
shows the first missed check of the last year per child: the 52 newborn visits (window closed
2025-09-29), Xiaoming's newborn visit (closed 2025-12-29) and the unnamed Town 1 child's
12-month check (born 2024-06-01, closed 2025-07-01): 54 rows of 54 children, 50 a page."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from health.clock import Moment
from health.models import Child, ChildCreate, MeasurementCreate, User
from health.models.enums import Source
from health.pipeline import Author, record_measurement
from health.pipeline.questionnaires import checklist_for, record_milestones
from health.registry import create_child
from tests.api.api_world import TODAY, build, world_db
from tests.e2e.browsing import serve_world, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
NOW = dt.datetime(2026, 6, 15, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai
EXTRA = 52
RECHECK_ON = "2026-06-29"


def _add_records(world: Any) -> None:
    """Xiaoming's low weight and "not yet" milestone; the 52 children with missed checks."""
    at = Moment(now=NOW, today=TODAY)
    with world_db(world) as db:
        child = db.get(Child, world.own_child)
        parent = db.exec(select(User).where(User.username == "parent1")).one()
        home = Author(Source.home, parent.id)
        entry = MeasurementCreate(measured_on=TODAY, source="home", weight_kg=6.0)
        assert record_measurement(db, child, entry, by=home, at=at).case is not None
        checklist = checklist_for(child, "milestone-checklist", TODAY)
        answers = {item.id: "yes" for item in checklist.band.items}
        answers |= {q.id: "no" for q in checklist.instrument.global_questions}
        answers[checklist.band.items[0].id] = "not_yet"
        record_milestones(db, child, instrument="milestone-checklist", administered_on=TODAY,
                          answers=answers, by=home, at=at)  # fmt: skip
        for n in range(1, EXTRA + 1):  # no registration date: known since birth (an import)
            create_child(
                db,
                ChildCreate(code=f"K-M{n:02}", sex="F" if n % 2 else "M", name=f"孩子{n:02}",
                            birth_date=dt.date(2025, 9, 1), area_code="T1"),
            )  # fmt: skip


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """``(base URL, world)`` of this module's own server."""
    folder = tmp_path_factory.mktemp("journey_doctor")
    world = build(folder / "e2e.db")
    _add_records(world)
    yield from serve_world(folder, world)


@pytest.fixture
def desk(browser: Any) -> Iterator[Any]:
    """A page on a desktop screen, in zh-CN, signed in as Clinic 1's doctor."""
    yield from _page(browser, DESKTOP)


def _page(browser: Any, viewport: dict[str, int]) -> Iterator[Any]:
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def _submit(page: Any, form: str) -> None:
    with page.expect_navigation():
        page.click(f"{form} button[type=submit]")


def _filter_all(page: Any, base: str) -> None:
    """Press 筛选 with both filters on their "all" choice."""
    assert page.locator("select[name=facility] option:checked").inner_text() == "全部儿童"
    assert page.locator("select[name=domain] option:checked").inner_text() == "全部类别"
    with page.expect_navigation() as navigation:
        page.click("form.filters button[type=submit]")
    assert navigation.value.status == 200
    assert page.url == base + "/doctor?facility=&domain="
    assert page.locator("h1").inner_text() == "待处理病例"


def test_1_on_a_phone_the_queue_filtered_with_all_children_lists_the_case(site, browser) -> None:
    base, _ = site
    for page in _page(browser, PHONE):
        sign_in(page, base, "doctor1")
        page.wait_for_url(base + "/doctor")
        _filter_all(page, base)
        row = page.locator("table.queue tbody tr", has_text="Xiaoming")
        assert row.count() == 1
        assert "6月龄" in row.inner_text() and "生长" in row.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        with page.expect_navigation():
            row.locator("a").click()
        assert page.locator("#flags").is_visible()


def test_2_flags_come_before_the_schedule_with_the_evidence_in_words(site, desk) -> None:
    base, world = site
    page = desk
    sign_in(page, base, "doctor1")
    _filter_all(page, base)
    with page.expect_navigation():
        page.click("table.queue a:text('Xiaoming')")
    assert page.url == f"{base}/children/{world.own_child}"
    flags_y = page.locator("#flags").bounding_box()["y"]
    assert flags_y < page.locator("#schedule").bounding_box()["y"]
    flags = page.locator("#flags")
    growth = flags.locator(".flag", has_text="低体重")
    assert growth.locator("strong").inner_text() == "低体重（年龄别体重Z < -2）"
    assert growth.locator(".evidence").inner_text() == "年龄别体重 Z = -2.70"
    milestone = flags.locator(".flag", has_text="发育里程碑")
    assert milestone.locator("ul.evidence li").count() == 1
    text = flags.inner_text()
    for raw in ("{", "}", "GROWTH_", "DEV_", "wfa", "not_yet"):
        assert raw not in text
    assert re.search(r"ms-\d+m-", text) is None  # no item code
    answers = page.locator("#answers").inner_text()
    assert "还不会" in answers and "not_yet" not in answers


def test_2b_the_chart_on_the_clinician_page_uses_clinician_words(site, desk) -> None:
    base, world = site
    page = desk
    sign_in(page, base, "doctor1")
    page.goto(f"{base}/children/{world.own_child}")
    page.wait_for_selector("#chart .plotly-graph-div .main-svg")
    legend = page.locator("#chart .legendtext").all_text_contents()
    assert not any("您的孩子" in name for name in legend), legend


def test_2c_the_milestone_flag_names_the_age_band_in_words(site, desk) -> None:
    base, world = site
    page = desk
    sign_in(page, base, "doctor1")
    page.goto(f"{base}/children/{world.own_child}")
    text = page.locator("#flags .flag", has_text="发育里程碑").inner_text()
    assert re.search(r"[（(]\d+m[）)]", text) is None


def test_3_a_recheck_with_its_date_shows_in_the_outcome_history(site, desk) -> None:
    base, world = site
    page = desk
    sign_in(page, base, "doctor1")
    page.goto(f"{base}/children/{world.own_child}")
    assert page.locator("#outcomes").inner_text().endswith("尚未记录处理结果。")
    page.check("#outcome input[value=recheck]")
    page.fill("#outcome input[name=recheck_on]", RECHECK_ON)
    page.fill("#outcome textarea[name=outcome_note]", "两周后复查体重")
    _submit(page, "#outcome")
    assert page.url == f"{base}/children/{world.own_child}"
    rows = page.locator("#outcomes tbody tr")
    assert rows.count() == 1
    when, who, outcome, date, note = rows.first.locator("td").all_inner_texts()
    assert when.startswith("2026-06-15 ")  # the pinned local date, at the local time:
    local = dt.datetime.now(ZoneInfo("Asia/Shanghai"))
    hours, minutes = (int(part) for part in when.split(" ")[1].split(":"))
    assert (local.hour * 60 + local.minute - hours * 60 - minutes) % 1440 <= 5, when
    assert (who, outcome, date, note) == ("doctor1", "预约复查", RECHECK_ON, "两周后复查体重")
    assert page.locator("#outcome form").count() == 1  # a recheck keeps the case open
    page.goto(base + "/doctor")
    assert f"复查 {RECHECK_ON}" in page.locator("table.queue").inner_text()


def test_4_refused_outcomes_are_explained_next_to_the_form_with_the_entry_kept(site, desk) -> None:
    base, world = site
    page = desk
    sign_in(page, base, "doctor1")
    page.goto(f"{base}/children/{world.own_child}")
    page.check("#outcome input[value=referred]")
    page.fill("#outcome input[name=recheck_on]", "2026-07-01")
    _submit(page, "#outcome")
    assert page.locator("#outcome-error").inner_text() == "选择“转诊”时请填写转诊机构。"
    assert page.is_checked("#outcome input[value=referred]")
    assert page.input_value("#outcome input[name=recheck_on]") == "2026-07-01"
    assert page.locator("#flags").is_visible()  # the child's page, not a bare error page
    page.check("#outcome input[value=recheck]")
    page.fill("#outcome input[name=recheck_on]", "")
    page.fill("#outcome textarea[name=outcome_note]", "家长说下周再来")
    _submit(page, "#outcome")
    assert page.locator("#outcome-error").inner_text() == "选择“复查”时请填写复查日期。"
    assert page.input_value("#outcome textarea[name=outcome_note]") == "家长说下周再来"
    assert page.is_checked("#outcome input[value=recheck]")
    assert page.locator("#outcomes tbody tr").count() == 1  # nothing was recorded
    page.check("#outcome input[value=referred]")
    page.fill("#outcome textarea[name=outcome_note]", "县妇幼保健院")
    _submit(page, "#outcome")
    rows = page.locator("#outcomes tbody tr")
    assert rows.count() == 2  # newest first, the recheck kept below
    assert rows.nth(0).locator("td").all_inner_texts()[1:] == [
        "doctor1", "已转诊", "", "转诊至县妇幼保健院 转诊单（PDF）",
    ]  # fmt: skip
    assert (
        rows.nth(0)
        .locator("a.referral-pdf")
        .get_attribute("href", timeout=5000)
        .endswith("/referral.pdf")
    )
    assert rows.nth(1).locator("td").all_inner_texts()[2] == "预约复查"
    assert page.locator("#outcome form").count() == 0  # the referral closed the case


def test_5_missed_checks_with_their_count_in_pages(site, desk) -> None:
    base, _ = site
    page = desk
    sign_in(page, base, "doctor1")
    with page.expect_navigation():
        page.click("a[href='/doctor/missed']")
    count = page.locator("#missed-count").inner_text()
    assert count == "共 54 项错过的体检，涉及 54 名儿童 · 第 1 页，共 2 页"
    rows = page.locator("#missed tbody tr")
    assert rows.count() == 50
    first = rows.first.locator("td").all_inner_texts()[:5]  # then the guardian's contact
    assert first == ["未命名儿童", "2岁0个月", "12月龄健康检查", "2025-05-17 – 2025-07-01",
                     "逾期 349 天"]  # fmt: skip
    second = rows.nth(1).locator("td").all_inner_texts()
    assert second[0] == "孩子01" and second[2] == "新生儿家庭访视" and second[4] == "逾期 259 天"
    with page.expect_navigation():
        page.click("nav.pages a[rel=next]")
    assert page.url.endswith("?check=&page=2")
    assert page.locator("#missed tbody tr").count() == 4
    last = page.locator("#missed tbody tr").last.locator("td").all_inner_texts()
    assert last[0] == "Xiaoming" and last[4] == "逾期 168 天"
    page.select_option("select[name=check]", label="12月龄健康检查")
    _submit(page, "#missed-filter")
    count = page.locator("#missed-count").inner_text()
    assert count == "共 1 项错过的体检，涉及 1 名儿童"
    assert page.locator("#missed tbody tr").count() == 1


def test_6_the_queue_and_the_child_in_english(site, desk) -> None:
    base, world = site
    page = desk
    sign_in(page, base, "doctor1")
    with page.expect_navigation():
        page.click("header.top a[lang=en]")
    assert page.locator("h1").inner_text() == "Case queue"
    with page.expect_navigation() as navigation:
        page.click("form.filters button[type=submit]")
    assert navigation.value.status == 200
    page.goto(f"{base}/children/{world.own_child}")
    flags = page.locator("#flags").inner_text()
    assert "Weight-for-age" in flags and "{" not in flags and "GROWTH_" not in flags
    outcomes = page.locator("#outcomes tbody").inner_text()
    assert "Referred" in outcomes and "Recheck planned" in outcomes
