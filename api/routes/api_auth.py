"""JSON sign-in: ``POST /api/v1/auth/login`` sets the session cookie; ``logout``; ``me``."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, TooManyRequestsException
from litestar.params import JSONBody
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import throttle
from api.access import ALL_ROLES, PUBLIC, SESSION_KEY, CurrentUser
from api.errors import PROBLEM_RESPONSES, SIGN_IN_RESPONSES
from api.sessions import rotate
from health.models import User
from health.registry import verify_password

# a fixed hash to verify against when the user does not exist (same time either way)
_DUMMY = (
    "$argon2id$v=19$m=65536,t=3,p=4$5jKGmnkluQEw/xcDl81"
    "P8Q$7umcaJlcOnOKBHrYZEX06JY39SY6cYctLeS2BIl09PU"
)


class LoginBody(BaseModel):
    """Sign-in credentials."""

    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)


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


@post(
    "/api/v1/auth/login",
    responses=SIGN_IN_RESPONSES,
    opt={"roles": PUBLIC},
    sync_to_thread=False,
    tags=["auth"],
)
def api_login(
    request: Request[Any, Any, Any], db: NamedDependency[Session], data: JSONBody[LoginBody]
) -> CurrentUser:
    """Sign in; the response sets the session cookie. Send the CSRF cookie's value back in the
    ``X-CSRFToken`` header with every unsafe request."""
    user = authenticate(db, data.username, data.password)
    sign_in(request, user)
    return user


@post(
    "/api/v1/auth/logout",
    responses=PROBLEM_RESPONSES,
    opt={"roles": ALL_ROLES},
    status_code=204,
    sync_to_thread=False,
    tags=["auth"],
)
def api_logout(request: Request[Any, Any, Any]) -> None:
    """End the session."""
    request.clear_session()


@get(
    "/api/v1/me",
    responses=PROBLEM_RESPONSES,
    opt={"roles": ALL_ROLES},
    sync_to_thread=False,
    tags=["auth"],
)
def me(user: NamedDependency[CurrentUser]) -> CurrentUser:
    """The signed-in account and its scope."""
    return user
