"""Reminders from the outbox on the parent's home page in a real browser (issue 14, item 3): the
unread reminder stands at the top of the page in words, in zh-CN and then in English, and is
gone from the top once it has been shown (it stays among the child's coming items).

The module's server runs on a copy of the API tests' world with one outbox pass made on
2026-06-14 at 10:00 local (so its time has come whatever the hour of the server's pinned
2026-06-15): Xiaoming's (parent1) 6-month check and Other's (parent2) 8-month check, both due
since 2026-05-17."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from health.clock import Clock, Moment
from health.services.notifications import make_notifications
from tests.api.api_world import build, world_db
from tests.e2e.browsing import sign_in
from tests.e2e.test_journey_parent import serve_world

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    folder = tmp_path_factory.mktemp("reminders")
    world = build(folder / "e2e.db")
    with world_db(world) as db:
        now = dt.datetime(2026, 6, 14, 2, 0, tzinfo=dt.UTC)
        made = make_notifications(db, Moment(now=now, today=dt.date(2026, 6, 14)),
                                  Clock(zone=ZoneInfo("Asia/Shanghai")))  # fmt: skip
        assert made.made == 2
    yield from serve_world(folder, world)


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def _notices(page: Any) -> list[str]:
    return [" ".join(t.split()) for t in page.locator("li.notice").all_inner_texts()]


def test_the_reminder_is_at_the_top_in_chinese_then_read(site, phone) -> None:
    base, _ = site
    sign_in(phone, base, "parent1")  # signing in lands on the home page
    assert phone.url.endswith("/parent")
    assert _notices(phone) == ["Xiaoming：6月龄健康检查 2026-05-17起该做了"]
    top = phone.locator("section.notices").bounding_box()
    child = phone.locator("section.child-home").first.bounding_box()
    assert top is not None and child is not None and top["y"] < child["y"]
    assert phone.locator("h2#notices-title").inner_text() == "新的提醒"
    phone.locator("li.notice a").click()  # to the child's card on the same page
    assert "#child-" in phone.url
    phone.goto(base + "/parent")
    assert phone.locator("section.notices").count() == 0
    assert "6月龄健康检查" in phone.locator("section.child-home").first.inner_text()


def test_the_reminder_in_english(site, phone) -> None:
    base, _ = site
    phone.goto(base + "/lang/en?back=/login")
    sign_in(phone, base, "parent2")
    assert _notices(phone) == ["Other: 8-month health check Due since 2026-05-17"]
    assert phone.locator("h2#notices-title").inner_text() == "New reminders"
