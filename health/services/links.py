"""Links a parent makes for one child (:class:`health.models.ShareLink`): a summary link for
the child's clinic that expires, and a calendar feed that lasts until revoked.

A token is 32 random bytes (``secrets.token_urlsafe``, 43 characters); only its sha256 is
stored, so a database copy cannot be turned into working links. Each function flushes; the
caller commits and writes the audit entry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from health.models import ShareLink
from health.models.links import LINK_KINDS

SUMMARY_LINK_LIFETIME = dt.timedelta(days=7)
"""How long a summary link shown to the clinic stays valid."""
TOKEN_BYTES = 32


def token_digest(token: str) -> str:
    """The hex sha256 under which ``token`` is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class NewLink:
    """A link just made: the stored row and its token (shown once, never stored)."""

    link: ShareLink
    token: str


def create_link(
    session: Session,
    *,
    child_id: int,
    kind: str,
    by_user_id: int,
    now: dt.datetime,
    lifetime: dt.timedelta | None = None,
) -> NewLink:
    """A new link of ``kind`` to ``child_id``; ``lifetime`` None means until revoked (the
    summary link defaults to :data:`SUMMARY_LINK_LIFETIME`)."""
    if kind not in LINK_KINDS:
        raise ValueError(f"unknown link kind {kind!r}")
    if lifetime is None and kind == "summary":
        lifetime = SUMMARY_LINK_LIFETIME
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = ShareLink(
        child_id=child_id,
        kind=kind,
        token_sha256=token_digest(token),
        created_by_id=by_user_id,
        created_at=now,
        expires_at=None if lifetime is None else now + lifetime,
    )
    session.add(link)
    session.flush()
    return NewLink(link, token)


def _aware(instant: dt.datetime) -> dt.datetime:
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=dt.UTC)


def is_valid(link: ShareLink, now: dt.datetime) -> bool:
    """Not revoked, and not past ``expires_at`` when it has one."""
    if link.revoked_at is not None:
        return False
    return link.expires_at is None or _aware(now) < _aware(link.expires_at)


def resolve(session: Session, token: str, kind: str, now: dt.datetime) -> ShareLink | None:
    """The valid link of ``kind`` behind ``token``, or None (unknown, revoked or expired look
    the same to the caller)."""
    if not token or len(token) > 128:
        return None
    link = session.execute(
        select(ShareLink).where(
            ShareLink.token_sha256 == token_digest(token), ShareLink.kind == kind
        )
    ).scalar_one_or_none()
    return link if link is not None and is_valid(link, now) else None


def active_links(session: Session, child_id: int, kind: str, now: dt.datetime) -> list[ShareLink]:
    """The child's valid links of ``kind``, newest first."""
    rows = session.execute(
        select(ShareLink)
        .where(ShareLink.child_id == child_id, ShareLink.kind == kind)
        .where(ShareLink.revoked_at.is_(None))
        .order_by(ShareLink.id.desc())
    ).scalars()
    return [link for link in rows if is_valid(link, now)]


def revoke_links(session: Session, child_id: int, kind: str, now: dt.datetime) -> int:
    """Revoke every link of ``kind`` to ``child_id``; the number revoked."""
    result = session.execute(
        update(ShareLink)
        .where(ShareLink.child_id == child_id, ShareLink.kind == kind)
        .where(ShareLink.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.flush()
    return int(result.rowcount or 0)
