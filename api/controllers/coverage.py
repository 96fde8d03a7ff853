"""JSON API for bureaus: coverage of an area against the 95 % target, and the same rows as CSV
(counts only; every CSV download is audited)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Controller, Request, Response
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from pydantic import BaseModel

from api import audit
from api.access import ADMIN, BUREAU
from api.controllers.base import api_get
from api.request_scope import Caller
from api.services import dashboard as dash
from health.coverage import CoverageRow

AreaCode = Annotated[str | None, QueryParameter(description="Area code (default: your area)")]
Grouping = Annotated[str, QueryParameter(description="area (one level down), clinic, facility")]
PeriodText = Annotated[str | None, QueryParameter(description="YEAR, YEAR-Qn or START..END")]


def coverage_query(
    area: AreaCode = None, by: Grouping = "area", period: PeriodText = None
) -> dash.CoverageQuery:
    """Dependency ``coverage``: the bureau's area, grouping and period."""
    return dash.CoverageQuery(area, by, period)


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


class CoverageController(Controller):
    """The three coverage indicators of an area in the caller's scope."""

    path = "/api/v1"
    tags = ["coverage"]
    opt = {"roles": (BUREAU, ADMIN)}
    dependencies = {"coverage": Provide(coverage_query, sync_to_thread=False)}

    @api_get("/coverage")
    def coverage_view(
        self, caller: NamedDependency[Caller], coverage: NamedDependency[dash.CoverageQuery]
    ) -> DashboardOut:
        """The three coverage indicators of an area in your scope: its totals, its sub-areas,
        clinics or facilities, and the last four quarters (counts only)."""
        view = dash.dashboard_for(caller.db, caller.user, caller.at, coverage, strict=True)
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
        caller: NamedDependency[Caller],
        coverage: NamedDependency[dash.CoverageQuery],
    ) -> Response[str]:
        """The same rows as CSV (counts only). Every download is audited
        (``export.coverage``)."""
        db = caller.db
        view = dash.dashboard_for(db, caller.user, caller.at, coverage, strict=True)
        # everything the answer needs is read before the read transaction ends: a rollback
        # expires the ORM rows, and reading one again would begin a transaction before the
        # audit's write transaction could begin IMMEDIATE (its execution option would be dropped)
        code, text = view.area.code, dash.to_csv(view)
        name = f"coverage-{code}-{view.by}.csv"
        db.rollback()
        audit.record(request, db, caller.user, "export.coverage", "area", code,
                     own_transaction=True)  # fmt: skip
        return Response(
            text,
            media_type="text/csv",
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )
