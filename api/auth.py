"""Signing in: checking credentials (with the sign-in throttle) and starting a fresh session.
The JSON sign-in and the sign-in page both use these."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import NotAuthorizedException, TooManyRequestsException
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import throttle
from api.access import SESSION_KEY, CurrentUser
from api.sessions import rotate
from health.models import User
from health.registry import verify_password

# a fixed hash to verify against when the user does not exist (same time either way)
_DUMMY = (
    "$argon2id$v=19$m=65536,t=3,p=4$5jKGmnkluQEw/xcDl81"
    "P8Q$7umcaJlcOnOKBHrYZEX06JY39SY6cYctLeS2BIl09PU"
)


def authenticate(db: Session, username: str, password: str) -> CurrentUser:
    """The active account with these credentials, else 401 (same answer for a wrong user or a
    wrong password); 429 after too many failures for this username (see ``api.throttle``)."""
    if throttle.blocked(username):
        raise TooManyRequestsException("too many failed sign-in attempts")
    user = db.execute(select(User).where(User.username == username)).scalar_one_or_none()
    ok = verify_password(user.password_hash if user else _DUMMY, password)
    if user is None or not ok or not user.active:
        throttle.record_failure(username)
        raise NotAuthorizedException("wrong username or password")
    throttle.clear(username)
    return CurrentUser(
        id=int(user.id),  # type: ignore[arg-type]
        username=user.username,
        role=str(user.role),
        clinic_id=user.clinic_id,
        facility_id=user.facility_id,
        area_id=user.area_id,
    )


def sign_in(request: Request[Any, Any, Any], user: CurrentUser) -> None:
    """Start a fresh session (new id) for ``user``."""
    request.clear_session()
    request.set_session({SESSION_KEY: user.as_session()})
    rotate(request)
