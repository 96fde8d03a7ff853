"""The bureau's coverage dashboard (counts only, small counts hidden, no personal data)."""

from __future__ import annotations

from dataclasses import replace

from litestar import Request
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template

from api.access import ADMIN, BUREAU
from api.context import clock_of
from api.controllers.base import PageController, page_get
from api.i18n import gettext
from api.pages.render import INDICATOR_LABELS, render
from api.request_scope import Caller
from api.services import dashboard as dash
from health.coverage import INDICATORS
from health.periods import PeriodError
from health.suppression import MARK


class BureauPages(PageController):
    """Coverage of an area against the 95 % target, by sub-area, clinic or facility."""

    path = "/bureau"
    opt = {"roles": (BUREAU, ADMIN)}

    @page_get("/")
    def bureau_dashboard(
        self,
        request: Request,
        caller: NamedDependency[Caller],
        area: FromQuery[str | None] = None,
        by: FromQuery[str] = "area",
        period: FromQuery[str | None] = None,
    ) -> Template:
        """The dashboard; a period that is not a whole year, quarter or month is explained in
        words above the current year's figures (the page keeps working)."""
        query = dash.CoverageQuery(area, by, period or None)
        error = None
        try:
            view = dash.dashboard_for(caller.db, caller.user, caller.at, query, strict=False)
        except PeriodError as exc:
            error = gettext(caller.language, exc.message, **exc.params)
            query = replace(query, period=None)
            view = dash.dashboard_for(caller.db, caller.user, caller.at, query, strict=False)
        names = {k: gettext(caller.language, v) for k, v in INDICATOR_LABELS.items()}
        return render(
            request,
            "bureau.html",
            view=view,
            computed_at=clock_of(request).local(view.computed_at),  # shown in local time
            names=names,
            indicators=INDICATORS,
            trend_html=dash.trend_figure_html(view, caller.language, names),
            period=query.period or "",
            asked=period or "",
            error=error,
            mark=MARK,  # a hidden count: the same notation in every language and in the CSV
        )
