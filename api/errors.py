"""Every error of the service as RFC 9457 problem details, mapped from domain exceptions in one
place (:data:`DOMAIN_PROBLEMS`); pages get the same problem rendered as HTML, and 401 on a page
becomes a redirect to the sign-in page.

Problem ``type`` URIs are ``urn:childhealth:problem:<slug>``; ``title`` is translated into the
caller's language; ``detail`` says what is wrong without personal data.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException
from litestar.openapi import ResponseSpec
from litestar.plugins.problem_details import (
    ProblemDetailsConfig,
    ProblemDetailsException,
    ProblemDetailsPlugin,
)
from litestar.response import Redirect, Template
from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError

from api.i18n import gettext, normalise, translations
from health.coverage import CoverageRequestError
from health.errors import ImplausibleMeasurementError, RecordError
from health.passwords import PasswordRuleError
from health.periods import PeriodError
from health.registry import InvalidRecordError, NotFoundError
from health.services.cases import CaseStateError
from screening.errors import ScreeningInputError
from screening.messages import text

log = logging.getLogger("childhealth.api")
PREFIX = "urn:childhealth:problem:"
CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")
"""Control characters (C0, DEL, C1): never echoed back in a problem's ``instance``."""


@dataclass
class ProblemDetails:
    """The body of every error response (RFC 9457), as documented in the OpenAPI."""

    type: str
    title: str
    status: int
    detail: str = ""
    instance: str = ""
    text: str = ""  # the refusal in the caller's language, where the catalogue has words for it


PROBLEM_RESPONSES = {
    status: ResponseSpec(
        data_container=ProblemDetails,
        description=description,
        media_type="application/problem+json",
        generate_examples=False,
    )
    for status, description in (
        (400, "Malformed request: the body or a parameter does not validate (``errors``)"),
        (401, "Not signed in"),
        (403, "The caller's role may not use this route, or the CSRF token is missing"),
        (404, "Not found, or outside the caller's scope (the two are indistinguishable)"),
        (409, "Conflicts with stored data (e.g. an outcome for a case already closed)"),
        (422, "The domain refuses the input (``type`` names the rule, e.g. implausible value)"),
    )
}
"""Problem responses every API route may give (documented on each route in the OpenAPI)."""

SIGN_IN_RESPONSES = {
    **PROBLEM_RESPONSES,
    429: ResponseSpec(
        data_container=ProblemDetails,
        description=(
            "Too many failed sign-ins for this account or from this address: wait the seconds "
            "of the Retry-After header, then try again"
        ),
        media_type="application/problem+json",
        generate_examples=False,
    ),
}
"""Problem responses of the sign-in route: those of every route, and the throttle's 429."""


class ServiceInputError(ValueError):
    """Input the domain refuses, with a translatable English message and its parameters."""

    status_code = 422
    slug = "invalid-input"

    def __init__(self, message: str, **params: Any) -> None:
        self.message = message
        self.params = params
        super().__init__(message.format(**params))


class ChildNotFoundError(LookupError):
    """No child with this id in the caller's scope (identical to a child that does not exist)."""


def _lang(request: Request[Any, Any, Any] | None) -> str:
    if request is None:
        return "zh-CN"
    chosen = request.scope.get("state", {}).get("locale")
    if chosen:
        return str(chosen)
    # errors raised before the locale hook ran (guards): read the choice directly
    return normalise(request.query_params.get("lang") or request.cookies.get("lang"))


class Problem(ProblemDetailsException):
    """A problem that renders itself per request: JSON, an HTML page, or a sign-in redirect."""

    def to_response(self, request: Request[Any, Any, Any]) -> Response[Any]:
        return handle(request, self)

    def json_response(self, request: Request[Any, Any, Any]) -> Response[Any]:
        return super().to_response(request)


def problem(
    status: int, slug: str, title: str, detail: str = "", **extra: Any
) -> ProblemDetailsException:
    """A problem details exception (``title`` is an English message id, translated later)."""
    return Problem(
        status_code=status, type_=PREFIX + slug, title=title, detail=detail, extra=extra or None
    )


def _from_screening(exc: ScreeningInputError) -> ProblemDetailsException:
    return problem(
        422,
        "invalid-screening-input",
        "Invalid input",
        str(exc),
        message_id=exc.message_id,
        params={k: str(v) for k, v in exc.params.items()},
    )


