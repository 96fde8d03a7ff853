"""A childcare facility worker's journey (issue 11) on a desktop (1280×800): the checks due or
overdue with the overdue rows first, children by name, measuring an overdue child and being
told why the check stays missed; once more in English.

The module's own server runs on a copy of the API tests' world (Nursery 1, linked to Clinic 1,
has Xiaoming, born 2025-12-01) with two more children enrolled before it starts (no registration
date: known since birth). On the pinned 2026-06-15 the list holds, overdue first and then by the
window's last day: 小刚 (born 2025-03-01) 3-month check, window closed 2025-07-01; Xiaoming's
newborn visit, closed 2025-12-29; then due: Xiaoming's 6-month check (to 2026-07-01) and 小红's
newborn visit (born 2026-06-05: days 0–28, to 2026-07-03)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from health.models import ChildCreate, Facility
from health.registry import create_child, enrol
from tests.api.api_world import build, world_db
from tests.e2e.browsing import serve_world, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DESKTOP = {"width": 1280, "height": 800}
ROWS = [
    ["小刚", "3月龄健康检查", "2025-05-17 – 2025-07-01", "已错过\n体检由Clinic 1进行"],
    ["Xiaoming", "新生儿家庭访视", "2025-12-01 – 2025-12-29", "已错过\n体检由Clinic 1进行"],
    ["Xiaoming", "6月龄健康检查", "2026-05-17 – 2026-07-01", "应查"],
    ["小红", "新生儿家庭访视", "2026-06-05 – 2026-07-03", "应查"],
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """``(base URL, world)`` of this module's own server, 小刚 and 小红 enrolled at Nursery 1."""
    folder = tmp_path_factory.mktemp("journey_facility")
    world = build(folder / "e2e.db")
    with world_db(world) as db:
        nursery = db.get(Facility, world.facility1)
        for code, name, sex, born in (("K-GANG", "小刚", "M", dt.date(2025, 3, 1)),
                                      ("K-HONG", "小红", "F", dt.date(2026, 6, 5))):  # fmt: skip
            entry = ChildCreate(code=code, name=name, sex=sex, birth_date=born, area_code="T1")
            enrol(db, create_child(db, entry), nursery, dt.date(2026, 6, 10))
    yield from serve_world(folder, world)


@pytest.fixture
def desk(browser: Any) -> Iterator[Any]:
    """A page on a desktop screen, in zh-CN."""
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def _due_rows(page: Any) -> list[list[str]]:
    rows = page.locator("main table").first.locator("tbody tr").all()
    return [row.locator("td").all_inner_texts() for row in rows]


def test_1_overdue_rows_come_first_and_children_are_named(site, desk) -> None:
    base, _ = site
    page = desk
    sign_in(page, base, "facility1")
    page.wait_for_url(base + "/facility")
    assert page.locator("h1").inner_text() == "Nursery 1"
    assert _due_rows(page) == ROWS
    enrolled = page.locator("table.enrolled tbody tr td:first-child a").all_inner_texts()
    assert sorted(enrolled) == sorted(["小刚", "小红", "Xiaoming"])
    main = page.locator("main").inner_text()
    assert "K-" not in main  # no codes where the names may be shown
    for raw in ("missed", "due", "newborn_visit", "m3", "m6"):
        assert raw not in main


def test_2_measuring_an_overdue_child_says_why_the_check_stays_missed(site, desk) -> None:
    base, world = site
    page = desk
    sign_in(page, base, "facility1")
    row = page.locator("table.enrolled tbody tr", has_text="Xiaoming")
    with page.expect_navigation():
        row.locator("a.button").click()
    assert page.url == f"{base}/children/{world.own_child}/measure"
    page.fill("input[name=weight_kg]", "7.4")
    page.fill("input[name=length_cm]", "66")
    with page.expect_navigation():
        page.click("#measure-form button[type=submit]")
    assert page.url == f"{base}/children/{world.own_child}"
    assert "年龄别体重: z = " in page.locator("#results").inner_text()
    page.goto(base + "/facility")
    assert _due_rows(page) == ROWS  # a measurement here is not a check
    note = page.locator("#missed-note").inner_text()
    assert note == (
        "在托育机构的测量不是健康检查。已错过的体检要到签约卫生机构（Clinic 1）做过之后才不再"
        "显示为已错过：请提醒家长带孩子去那里体检。"
    )


def test_2b_the_childs_page_after_measuring_says_why_the_check_stays_missed(site, desk) -> None:
    base, world = site
    page = desk
    sign_in(page, base, "facility1")
    page.goto(f"{base}/children/{world.own_child}/measure")
    page.fill("input[name=weight_kg]", "7.5")
    with page.expect_navigation():
        page.click("#measure-form button[type=submit]")
    schedule = page.locator("#schedule").inner_text()
    assert "已错过" in schedule
    assert "Clinic 1" in schedule and "不是健康检查" in schedule


def test_3_the_list_in_english(site, desk) -> None:
    base, _ = site
    page = desk
    sign_in(page, base, "facility1")
    with page.expect_navigation():
        page.click("header.top a[lang=en]")
    assert page.locator("main h2").first.inner_text() == "Due or overdue for a check"
    rows = _due_rows(page)
    assert [r[1] for r in rows] == [
        "3-month check", "Newborn home visit", "6-month check", "Newborn home visit",
    ]  # fmt: skip
    assert rows[0][3] == "missed\nchecks are done at Clinic 1" and rows[3][3] == "due"
    assert "Clinic 1" in page.locator("#missed-note").inner_text()
