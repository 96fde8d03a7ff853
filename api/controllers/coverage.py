"""JSON API for bureaus: coverage of an area against the 95 % target, and the same rows as CSV
(counts only, small counts hidden by :mod:`health.suppression`; every CSV download is
audited)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Controller, Request, Response
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from pydantic import BaseModel, Field

from api import audit
from api.access import ADMIN, BUREAU
from api.controllers.base import api_get
from api.request_scope import Caller
from api.services import dashboard as dash
from health.forecast import ReleasedForecast
from health.release import ReleasedRow

AreaCode = Annotated[str | None, QueryParameter(description="Area code (default: your area)")]
Grouping = Annotated[str, QueryParameter(description="area (one level down), clinic, facility")]
PeriodText = Annotated[
    str | None,
    QueryParameter(
        description="A whole calendar period: a year YYYY, a quarter YYYY-Qn or a month YYYY-MM, "
        "from 2000 to next year (default: this year, counted to today). Any other form, "
        "ranges included, is refused with a 400 problem of type bad-period."
    ),
]
HIDDEN = "; null when hidden (suppressed is then true)"


def coverage_query(
    area: AreaCode = None, by: Grouping = "area", period: PeriodText = None
) -> dash.CoverageQuery:
    """Dependency ``coverage``: the bureau's area, grouping and period."""
    return dash.CoverageQuery(area, by, period)


class CoverageRowOut(BaseModel):
    """One indicator of one unit. Counts from 1 to 4 children are hidden, and so are the counts
    that would give one back by subtraction (complementary suppression): a hidden count is
    null, ``suppressed`` is true, and the rate, its interval and ``meets_target`` are null."""

    unit_code: str = Field(description="Code of the area, clinic or facility")
    unit_name: str
    indicator: str = Field(
        description="infant_health_management, child_health_management_0_6 or newborn_visit"
    )
    numerator: int | None = Field(description="Children counted in the numerator" + HIDDEN)
    denominator: int | None = Field(description="Children in the denominator" + HIDDEN)
    rate: float | None = Field(
        description="numerator / denominator (0–1); null when the denominator is 0 or a "
        "count is hidden"
    )
    ci_low: float | None = Field(description="Wilson 95 % interval, lower end (0–1), or null")
    ci_high: float | None = Field(description="Wilson 95 % interval, upper end (0–1), or null")
    target: float = Field(description="Target rate (0–1), e.g. 0.95")
    meets_target: bool | None = Field(
        description="Whether the rate reaches the target; null when the denominator is 0 or a "
        "count is hidden"
    )
    gap: int | None = Field(
        description="Children still needed to reach the target, max(0, ceil(target × "
        "denominator) − numerator); hidden with the numerator" + HIDDEN
    )
    suppressed: bool = Field(description="True when any count of this row is hidden")

    @classmethod
    def of(cls, row: ReleasedRow) -> CoverageRowOut:
        """The row as released by ``health.release``."""
        return cls(**row.as_dict())


def _rows(rows: list[ReleasedRow]) -> list[CoverageRowOut]:
    return [CoverageRowOut.of(r) for r in rows]


class ForecastRowOut(BaseModel):
    """Where one indicator of one unit will stand on 31 December, forecast today (method:
    ``docs/forecast.md``). Hidden entirely (``suppressed`` true, figures null) when the unit's
    row of the year so far hides a count or the forecast counts 1 to 4 children."""

    unit_code: str
    unit_name: str
    indicator: str
    projected_rate: float | None = Field(description="Projected year-end rate (0–1), or null")
    low: float | None = Field(description="80 % interval of the year-end rate, low end, or null")
    high: float | None = Field(description="80 % interval, high end (0–1), or null")
    target: float = Field(description="Target rate (0–1)")
    meets_target: bool | None = Field(description="Whether the projected rate reaches the target")
    status: str | None = Field(
        description="on_track (the interval's low end reaches the target), will_miss (its "
        "high end is below it), at_risk (otherwise); null when hidden or no child counts"
    )
    extra_children_needed: int | None = Field(
        description="Children beyond those expected who must be seen to reach the target; "
        "null when 1 to 4 (extra_hidden) or when the row is hidden"
    )
    extra_hidden: bool
    suppressed: bool

    @classmethod
    def of(cls, row: ReleasedForecast) -> ForecastRowOut:
        """The row as released by ``health.forecast.release``."""
        return cls(**row.as_dict())


class ForecastOut(BaseModel):
    """The year-end forecast of the year under way, made today (no counts of children)."""

    made_on: dt.date = Field(description="The day the forecast was made (local today)")
    totals: list[ForecastRowOut]
    rows: list[ForecastRowOut] = Field(description="The same units as the dashboard's rows")


class DashboardOut(BaseModel):
    """Counts only: no child, name or birth date; small counts hidden (see the rows)."""

    area_code: str
    area_name: str
    period: str = Field(description="The period asked for: YYYY, YYYY-Qn or YYYY-MM")
    period_start: dt.date = Field(description="First day counted")
    period_end: dt.date = Field(description="Last day counted (today while under way)")
    by: str
    totals: list[CoverageRowOut]
    rows: list[CoverageRowOut]
    trend: dict[str, list[CoverageRowOut]] = Field(
        description="The area's totals in each of the last four quarters (YYYY-Qn), the "
        "current one counted to today. Each quarter is counted on its own, by the year's "
        "definitions applied to the quarter and its last day (0-6 y: children under 7 on "
        "that day with a check dated in the quarter, so well below the year's figure)"
    )
    forecast: ForecastOut | None = Field(
        default=None,
        description="Where the year will end, for the current year asked before 31 December",
    )


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
            period=view.period.label,
            period_start=view.counted.start,
            period_end=view.counted.end,
            by=view.by,
            totals=_rows(view.totals),
            rows=_rows(view.rows),
            trend={label: _rows(rows) for label, rows in view.trend},
            forecast=None
            if view.forecast_on is None
            else ForecastOut(
                made_on=view.forecast_on,
                totals=[ForecastRowOut.of(r) for r in view.forecast_totals],
                rows=[ForecastRowOut.of(r) for r in view.forecast_rows],
            ),
        )

    @api_get("/coverage.csv", media_type="text/csv")
    def coverage_csv(
        self,
        request: Request,
        caller: NamedDependency[Caller],
        coverage: NamedDependency[dash.CoverageQuery],
    ) -> Response[str]:
        """The same rows as CSV in the caller's language (``?lang=en`` for English; zh-CN by
        default), UTF-8 with a byte-order mark so that a spreadsheet reads it as UTF-8; column,
        table and indicator names in words, rates in percent with one decimal; counts only (a
        hidden count is written ``<5`` and its row's rate, interval and "target met" are
        empty). Every download is audited (``export.coverage``)."""
        db = caller.db
        view = dash.dashboard_for(db, caller.user, caller.at, coverage, strict=True)
        # everything the answer needs is read before the read transaction ends: a rollback
        # expires the ORM rows, and reading one again would begin a transaction before the
        # audit's write transaction could begin IMMEDIATE (its execution option would be dropped)
        code, text = view.area.code, dash.to_csv(view, caller.language)
        name = f"coverage-{code}-{view.by}.csv"
        db.rollback()
        audit.record(request, db, caller.user, "export.coverage", "area", code,
                     own_transaction=True)  # fmt: skip
        return Response(
            text,
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )
