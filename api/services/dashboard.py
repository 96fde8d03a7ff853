"""The bureau's coverage dashboard: counts only, for the user's area and below, one level of
drill-down at a time; a quarterly trend of the selected area. No child-level data (no name, birth
date, child id or code), and small counts hidden: every row is a
:class:`health.release.ReleasedRow` (the rule: :mod:`health.suppression`; where it is solved:
:mod:`health.release`). Periods are whole years, quarters or months
(:func:`health.periods.bureau_period`)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.access import ADMIN, CurrentUser
from api.errors import ChildNotFoundError, ServiceInputError
from api.i18n import gettext
from health import forecast, release
from health.clock import Moment
from health.coverage import INDICATORS
from health.models import Area, AreaAncestor
from health.models.enums import AREA_LEVELS
from health.periods import CalendarPeriod, Period, bureau_period
from health.release import AreaRelease, ReleasedRow
from health.services.facility_visits import last_visits_by_code
from health.suppression import MARK

GROUPINGS = ("area", "clinic", "facility")
CACHE_SECONDS = 300.0
CACHE_ENTRIES = 256
_cache: dict[tuple[Any, ...], tuple[float, Any]] = {}
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class Dashboard:
    """One view of the dashboard: the selected area, its own totals, the rows of the chosen
    grouping (sub-areas one level down, clinics or facilities), and the trend by quarter; every
    row as released (small counts hidden). ``counted`` is ``period`` as counted on the day
    (cut at today while under way); ``computed_at`` the oldest figure's computation time."""

    area: Area
    parents: list[Area]
    period: CalendarPeriod
    counted: Period
    by: str
    child_level: str | None
    totals: list[ReleasedRow]
    rows: list[ReleasedRow]
    trend: list[tuple[str, list[ReleasedRow]]]
    computed_at: dt.datetime
    trend_partial: Period | None = None
    """The days counted of the trend's last quarter when it is still under way (to today)."""
    forecast_on: dt.date | None = None
    """The day the year-end forecast was made (today), or None when the view has none (a
    quarter, a month, another year than today's, or 31 December)."""
    forecast_totals: list[forecast.ReleasedForecast] = field(default_factory=list)
    """The area's own forecast per indicator, as released (:func:`health.forecast.release`)."""
    forecast_rows: list[forecast.ReleasedForecast] = field(default_factory=list)
    """The forecast of each unit of ``rows``, as released."""
    last_visits: dict[str, dt.date] = field(default_factory=dict)
    """The facility table's last visit of the clinic's health advisor per facility code (a
    facility never visited is absent); empty for the other groupings."""
    screens: list[ReleasedRow] = field(default_factory=list)
    """The selected area's screening-test coverage (children screened / children due, one row
    per screen of :data:`health.coverage.SCREENS`), released like the management rates."""

    @property
    def suppressed(self) -> bool:
        """Whether any figure of the view is hidden (the page then explains the mark)."""
        rows = [*self.totals, *self.rows, *(r for _, trend in self.trend for r in trend)]
        rows += self.screens
        return any(r.suppressed for r in rows)


def area_in_scope(session: Session, user: CurrentUser, code: str | None) -> Area:
    """The area ``code`` (default: the user's own) if it is the user's area or below it; any
    other area is "not found", like one that does not exist."""
    own = session.get(Area, user.area_id) if user.area_id is not None else None
    if code is None or (own is not None and code == own.code):
        if own is None:
            if user.role == ADMIN:
                root = session.execute(select(Area).where(Area.parent_id.is_(None))).scalar()
                if root is not None:
                    return root
            raise ChildNotFoundError
        return own
    area = session.execute(select(Area).where(Area.code == code)).scalar_one_or_none()
    if area is None:
        raise ChildNotFoundError
    if user.role == ADMIN:
        return area
    inside = session.execute(
        select(AreaAncestor.area_id).where(
            AreaAncestor.area_id == area.id, AreaAncestor.ancestor_id == user.area_id
        )
    ).first()
    if inside is None:
        raise ChildNotFoundError
    return area


def ancestors(session: Session, area: Area, user: CurrentUser) -> list[Area]:
    """The breadcrumb from the user's own area down to ``area``'s parent."""
    chain: list[Area] = []
    current = area
    while current.parent_id is not None and current.id != user.area_id:
        current = session.get(Area, current.parent_id)  # type: ignore[assignment]
        chain.append(current)
    return list(reversed(chain))


