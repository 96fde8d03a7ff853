"""Reminders for families: the parent's home page lists each child's next items
(:func:`home_context`, used by ``ParentPages.parent_home``), and a per-child iCalendar feed
behind a token the parent can revoke.

- ``POST /parent/children/{id}/calendar``: a new calendar link
  (:func:`health.services.links.create_link`, kind ``calendar``, no expiry); the home page
  shows its ``webcal://`` and ``https://`` address once (only the sha256 is stored). The answer
  carries the token, so this POST is no idempotent record (a replay would keep the token in the
  database); a double tap makes two links, and "Revoke" ends them all.
- ``POST /parent/children/{id}/calendar/revoke``: every calendar link of the child revoked.
- ``GET /calendar/{token}.ics`` (no session: calendar apps cannot sign in; GET is not
  CSRF-checked): ``text/calendar`` with one all-day event per reminder, named in the language
  of the address (``?lang=en`` when the parent subscribed in English), without the child's name
  or any health detail; an unknown or revoked token is a 404 without detail. Every read is
  audited (``calendar.read``, no actor, the link's id), and the answer is ``no-store``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from icalendar import Calendar, Event
from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from api.access import PARENT, PUBLIC
from api.context import clock_of, lang, moment, public_base
from api.controllers.base import PageController, page_get, page_post
from api.database import begin_write
from api.errors import problem
from api.pages.inbox import inbox_views
from api.pages.render import render
from api.request_scope import NOT_A_RECORD, Caller, Visit
from api.services import views
from health.models import Child
from health.services import audit, links
from health.services.reminders import Reminder, child_reminders, next_reminders
from screening.messages import text

HOME_DAYS = 90
"""The home page lists the items due now and those opening within this many days."""
FEED_SUFFIX = ".ics"
FEED_ROLE = "calendar-link"  # the audit's role of a feed read (no account behind it)
PRODID = "-//childhealth//reminders//EN"


def reminder_name(item: Reminder, language: str) -> str:
    """The item's name in ``language`` (screening catalogue)."""
    return text(item.message_id, language, **item.params)


def reminder_view(item: Reminder, today: dt.date, language: str) -> dict[str, Any]:
    """What the home page shows of one item: its name, whether it is due now, its dates."""
    return {
        "name": reminder_name(item, language),
        "due": item.due_on(today),
        "opens": item.opens,
        "closes": item.closes,
        "one_day": item.closes == item.opens,
        "kind": item.kind,
    }


def feed_url(request: Request[Any, Any, Any], token: str, language: str) -> str:
    """The feed's https address on this service (``?lang=en`` for an English feed)."""
    base = public_base(request)
    query = "?lang=en" if language == "en" else ""
    return f"{base}/calendar/{token}{FEED_SUFFIX}{query}"


def webcal(url: str) -> str:
    """The same address for calendar apps (``webcal://``, which they subscribe to)."""
    return "webcal://" + url.split("://", 1)[-1]


def home_context(
    request: Request[Any, Any, Any], caller: Caller, new_feed: tuple[int, str] | None = None
) -> dict[str, Any]:
    """The parent's home page: each own child with its next reminders and whether a calendar
    feed is active; ``new_feed`` (child id, token) shows a link just made, once."""
    children = views.children_read(request, caller)  # a parent's own: not audited
    today, clock = caller.at.today, clock_of(request)
    entries = []
    for child in children:
        items = next_reminders(child_reminders(caller.db, child, today, clock), today, HOME_DAYS)
        feeds = links.active_links(caller.db, int(child.id), "calendar", caller.at.now)  # type: ignore[arg-type]
        entry: dict[str, Any] = {
            "child": child,
            "reminders": [reminder_view(item, today, caller.language) for item in items],
            "feeds": len(feeds),
            "feed_url": None,
        }
        if new_feed is not None and new_feed[0] == child.id:
            url = feed_url(request, new_feed[1], caller.language)
            entry |= {"feed_url": url, "feed_webcal": webcal(url)}
        entries.append(entry)
    notices = inbox_views(caller, children)  # unread reminders first, marked read once shown
    return {"children": children, "entries": entries, "home_days": HOME_DAYS, "notices": notices}