def _from_service(exc: ServiceInputError) -> ProblemDetailsException:
    extra: dict[str, Any] = {"message": exc.message, "params": exc.params}
    return problem(exc.status_code, exc.slug, "Invalid input", str(exc), **extra)


RECORD_TITLES = {
    403: "Not allowed for your account",
    404: "Not found",
    409: "Conflicts with stored data",
}
"""The title of a refused record whose error carries its own status (else "Invalid input")."""


def _from_record(exc: RecordError) -> ProblemDetailsException:
    """A refused record: ``message_id`` (screening catalogue) with its ``params``, the
    ``field``; an implausible measurement also lists the ``indicators``."""
    extra: dict[str, Any] = {
        "message_id": exc.message_id,
        "field": exc.field,
        "params": {k: str(v) for k, v in exc.params.items()},
    }
    if isinstance(exc, ImplausibleMeasurementError):
        extra["indicators"] = exc.indicators
    status = int(getattr(exc, "status_code", 422))  # 403, 404, 409: an entry one may not change
    title = RECORD_TITLES.get(status, "Invalid input")
    return problem(status, exc.slug, title, exc.detail, **extra)


def _from_password(exc: PasswordRuleError) -> ProblemDetailsException:
    params = {k: str(v) for k, v in exc.params.items()}
    return problem(
        422, "weak-password", "Password not allowed", str(exc),
        rule=exc.rule, message=exc.message, params=params,
    )  # fmt: skip


def _from_http(exc: HTTPException) -> ProblemDetailsException:
    slugs = {
        400: ("bad-request", "Bad request"),
        401: ("not-signed-in", "Please sign in"),
        403: ("forbidden", "Not allowed for your role"),
        404: ("not-found", "Not found"),
        405: ("method-not-allowed", "Method not allowed"),
        413: ("too-large", "Request too large"),
        429: ("too-many-requests", "Too many requests"),
    }
    slug, title = slugs.get(exc.status_code, ("http-error", "Request failed"))
    detail = str(exc.detail) if exc.status_code == 400 else ""
    extra = exc.extra if exc.status_code == 400 and isinstance(exc.extra, list) else None
    if exc.status_code in (400, 403) and "CSRF" in str(exc.detail):
        slug, title, detail = "csrf", "The form expired: reload the page and try again", ""
        return problem(403, slug, title, detail)
    out = problem(exc.status_code, slug, title, detail)
    if extra:
        out.extra = {"errors": extra}
    out.headers = exc.headers
    return out


def _internal(exc: Exception) -> ProblemDetailsException:
    # the traceback only at DEBUG level: its locals could carry personal data
    log.error(
        "internal error",
        extra={"error_type": type(exc).__name__},
        exc_info=exc if log.isEnabledFor(logging.DEBUG) else None,
    )
    return problem(500, "internal", "Internal error", "")


DOMAIN_PROBLEMS: dict[type[Exception], Callable[[Any], ProblemDetailsException]] = {
    ChildNotFoundError: lambda exc: problem(404, "not-found", "Not found"),
    NotFoundError: lambda exc: problem(404, "not-found", "Not found", str(exc)),
    InvalidRecordError: lambda exc: problem(422, "invalid-record", "Invalid input", str(exc)),
    CoverageRequestError: lambda exc: problem(400, "bad-coverage-request", "Bad request", str(exc)),
    PeriodError: lambda exc: problem(400, "bad-period", "Bad request", str(exc)),
    ScreeningInputError: _from_screening,
    ServiceInputError: _from_service,
    RecordError: _from_record,
    PasswordRuleError: _from_password,
    CaseStateError: lambda exc: problem(409, "case-state", "Conflicts with stored data", str(exc)),
    IntegrityError: lambda exc: problem(409, "conflict", "Conflicts with stored data"),
    # the database refused a value (PostgreSQL: a NUL in a text, a text longer than its column)
    DataError: lambda exc: problem(
        400, "unstorable-value", "A value of the request cannot be stored."
    ),
    HTTPException: _from_http,
    Exception: _internal,
}
"""Domain exception → problem: the one place where errors become HTTP responses."""


def wants_html(request: Request[Any, Any, Any]) -> bool:
    """Pages (not ``/api`` nor ``/schema``) asked for by a browser."""
    path = request.url.path
    if path.startswith(("/api/", "/schema", "/static/", "/health")):
        return False
    return "text/html" in request.headers.get("accept", "")


