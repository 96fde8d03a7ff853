"""Sign-in throttling shared by every process and machine: failed sign-ins are counted in the
database (table ``sign_in_throttle``) per account and per client address, and each failure
beyond the free ones makes the next try wait longer (growing delays, never a lock-out):

- an account: after :data:`ACCOUNT_FREE` failures for one username (from anywhere), a try
  waits :data:`FIRST_DELAY_S` seconds, doubling with every further failure up to
  :data:`MAX_DELAY_S`; but only from an address that has failed itself. A correct password from
  an address with no failure on record is never held back by failures from other addresses,
  so nobody can lock a known account (an administrator's included) out by failing on purpose;
- an address: after :data:`ADDRESS_FREE` failures from one client address (any usernames),
  every try from it waits the same way, however many usernames it tries.

Failures are forgotten :data:`FORGET_S` seconds after the last one; a successful sign-in
forgets the account's (not the address's). An IPv6 client counts by its /64 network.
Usernames and addresses are stored as sha256 hashes only, never logged. Instants come from
:data:`clock` (wall-clock seconds, shared by every process; tests move it instead of sleeping).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import math
import time
import weakref
from collections.abc import Callable

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from health.db import for_writing
from health.models import SignInThrottle

ACCOUNT_FREE = 5
ADDRESS_FREE = 20
FIRST_DELAY_S = 30.0
MAX_DELAY_S = 900.0
FORGET_S = 3600.0

clock: Callable[[], float] = time.time
"""Wall-clock seconds since the epoch; replaceable (tests move time instead of sleeping)."""

_engines: weakref.WeakSet[Engine] = weakref.WeakSet()  # databases throttled in this process


def _digest(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def account_key(username: str) -> str:
    """The stored key of a username (case and surrounding spaces do not count)."""
    return _digest("account", username.strip().lower())


def address_key(address: str) -> str:
    """The stored key of a client address; an IPv6 address counts by its /64 network (one
    client usually holds a whole /64)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return _digest("address", address)
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return _digest("address", str(parsed.ipv4_mapped))
        return _digest("address", str(ipaddress.ip_network(f"{parsed}/64", strict=False)))
    return _digest("address", str(parsed))


def delay_s(failures: int, free: int) -> float:
    """Seconds the next try waits after ``failures`` recent failures of which ``free`` cost
    nothing: 0, then :data:`FIRST_DELAY_S` doubling per failure, at most :data:`MAX_DELAY_S`."""
    if failures < free:
        return 0.0
    return min(MAX_DELAY_S, FIRST_DELAY_S * 2.0 ** (failures - free))


def _instant(seconds: float | None) -> dt.datetime:
    return dt.datetime.fromtimestamp(clock() if seconds is None else seconds, dt.UTC)


def _recent(row: SignInThrottle | None, now: dt.datetime) -> bool:
    """Whether ``row`` holds failures not yet forgotten."""
    return row is not None and (now - row.last_failure_at).total_seconds() <= FORGET_S


def _left_s(row: SignInThrottle | None, now: dt.datetime) -> float:
    if row is None or row.blocked_until is None or not _recent(row, now):
        return 0.0
    return max(0.0, (row.blocked_until - now).total_seconds())


def wait_s(engine: Engine, username: str, address: str, now: float | None = None) -> float:
    """Seconds before ``username`` may try to sign in from ``address`` (0: now)."""
    _engines.add(engine)
    at = _instant(now)
    account, client = account_key(username), address_key(address)
    with Session(engine) as db:
        rows = {
            r.key: r
            for r in db.execute(
                select(SignInThrottle).where(SignInThrottle.key.in_((account, client)))
            ).scalars()
        }
    from_address = rows.get(client)
    wait = _left_s(from_address, at)
    if _recent(from_address, at):  # an address that has failed waits for the account too
        wait = max(wait, _left_s(rows.get(account), at))
    return wait


def retry_after(wait: float) -> str:
    """The ``Retry-After`` value (whole seconds, at least 1) for a wait of ``wait`` seconds."""
    return str(max(1, math.ceil(wait)))


def _count(db: Session, key: str, free: int, now: dt.datetime) -> None:
    row = db.get(SignInThrottle, key, with_for_update=True)
    if row is None:
        row = SignInThrottle(key=key, failures=0, last_failure_at=now)
        db.add(row)
    elif not _recent(row, now):
        row.failures = 0
    row.failures += 1
    row.last_failure_at = now
    delay = delay_s(row.failures, free)
    row.blocked_until = now + dt.timedelta(seconds=delay) if delay else None


def record_failure(engine: Engine, username: str, address: str, now: float | None = None) -> None:
    """Count a failed sign-in of ``username`` from ``address`` (its own short transaction)."""
    _engines.add(engine)
    at = _instant(now)
    for attempt in range(3):
        try:
            with Session(for_writing(engine)) as db:
                _count(db, account_key(username), ACCOUNT_FREE, at)
                _count(db, address_key(address), ADDRESS_FREE, at)
                db.commit()
            return
        except IntegrityError:  # another process counted the first failure of a key meanwhile
            if attempt == 2:
                raise


def clear(username: str, engine: Engine | None = None) -> None:
    """Forget the failures of ``username`` (after a successful sign-in) in ``engine``, or in
    every database this process has throttled."""
    key = account_key(username)
    for target in [engine] if engine is not None else list(_engines):
        try:
            with Session(for_writing(target)) as db:
                db.execute(delete(SignInThrottle).where(SignInThrottle.key == key))
                db.commit()
        except SQLAlchemyError:
            if engine is not None:
                raise  # only a database gone since (a finished test's) is skipped
