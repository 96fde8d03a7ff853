"""The bureau's coverage dashboard (counts only, small counts hidden, no personal data)."""

from __future__ import annotations

import datetime as dt
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
from health.periods import BUREAU_FIRST_YEAR, PeriodError
from health.suppression import MARK

EMPTY = {  # a row whose denominator is 0, in words instead of "– –  0/0 0"
    "infant_health_management": "No child with a check due in the period",
    "child_health_management_0_6": "No children under 7 in the period",
    "newborn_visit": "No newborns in the period",
}

OUTLOOKS = {  # health.forecast's status of a unit's year, in words
    "on_track": "On track",
    "at_risk": "At risk",
    "will_miss": "Will miss",
}


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
        year: FromQuery[str | None] = None,
        part: FromQuery[str | None] = None,
    ) -> Template:
        """The dashboard; the period comes from the selector (``year`` and ``part``: empty for
        the whole year, ``Q1``–``Q4`` or ``01``–``12``) or from ``period`` in the links. A
        period that is not a whole year, quarter or month is explained in words above the
        current year's figures (the page keeps working)."""
        if year:
            period = f"{year}-{part}" if part else year
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
            selector=period_choices(caller.language, caller.at.today),
            empty=EMPTY,
            outlooks={k: gettext(caller.language, v) for k, v in OUTLOOKS.items()},
            period_words=dash.period_words(view.period, caller.language),
        )


def period_choices(language: str, today: dt.date) -> dict[str, list[tuple[str, str]]]:
    """The period selector's choices, (value, words): the years a bureau may ask for (newest
    first), and the parts of a year (the whole year, its quarters, its months)."""
    years = [(str(y), str(y)) for y in range(today.year + 1, BUREAU_FIRST_YEAR - 1, -1)]
    parts = [("", gettext(language, "Whole year"))]
    parts += [(f"Q{q}", gettext(language, "Quarter {number}", number=q)) for q in range(1, 5)]
    parts += [(f"{m:02}", gettext(language, "Month {number}", number=m)) for m in range(1, 13)]
    return {"years": years, "parts": parts}
