"""The doctor's pages: the case queue (filtered by facility and domain) and recording an
outcome."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import audit
from api.access import CLINICIANS, CurrentUser
from api.context import now, today
from api.controllers.base import PageController, page_get, page_post
from api.database import begin_write
from api.errors import ServiceInputError
from api.pages.render import Form, error_text, parse_date, render
from api.services import views
from health.errors import RecordError
from health.models import Case, CaseClose, Facility
from health.services.cases import close_case
from screening.flags import Domain


class DoctorPages(PageController):
    """The clinic's queue of open cases."""

    path = "/doctor"
    opt = {"roles": CLINICIANS}

    @page_get("/")
    def doctor_queue(
        self,
        request: Request,
        db: NamedDependency[Session],
        user: NamedDependency[CurrentUser],
        facility: FromQuery[int | None] = None,
        domain: FromQuery[str | None] = None,
    ) -> Template:
        facilities = list(
            db.execute(
                select(Facility)
                .where(Facility.clinic_id == user.clinic_id)
                .order_by(Facility.name)
            ).scalars()
        )
        rows = views.case_queue(
            db, user, today(request), facility_id=facility, domain=domain or None
        )
        return render(
            request,
            "doctor_queue.html",
            rows=rows,
            facilities=facilities,
            facility=facility,
            domain=domain or "",
            domains=tuple(d.value for d in Domain),
        )


class CasePages(PageController):
    """A doctor's outcome of a case."""

    path = "/cases/{case_id:int}"
    opt = {"roles": CLINICIANS}

    @page_post("/outcome")
    def outcome_submit(
        self,
        request: Request,
        db: NamedDependency[Session],
        user: NamedDependency[CurrentUser],
        case: NamedDependency[Case],
        data: Form,
    ) -> Response[Any]:
        begin_write(db)
        try:
            recheck = parse_date(data, "recheck_on") if data.get("recheck_on") else None
            entry = CaseClose(
                outcome=str(data.get("outcome", "")),
                outcome_note=str(data.get("outcome_note") or "") or None,
                recheck_on=recheck,
            )
            close_case(db, int(case.id), entry, actor_id=user.id, now=now(request))  # type: ignore[arg-type]
            audit.record(request, db, user, "case.outcome", "case", int(case.id))  # type: ignore[arg-type]
            db.commit()
        except (ServiceInputError, RecordError, ValidationError) as exc:
            raise ServiceInputError(error_text(request, exc)) from None
        return Redirect(f"/children/{case.child_id}", status_code=303)
