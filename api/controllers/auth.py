"""JSON sign-in: ``POST /api/v1/auth/login`` sets the session cookie; ``logout``; ``me``; an
administrator signs an account out everywhere."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import JSONBody, Parameter
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api import audit
from api.access import ADMIN, ALL_ROLES, MAX_ID, PUBLIC, CurrentUser
from api.auth import authenticate, client_address, sign_in
from api.controllers.base import api_get, api_post
from api.errors import SIGN_IN_RESPONSES
from api.request_scope import NOT_A_RECORD, Caller
from health.services import accounts


class LoginBody(BaseModel):
    """Sign-in credentials."""

    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)


class AuthController(Controller):
    """Signing in and out, and who is signed in."""

    path = "/api/v1"
    tags = ["auth"]
    opt = {"roles": ALL_ROLES}

    @api_post("/auth/login", responses=SIGN_IN_RESPONSES, opt={"roles": PUBLIC, **NOT_A_RECORD})
    def api_login(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        data: JSONBody[LoginBody],
    ) -> CurrentUser:
        """Sign in; the response sets the session cookie. Send the CSRF cookie's value back in
        the ``X-CSRFToken`` header with every unsafe request. After failed attempts a try may
        have to wait: 429 with ``Retry-After`` (seconds)."""
        user = authenticate(db, data.username, data.password, client_address(request))
        sign_in(request, user)
        return user

    @api_post("/auth/logout", status_code=204, opt=NOT_A_RECORD)
    def api_logout(self, request: Request[Any, Any, Any]) -> None:
        """End the session."""
        request.clear_session()

    @api_get("/me")
    def me(self, user: NamedDependency[CurrentUser]) -> CurrentUser:
        """The signed-in account and its scope (as the account stands now)."""
        return user


class UsersController(Controller):
    """Administration of accounts' sessions."""

    path = "/api/v1/users"
    tags = ["auth"]
    opt = {"roles": (ADMIN,)}

    @api_post("/{user_id:int}/sign-out-everywhere", status_code=204, opt=NOT_A_RECORD)
    def sign_out_everywhere(
        self,
        request: Request[Any, Any, Any],
        caller: NamedDependency[Caller],
        user_id: Annotated[int, Parameter(ge=1, le=MAX_ID, description="The account")],
    ) -> None:
        """End every session of the account, in every process, at its next request (404 for an
        unknown account). Signing oneself out everywhere keeps this session only."""
        db = caller.writing()
        accounts.sign_out_everywhere(db, user_id, now=caller.at.now)
        audit.record(request, db, caller.user, "user.sign_out_everywhere", "user", user_id)
        db.commit()
        if user_id == caller.user.id:
            sign_in(request, caller.user)  # a fresh session, begun after the cut-off
