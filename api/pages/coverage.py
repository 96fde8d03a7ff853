"""The bureau's coverage dashboard (counts only, no personal data)."""

from __future__ import annotations

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
        query = dash.CoverageQuery(area, by, period)
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
            period=period or "",
        )
