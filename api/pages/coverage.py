"""The bureau's coverage dashboard (counts only, no personal data)."""

from __future__ import annotations

from litestar import Request
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template
from sqlalchemy.orm import Session

from api.access import ADMIN, BUREAU, CurrentUser
from api.context import clock_of, lang, moment
from api.controllers.base import PageController, page_get
from api.i18n import gettext
from api.pages.render import INDICATOR_LABELS, render
from api.services import dashboard as dash
from health.coverage import INDICATORS
from health.periods import Period


class BureauPages(PageController):
    """Coverage of an area against the 95 % target, by sub-area, clinic or facility."""

    path = "/bureau"
    opt = {"roles": (BUREAU, ADMIN)}

    @page_get("/")
    def bureau_dashboard(
        self,
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
            moment(request),
            area_code=area,
            by=by,
            period=Period.parse(period) if period else None,
        )
        names = {k: gettext(language, v) for k, v in INDICATOR_LABELS.items()}
        return render(
            request,
            "bureau.html",
            view=view,
            computed_at=clock_of(request).local(view.computed_at),  # shown in local time
            names=names,
            indicators=INDICATORS,
            trend_html=dash.trend_figure_html(view, language, names),
            period=period or "",
        )
