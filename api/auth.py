"""Signing in: checking credentials (with the sign-in throttle, :mod:`api.throttle`) and
starting a fresh session that records when it began. The JSON sign-in and the sign-in page both
use these."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, TooManyRequestsException
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import throttle
from api.access import SESSION_KEY, SIGNED_IN_KEY, CurrentUser, remember
from api.context import now
from api.sessions import rotate
from health.models import User
from health.registry import verify_password

# a fixed hash to verify against when the user does not exist (same time either way)
_DUMMY = (
    "$argon2id$v=19$m=65536,t=3,p=4$5jKGmnkluQEw/xcDl81"
    "P8Q$7umcaJlcOnOKBHrYZEX06JY39SY6cYctLeS2BIl09PU"
)


def client_address(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The caller's address as the server sees it (behind a proxy: as the ASGI server was told
    to trust, e.g. uvicorn ``--proxy-headers``)."""
    client = connection.client
    return client.host if client is not None else "unknown"


def authenticate(db: Session, username: str, password: str, address: str) -> CurrentUser:
    """The active account with these credentials, else 401 (same answer for a wrong user or a
    wrong password); 429 with ``Retry-After`` while the throttle makes this username or this
    address wait (see :mod:`api.throttle`)."""
    engine = db.get_bind()
    wait = throttle.wait_s(engine, username, address)  # type: ignore[arg-type]
    if wait > 0:
        raise TooManyRequestsException(
            "too many failed sign-in attempts", headers={"Retry-After": throttle.retry_after(wait)}
        )
    user = db.execute(select(User).where(User.username == username)).scalar_one_or_none()
    ok = verify_password(user.password_hash if user else _DUMMY, password)
    if user is None or not ok or not user.active:
        throttle.record_failure(engine, username, address)  # type: ignore[arg-type]
        raise NotAuthorizedException("wrong username or password")
    throttle.clear(username, engine)  # type: ignore[arg-type]
    return CurrentUser.of(user)


def sign_in(request: Request[Any, Any, Any], user: CurrentUser) -> None:
    """Start a fresh session (new id) for ``user``, stamped with the sign-in instant."""
    request.clear_session()
    request.set_session({SESSION_KEY: user.as_session(), SIGNED_IN_KEY: now(request).isoformat()})
    rotate(request)
    remember(request, user)
