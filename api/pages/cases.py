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

from api.access import CLINICIANS, MAX_ID
from api.controllers.base import PageController, page_get, page_post
from api.errors import ServiceInputError
from api.pages.render import Form, error_text, parse_date, render
from api.request_scope import Caller, record_outcome
from api.services import views
from health.errors import RecordError
from health.models import Case, CaseClose, Facility
from screening.flags import Domain

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
        try:
            recheck = parse_date(data, "recheck_on") if data.get("recheck_on") else None
            entry = CaseClose(
                outcome=str(data.get("outcome", "")),
                outcome_note=str(data.get("outcome_note") or "") or None,
                recheck_on=recheck,
            )
            record_outcome(request, caller, case, entry)
        except (ServiceInputError, RecordError, ValidationError) as exc:
            raise ServiceInputError(error_text(request, exc)) from None
        return Redirect(f"/children/{case.child_id}", status_code=303)