def quarters_back(today: dt.date, count: int = 4) -> list[CalendarPeriod]:
    """The last ``count`` quarters up to and including today's (each counted on ``today``)."""
    out = [CalendarPeriod.of_quarter(today)]
    while len(out) < count:
        last = out[-1]
        out.append(
            CalendarPeriod(last.year, "quarter", last.number - 1)
            if last.number > 1
            else CalendarPeriod(last.year - 1, "quarter", 4)
        )
    return list(reversed(out))


@dataclass(frozen=True)
class CoverageQuery:
    """What a bureau asks: an area code (None: their own), a grouping, a period text
    (``YYYY``, ``YYYY-Qn`` or ``YYYY-MM``; None: the current year, counted to today)."""

    area: str | None = None
    by: str = "area"
    period: str | None = None


def dashboard_for(
    session: Session, user: CurrentUser, at: Moment, query: CoverageQuery, *, strict: bool
) -> Dashboard:
    """:func:`dashboard` for a bureau's query; an unknown grouping is refused when ``strict``
    (the API), else read as ``area`` (the page's links). A period that is not a whole year,
    quarter or month from 2000 to next year raises :class:`health.periods.PeriodError`."""
    by = query.by
    if by not in GROUPINGS:
        if strict:
            raise ServiceInputError("Grouping {by} is not one of area, clinic, facility.", by=by)
        by = "area"
    period = bureau_period(query.period, at.today) if query.period else None
    return dashboard(session, user, at, area_code=query.area, by=by, period=period)


def dashboard(
    session: Session,
    user: CurrentUser,
    at: Moment,
    *,
    area_code: str | None = None,
    by: str = "area",
    period: CalendarPeriod | None = None,
) -> Dashboard:
    """Coverage of the selected area (see :class:`Dashboard`) on the local ``at.today``."""
    today = at.today
    area = area_in_scope(session, user, area_code)
    period = period or CalendarPeriod(today.year)
    depth = AREA_LEVELS.index(area.level)
    child_level = AREA_LEVELS[depth + 1] if depth + 1 < len(AREA_LEVELS) else None
    if by == "area" and child_level is None:
        by = "clinic"
    figures = _Figures(session, at)
    areas = figures.areas(period)
    if by == "area":
        rows = areas.below(figures.tree(), area.code)
    else:
        rows = figures.units(area.code, by, period, areas)
    quarters = quarters_back(today)
    trend = [(q.label, figures.areas(q).of(area.code)) for q in quarters]
    last = quarters[-1]
    partial = last.counted(today) if last.counted(today) != last.whole else None
    visited = last_visits_by_code(session, {r.unit_code for r in rows}) if by == "facility" else {}
    totals = areas.of(area.code)
    ahead: dict[str, Any] = {}
    if period.kind == "year" and period.year == today.year and (today.month, today.day) < (12, 31):
        ahead = {
            "forecast_on": today,
            "forecast_totals": figures.outlook(area.code, "area", area.level, totals),
            "forecast_rows": figures.outlook(area.code, by, child_level or area.level, rows),
        }
    return Dashboard(
        area, ancestors(session, area, user), period, areas.period, by, child_level,
        totals, rows, trend, figures.oldest or at.now, partial, last_visits=visited,
        screens=figures.screens(period).of(area.code), **ahead,
    )  # fmt: skip


T = TypeVar("T")


