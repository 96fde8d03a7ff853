"""Sign-in, sign-out, the language switch and the start page (by role)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, TooManyRequestsException
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from api.access import ALL_ROLES, PUBLIC, current_user
from api.auth import authenticate, client_address, sign_in
from api.context import lang
from api.controllers.base import PageController, page_get, page_post
from api.i18n import gettext, normalise
from api.pages.render import HOME, Form, local_path, render
from api.request_scope import NOT_A_RECORD


class SessionPages(PageController):
    """Pages anyone may open: the start page, signing in and out, the language."""

    path = "/"
    opt = {"roles": PUBLIC}

    @page_get("/")
    def home(self, request: Request) -> Redirect:
        user = current_user(request)
        return Redirect(HOME[user.role] if user else "/login")

    @page_get("/login")
    def login_page(
        self, request: Request, next_: Annotated[str, QueryParameter(name="next")] = "/"
    ) -> Template:
        return render(request, "login.html", next=local_path(next_))

    @page_post("/login", opt=NOT_A_RECORD)
    def login_submit(
        self, request: Request, db: NamedDependency[Session], data: Form
    ) -> Response[Any]:
        """Sign in; a refusal comes back on the sign-in page (429 with ``Retry-After`` while
        the throttle makes this username or address wait)."""
        target = str(data.get("next") or "/")
        username, password = str(data.get("username", "")), str(data.get("password", ""))
        try:
            user = authenticate(db, username, password, client_address(request))
        except (NotAuthorizedException, TooManyRequestsException) as exc:
            message = (
                "Too many failed attempts: wait a few minutes and try again."
                if isinstance(exc, TooManyRequestsException)
                else "Wrong username or password."
            )
            page = render(request, "login.html", status_code=exc.status_code, next=target,
                          error=gettext(lang(request), message))  # fmt: skip
            page.headers.update(exc.headers or {})  # Retry-After of a 429
            return page
        sign_in(request, user)
        home = local_path(target) if local_path(target) != "/" else HOME[user.role]
        return Redirect(home, status_code=303)

    @page_post("/logout", opt={"roles": ALL_ROLES, **NOT_A_RECORD})
    def logout(self, request: Request) -> Redirect:
        request.clear_session()
        return Redirect("/login", status_code=303)

    @page_get("/lang/{code:str}")
    def switch_language(
        self, request: Request, code: FromPath[str], back: FromQuery[str] = "/"
    ) -> Response[Any]:
        response = Redirect(local_path(back))
        response.set_cookie("lang", normalise(code), max_age=365 * 86400, samesite="lax")
        return response
