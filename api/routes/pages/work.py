"""Professional pages: the doctor's case queue, outcomes and missed checks; the facility's
enrolled children and due list; the bureau's coverage dashboard."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from api import audit
from api.access import (
    ADMIN,
    BUREAU,
    DOCTOR,
    FACILITY,
    CurrentUser,
    case_for,
)
from api.database import begin_write
from api.errors import ServiceInputError
from api.i18n import gettext
from api.routes.common import lang, now, today
from api.routes.pages.render import (
    INDICATOR_LABELS,
    Form,
    error_text,
    parse_date,
    render,
)
from api.services import dashboard as dash
from api.services import views
from health.coverage import INDICATORS
from health.errors import RecordError
from health.models import (
    CaseClose,
    Facility,
)
from health.periods import Period
from health.services.cases import close_case

# -- doctors -------------------------------------------------------------------------------


@get("/doctor", opt={"roles": (DOCTOR, ADMIN)}, sync_to_thread=False, include_in_schema=False)
def doctor_queue(
    request: Request,
    db: NamedDependency[Session],
    user: NamedDependency[CurrentUser],
    facility: FromQuery[int | None] = None,
    domain: FromQuery[str | None] = None,
) -> Template:
    facilities = list(
        db.execute(
            select(Facility).where(Facility.clinic_id == user.clinic_id).order_by(Facility.name)
        ).scalars()
    )
    rows = views.case_queue(db, user, today(request), facility_id=facility, domain=domain or None)
    return render(
        request,
        "doctor_queue.html",
        rows=rows,
        facilities=facilities,
        facility=facility,
        domain=domain or "",
        domains=("growth", "development", "feeding", "anaemia", "schedule"),
    )


@post(
    "/cases/{case_id:int}/outcome",
    opt={"roles": (DOCTOR, ADMIN)},
    sync_to_thread=False,
    include_in_schema=False,
)
def outcome_submit(
    request: Request,
    db: NamedDependency[Session],
    user: NamedDependency[CurrentUser],
    case_id: FromPath[int],
    data: Form,
) -> Response[Any]:
    begin_write(db)
    case = case_for(db, user, case_id)
    try:
        recheck = parse_date(data, "recheck_on") if data.get("recheck_on") else None
        entry = CaseClose(
            outcome=str(data.get("outcome", "")),
            outcome_note=str(data.get("outcome_note") or "") or None,
            recheck_on=recheck,
        )
        close_case(db, case.id, entry, actor_id=user.id, now=now(request))
        audit.record(request, db, user, "case.outcome", "case", case_id)
        db.commit()
    except (ServiceInputError, RecordError, ValidationError) as exc:
        raise ServiceInputError(error_text(request, exc)) from None
    return Redirect(f"/children/{case.child_id}", status_code=303)


@get(
    "/doctor/missed", opt={"roles": (DOCTOR, ADMIN)}, sync_to_thread=False, include_in_schema=False
)
def doctor_missed(
    request: Request, db: NamedDependency[Session], user: NamedDependency[CurrentUser]
) -> Template:
    return render(
        request,
        "due_list.html",
        rows=views.due_list(db, user, today(request), ("missed",)),
        title="Missed checks",
    )


# -- facility staff --------------------------------------------------------------------------


@get("/facility", opt={"roles": (FACILITY, ADMIN)}, sync_to_thread=False, include_in_schema=False)
def facility_home(
    request: Request, db: NamedDependency[Session], user: NamedDependency[CurrentUser]
) -> Template:
    facility = db.get(Facility, user.facility_id) if user.facility_id else None
    return render(
        request,
        "facility.html",
        facility=facility,
        children=views.scope_children(db, user),
        due=views.due_list(db, user, today(request)),
    )


# -- bureaus ---------------------------------------------------------------------------------


@get("/bureau", opt={"roles": (BUREAU, ADMIN)}, sync_to_thread=False, include_in_schema=False)
def bureau_dashboard(
    request: Request,
    db: NamedDependency[Session],
    user: NamedDependency[CurrentUser],
    area: FromQuery[str | None] = None,
    by: FromQuery[str] = "area",
    period: FromQuery[str | None] = None,
) -> Template:
    if by not in dash.GROUPINGS:
        by = "area"
    language = lang(request)
    view = dash.dashboard(
        db,
        user,
        today(request),
        area_code=area,
        by=by,
        period=Period.parse(period) if period else None,
    )
    names = {k: gettext(language, v) for k, v in INDICATOR_LABELS.items()}
    return render(
        request,
        "bureau.html",
        view=view,
        names=names,
        indicators=INDICATORS,
        trend_html=dash.trend_figure_html(view, language, names),
        period=period or "",
    )
