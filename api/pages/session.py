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
from api.auth import authenticate, sign_in
from api.context import lang
from api.controllers.base import PageController, page_get, page_post
from api.i18n import gettext, normalise
from api.pages.render import HOME, Form, local_path, render


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

    @page_post("/login")
    def login_submit(
        self, request: Request, db: NamedDependency[Session], data: Form
    ) -> Response[Any]:
        target = str(data.get("next") or "/")
        try:
            user = authenticate(db, str(data.get("username", "")), str(data.get("password", "")))
        except (NotAuthorizedException, TooManyRequestsException) as exc:
            message = (
                "Too many failed attempts: wait a few minutes and try again."
                if isinstance(exc, TooManyRequestsException)
                else "Wrong username or password."
            )
            return render(request, "login.html", status_code=exc.status_code, next=target,
                          error=gettext(lang(request), message))  # fmt: skip
        sign_in(request, user)
        home = local_path(target) if local_path(target) != "/" else HOME[user.role]
        return Redirect(home, status_code=303)

    @page_post("/logout", opt={"roles": ALL_ROLES})
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