class _Figures:
    """The released figures a view is made of, each kept for :data:`CACHE_SECONDS` and shared
    by every view and user of the database (a dashboard is looked at often and the counts move
    slowly): the area tree, a year's newborn decisions, a period's area release (one
    aggregation over every area), an area's clinic or facility table."""

    def __init__(self, session: Session, at: Moment) -> None:
        self.session, self.at = session, at
        self.base = (str(session.get_bind().url), at.today)
        self.oldest: dt.datetime | None = None

    def _cached(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        key = (*self.base, *key)
        clock = time.monotonic()
        with _cache_lock:
            hit = _cache.get(key)
        if hit is not None and clock - hit[0] < CACHE_SECONDS:
            made, value = hit[1]
        else:
            made, value = self.at.now, compute()
            with _cache_lock:
                if len(_cache) >= CACHE_ENTRIES:
                    _cache.pop(min(_cache, key=lambda k: _cache[k][0]))
                _cache[key] = (clock, (made, value))
        self.oldest = made if self.oldest is None else min(self.oldest, made)
        return value  # type: ignore[no-any-return]

    def tree(self) -> release.AreaTree:
        return self._cached(("tree",), lambda: release.area_tree(self.session))

    def newborn(self, year: int) -> release.NewbornYear:
        return self._cached(
            ("newborn", year),
            lambda: release.newborn_year(self.session, year, self.at.today, self.tree()),
        )

    def areas(self, period: CalendarPeriod) -> AreaRelease:
        return self._cached(
            ("areas", period),
            lambda: release.area_release(
                self.session, period, self.at.today, self.tree(), self.newborn(period.year)
            ),
        )

    def screens(self, period: CalendarPeriod) -> release.ScreenRelease:
        return self._cached(
            ("screens", period),
            lambda: release.screen_release(self.session, period, self.at.today, self.tree()),
        )

    def units(
        self, code: str, by: str, period: CalendarPeriod, totals: AreaRelease
    ) -> list[ReleasedRow]:
        return self._cached(
            ("units", code, by, period),
            lambda: release.unit_release(
                self.session,
                code,
                by,
                period,
                self.at.today,
                totals,  # type: ignore[arg-type]
            ),
        )

    def outlook(
        self, code: str, by: str, level: str, shown: list[ReleasedRow]
    ) -> list[forecast.ReleasedForecast]:
        """The year-end forecast made today of the units of ``shown`` (the areas of ``level``
        in area ``code``, or its clinics or facilities), released against ``shown`` (the
        units' rows of the year so far, as released)."""
        today = self.at.today
        rows = self._cached(
            ("forecast", code, by, level),
            lambda: forecast.forecast(
                self.session,
                today.year,
                today,
                by=by,  # type: ignore[arg-type]
                level=level,
                within_area=code,
            ),
        )
        hidden = {(r.unit_code, r.indicator): r.suppressed for r in shown}
        return forecast.release(rows, hidden)


def cell(value: int | None) -> str | int:
    """A count as written in the CSV: the number, or :data:`~health.suppression.MARK`."""
    return MARK if value is None else value


CSV_COLUMNS = (
    "Area", "Period", "First day counted", "Last day counted", "Table", "Unit code", "Unit",
    "Indicator", "Numerator (children)", "Denominator (children)", "Rate (%)",
    "95% interval, low (%)", "95% interval, high (%)", "Target (%)", "Target met",
    "Gap to target (children)", "Counts hidden",
)  # fmt: skip
"""The CSV's column names (message ids: the header is in the reader's language)."""
TABLE_NAMES = {"total": "Area total", "area": "Sub-areas", "clinic": "Clinics",
               "facility": "Facilities"}  # fmt: skip
BOM = "\ufeff"
"""Written first, so that a spreadsheet opened in Chinese reads the file as UTF-8."""


def period_words(period: CalendarPeriod, language: str) -> str:
    """``period`` in words: 2026年 / 2026年第2季度 / 2026年6月 (Year 2026, 2026 Q2, 2026-06)."""
    if period.kind == "quarter":
        return gettext(language, "{year} Q{quarter}", year=period.year, quarter=period.number)
    if period.kind == "month":
        return gettext(language, "{year}-{month:02}", year=period.year, month=period.number)
    return gettext(language, "Year {year}", year=period.year)


def percent(value: float | None) -> str:
    """A rate (0–1) as a percent with one decimal, empty when there is none."""
    return "" if value is None else f"{100 * value:.1f}"


def to_csv(view: Dashboard, language: str = "zh-CN") -> str:
    """The rows of ``view`` as CSV in ``language`` (counts, rates and intervals in percent with
    one decimal; no child data), with a UTF-8 byte-order mark first and the column, table and
    indicator names in words. A hidden count is written ``<5`` and its row's rate, interval and
    "target met" are left empty."""
    from api.pages.render import INDICATOR_LABELS

    def words(message: str) -> str:
        return gettext(language, message)

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([words(c) for c in CSV_COLUMNS])
    period = period_words(view.period, language)
    tables = [("total", r) for r in view.totals] + [(view.by, r) for r in view.rows]
    for table, row in tables:
        met = "" if row.meets_target is None else words("yes" if row.meets_target else "no")
        writer.writerow([
            view.area.name, period, view.counted.start.isoformat(), view.counted.end.isoformat(),
            words(TABLE_NAMES[table]), row.unit_code, row.unit_name,
            words(INDICATOR_LABELS[row.indicator]), cell(row.numerator), cell(row.denominator),
            percent(row.rate), percent(row.ci_low), percent(row.ci_high), percent(row.target),
            met, cell(row.gap), words("yes" if row.suppressed else "no"),
        ])  # fmt: skip
    return BOM + out.getvalue()


def trend_labels(view: Dashboard, language: str) -> list[str]:
    """The trend's quarters in words; the last one marked "so far, to <day>" while it is under
    way."""
    labels = []
    for label, _ in view.trend:
        period = CalendarPeriod.read(label)
        labels.append(period_words(period, language) if period is not None else label)
    if view.trend_partial is not None and labels:
        end = view.trend_partial.end
        labels[-1] = gettext(language, "{quarter} (so far, to {month}/{day})", quarter=labels[-1],
                             month=end.month, day=end.day)  # fmt: skip
    return labels


def trend_ticks(view: Dashboard, language: str) -> list[str]:
    """The trend's quarters as short axis labels of two or three lines (a phone's width holds
    four of them): the year, the quarter, and "so far" for the quarter under way."""
    ticks = []
    for label, _ in view.trend:
        period = CalendarPeriod.read(label)
        if period is None:
            ticks.append(label)
            continue
        ticks.append(gettext(language, "{year}<br>Q{quarter}", year=period.year,
                             quarter=period.number))  # fmt: skip
    if view.trend_partial is not None and ticks:
        end = view.trend_partial.end
        ticks[-1] = gettext(language, "{quarter}<br>to {month}/{day}", quarter=ticks[-1],
                            month=end.month, day=end.day)  # fmt: skip
    return ticks


def trend_figure(view: Dashboard, language: str, names: dict[str, str]) -> Any:
    """A small Plotly line chart of each indicator's rate by quarter, with the target line. The
    quarter under way is drawn with open markers and named "so far"; the target's label sits
    in the right margin, beside the line and clear of every point."""
    import plotly.graph_objects as go

    figure = go.Figure()
    labels, ticks = trend_labels(view, language), trend_ticks(view, language)
    partial = view.trend_partial is not None
    for indicator in INDICATORS:
        rates = []
        for _, rows in view.trend:
            row = next((r for r in rows if r.indicator == indicator), None)
            rates.append(None if row is None or row.rate is None else round(100 * row.rate, 1))
        symbols = ["circle"] * len(rates)
        if partial and symbols:
            symbols[-1] = "circle-open"
        figure.add_trace(
            go.Scatter(x=ticks, y=rates, mode="lines+markers", name=names[indicator],
                       marker={"symbol": symbols, "size": 9}, text=labels,
                       hovertemplate="%{text}: %{y} %<extra>%{fullData.name}</extra>")
        )  # fmt: skip
    target = view.totals[0].target * 100 if view.totals else 95.0
    figure.add_hline(y=target, line_dash="dash", line_color="#b00")
    figure.add_annotation(
        xref="paper", x=1, xanchor="left", yref="y", y=target, text=f"{target:g} %",
        showarrow=False, font={"color": "#b00"},
    )  # fmt: skip
    figure.update_layout(
        height=360,
        margin={"l": 40, "r": 56, "t": 20, "b": 40},
        xaxis={"tickangle": 0, "type": "category"},
        yaxis={"range": [0, 100]},
        legend={"orientation": "h", "yanchor": "top", "y": -0.3},
    )
    return figure


def trend_figure_html(view: Dashboard, lang: str, names: dict[str, str]) -> str:
    """:func:`trend_figure` as a figure block of the page."""
    from plotly.io.json import to_json_plotly

    from api.services.figures import figure_block

    spec = trend_figure(view, lang, names).to_plotly_json()
    data, layout = to_json_plotly(spec["data"]), to_json_plotly(spec["layout"])
    return figure_block(data, layout, {"displaylogo": False})
