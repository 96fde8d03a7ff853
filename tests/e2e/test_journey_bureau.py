"""A health bureau analyst's journey (issue 11) on a desktop (1280×800): the year / quarter /
month selector changes the figures and the address, the quarterly trend says what each point
counts and marks the quarter still under way, the time of the figures is local, the CSV link
downloads a file that starts with a UTF-8 BOM; once more in English; a child's page is refused
in words with a way home.

The module's own server runs on a copy of the API tests' world (three children: Xiaoming, born
2025-12-01, and an unnamed child born 2024-06-01 in Town 1; Other, born 2025-10-01, in Town 2)
with 30 children born 2023-01-10 added before it starts (no registration date: known since
birth) and their routine checks: Town 1, 10 checked 2026-02-10, 5 checked 2026-05-10, 5
checked 2025-08-10; Town 2, 5 checked 2026-03-10, 5 never. Every one of the 33 children is
under 7 at the end of each period asked for below, so the 0–6-year rate is n/33:
2026 to date (the pinned 2026-06-15) 20/33 = 60.6 %, 2026 Q1 15/33 = 45.5 %, February 2026
10/33 = 30.3 %, 2025 5/33 = 15.2 %. The infant rate of 2026 Q1 is 15/32 = 46.9 %: the 30 turn
36 months on 2026-01-10, Xiaoming and Other reach 3 months in the quarter, the third child
reaches no routine age in it (18 months on 2025-12-01, 24 on 2026-06-01)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from health.clock import Moment
from health.models import CheckCreate, ChildCreate
from health.models.enums import Source
from health.pipeline import Author
from health.pipeline.checks import record_check
from health.registry import create_child
from tests.api.api_world import TODAY, build, world_db
from tests.e2e.browsing import serve_world, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

DESKTOP = {"width": 1280, "height": 800}
CHECKS = (
    [("T1", "C1", dt.date(2026, 2, 10))] * 10
    + [("T1", "C1", dt.date(2026, 5, 10))] * 5
    + [("T1", "C1", dt.date(2025, 8, 10))] * 5
    + [("T2", "C2", dt.date(2026, 3, 10))] * 5
    + [("T2", "C2", None)] * 5
)
ZONE = ZoneInfo("Asia/Shanghai")
CHILD_RATE = "0～6岁儿童健康管理率"
INFANT_RATE = "婴幼儿健康管理率"


def _add_checks(world: Any) -> None:
    at = Moment(now=dt.datetime(2026, 6, 15, 1, 0, tzinfo=dt.UTC), today=TODAY)
    with world_db(world) as db:
        for n, (town, clinic, day) in enumerate(CHECKS):
            entry = ChildCreate(code=f"K-B{n:02}", sex="F" if n % 2 else "M", name=f"孩子{n:02}",
                                birth_date=dt.date(2023, 1, 10), area_code=town)  # fmt: skip
            child = create_child(db, entry)
            if day is not None:
                check = CheckCreate(check_date=day, kind="routine", clinic_code=clinic)
                record_check(db, child, check, by=Author(Source.clinic), at=at)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """``(base URL, world)`` of this module's own server, with the checks above."""
    folder = tmp_path_factory.mktemp("journey_bureau")
    world = build(folder / "e2e.db")
    _add_checks(world)
    yield from serve_world(folder, world)


@pytest.fixture
def desk(browser: Any) -> Iterator[Any]:
    """A page on a desktop screen, in zh-CN, signed in as the province's bureau."""
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def _choose(page: Any, year: str, part: str) -> None:
    """Pick ``year`` and ``part`` (by their words) in the selector and press 显示."""
    page.select_option("#period-selector select[name=year]", label=year)
    page.select_option("#period-selector select[name=part]", label=part)
    with page.expect_navigation():
        page.click("#period-selector button[type=submit]")


def _rate(page: Any, indicator: str) -> str:
    return page.locator(".kpi", has_text=indicator).locator(".value").inner_text()


def test_1_the_period_selector_changes_the_figures_and_the_address(site, desk) -> None:
    base, _ = site
    page = desk
    sign_in(page, base, "bureau_p")
    page.wait_for_url(base + "/bureau")
    assert _rate(page, CHILD_RATE) == "60.6 %"
    assert (
        page.locator(".kpi", has_text=CHILD_RATE).locator(".muted").inner_text().startswith("20/33")
    )
    expected = [  # (year, part, query, 0-6 rate)
        ("2026", "第1季度", "year=2026&part=Q1", "45.5 %"),
        ("2026", "2月", "year=2026&part=02", "30.3 %"),
        ("2025", "全年", "year=2025&part=", "15.2 %"),
        ("2026", "全年", "year=2026&part=", "60.6 %"),
    ]
    for year, part, query, rate in expected:
        _choose(page, year, part)
        assert page.url == f"{base}/bureau?area=P&by=area&{query}"
        assert _rate(page, CHILD_RATE) == rate, (year, part)
        assert page.locator("#period-selector select[name=year] option:checked").inner_text() == (
            year
        )
        assert page.locator("#period-selector select[name=part] option:checked").inner_text() == (
            part
        )
    _choose(page, "2026", "第1季度")
    assert _rate(page, INFANT_RATE) == "46.9 %"
    counted = page.locator("main p.muted").first.inner_text()
    assert "2026-01-01 – 2026-03-31" in counted
    tabs = page.locator("nav.tabs a").all()
    assert all("period=2026-Q1" in (a.get_attribute("href") or "") for a in tabs)


