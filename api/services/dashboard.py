"""The bureau's coverage dashboard: counts only, for the user's area and below, one level of
drill-down at a time; a quarterly trend of the selected area. No child-level data (no name, birth
date, child id or code), and no figure on a health condition: the coverage counts are management
counts, left unsuppressed (see :mod:`health.coverage`)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import threading
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.access import ADMIN, CurrentUser
from api.errors import ChildNotFoundError, ServiceInputError
from health.clock import Moment
from health.coverage import INDICATORS, CoverageRow, coverage
from health.models import Area, AreaAncestor
from health.models.enums import AREA_LEVELS
from health.periods import Period

GROUPINGS = ("area", "clinic", "facility")
CACHE_SECONDS = 300.0
CACHE_ENTRIES = 256
_cache: dict[tuple[Any, ...], tuple[float, Any]] = {}
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class Dashboard:
    """One view of the dashboard: the selected area, its own totals, the rows of the chosen
    grouping (sub-areas one level down, clinics or facilities), and the trend by quarter."""

    area: Area
    parents: list[Area]
    period: Period
    by: str
    child_level: str | None
    totals: list[CoverageRow]
    rows: list[CoverageRow]
    trend: list[tuple[str, list[CoverageRow]]]
    computed_at: dt.datetime


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


def quarters_back(today: dt.date, count: int = 4) -> list[tuple[str, Period]]:
    """The last ``count`` quarters up to and including today's (the current one to date)."""
    year, quarter = today.year, (today.month - 1) // 3 + 1
    out = []
    for _ in range(count):
        period = Period.quarter(year, quarter)
        if period.end > today:
            period = Period(period.start, today)
        out.append((f"{year}-Q{quarter}", period))
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    return list(reversed(out))


@dataclass(frozen=True)
class CoverageQuery:
    """What a bureau asks: an area code (None: their own), a grouping, a period text
    (``YEAR``, ``YEAR-Qn``, ``START..END``; None: the year to date)."""

    area: str | None = None
    by: str = "area"
    period: str | None = None


def dashboard_for(
    session: Session, user: CurrentUser, at: Moment, query: CoverageQuery, *, strict: bool
) -> Dashboard:
    """:func:`dashboard` for a bureau's query; an unknown grouping is refused when ``strict``
    (the API), else read as ``area`` (the page's links)."""
    by = query.by
    if by not in GROUPINGS:
        if strict:
            raise ServiceInputError("Grouping {by} is not one of area, clinic, facility.", by=by)
        by = "area"
    period = Period.parse(query.period) if query.period else None
    return dashboard(session, user, at, area_code=query.area, by=by, period=period)


def dashboard(
    session: Session,
    user: CurrentUser,
    at: Moment,
    *,
    area_code: str | None = None,
    by: str = "area",
    period: Period | None = None,
) -> Dashboard:
    """Coverage of the selected area (see :class:`Dashboard`) on the local ``at.today``."""
    today = at.today
    area = area_in_scope(session, user, area_code)
    period = period or Period.year_to_date(today)
    depth = AREA_LEVELS.index(area.level)
    child_level = AREA_LEVELS[depth + 1] if depth + 1 < len(AREA_LEVELS) else None
    if by == "area" and child_level is None:
        by = "clinic"
    own, rows, trend, computed_at = _aggregates(session, area, by, child_level, period, at)
    return Dashboard(
        area, ancestors(session, area, user), period, by, child_level, own, rows, trend,
        computed_at,
    )  # fmt: skip


Aggregates = tuple[
    list[CoverageRow], list[CoverageRow], list[tuple[str, list[CoverageRow]]], dt.datetime
]


def _aggregates(
    session: Session, area: Area, by: str, child_level: str | None, period: Period, at: Moment
) -> Aggregates:
    """The area's totals, the rows of the grouping and the quarterly trend, computed in the
    database (six aggregations) and kept for :data:`CACHE_SECONDS`: a dashboard is looked at
    often and the counts move slowly."""
    today = at.today
    key = (str(session.get_bind().url), area.id, by, period.start, period.end, today)
    clock = time.monotonic()
    with _cache_lock:
        hit = _cache.get(key)
    if hit is not None and clock - hit[0] < CACHE_SECONDS:
        return hit[1]

    def own_rows(p: Period) -> list[CoverageRow]:
        found = coverage(session, p, by="area", level=area.level, within_area=area.code)
        return [r for r in found if r.unit_code == area.code]

    if by == "area":
        rows = coverage(session, period, by="area", level=child_level, within_area=area.code)
    else:
        rows = coverage(session, period, by=by, within_area=area.code)  # type: ignore[arg-type]
    value: Aggregates = (
        own_rows(period),
        rows,
        [(label, own_rows(p)) for label, p in quarters_back(today)],
        at.now,
    )
    with _cache_lock:
        if len(_cache) >= CACHE_ENTRIES:
            _cache.pop(min(_cache, key=lambda k: _cache[k][0]))
        _cache[key] = (clock, value)
    return value


def to_csv(view: Dashboard) -> str:
    """The rows of ``view`` as CSV (counts, rates and intervals; no child data)."""
    out = io.StringIO()
    fields = list(CoverageRow.__dataclass_fields__)
    writer = csv.DictWriter(out, fieldnames=["area_code", "period", "grouping", *fields])
    writer.writeheader()
    for row in [*view.totals, *view.rows]:
        writer.writerow(
            {
                "area_code": view.area.code,
                "period": f"{view.period.start}..{view.period.end}",
                "grouping": view.by,
                **row.as_dict(),
            }
        )
    return out.getvalue()


def trend_figure_html(view: Dashboard, lang: str, names: dict[str, str]) -> str:
    """A small Plotly line chart of each indicator's rate by quarter, with the target line."""
    import plotly.graph_objects as go
    from plotly.io.json import to_json_plotly

    from api.services.figures import figure_block

    figure = go.Figure()
    labels = [label for label, _ in view.trend]
    for indicator in INDICATORS:
        rates = []
        for _, rows in view.trend:
            row = next((r for r in rows if r.indicator == indicator), None)
            rates.append(None if row is None or row.rate is None else round(100 * row.rate, 1))
        figure.add_trace(go.Scatter(x=labels, y=rates, mode="lines+markers", name=names[indicator]))
    target = view.totals[0].target * 100 if view.totals else 95.0
    figure.add_hline(y=target, line_dash="dash", line_color="#b00", annotation_text=f"{target:g} %")
    figure.update_layout(
        height=320,
        margin={"l": 40, "r": 10, "t": 20, "b": 40},
        yaxis={"range": [0, 100]},
        legend={"orientation": "h"},
    )
    spec = figure.to_plotly_json()
    data, layout = to_json_plotly(spec["data"]), to_json_plotly(spec["layout"])
    return figure_block(data, layout, {"displaylogo": False})
