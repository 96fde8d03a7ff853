"""Idempotent writes: the first answer to each (account, key), kept so that a repeated request
gets that answer instead of writing again (table ``idempotency_records``).

A request first :func:`look_up`\\ s its key (a plain read): the stored :class:`Answer` (a
repeat), :data:`HELD` (another request holds the key: wait for its answer), or None. A request
that goes on to write :func:`claim`\\ s the key in its own write transaction, so the claim and
the record are committed together and a refused write leaves no claim behind; then it
:func:`keep`\\ s its answer, or :func:`release`\\ s the key when its answer is an error. The
same key with another request (fingerprint) is :class:`KeyReusedError`. A claim not kept within
:data:`LEASE` (the process died) frees the key again; so does an answer past its time. Expired
rows are deleted by a claim at most once per :data:`SWEEP_S` per process.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass
from typing import Final

from sqlalchemy import Connection, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from health.models import IdempotencyRecord

KEY_TTL = dt.timedelta(hours=24)
"""How long the answer to a client's key is kept."""
REPEAT_WINDOW = dt.timedelta(seconds=10)
"""How long an identical request without a key counts as a repeat (a double tap)."""
LEASE = dt.timedelta(seconds=60)
"""How long a claimed key waits for its answer before another request may claim it."""
SWEEP_S = 60.0
"""How often (seconds, per process) a claim deletes the expired rows."""
HELD: Final = "held"
""":func:`look_up`: another request holds the key and has not answered yet."""

_TABLE = IdempotencyRecord.__table__  # type: ignore[attr-defined]
_ROW = select(
    _TABLE.c.fingerprint, _TABLE.c.status_code, _TABLE.c.media_type, _TABLE.c.location,
    _TABLE.c.body, _TABLE.c.expires_at,
).where(_TABLE.c.user_id == bindparam("user_id"), _TABLE.c.key == bindparam("key"))  # fmt: skip
_ANSWER = ("status_code", "media_type", "location", "body")
_FRESH = ("fingerprint", "created_at", "expires_at", *_ANSWER)
_TAKE_OVER = (
    update(_TABLE)
    .where(
        _TABLE.c.user_id == bindparam("w_user_id"),
        _TABLE.c.key == bindparam("w_key"),
        _TABLE.c.expires_at < bindparam("w_now"),
    )
    .values({c: bindparam("v_" + c) for c in _FRESH})
    .returning(_TABLE.c.id)
)
_KEEP = (
    update(_TABLE)
    .where(_TABLE.c.id == bindparam("w_id"), _TABLE.c.status_code.is_(None))
    .values({**{c: bindparam("v_" + c) for c in _ANSWER}, "expires_at": bindparam("until")})
)
_RELEASE = delete(_TABLE).where(_TABLE.c.id == bindparam("record_id"))
_SWEEP = delete(_TABLE).where(_TABLE.c.expires_at < bindparam("now"))
_CLAIMS = {
    name: dialect.insert(_TABLE)
    .values({c: bindparam("v_" + c) for c in ("user_id", "key", *_FRESH)})
    .on_conflict_do_nothing(index_elements=["user_id", "key"])
    .returning(_TABLE.c.id)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
"""The statements, built once (their cache keys with them)."""
_sweep_lock = threading.Lock()
_next_sweep = 0.0


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


def look_up(
    db: Connection | Session, user_id: int, key: str, fingerprint: str, *, now: dt.datetime
) -> Answer | str | None:
    """The answer kept under ``key``, :data:`HELD`, or None (no live row): one read."""
    row = db.execute(_ROW, {"user_id": user_id, "key": key}).first()
    if row is None or _aware(row.expires_at) < now:
        return None
    if row.fingerprint != fingerprint:
        raise KeyReusedError(key)
    if row.status_code is None:
        return HELD
    return Answer(row.status_code, row.media_type, row.location, row.body or b"")


def claim(
    session: Session, user_id: int, key: str, fingerprint: str, *, now: dt.datetime
) -> Answer | Claim | None:
    """Claim ``key`` in the session's (write) transaction: a new :class:`Claim`, or the row of
    a key that expired taken over; else the answer kept under it, or None while another
    request holds it. One statement when the key is new (``INSERT … ON CONFLICT DO NOTHING
    RETURNING``); a concurrent claim of the same key waits for the other's commit."""
    _sweep(session, now)
    values = {
        "user_id": user_id, "key": key, "fingerprint": fingerprint,
        "created_at": now, "expires_at": now + LEASE,
        "status_code": None, "media_type": None, "location": None, "body": None,
    }  # fmt: skip
    fresh = {"w_user_id": user_id, "w_key": key, "w_now": now}
    fresh.update({"v_" + name: value for name, value in values.items()})
    dialect = session.get_bind().dialect.name
    new_id = session.execute(_CLAIMS.get(dialect, _CLAIMS["sqlite"]), fresh).scalar_one_or_none()
    if new_id is None:  # the key is taken: by an expired row (take it over) or a live one
        new_id = session.execute(_TAKE_OVER, fresh).scalar_one_or_none()
    if new_id is not None:
        return Claim(int(new_id))
    found = look_up(session, user_id, key, fingerprint, now=now)
    return found if isinstance(found, Answer) else None


def keep(
    db: Connection | Session, held: Claim, answer: Answer, *, now: dt.datetime, ttl: dt.timedelta
) -> None:
    """Store ``answer`` under the claimed key for ``ttl`` (one ``UPDATE``; nothing when the
    claim was rolled back with its write, or expired and was taken over meanwhile)."""
    db.execute(_KEEP, {
        "w_id": held.record_id, "v_status_code": answer.status_code,
        "v_media_type": answer.media_type, "v_location": answer.location,
        "v_body": answer.body, "until": now + ttl,
    })  # fmt: skip


def release(db: Connection | Session, held: Claim) -> None:
    """Free the claimed key (the request wrote nothing)."""
    db.execute(_RELEASE, {"record_id": held.record_id})


def _sweep(session: Session, now: dt.datetime) -> None:
    """Delete the expired rows, at most once per :data:`SWEEP_S` in this process."""
    global _next_sweep
    clock = time.monotonic()
    with _sweep_lock:
        if clock < _next_sweep:
            return
        _next_sweep = clock + SWEEP_S
    session.execute(_SWEEP, {"now": now})


def _aware(instant: dt.datetime) -> dt.datetime:
    """``instant`` as UTC-aware (SQLite gives naive UTC)."""
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=dt.UTC)