class CalendarLinkPages(PageController):
    """A parent subscribes to a child's reminders in a calendar app, or revokes the feed."""

    path = "/parent/children/{child_id:int}/calendar"
    opt = {"roles": (PARENT,)}

    @page_get("/")
    def back_home(self, visit: NamedDependency[Visit]) -> Redirect:
        """The address of the subscribe form, reached again (a language switch): home."""
        return Redirect("/parent", status_code=303)

    @page_post("/", opt=NOT_A_RECORD)
    def subscribe(self, request: Request, visit: NamedDependency[Visit]) -> Template:
        """A new calendar link of the child; the home page shows its address once."""
        db = visit.writing()
        new = links.create_link(db, child_id=int(visit.child.id), kind="calendar",  # type: ignore[arg-type]
                                by_user_id=visit.user.id, now=visit.at.now)  # fmt: skip
        db.commit()
        feed = (int(visit.child.id), new.token)  # type: ignore[arg-type]
        return render(request, "parent_home.html", **home_context(request, visit, feed))

    @page_post("/revoke", opt=NOT_A_RECORD)
    def revoke(self, visit: NamedDependency[Visit]) -> Redirect:
        """Every calendar link of the child ends now; calendar apps get 404 from then on."""
        db = visit.writing()
        links.revoke_links(db, int(visit.child.id), "calendar", visit.at.now)  # type: ignore[arg-type]
        db.commit()
        return Redirect("/parent", status_code=303)


def event_uid(child_id: int, key: str) -> str:
    """A UID stable for one child's item across reads, that names neither the child nor the
    service's ids in clear (sha256 of both)."""
    digest = hashlib.sha256(f"child:{child_id}:{key}".encode()).hexdigest()[:32]
    return f"{digest}@childhealth"


def feed_calendar(
    child_id: int, items: list[Reminder], today: dt.date, now: dt.datetime, language: str
) -> Calendar:
    """One all-day event per item: the window ``opens``..``closes`` (DTEND the day after, as
    iCalendar counts), an open-ended item on ``today``; SUMMARY "Child health: <item>"."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", text("reminder.calendar.name", language))
    for item in items:
        start = item.opens if item.closes is not None else max(item.opens, today)
        end = (item.closes or start) + dt.timedelta(days=1)
        event = Event()
        event.add("uid", event_uid(child_id, item.key))
        event.add("dtstamp", now)
        event.add("dtstart", start)
        event.add("dtend", end)
        event.add("summary", text("reminder.calendar.summary", language,
                                  item=reminder_name(item, language)))  # fmt: skip
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar


class CalendarFeed(PageController):
    """The calendar feed itself, for calendar apps (no session, the token is the key)."""

    path = "/calendar"
    opt = {"roles": PUBLIC}

    @page_get("/{feed:str}")
    def feed(
        self, request: Request, db: NamedDependency[Session], feed: FromPath[str]
    ) -> Response[bytes]:
        """``<token>.ics``: the child's reminders as iCalendar; 404 without detail otherwise."""
        at = moment(request)
        token = feed[: -len(FEED_SUFFIX)] if feed.endswith(FEED_SUFFIX) else ""
        link = links.resolve(db, token, "calendar", at.now)
        if link is None:
            raise problem(404, "not-found", "Not found")
        child = db.get(Child, link.child_id)
        if child is None:
            raise problem(404, "not-found", "Not found")
        items = child_reminders(db, child, at.today, clock_of(request))
        body = feed_calendar(int(child.id), items, at.today, at.now, lang(request)).to_ical()  # type: ignore[arg-type]
        if db.in_transaction():
            db.commit()
        begin_write(db)
        audit.record(db, actor_id=None, role=FEED_ROLE, action="calendar.read",
                     object_kind="share_link", object_ref=int(link.id), at=at.now)  # type: ignore[arg-type]  # fmt: skip
        db.commit()
        return Response(
            content=body,
            media_type="text/calendar; charset=utf-8",
            headers={"cache-control": "no-store"},
        )
