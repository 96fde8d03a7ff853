"""JSON API for bureaus: coverage of an area against the 95 % target, and the same rows as CSV
(counts only; every CSV download is audited)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Controller, Request, Response
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from pydantic import BaseModel
from sqlalchemy.orm import Session

from api import audit
from api.access import ADMIN, BUREAU, CurrentUser
from api.context import moment
from api.controllers.base import api_get
from api.errors import ServiceInputError
from api.services import dashboard as dash
from health.coverage import CoverageRow
from health.periods import Period

Area = Annotated[str | None, QueryParameter(description="Area code (default: your area)")]
By = Annotated[str, QueryParameter(description="area (one level down), clinic, facility")]
PeriodText = Annotated[str | None, QueryParameter(description="YEAR, YEAR-Qn or START..END")]


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


def _dashboard(
    request: Request, db: Session, user: CurrentUser, area: str | None, by: str, period: str | None
) -> dash.Dashboard:
    if by not in dash.GROUPINGS:
        raise ServiceInputError("Grouping {by} is not one of area, clinic, facility.", by=by)
    return dash.dashboard(
        db,
        user,
        moment(request),
        area_code=area,
        by=by,
        period=Period.parse(period) if period else None,
    )


class CoverageController(Controller):
    """The three coverage indicators of an area in the caller's scope."""

    path = "/api/v1"
    tags = ["coverage"]
    opt = {"roles": (BUREAU, ADMIN)}

    @api_get("/coverage")
    def coverage_view(
        self,
        request: Request,
        db: NamedDependency[Session],
        user: NamedDependency[CurrentUser],
        area: Area = None,
        by: By = "area",
        period: PeriodText = None,
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

    @api_get("/coverage.csv", media_type="text/csv")
    def coverage_csv(
        self,
        request: Request,
        db: NamedDependency[Session],
        user: NamedDependency[CurrentUser],
        area: Area = None,
        by: By = "area",
        period: PeriodText = None,
    ) -> Response[str]:
        """The same rows as CSV (counts only). Every download is audited
        (``export.coverage``)."""
        view = _dashboard(request, db, user, area, by, period)
        # everything the answer needs is read before the read transaction ends: a rollback
        # expires the ORM rows, and reading one again would begin a transaction before the
        # audit's write transaction could begin IMMEDIATE (its execution option would be dropped)
        code, text = view.area.code, dash.to_csv(view)
        name = f"coverage-{code}-{view.by}.csv"
        db.rollback()
        audit.record_now(request, db, user, "export.coverage", "area", code)
        return Response(
            text,
            media_type="text/csv",
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )
