"""JSON sign-in: ``POST /api/v1/auth/login`` sets the session cookie; ``logout``; ``me``."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import JSONBody
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api.access import ALL_ROLES, PUBLIC, CurrentUser
from api.auth import authenticate, sign_in
from api.controllers.base import api_get, api_post
from api.errors import SIGN_IN_RESPONSES


class LoginBody(BaseModel):
    """Sign-in credentials."""

    username: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)


class AuthController(Controller):
    """Signing in and out, and who is signed in."""

    path = "/api/v1"
    tags = ["auth"]
    opt = {"roles": ALL_ROLES}

    @api_post("/auth/login", responses=SIGN_IN_RESPONSES, opt={"roles": PUBLIC})
    def api_login(
        self,
        request: Request[Any, Any, Any],
        db: NamedDependency[Session],
        data: JSONBody[LoginBody],
    ) -> CurrentUser:
        """Sign in; the response sets the session cookie. Send the CSRF cookie's value back in
        the ``X-CSRFToken`` header with every unsafe request."""
        user = authenticate(db, data.username, data.password)
        sign_in(request, user)
        return user

    @api_post("/auth/logout", status_code=204)
    def api_logout(self, request: Request[Any, Any, Any]) -> None:
        """End the session."""
        request.clear_session()

    @api_get("/me")
    def me(self, user: NamedDependency[CurrentUser]) -> CurrentUser:
        """The signed-in account and its scope."""
        return user
