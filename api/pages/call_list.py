"""The call list as pages: ``/doctor/calls`` (with the guardian's phone and a form per row to
record a call) and ``/facility/calls`` (the facility's enrolled children, no phone, no form)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Redirect, Template

from api.access import ADMIN, CLINICIANS, FACILITY
from api.controllers.base import PageController, page_get, page_post
from api.i18n import gettext
from api.pages.render import Form, error_text, render
from api.request_scope import Caller, Visit
from api.services import calls
from api.services.forms import FieldErrors, date_error
from health.errors import RecordError
from health.models.outreach import CONTACT_RESULTS
from health.services.call_list import WITHIN_CHOICES, AttemptEntry
from health.services.call_list import record_contact_attempt as record_attempt

WithinChoice = Annotated[str | None, QueryParameter(max_length=3, pattern=r"^(7|14|30)?$")]
PageNumber = Annotated[str | None, QueryParameter(max_length=7, pattern=r"^[0-9]*$")]


def _within(value: Any) -> int:
    """The horizon chosen (7, 14 or 30 days; anything else: the default 14)."""
    text = str(value or "")
    return int(text) if text in {str(w) for w in WITHIN_CHOICES} else calls.DEFAULT_WITHIN


def _page(
    request: Request,
    caller: Caller,
    within: int,
    number: int,
    *,
    form_for: int | None = None,
    form: dict[str, Any] | None = None,
    errors: FieldErrors | None = None,
    status_code: int = 200,
) -> Template:
    listed = calls.calls_read(request, caller, within)
    facility = caller.user.role == FACILITY
    return render(
        request,
        "call_list.html",
        status_code=status_code,
        calls=calls.page_of(listed, number),
        within=within,
        choices=WITHIN_CHOICES,
        results=CONTACT_RESULTS,
        result_words=calls.RESULT_WORDS,
        base="/facility/calls" if facility else "/doctor/calls",
        phone=not facility,
        can_record=not facility,
        form_for=form_for,
        form=form or {},
        errors=errors or {},
    )


class CallListPages(PageController):
    """The call list of the caller's clinic or facility."""

    path = "/"

    @page_get("/doctor/calls", opt={"roles": CLINICIANS})
    def doctor_calls(
        self,
        request: Request,
        caller: NamedDependency[Caller],
        within: WithinChoice = None,
        page: PageNumber = None,
    ) -> Template:
        """Children to call: a check window closing within 7, 14 or 30 days, or needed for
        95 %; 50 a page, each with the guardian's phone, the last call and a form for a call."""
        return _page(request, caller, _within(within), int(page) if page else 1)

    @page_get("/facility/calls", opt={"roles": (FACILITY, ADMIN)})
    def facility_calls(
        self,
        request: Request,
        caller: NamedDependency[Caller],
        within: WithinChoice = None,
        page: PageNumber = None,
    ) -> Template:
        """The facility's enrolled children on the call list (no phone numbers)."""
        return _page(request, caller, _within(within), int(page) if page else 1)

    @page_post("/doctor/calls/{child_id:int}", opt={"roles": CLINICIANS})
    def record_call(
        self, request: Request, visit: NamedDependency[Visit], data: Form
    ) -> Response[Any]:
        """Record a call and go back to the list; a refusal shows the list again (422) with
        the message next to the field and what was typed kept."""
        within = _within(data.get("within"))
        number = int(str(data.get("page") or "1")) if str(data.get("page") or "1").isdigit() else 1
        language = visit.language
        errors: FieldErrors = {}
        booked_raw = str(data.get("booked_on") or "").strip()
        booked: dt.date | None = None
        if booked_raw:
            try:
                booked = dt.date.fromisoformat(booked_raw)
            except ValueError:
                errors["booked_on"] = date_error(language)
        result = str(data.get("result") or "")
        if result not in CONTACT_RESULTS:
            errors["result"] = gettext(language, "Choose what came of the call.")
        if not errors:
            entry = AttemptEntry(str(data.get("check") or ""), result, booked,
                                 str(data.get("note") or "") or None)  # fmt: skip
            try:
                db = visit.writing()
                record_attempt(db, visit.child, entry, clinic_id=visit.user.clinic_id,
                               by_user_id=visit.user.id, role=visit.user.role,
                               at=visit.at)  # fmt: skip
                db.commit()
            except RecordError as exc:
                visit.db.rollback()
                errors[exc.field] = error_text(request, exc)
        if errors:
            return _page(request, visit, within, number, form_for=int(visit.child.id),  # type: ignore[arg-type]
                         form=dict(data), errors=errors, status_code=422)  # fmt: skip
        return Redirect(f"/doctor/calls?within={within}&page={number}", status_code=303)
