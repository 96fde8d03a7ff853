"""Shared by the page controllers: rendering with translations, form parsing, small
formatting helpers (ages, check names) and safe redirect targets."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import MediaType, Request
from litestar.params import URLEncodedBody
from litestar.response import Template
from pydantic import ValidationError

from api.access import (
    ADMIN,
    BUREAU,
    DOCTOR,
    FACILITY,
    PARENT,
    current_user,
)
from api.context import clock_of, lang, today
from api.errors import ServiceInputError
from api.i18n import LOCALES, gettext
from api.services import forms
from api.services.present import record_error_text
from growth_charts.age import DAYS_PER_MONTH
from health.errors import RecordError
from screening.errors import ScreeningInputError
from screening.messages import text

Form = URLEncodedBody[dict[str, Any]]
HOME = {
    PARENT: "/parent",
    DOCTOR: "/doctor",
    FACILITY: "/facility",
    BUREAU: "/bureau",
    ADMIN: "/doctor",
}
INDICATOR_LABELS = {
    "infant_health_management": "Infant and toddler health-management rate",
    "child_health_management_0_6": "0-6 y child health-management rate",
    "newborn_visit": "Newborn visit rate",
}


def check_name(code: str, language: str) -> str:
    """A scheduled check's name (``newborn_visit``, ``full_month``, ``m6`` → 6 months, ``y4``)."""
    if code == "newborn_visit":
        return gettext(language, "Newborn home visit")
    if code == "full_month":
        return gettext(language, "Full-month check")
    if code[:1] in ("m", "y") and code[1:].isdigit():
        message = "{n}-month check" if code[0] == "m" else "{n}-year check"
        return gettext(language, message, n=int(code[1:]))
    return code


def local_path(target: str) -> str:
    """``target`` when it is a path on this site, else ``/`` (no open redirect: ``//host``,
    ``/\\host`` and absolute URLs are refused)."""
    if target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def age_text(days: int, language: str) -> str:
    """A child's age for people: days under a month, months under two years, then years and
    months (months of 30.4375 days, as the growth standards count them)."""
    months = int(days // DAYS_PER_MONTH)
    if months < 1:
        return gettext(language, "{n} days", n=days)
    if months < 24:
        return gettext(language, "{n} months", n=months)
    return gettext(language, "{y} y {m} m", y=months // 12, m=months % 12)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Template:
    """A page with the translation function ``_``, the language and the signed-in user."""
    language = lang(request)
    return Template(
        template_name=name,
        context={
            "_": lambda message, **p: gettext(language, message, **p),
            "lang": language,
            "locales": LOCALES,
            "user": current_user(request),
            "today": today(request),
            "local": clock_of(request).local,  # an instant (stored in UTC) in local time
            "check_name": lambda code: check_name(code, language),
            "age_text": lambda days: age_text(days, language),
            **context,
        },
        status_code=status_code,
        media_type=MediaType.HTML,
    )


def parse_date(form: dict[str, Any], name: str, default: dt.date | None = None) -> dt.date:
    raw = str(form.get(name, "")).strip()
    if not raw and default is not None:
        return default
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ServiceInputError("{field} is not a date (YYYY-MM-DD).", field=name) from None


def error_text(request: Request, exc: Exception) -> str:
    """The message of a refusal, in the request's language."""
    if isinstance(exc, RecordError):
        return record_error_text(exc, lang(request))
    if isinstance(exc, ServiceInputError):
        params = dict(exc.params)
        if "field" in params:  # the field's label, never its name
            params["field"] = forms.field_label(str(params["field"]), lang(request))
        return gettext(lang(request), exc.message, **params)
    if isinstance(exc, ScreeningInputError):
        return text(exc.message_id, lang(request), **exc.params)
    if isinstance(exc, ValidationError):
        language = lang(request)
        return forms.joined(forms.validation_errors(exc, language), language)
    return str(exc)
