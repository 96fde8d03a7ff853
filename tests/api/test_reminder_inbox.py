"""The reminder outbox on the parent's home page: unread reminders at the top, in words, read
once shown (issue 14, 3).

The world's own child (Xiaoming, born 2025-12-01) has its 6-month check due on 2026-06-15
(window from 2026-05-17); the outbox pass runs at 10:00 local (02:00 UTC) and the parent opens
the page at 12:00 local (04:00 UTC)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from api.app import create_app
from health.clock import Clock, Moment
from health.models import Notification
from health.services.notifications import make_notifications
from tests.api.api_world import BASE_URL, TODAY, World, login, settings_for, world_db

HTML = {"accept": "text/html"}
ZONE = ZoneInfo("Asia/Shanghai")
PASS_AT = dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC)
OPENED_AT = dt.datetime(2026, 6, 15, 4, 0, tzinfo=dt.UTC)


def _notices(page: str) -> list[str]:
    """The unread reminders at the top of the home page, as text."""
    items = re.findall(r'<li class="notice">(.*?)</li>', page, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    """The app on the world with the outbox pass made, its clock at 12:00 local."""
    clock = Clock(zone=ZONE)
    with world_db(world) as db:
        made = make_notifications(db, Moment(now=PASS_AT, today=TODAY), clock)
        assert made.made >= 1
    app = create_app(settings_for(f"sqlite:///{world.db_file}"),
                     clock=Clock(zone=ZONE, source=lambda: OPENED_AT))  # fmt: skip
    with TestClient(app, base_url=BASE_URL) as test_client:
        yield test_client


def test_unread_reminders_at_the_top_in_chinese_then_read(client: TestClient, world: World) -> None:
    page = login(client, "parent1").get("/parent", headers=HTML)
    assert page.status_code == 200
    assert _notices(page.text) == ["Xiaoming：6月龄健康检查 2026-05-17起该做了"]
    assert page.text.index("新的提醒") < page.text.index('id="child-')  # at the top
    assert "check.m6" not in page.text and "check_due" not in page.text  # words, no codes
    with world_db(world) as db:
        (row,) = db.execute(
            select(Notification).where(Notification.child_id == world.own_child)
        ).scalars()
        assert row.read_at is not None
        assert row.read_at.replace(tzinfo=None) == OPENED_AT.replace(tzinfo=None)
    again = client.get("/parent", headers=HTML)
    assert _notices(again.text) == [] and "新的提醒" not in again.text
    assert "6月龄健康检查" in again.text  # still among the child's coming items


def test_unread_reminders_in_english(client: TestClient) -> None:
    login(client, "parent1")
    client.cookies.set("lang", "en", domain="testserver.local")
    page = client.get("/parent", headers=HTML)
    assert _notices(page.text) == ["Xiaoming: 6-month health check Due since 2026-05-17"]
    assert "New reminders" in page.text


def test_a_parent_sees_only_their_own_reminders(client: TestClient, world: World) -> None:
    page = login(client, "parent2").get("/parent", headers=HTML)
    assert "Xiaoming" not in page.text
    with world_db(world) as db:
        own = db.execute(
            select(Notification.read_at).where(Notification.child_id == world.own_child)
        ).scalar_one()
    assert own is None  # parent2's visit marked nothing of parent1's read
