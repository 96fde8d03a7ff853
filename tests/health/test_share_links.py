"""Share links: only the token's sha256 is stored; summary links expire, calendar links last
until revoked; unknown, revoked and expired tokens all resolve to nothing."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from health.models import ShareLink, User
from health.services.links import (
    SUMMARY_LINK_LIFETIME,
    active_links,
    create_link,
    resolve,
    revoke_links,
    token_digest,
)
from tests.health.health_builders import add_child, build_geography

NOW = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)


def _parent(session: Session) -> User:
    user = User(username="mum", password_hash="x", role="parent", created_at=NOW)
    session.add(user)
    session.flush()
    return user


def test_summary_link_expires_after_seven_days(session: Session) -> None:
    build_geography(session)
    child = add_child(session, "K-1", "2026-03-01")
    new = create_link(session, child_id=child.id, kind="summary", by_user_id=_parent(session).id,
                      now=NOW)  # fmt: skip
    assert len(new.token) == 43
    stored = session.get(ShareLink, new.link.id)
    assert stored is not None and stored.token_sha256 == token_digest(new.token)
    assert new.token not in stored.token_sha256
    assert resolve(session, new.token, "summary", NOW + SUMMARY_LINK_LIFETIME
                   - dt.timedelta(seconds=1)) is not None  # fmt: skip
    assert resolve(session, new.token, "summary", NOW + SUMMARY_LINK_LIFETIME) is None
    assert resolve(session, new.token, "calendar", NOW) is None  # kinds do not mix
    assert resolve(session, new.token + "x", "summary", NOW) is None


def test_calendar_link_lasts_until_revoked(session: Session) -> None:
    build_geography(session)
    child = add_child(session, "K-2", "2026-03-01")
    parent = _parent(session)
    first = create_link(session, child_id=child.id, kind="calendar", by_user_id=parent.id, now=NOW)
    later = NOW + dt.timedelta(days=3000)
    assert resolve(session, first.token, "calendar", later) is not None
    assert [link.id for link in active_links(session, child.id, "calendar", later)] == [
        first.link.id
    ]
    assert revoke_links(session, child.id, "calendar", later) == 1
    assert resolve(session, first.token, "calendar", later) is None
    assert active_links(session, child.id, "calendar", later) == []
    assert revoke_links(session, child.id, "calendar", later) == 0
