"""JSON API for doctors (case queue, outcomes, missed checks), facility staff (due list) and
bureaus (coverage, CSV; counts only)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from pydantic import BaseModel
from sqlalchemy.orm import Session

from api import audit
from api.access import ADMIN, BUREAU, DOCTOR, FACILITY, MAX_ID, CurrentUser, case_for
from api.database import begin_write
from api.errors import PROBLEM_RESPONSES
from api.routes.common import now, today
from api.services import dashboard as dash
from api.services import views
from health.coverage import CoverageRow
from health.models import CaseClose, CasePublic
from health.periods import Period
from health.services.cases import close_case


class QueueOut(BaseModel):
    case_id: FromPath[int]
    child_id: FromPath[int]
    child_code: str
    sex: str
    age_days: int
    severity: str
    domains: str
    oldest_flag_at: dt.datetime
    recheck_on: dt.date | None
    facility: str | None


class DueOut(BaseModel):
    child_id: FromPath[int]
    child_code: str
    check: str
    status: str
    opens: dt.date
    closes: dt.date


class DashboardOut(BaseModel):
    """Counts only: no child, name or birth date."""

    area_code: str
    area_name: str
    period_start: dt.date
    period_end: dt.date
    by: str
    totals: list[CoverageRow]
    rows: list[CoverageRow]
    trend: dict[str, list[CoverageRow]]


def _queue_out(row: views.QueueRow) -> QueueOut:
    data = vars(row).copy()
    data.pop("child_name")
    return QueueOut(**data)


@get(
    "/api/v1/cases",
    responses=PROBLEM_RESPONSES,
    opt={"roles": (DOCTOR, ADMIN)},
    sync_to_thread=False,
    tags=["cases"],
)
def case_queue(
    request: Request,
    db: NamedDependency[Session],
    user: NamedDependency[CurrentUser],
    facility_id: Annotated[
        int | None,
        QueryParameter(description="Children enrolled there now", ge=1, le=MAX_ID),
    ] = None,
    domain: Annotated[
        str | None, QueryParameter(description="growth, development, feeding, …")
    ] = None,
) -> list[QueueOut]:
    """Open cases of the doctor's clinic by severity, then oldest open flag first."""
    rows = views.case_queue(db, user, today(request), facility_id=facility_id, domain=domain)
    return [_queue_out(r) for r in rows]


@post(
    "/api/v1/cases/{case_id:int}/outcome",
    responses=PROBLEM_RESPONSES,
    opt={"roles": (DOCTOR, ADMIN)},
    sync_to_thread=False,
    tags=["cases"],
)
def case_outcome(
    request: Request,
    db: NamedDependency[Session],
    user: NamedDependency[CurrentUser],
    case_id: FromPath[int],
    data: JSONBody[CaseClose],
) -> CasePublic:
    """Record the outcome: ``recheck`` (with ``recheck_on``) keeps the case open, ``normal``,
    ``advice`` and ``referred`` (with the institution in ``outcome_note``) close it. Audited."""
    begin_write(db)
    case = close_case(db, case_for(db, user, case_id).id, data, actor_id=user.id, now=now(request))
    audit.record(request, db, user, "case.outcome", "case", case_id)
    db.commit()
    return CasePublic.model_validate(case, from_attributes=True)


@get(
    "/api/v1/missed-checks",
    responses=PROBLEM_RESPONSES,
    opt={"roles": (DOCTOR, ADMIN)},
    sync_to_thread=False,
    tags=["cases"],
)
def missed_checks(
    request: Request, db: NamedDependency[Session], user: NamedDependency[CurrentUser]
) -> list[DueOut]:
    """Children in the doctor's area whose check window closed without a visit (last year)."""
    return [_due(r) for r in views.due_list(db, user, today(request), ("missed",))]


def _due(row: views.DueRow) -> DueOut:
    return DueOut(
        child_id=row.child_id,
        child_code=row.child_code,
        check=row.check,
        status=row.status,
        opens=row.opens,
        closes=row.closes,
    )


@get(
    "/api/v1/facility/due",
    responses=PROBLEM_RESPONSES,
    opt={"roles": (FACILITY, ADMIN)},
    sync_to_thread=False,
    tags=["facility"],
)
def facility_due(
    request: Request, db: NamedDependency[Session], user: NamedDependency[CurrentUser]
) -> list[DueOut]:
    """Enrolled children with a check due now or overdue at the linked clinic."""
    return [_due(r) for r in views.due_list(db, user, today(request))]


def _dashboard(
    request: Request, db: Session, user: CurrentUser, area: str | None, by: str, period: str | None
) -> dash.Dashboard:
    if by not in dash.GROUPINGS:
        from api.errors import ServiceInputError

        raise ServiceInputError("Grouping {by} is not one of area, clinic, facility.", by=by)
    return dash.dashboard(
        db,
        user,
        today(request),
        area_code=area,
        by=by,
        period=Period.parse(period) if period else None,
    )


@get(
    "/api/v1/coverage",
    responses=PROBLEM_RESPONSES,
    opt={"roles": (BUREAU, ADMIN)},
    sync_to_thread=False,
    tags=["coverage"],
)
def coverage_view(
    request: Request,
    db: NamedDependency[Session],
    user: NamedDependency[CurrentUser],
    area: Annotated[
        str | None, QueryParameter(description="Area code (default: your area)")
    ] = None,
    by: Annotated[
        str, QueryParameter(description="area (one level down), clinic, facility")
    ] = "area",
    period: Annotated[str | None, QueryParameter(description="YEAR, YEAR-Qn or START..END")] = None,
) -> DashboardOut:
    """The three coverage indicators of an area in your scope: its totals, its sub-areas,
    clinics or facilities, and the last four quarters (counts only)."""
    view = _dashboard(request, db, user, area, by, period)
    return DashboardOut(
        area_code=view.area.code,
        area_name=view.area.name,
        period_start=view.period.start,
        period_end=view.period.end,
        by=view.by,
        totals=list(view.totals),
        rows=list(view.rows),
        trend={label: list(rows) for label, rows in view.trend},
    )


@get(
    "/api/v1/coverage.csv",
    responses=PROBLEM_RESPONSES,
    opt={"roles": (BUREAU, ADMIN)},
    sync_to_thread=False,
    tags=["coverage"],
    media_type="text/csv",
)
def coverage_csv(
    request: Request,
    db: NamedDependency[Session],
    user: NamedDependency[CurrentUser],
    area: FromQuery[str | None] = None,
    by: FromQuery[str] = "area",
    period: FromQuery[str | None] = None,
) -> Response[str]:
    """The same rows as CSV (counts only). Every download is audited (``export.coverage``)."""
    view = _dashboard(request, db, user, area, by, period)
    # everything the answer needs is read before the read transaction ends: a rollback expires
    # the ORM rows, and reading one again would begin a transaction before the audit's write
    # transaction could begin IMMEDIATE (its execution option would then be dropped)
    code, text = view.area.code, dash.to_csv(view)
    name = f"coverage-{code}-{view.by}.csv"
    db.rollback()
    audit.record_now(request, db, user, "export.coverage", "area", code)
    return Response(
        text,
        media_type="text/csv",
        headers={"content-disposition": f'attachment; filename="{name}"'},
    )
