"""The channel between clinic, facility and family in a real browser (issue 14, item 4): the
doctor records a recheck with advice for the nursery and a note of their own; the facility reads
the recheck date and the advice and nothing of the note; the parent reads the outcome in plain
words; the clinic's health advisor records a visit, is told inline what to correct with what
was typed kept, and the facility then sees the day of the visit.

The module's own server runs on a copy of the API tests' world with a clinic measurement of
Xiaoming (enrolled at Nursery 1, clinic 1) far below the weight-for-age cut-off: an open case
in clinic 1's queue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from health.clock import Moment
from health.models import Child, MeasurementCreate
from health.models.enums import Source
from health.pipeline import Author, record_measurement
from tests.api.api_world import TODAY, build, world_db
from tests.e2e.browsing import serve_world, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NOTE = "内部：体重明显偏低，排查喂养"
ADVICE = "请每天午睡后加一次点心"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """``(base URL, world)`` with Xiaoming's open case at clinic 1."""
    folder = tmp_path_factory.mktemp("channel")
    world = build(folder / "e2e.db")
    with world_db(world) as db:
        low = MeasurementCreate(measured_on=dt.date(2026, 6, 10), source="clinic",
                                weight_kg=5.0, length_cm=64.0, measure="L")  # fmt: skip
        now = dt.datetime(2026, 6, 10, 2, 0, tzinfo=dt.UTC)
        child = db.get(Child, world.own_child)
        at = Moment(now=now, today=TODAY)
        made = record_measurement(db, child, low, by=Author(Source.clinic), at=at)
        assert made.case is not None
    yield from serve_world(folder, world)


@pytest.fixture
def desk(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def test_1_the_doctors_outcome_reaches_the_facility_and_the_family(site, desk) -> None:
    base, world = site
    page = desk
    sign_in(page, base, "doctor1")
    page.goto(f"{base}/children/{world.own_child}")
    form = page.locator("#outcome form")
    form.locator("input[name=outcome][value=recheck]").check()
    form.locator("input[name=recheck_on]").fill("2026-07-01")
    form.locator("textarea[name=outcome_note]").fill(NOTE)
    form.locator("textarea[name=facility_advice]").fill(ADVICE)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    history = page.locator("#outcomes").inner_text()
    assert ADVICE in history and "2026-07-01" in history

    page.context.clear_cookies()
    sign_in(page, base, "facility1")
    page.goto(base + "/facility")
    action = page.locator("table.enrolled td.doctor-action").first.inner_text()
    assert "2026-07-01 在Clinic 1复查：请提醒家长。" in action and ADVICE in action
    main = page.locator("main").inner_text()
    assert "体重明显偏低" not in main and "低体重" not in main

    page.context.clear_cookies()
    sign_in(page, base, "parent1")
    page.goto(f"{base}/children/{world.own_child}")
    said = page.locator("#doctor-outcomes").inner_text()
    assert "医生希望再给孩子看一次。" in said and "Clinic 1" in said
    assert "请在 2026-07-01 带孩子回Clinic 1复查。" in said and ADVICE in said
    assert "体重明显偏低" not in page.locator("main").inner_text()


def test_2_a_visit_refused_inline_keeps_the_input_and_then_is_recorded(site, desk) -> None:
    base, _ = site
    page = desk
    sign_in(page, base, "doctor1")
    page.goto(base + "/doctor/facility-visits")
    form = page.locator("#visit-form")
    form.locator("input[name=visited_on]").fill("2026-06-12")
    form.locator("input[name=children_seen]").fill("5")
    form.locator("textarea[name=note]").fill("看了晨检记录")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    error = page.locator("#children_seen-error").inner_text()
    assert "见到的儿童人数（5）多于 2026-06-12 在园的儿童人数（1）" in error
    assert page.locator("input[name=children_seen]").input_value() == "5"
    assert page.locator("textarea[name=note]").input_value() == "看了晨检记录"
    page.locator("input[name=children_seen]").fill("1")
    with page.expect_navigation():
        page.locator("#visit-form button[type=submit]").click()
    assert page.locator("#visit-saved").inner_text() == "走访已记录。"
    assert "2026-06-12" in page.locator("#visits").inner_text()

    page.context.clear_cookies()
    sign_in(page, base, "facility1")
    page.goto(base + "/facility")
    last = page.locator("#last-visit").inner_text()
    assert last == "签约卫生机构保健人员最近一次走访：2026-06-12"
