"""The doctor's pages: the case queue (filtered by facility and domain) and recording an
outcome."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.exceptions import ValidationException
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from pydantic import ValidationError
from sqlalchemy import select

from api import audit
from api.access import CLINICIANS, MAX_ID
from api.context import lang
from api.controllers.base import PageController, page_get, page_post
from api.errors import ServiceInputError
from api.i18n import gettext
from api.pages.children import _child_context, _doctor_context
from api.pages.render import Form, error_text, parse_date, render
from api.request_scope import Caller, Visit, record_outcome
from api.services import charts, views
from api.services.present import indicator_name
from health.errors import RecordError
from health.models import Case, CaseClose, Child, Facility
from health.services.cases import ADVICE_LENGTH, NOTE_LENGTH
from screening.flags import Domain
from screening.messages import text

ID_OR_ALL = r"^([1-9][0-9]*)?$"  # a row id, or empty for "all"


def _facility_id(value: str | None) -> int | None:
    """The facility filter: None for "all" (absent or empty), else an id in 1..MAX_ID (a larger
    one is a bad request, like the API's ids)."""
    if not value:
        return None
    if int(value) > MAX_ID:
        raise ValidationException(f"facility: an id is at most {MAX_ID}")
    return int(value)


class CasePages(PageController):
    """The clinic's queue of open cases and the doctor's outcomes."""

    path = "/"
    opt = {"roles": CLINICIANS}

    @page_get("/doctor")
    def doctor_queue(
        self,
        request: Request,
        caller: NamedDependency[Caller],
        facility: Annotated[str | None, QueryParameter(max_length=19, pattern=ID_OR_ALL)] = None,
        domain: Annotated[str | None, QueryParameter(max_length=32)] = None,
    ) -> Template:
        """The queue; an empty filter (the form's "all") means no filter."""
        db, user = caller.db, caller.user
        facility_id = _facility_id(facility)
        facilities = list(
            db.execute(
                select(Facility).where(Facility.clinic_id == user.clinic_id).order_by(Facility.name)
            ).scalars()
        )
        rows = views.queue_read(request, caller, facility_id=facility_id, domain=domain or None)
        return render(
            request,
            "doctor_queue.html",
            rows=rows,
            facilities=facilities,
            facility=facility_id,
            domain=domain or "",
            domains=tuple(d.value for d in Domain),
        )

    @page_post("/cases/{case_id:int}/outcome")
    def outcome_submit(
        self,
        request: Request,
        caller: NamedDependency[Caller],
        case: NamedDependency[Case],
        data: Form,
    ) -> Response[Any]:
        """Save the outcome and go back to the child; a refusal shows the child's page again
        (422) with the message next to the outcome form and what the doctor typed kept."""
        try:
            recheck = parse_date(data, "recheck_on") if data.get("recheck_on") else None
            entry = CaseClose(
                outcome=str(data.get("outcome", "")),
                outcome_note=str(data.get("outcome_note") or "") or None,
                recheck_on=recheck,
                note_for_family=data.get("note_for_family") == "1",
                facility_advice=str(data.get("facility_advice") or "") or None,
            )
            record_outcome(request, caller, case, entry)
        except (ServiceInputError, RecordError, ValidationError) as exc:
            caller.db.rollback()
            return _refused(request, caller, case, data, _outcome_error(request, exc))
        return Redirect(f"/children/{case.child_id}", status_code=303)


def _outcome_error(request: Request, exc: Exception) -> str:
    """The refusal in words: a missing outcome or an over-long note or advice named without
    field names."""
    if isinstance(exc, ValidationError):
        where = str(exc.errors()[0]["loc"][0]) if exc.errors()[0]["loc"] else ""
        if where == "outcome_note":
            return text("error.record.text_too_long", lang(request), limit=NOTE_LENGTH)
        if where == "facility_advice":
            return text("error.record.text_too_long", lang(request), limit=ADVICE_LENGTH)
        return gettext(lang(request), "Choose an outcome.")
    return error_text(request, exc)


def _refused(
    request: Request, caller: Caller, case: Case, form: dict[str, Any], error: str
) -> Template:
    """The child's page again, status 422, the outcome form filled with ``form`` and
    ``error`` next to it; the page shows the child's record, so it is audited like a read."""
    child = caller.db.get(Child, case.child_id)
    audit.record(request, caller.db, caller.user, "child.read", "child", int(case.child_id),
                 own_transaction=True)  # fmt: skip
    visit = Visit(caller.db, caller.user, caller.at, caller.language, child)  # type: ignore[arg-type]
    context = _child_context(request, visit)
    rows = context["rows"]
    return render(
        request,
        "child.html",
        status_code=422,
        **context,
        **_doctor_context(visit, outcome_form=form, outcome_error=error),
        professional=True,
        chart="wfa",
        chart_html=charts.chart_html(visit.child, rows, "wfa", caller.language) if rows else "",
        charts=charts.CHARTS,
        indicator_name=lambda code: indicator_name(code, caller.language),
    )
