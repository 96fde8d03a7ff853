"""Sign-in, sign-out, the language switch and the start page (by role)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, TooManyRequestsException
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Redirect, Template
from sqlalchemy.orm import Session

from api.access import (
    ALL_ROLES,
    PUBLIC,
    current_user,
)
from api.i18n import gettext, normalise
from api.routes.api_auth import authenticate, sign_in
from api.routes.common import lang
from api.routes.pages.render import (
    HOME,
    Form,
    local_path,
    render,
)

# -- sign-in, language, home -----------------------------------------------------------------


@get("/", opt={"roles": PUBLIC}, sync_to_thread=False, include_in_schema=False)
def home(request: Request) -> Redirect:
    user = current_user(request)
    return Redirect(HOME[user.role] if user else "/login")


@get("/login", opt={"roles": PUBLIC}, sync_to_thread=False, include_in_schema=False)
def login_page(
    request: Request, next_: Annotated[str, QueryParameter(name="next")] = "/"
) -> Template:
    return render(request, "login.html", next=local_path(next_))


@post("/login", opt={"roles": PUBLIC}, sync_to_thread=False, include_in_schema=False)
def login_submit(request: Request, db: NamedDependency[Session], data: Form) -> Response[Any]:
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
    return Redirect(
        local_path(target) if local_path(target) != "/" else HOME[user.role], status_code=303
    )


@post("/logout", opt={"roles": ALL_ROLES}, sync_to_thread=False, include_in_schema=False)
def logout(request: Request) -> Redirect:
    request.clear_session()
    return Redirect("/login", status_code=303)


@get("/lang/{code:str}", opt={"roles": PUBLIC}, sync_to_thread=False, include_in_schema=False)
def switch_language(
    request: Request, code: FromPath[str], back: FromQuery[str] = "/"
) -> Response[Any]:
    response = Redirect(local_path(back))
    response.set_cookie("lang", normalise(code), max_age=365 * 86400, samesite="lax")
    return response