def test_1b_the_chosen_period_is_named_in_words(site, desk) -> None:
    base, _ = site
    page = desk
    sign_in(page, base, "bureau_p")
    _choose(page, "2026", "第1季度")
    assert page.locator("main p.muted").first.inner_text().startswith("2026年第1季度")


def test_2_the_trend_says_what_it_counts_and_marks_the_quarter_under_way(site, desk) -> None:
    base, _ = site
    page = desk
    sign_in(page, base, "bureau_p")
    definition = page.locator("#trend-definition").inner_text()
    assert definition.startswith("每个点只统计该季度本身，按全年的口径用于该季度及其最后一天")
    assert f"{CHILD_RATE}: 季度最后一天未满7岁、本季度内做过体检的儿童。" in definition
    assert "95% 的目标针对全年" in definition
    assert "最后一个季度尚未结束：统计到 2026-06-15，用空心点表示。" in definition
    page.wait_for_selector(".plotly-graph-div .main-svg")
    traces = page.evaluate(
        "() => document.querySelector('.plotly-graph-div').data"
        ".map(t => ({x: Array.from(t.x), symbol: Array.from(t.marker.symbol)}))"
    )
    assert len(traces) == 3
    for trace in traces:
        assert trace["x"][-1] == "2026年<br>第2季度<br>至6月15日"
        assert trace["symbol"] == ["circle", "circle", "circle", "circle-open"]
    ticks = page.locator(".plotly-graph-div .xtick text").all_text_contents()
    assert ticks[-1].startswith("2026年第2季度")
    target = page.locator(".plotly-graph-div .annotation", has_text="95 %").bounding_box()
    for point in page.locator(".plotly-graph-div .scatterlayer .points path").all():
        box = point.bounding_box()
        apart = (
            box["x"] + box["width"] <= target["x"]
            or target["x"] + target["width"] <= box["x"]
            or box["y"] + box["height"] <= target["y"]
            or target["y"] + target["height"] <= box["y"]
        )
        assert apart, "the 95 % label covers a point"


def test_3_the_time_of_the_figures_is_local(site, desk) -> None:
    """The figures are computed once and kept for up to 5 minutes: the time shown is a local
    (Asia/Shanghai, UTC+8) time of the last few minutes."""
    base, _ = site
    page = desk
    sign_in(page, base, "bureau_p")
    now = dt.datetime.now(ZONE)
    counted = page.locator("main p.muted").first.inner_text()
    shown = re.search(r"截至 (\d\d):(\d\d)$", counted)
    assert shown is not None, counted
    minutes = (now.hour * 60 + now.minute - int(shown.group(1)) * 60 - int(shown.group(2))) % 1440
    assert minutes <= 6, (counted, now)
    assert "UTC" not in counted


def test_4_the_csv_link_downloads_the_figures_with_a_byte_order_mark(site, desk) -> None:
    base, _ = site
    page = desk
    sign_in(page, base, "bureau_p")
    _choose(page, "2026", "第1季度")
    with page.expect_download() as download:
        page.click("nav.tabs a:text('CSV')")
    assert download.value.suggested_filename == "coverage-P-area.csv"
    with open(download.value.path(), "rb") as handle:
        data = handle.read()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data[3:].decode("utf-8").splitlines()
    assert lines[0].startswith("地区,统计期,统计起始日,统计截止日,表,单位代码,单位,指标,")
    total = next(line for line in lines if f"本地区合计,P,Province,{CHILD_RATE}," in line)
    assert total.split(",")[1:4] == ["2026年第1季度", "2026-01-01", "2026-03-31"]
    assert ",15,33,45.5," in total  # counts and the rate rounded to 0.1 %


def test_5_the_dashboard_and_its_csv_in_english(site, desk) -> None:
    base, _ = site
    page = desk
    sign_in(page, base, "bureau_p")
    with page.expect_navigation():
        page.click("header.top a[lang=en]")
    assert page.locator("h1").inner_text() == "Coverage: Province"
    assert re.search(r"as of \d\d:\d\d$", page.locator("main p.muted").first.inner_text())
    _choose(page, "2026", "Quarter 1")
    assert page.url.endswith("year=2026&part=Q1")
    rate = page.locator(".kpi", has_text="0-6 y").locator(".value")
    assert rate.inner_text() == "45.5 %"
    assert (
        "Each point counts one quarter on its own" in page.locator("#trend-definition").inner_text()
    )
    with page.expect_download() as download:
        page.click("nav.tabs a:text('CSV')")
    with open(download.value.path(), "rb") as handle:
        data = handle.read()
    assert data.startswith(b"\xef\xbb\xbf")
    assert data[3:].decode("utf-8").startswith("Area,Period,First day counted,Last day counted,")


def test_6_a_childs_page_is_refused_in_words_with_a_way_home(site, desk) -> None:
    base, world = site
    page = desk
    sign_in(page, base, "bureau_p")
    response = page.goto(f"{base}/children/{world.own_child}")
    assert response is not None and response.status == 403
    assert page.locator("h1").inner_text().startswith("403 · ")
    main = page.locator("main").inner_text()
    assert "Xiaoming" not in main and "Forbidden" not in main
    with page.expect_navigation():
        page.click("main a:text('返回我的首页')")
    assert page.url == base + "/bureau"
