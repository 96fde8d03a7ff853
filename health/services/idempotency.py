"""Idempotent writes: the first answer to each (account, key), kept so that a repeated request
gets that answer instead of writing again (table ``idempotency_records``).

A request first :func:`claim`\\ s its key: the stored :class:`Answer` (a repeat), a
:class:`Claim` (this request writes; :func:`keep` its answer afterwards, or :func:`release` the
key when it wrote nothing), or None while another request holds the key. The same key with
another request (fingerprint) is :class:`KeyReusedError`. A claim not kept within :data:`LEASE`
(the process died) frees the key again. Expired rows are deleted by the next claim.

Each function flushes; the caller commits (in a short transaction of its own, so that every
process sees a claim at once).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from health.models import IdempotencyRecord

KEY_TTL = dt.timedelta(hours=24)
"""How long the answer to a client's key is kept."""
REPEAT_WINDOW = dt.timedelta(seconds=10)
"""How long an identical request without a key counts as a repeat (a double tap)."""
LEASE = dt.timedelta(seconds=60)
"""How long a claimed key waits for its answer before another request may claim it."""


class KeyReusedError(ValueError):
    """The account already used this key for a different request."""


@dataclass(frozen=True)
class Answer:
    """The first answer given under a key."""

    status_code: int
    media_type: str | None
    location: str | None
    body: bytes


@dataclass(frozen=True)
class Claim:
    """A key this request holds (row ``record_id``) until it keeps or releases it."""

    record_id: int


def claim(
    session: Session, user_id: int, key: str, fingerprint: str, *, now: dt.datetime
) -> Answer | Claim | None:
    """The stored answer, a new claim, or None while another request holds ``key``."""
    session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.expires_at < now))
    row = session.execute(
        select(IdempotencyRecord)
        .where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key)
        .with_for_update()
    ).scalar_one_or_none()
    if row is not None:
        if row.fingerprint != fingerprint:
            raise KeyReusedError(key)
        if row.status_code is None:
            return None
        return Answer(row.status_code, row.media_type, row.location, row.body or b"")
    row = IdempotencyRecord(
        user_id=user_id, key=key, fingerprint=fingerprint, created_at=now, expires_at=now + LEASE
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # another process claimed the same key a moment ago
        return None
    return Claim(int(row.id))  # type: ignore[arg-type]


def keep(
    session: Session, held: Claim, answer: Answer, *, now: dt.datetime, ttl: dt.timedelta
) -> None:
    """Store ``answer`` under the claimed key for ``ttl``."""
    row = session.get(IdempotencyRecord, held.record_id)
    if row is None:
        return  # expired and taken over meanwhile: the newer request keeps its own answer
    row.status_code = answer.status_code
    row.media_type = answer.media_type
    row.location = answer.location
    row.body = answer.body
    row.expires_at = now + ttl
    session.flush()


def release(session: Session, held: Claim) -> None:
    """Free the claimed key (the request wrote nothing)."""
    session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == held.record_id))
