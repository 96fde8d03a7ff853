"""Reminders on the parent's home page and the child's calendar feed (issue 11).

The world's own child was born on 2025-12-01 and "today" is 2026-06-15 (6 months 14 days): the
6-month check is due now (window 2026-05-17 to 2026-07-01: target 2026-06-01 minus 15 days to
plus one month), the 8-month check opens on 2026-07-17 (to 2026-09-01) and developmental
screening at 9 months on 2026-09-01 (to 2026-11-30, the day before 12 months), both within the
home page's 90 days (to 2026-09-13); the 12-month check (from 2026-11-16) is not."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from icalendar import Calendar
from sqlalchemy import create_engine, select
from sqlmodel import Session

from health.models import AuditEntry, ShareLink
from tests.api.api_world import World, login

HTML = {"accept": "text/html"}
FEED = re.compile(r"https://testserver\.local/calendar/([A-Za-z0-9_-]{43})\.ics")


def _home_items(page: str) -> list[str]:
    """The reminders of the home page as text, one per item."""
    items = re.findall(r'<li class="reminder[^"]*">(.*?)</li>', page, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


def test_home_page_lists_the_next_items_in_chinese(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    page = client.get("/parent", headers=HTML)
    assert page.status_code == 200
    assert _home_items(page.text) == [
        "6月龄健康检查 现在就该做 · 截至2026-07-01",
        "8月龄健康检查 2026-07-17至2026-09-01",
        "9月龄发育筛查 2026-09-01至2026-11-30",
    ]
    assert "订阅日历" in page.text and "12月龄" not in page.text
    assert "reminder." not in page.text and "check.m6" not in page.text  # no ids on the page


def test_home_page_lists_the_next_items_in_english(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    client.cookies.set("lang", "en", domain="testserver.local")
    page = client.get("/parent", headers=HTML)
    assert _home_items(page.text) == [
        "6-month health check Due now · until 2026-07-01",
        "8-month health check from 2026-07-17 to 2026-09-01",
        "Developmental screening at 9 months from 2026-09-01 to 2026-11-30",
    ]
    assert "Subscribe in a calendar app" in page.text


def _subscribe(client, world: World) -> str:  # type: ignore[no-untyped-def]
    page = client.post(f"/parent/children/{world.own_child}/calendar", headers=HTML)
    assert page.status_code == 200, page.text
    found = FEED.search(page.text)
    assert found, "the feed's address is shown once"
    token = found.group(1)
    assert f"webcal://testserver.local/calendar/{token}.ics" in page.text
    return token


def _events(body: bytes) -> dict[str, tuple[dt.date, dt.date, str]]:
    """SUMMARY → (DTSTART, DTEND, UID) of each VEVENT."""
    calendar = Calendar.from_ical(body)
    return {
        str(e["summary"]): (e.decoded("dtstart"), e.decoded("dtend"), str(e["uid"]))
        for e in calendar.walk("VEVENT")
    }


def test_calendar_feed_has_one_all_day_event_per_item(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    token = _subscribe(client, world)
    client.cookies.clear()  # a calendar app has no session and no CSRF token
    first = client.get(f"/calendar/{token}.ics")
    assert first.status_code == 200
    assert first.headers["content-type"].startswith("text/calendar")
    assert first.headers["cache-control"] == "no-store"
    events = _events(first.content)
    # 10 checks still to do (6 months … 6 years) and 6 screening ages (9, 18, 24, 30 months)
    assert len(events) == 16
    start, end, _ = events["儿童保健：6月龄健康检查"]
    assert (start, end) == (dt.date(2026, 5, 17), dt.date(2026, 7, 2))  # DTEND: the day after
    assert events["儿童保健：18月龄孤独症筛查"][:2] == (dt.date(2027, 6, 1), dt.date(2027, 12, 1))
    assert events["儿童保健：6岁健康检查"][:2] == (dt.date(2031, 9, 1), dt.date(2032, 3, 2))
    assert "Xiaoming" not in first.text and "K-OWN" not in first.text
    again = _events(client.get(f"/calendar/{token}.ics").content)
    assert {k: v[2] for k, v in again.items()} == {k: v[2] for k, v in events.items()}
    assert len({uid for _, _, uid in events.values()}) == 16  # one UID per item
    english = _events(client.get(f"/calendar/{token}.ics", params={"lang": "en"}).content)
    assert english["Child health: 6-month health check"][:2] == (start, end)
    assert (
        english["Child health: Autism screening at 24 months"][2]
        == (events["儿童保健：24月龄孤独症筛查"][2])
    )


def test_feed_reads_are_audited_and_the_token_is_not_stored(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    token = _subscribe(client, world)
    client.cookies.clear()
    assert client.get(f"/calendar/{token}.ics").status_code == 200
    engine = create_engine(f"sqlite:///{world.db_file}")
    try:
        with Session(engine) as db:
            link = db.execute(select(ShareLink)).scalar_one()
            assert link.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
            assert (link.kind, link.child_id, link.expires_at) == ("calendar", world.own_child,
                                                                   None)  # fmt: skip
            reads = db.execute(
                select(AuditEntry).where(AuditEntry.action == "calendar.read")
            ).scalars()
            assert [(e.actor_id, e.role, e.object_kind, e.object_ref) for e in reads] == [
                (None, "calendar-link", "share_link", str(link.id))
            ]
    finally:
        engine.dispose()
    stored = b"".join(
        path.read_bytes() for path in world.db_file.parent.glob(world.db_file.name + "*")
    )
    assert token.encode() not in stored  # nowhere in the database file or its journal


def test_revoked_or_unknown_feed_is_404_without_detail(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    token = _subscribe(client, world)
    home = client.get("/parent", headers=HTML)
    assert "已订阅日历提醒。" in home.text and token not in home.text  # shown once only
    revoked = client.post(f"/parent/children/{world.own_child}/calendar/revoke", headers=HTML,
                          follow_redirects=False)  # fmt: skip
    assert revoked.status_code == 303 and revoked.headers["location"] == "/parent"
    assert "已订阅日历提醒。" not in client.get("/parent", headers=HTML).text
    client.cookies.clear()
    gone = client.get(f"/calendar/{token}.ics")
    unknown = client.get("/calendar/" + "A" * 43 + ".ics")
    assert gone.status_code == unknown.status_code == 404
    body = {k: v for k, v in gone.json().items() if k != "instance"}
    assert body == {k: v for k, v in unknown.json().items() if k != "instance"}
    assert body == {"status": 404, "type": "urn:childhealth:problem:not-found", "title": "未找到",
                    "detail": "Not Found"}  # fmt: skip
    assert client.get(f"/calendar/{token}").status_code == 404  # not a feed address


def test_only_the_childs_parent_subscribes(app_client, world: World) -> None:
    other = login(app_client, "parent2")
    assert other.post(f"/parent/children/{world.own_child}/calendar").status_code == 404
    doctor = login(app_client, "doctor1")
    assert doctor.post(f"/parent/children/{world.own_child}/calendar").status_code == 403


def test_every_reminder_text_of_the_catalogue_is_used() -> None:
    """The ``reminder.*`` texts are health's and the feed's (the screening tests leave them to
    this one): each names a check of the schedule, a screening age, the recheck, the re-measure
    request or the feed itself."""
    from health.schedule import load_schedule
    from health.services.reminders import SCREENING_MESSAGES, check_message
    from screening import reference

    used = {check_message(c.code)[0] for c in load_schedule().checks}
    used |= set(SCREENING_MESSAGES.values())
    used |= {"reminder.recheck", "reminder.remeasure"}
    used |= {"reminder.calendar.name", "reminder.calendar.summary"}
    catalogue = {m for m in reference.load_all().messages if m.startswith("reminder.")}
    assert catalogue == used
