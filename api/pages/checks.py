"""The doctor's check form: a health check with its measurements, haemoglobin and screening
results (hearing, eyes, acuity, teeth, vitamin D), recorded through
:func:`health.pipeline.record_check`; every refused field comes back in words next to it, all
at once, with the entry kept."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.response import Redirect, Template
from pydantic import ValidationError

from api.access import CLINICIANS
from api.controllers.base import PageController, page_get, page_post
from api.errors import ServiceInputError
from api.pages.render import Form, error_text, parse_date, render
from api.request_scope import Visit
from api.services import forms
from health import pipeline
from health.errors import RecordError
from health.models import CheckCreate
from health.models.enums import CheckKind
from health.pipeline.checks import RESULT_CHOICES
from screening.errors import ScreeningInputError

NUMBERS = ("weight_kg", "length_cm", "head_cm", "hb_g_l", "acuity_left", "acuity_right")
CHOICE_WORDS = {"pass": "pass", "refer": "refer (not passed)", "normal": "normal",
                "abnormal": "abnormal"}  # fmt: skip
"""Each result value → its words on the form (interface catalogue ids)."""
FIELDS = ("check_date", "kind", *NUMBERS, "measure", *RESULT_CHOICES, "caries_teeth",
          "vitamin_d_given")  # fmt: skip


def _context(visit: Visit, form: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    return {
        "child": visit.child,
        "form": form,
        "errors": errors,
        "kinds": [k.value for k in CheckKind],
        "choices": RESULT_CHOICES,
        "choice_words": CHOICE_WORDS,
    }


class CheckPages(PageController):
    """Recording a child's health check (doctors and admins)."""

    path = "/children/{child_id:int}"
    opt = {"roles": CLINICIANS}

    @page_get("/check")
    def check_form(self, request: Request, visit: NamedDependency[Visit]) -> Template:
        """The empty form, dated today, a routine check."""
        form = {"check_date": visit.at.today.isoformat(), "kind": "routine"}
        return render(request, "check.html", **_context(visit, form, {}))

    @page_post("/check")
    def check_submit(
        self, request: Request, visit: NamedDependency[Visit], data: Form
    ) -> Response[Any]:
        """Save the check and go to the child's page; refusals inline (422)."""
        language, errors = visit.language, {}
        values: dict[str, Any] = {n: forms.number(data, n, errors, language) for n in NUMBERS}
        values["caries_teeth"] = forms.count(data, "caries_teeth", errors, language)
        try:
            check_date = parse_date(data, "check_date", visit.at.today)
        except ServiceInputError:
            check_date, errors["check_date"] = visit.at.today, forms.date_error(language)
        vitamin = str(data.get("vitamin_d_given") or "")
        entry = None
        try:
            entry = CheckCreate(
                check_date=check_date, kind=str(data.get("kind") or ""),
                measure=str(data.get("measure") or "") or None,
                vitamin_d_given={"yes": True, "no": False}.get(vitamin),
                **{n: str(data.get(n) or "") or None for n in RESULT_CHOICES}, **values,
            )  # fmt: skip
        except ValidationError as exc:
            errors = forms.validation_errors(exc, language) | errors
        error = ""
        if entry is not None and not errors:
            try:
                visit.record(pipeline.record_check, entry, confirm=True)
            except (RecordError, ScreeningInputError, ServiceInputError, LookupError) as exc:
                visit.db.rollback()
                field = getattr(exc, "field", "")
                if field in FIELDS:
                    errors[field] = error_text(request, exc)
                else:
                    error = error_text(request, exc)
        if errors or error:
            return render(request, "check.html", status_code=422, error=error,
                          **_context(visit, data, errors))  # fmt: skip
        return Redirect(f"/children/{visit.child.id}", status_code=303)