def _end_transaction(request: Request[Any, Any, Any]) -> None:
    """Roll the request's database session back at once. A write handler that fails after it
    began its transaction (SQLite: BEGIN IMMEDIATE, the write lock) would otherwise keep the
    lock until the plugin's rollback when the response is sent, after awaits (the session
    store) during which another request of the same worker can start a write and wait for that
    lock synchronously, blocking the event loop: both stall until the busy timeout (30 s)."""
    config = request.app.state.get("db_config")
    if config is None:
        return
    config.provide_session(request.app.state, request.scope).rollback()  # no-op if unused


def _in_words(exc: ProblemDetailsException, lang: str) -> None:
    """Add ``text``, the refusal in the caller's language, to a problem that names its
    catalogue message (``message_id`` of the screening catalogue, or an interface ``message``)."""
    extra = exc.extra if isinstance(exc.extra, dict) else None
    if not extra or "text" in extra:
        return
    params = extra.get("params") or {}
    try:
        if "message_id" in extra:
            extra["text"] = text(extra["message_id"], lang, **params)
        elif "message" in extra:
            extra["text"] = gettext(lang, extra["message"], **params)
    except (LookupError, ValueError):  # a text without its parameters: the title says enough
        return


PAGE_EXPLANATIONS = {
    "forbidden": "Your account cannot open this page.",
    "not-found": "This page does not exist, or it is not open to your account.",
}
"""What an error page says under its title, per problem slug, when the problem has no words
of its own in the catalogue (a problem's ``detail`` is often English text for developers)."""


def _explanation(exc: ProblemDetailsException, lang: str) -> str:
    """The sentence of an error page: the refusal in words (``text``), the detail when it is a
    catalogue message, else the page's words for the slug; never English developer text."""
    extra = exc.extra if isinstance(exc.extra, dict) else {}
    if extra.get("text"):
        return str(extra["text"])
    detail = str(exc.detail or "")
    if detail and translations("zh-CN").gettext(detail) != detail:
        return gettext(lang, detail)
    slug = str(exc.type_ or "").removeprefix(PREFIX)
    return gettext(lang, PAGE_EXPLANATIONS[slug]) if slug in PAGE_EXPLANATIONS else ""


def _way_back(request: Request[Any, Any, Any]) -> tuple[str, str]:
    """The error page's link: the signed-in role's start page, the sign-in page, or ``/``
    (which sends each role home) when the session was not read (an unknown address)."""
    from api.access import current_user
    from api.pages.render import HOME

    if "session" not in request.scope:
        return "/", "Back to the start page"
    try:
        user = current_user(request)
    except SQLAlchemyError:
        return "/", "Back to the start page"
    if user is None:
        return "/login", "Sign in"
    return HOME.get(user.role, "/"), "Back to your start page"


def handle(request: Request[Any, Any, Any], exc: ProblemDetailsException) -> Response[Any]:
    """Render ``exc``: problem JSON, an HTML page, or a redirect to sign in. The request's
    database transaction is rolled back first (see :func:`_end_transaction`)."""
    _end_transaction(request)
    lang = _lang(request)
    if exc.title:
        exc.title = gettext(lang, exc.title)
    _in_words(exc, lang)
    exc.instance = CONTROLS.sub("", request.url.path)
    if wants_html(request):
        if exc.status_code == 401:
            return Redirect(path="/login", query_params={"next": request.url.path})
        home, home_label = _way_back(request)
        return Template(
            template_name="error.html",
            context={
                "problem": exc,
                "status": exc.status_code,
                "explanation": _explanation(exc, lang),
                "home": home,
                "home_label": home_label,
                "_": lambda message, **p: gettext(lang, message, **p),
                "lang": lang,
                "user": None,
            },
            status_code=exc.status_code,
            media_type=MediaType.HTML,
        )
    if isinstance(exc, Problem):
        return exc.json_response(request)
    return exc.to_response(request)


def problem_details_plugin() -> ProblemDetailsPlugin:
    """The plugin with :data:`DOMAIN_PROBLEMS` and :func:`handle`."""
    return ProblemDetailsPlugin(
        ProblemDetailsConfig(
            exception_handler=handle,
            enable_for_all_http_exceptions=False,
            exception_to_problem_detail_map=DOMAIN_PROBLEMS,
        )
    )
