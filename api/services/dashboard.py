"""The bureau's coverage dashboard: counts only, for the user's area and below, one level of
drill-down at a time; a quarterly trend of the selected area. No child-level data (no name, birth
date, child id or code), and small counts hidden: every row is a
:class:`health.release.ReleasedRow` (the rule: :mod:`health.suppression`; where it is solved:
:mod:`health.release`). Periods are whole years, quarters or months
(:func:`health.periods.bureau_period`)."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import functools
import gc
import hashlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.access import ADMIN, CurrentUser
from api.errors import ChildNotFoundError, ServiceInputError
from api.i18n import gettext
from api.stores import SyncStore, shared_store
from health import forecast, release, tally
from health.clock import Moment
from health.coverage import INDICATORS, CoverageRow
from health.models import Area, AreaAncestor
from health.models.changes import data_stamp
from health.models.enums import AREA_LEVELS
from health.periods import CalendarPeriod, Period, bureau_period, quarters_back
from health.release import AreaRelease, ReleasedRow
from health.schedule import load_schedule
from health.services.facility_visits import last_visits_by_code
from health.suppression import MARK, Hidden

GROUPINGS = ("area", "clinic", "facility")
NAMESPACE = "figures"
"""The shared store's namespace of the dashboard's figures (see :class:`_Figures`)."""
CACHE_SECONDS = 6 * 3600.0
"""How long a figure is kept in the store (it is never shown once the data moved on)."""
FORMAT = "2"
"""The shape of the kept figures and the rules that make them: change it with either."""


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
    store: SyncStore | None = None,
) -> Dashboard:
    """Coverage of the selected area (see :class:`Dashboard`) on the local ``at.today``, its
    figures read from or kept in ``store`` (default: the store every process of the app on this
    database shares, :func:`api.stores.shared_store`; see :class:`_Figures`)."""
    today = at.today
    area = area_in_scope(session, user, area_code)
    period = period or CalendarPeriod(today.year)
    depth = AREA_LEVELS.index(area.level)
    child_level = AREA_LEVELS[depth + 1] if depth + 1 < len(AREA_LEVELS) else None
    if by == "area" and child_level is None:
        by = "clinic"
    parent = session.get(Area, area.parent_id) if area.parent_id is not None else None
    # the entry that holds the area's own rows: its own (with its sub-areas) or its parent's
    holder = area.code if child_level is not None or parent is None else parent.code
    quarters = quarters_back(today)
    before_end = (today.month, today.day) < (12, 31)
    ahead = period.kind == "year" and period.year == today.year and before_end
    figures = _Figures(session, at, store)
    with _no_cyclic_collection(), figures.sums_read_together():
        outlooks = [(area.code, "area", area.level), (area.code, by, child_level or area.level)]
        figures.fetch(
            [figures.areas_key(p, holder) for p in (period, *quarters)]
            + [figures.screens_key(period, holder)]
            + ([figures.units_key(period, area.code, by)] if by != "area" else [])
            + ([figures.outlook_key(*o) for o in outlooks] if ahead else [])
        )
        figures.prefetch_sums([period, *quarters], holder)
        counted, totals = figures.area_rows(period, holder, area.code)
        rows = (
            figures.sub_area_rows(period, area.code)
            if by == "area"
            else figures.units(period, area.code, by, totals)
        )
        trend = [(q.label, figures.area_rows(q, holder, area.code)[1]) for q in quarters]
        screens = figures.screen_rows(period, holder, area.code)
        last = quarters[-1]
        partial = last.counted(today) if last.counted(today) != last.whole else None
        codes = {r.unit_code for r in rows}
        visited = last_visits_by_code(session, codes) if by == "facility" else {}
        extra: dict[str, Any] = {}
        if ahead:
            forecast_totals, forecast_rows = figures.outlooks(
                area.code, [(*outlooks[0][1:], totals), (*outlooks[1][1:], rows)]
            )
            extra = {
                "forecast_on": today,
                "forecast_totals": forecast_totals,
                "forecast_rows": forecast_rows,
            }
    figures.keep()
    return Dashboard(
        area, ancestors(session, area, user), period, counted, by, child_level,
        totals, rows, trend, figures.oldest or at.now, partial, last_visits=visited,
        screens=screens, **extra,
    )  # fmt: skip


@contextlib.contextmanager
def _no_cyclic_collection() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a view's figures are made: a cold view
    allocates some 10⁵ small objects that live to the end of the view (rows, counts, decisions),
    which would set off several full collections of the whole heap (a third of the view's time
    at a million children), for no garbage. Reference counting still frees as usual."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class _AreaEntry(msgspec.Struct, frozen=True):
    """The released rows of one area and of its sub-areas (the area first, then its sub-areas
    in code order) for one counted period: the management rates or the screens."""

    counted: Period
    made_at: dt.datetime
    areas: list[tuple[str, list[ReleasedRow]]]


class _RowsEntry(msgspec.Struct, frozen=True):
    """The released rows of an area's clinics or facilities for one counted period."""

    made_at: dt.datetime
    rows: list[ReleasedRow]


class _OutlookEntry(msgspec.Struct, frozen=True):
    """A year-end forecast made today, as released."""

    made_at: dt.datetime
    rows: list[forecast.ReleasedForecast]


Entry = _AreaEntry | _RowsEntry | _OutlookEntry
_ENTRY_TYPES: dict[str, type[Any]] = {
    "areas": _AreaEntry,
    "screens": _AreaEntry,
    "units": _RowsEntry,
    "outlook": _OutlookEntry,
}


@functools.cache
def _rules_version() -> str:
    """A short hash of what the figures are computed by besides the data: this module's
    :data:`FORMAT` and the schedule's coverage parameters (a deployment that changes either
    never reads the figures of the other)."""
    text = f"{FORMAT}|{load_schedule().coverage!r}"
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def _database_id(session: Session) -> str:
    """A short hash of the database's address (password hidden): one store may serve several
    databases (the test suite's Valkey/Redis does)."""
    url = session.get_bind().url.render_as_string(hide_password=True)
    return hashlib.sha256(url.encode()).hexdigest()[:12]


def _exact(row: ReleasedRow) -> CoverageRow:
    """A released row that hides nothing, as the coverage row it was made from."""
    assert row.numerator is not None and row.denominator is not None and row.gap is not None
    return CoverageRow(
        row.unit_code, row.unit_name, row.indicator, row.numerator, row.denominator, row.rate,
        row.ci_low, row.ci_high, row.target, row.meets_target, row.gap,
    )  # fmt: skip


class _Figures:
    """The released figures one view is made of, kept in the store every process and machine
    of the service shares (namespace :data:`NAMESPACE`), so a figure is computed once for all
    of them, never per process.

    A figure is never stale: every entry carries the :func:`health.models.changes.data_stamp`
    read at the start of the view that computed it (the stamp moves with every committed change
    of checks, children, enrolments, areas, clinics and facilities, whatever wrote it), and an
    entry whose stamp is not the one read now is computed again. Keys name the database, the
    rules (:func:`_rules_version`), the local today and the figure; entries are kept for
    :data:`CACHE_SECONDS` (an entry left behind by newer data is overwritten by the next view).

    Only released figures are kept (small counts already hidden; no child data): a period's
    rows of every area with sub-areas, each with its sub-areas (one aggregation serves every
    area's view), its screens the same way, an area's clinic or facility table, a forecast.
    Each value is the stamp, a newline, then msgspec JSON."""

    def __init__(self, session: Session, at: Moment, store: SyncStore | None = None) -> None:
        self.session, self.at = session, at
        root = store if store is not None else shared_store(session.get_bind())  # type: ignore[arg-type]
        self.store: SyncStore = root.with_namespace(NAMESPACE)
        self.stamp = data_stamp(session)  # first: what is computed after is never older
        self.base = f"{_database_id(session)}|{_rules_version()}|{at.today.isoformat()}"
        self.oldest: dt.datetime | None = None
        self.found: dict[str, Entry] = {}
        self.pending: dict[str, bytes] = {}
        self._tree: release.AreaTree | None = None
        self._newborn: dict[int, release.NewbornYear] = {}
        self._areas: dict[CalendarPeriod, AreaRelease] = {}

    # -- keys and the store ------------------------------------------------------------------

    def areas_key(self, period: CalendarPeriod, holder: str) -> str:
        return f"{self.base}|areas|{period.label}|{holder}"

    def screens_key(self, period: CalendarPeriod, holder: str) -> str:
        return f"{self.base}|screens|{period.label}|{holder}"

    def units_key(self, period: CalendarPeriod, code: str, by: str) -> str:
        return f"{self.base}|units|{period.label}|{code}|{by}"

    def outlook_key(self, code: str, by: str, level: str) -> str:
        return f"{self.base}|outlook|{code}|{by}|{level}"

    def fetch(self, keys: list[str]) -> None:
        """Read the entries of ``keys`` in one go; those of another stamp are left out."""
        prefix = self.stamp.encode() + b"\n"
        for key, value in self.store.read_now(keys).items():
            if value.startswith(prefix):
                kind = key.split("|")[3]
                self.found[key] = msgspec.json.decode(value[len(prefix) :], type=_ENTRY_TYPES[kind])

    def _put(self, key: str, entry: Entry) -> None:
        self.found[key] = entry
        self.pending[key] = self.stamp.encode() + b"\n" + msgspec.json.encode(entry)

    def keep(self) -> None:
        """Write the entries computed by this view (one write)."""
        if self.pending:
            self.store.write_now(self.pending, CACHE_SECONDS)
            self.pending = {}

    def _used(self, made_at: dt.datetime) -> None:
        self.oldest = made_at if self.oldest is None else min(self.oldest, made_at)

    # -- what is computed when an entry is missing (raw counts stay in this view) --------------

    @contextlib.contextmanager
    def sums_read_together(self) -> Iterator[None]:
        """Within: the kept sums :meth:`prefetch_sums` read serve the view's releases."""
        try:
            yield
        finally:
            tally.forget(self.session)

    def prefetch_sums(self, periods: list[CalendarPeriod], holder: str) -> None:
        """Read in one transaction the kept sums the missing entries of ``periods`` (the
        management rates of each, the screens of the first) are computed from."""
        today, asks = self.at.today, []
        for i, period in enumerate(periods):
            areas = self.areas_key(period, holder) not in self.found
            screens = i == 0 and self.screens_key(period, holder) not in self.found
            if areas or screens:
                asks += release.sums_asked(period, today, screens=screens)
        tally.prefetch(self.session, list(dict.fromkeys(asks)), load_schedule().coverage)

    def tree(self) -> release.AreaTree:
        if self._tree is None:
            self._tree = release.area_tree(self.session)
        return self._tree

    def newborn(self, year: int) -> release.NewbornYear:
        if year not in self._newborn:
            self._newborn[year] = release.newborn_year(
                self.session, year, self.at.today, self.tree(), kept=True
            )
        return self._newborn[year]

    def area_release(self, period: CalendarPeriod) -> AreaRelease:
        if period not in self._areas:
            self._areas[period] = release.area_release(
                self.session,
                period,
                self.at.today,
                self.tree(),
                self.newborn(period.year),
                kept=True,
            )
        return self._areas[period]

    def _holders(self, holder: str) -> dict[str, list[str]]:
        """Every area with sub-areas → its sub-areas (code order), and ``holder``."""
        below: dict[str, list[str]] = {}
        for code, up in self.tree().items():
            if up is not None:
                below.setdefault(up, []).append(code)
        below.setdefault(holder, [])
        return below

    def _keep_areas(
        self,
        key: Callable[[str], str],
        holder: str,
        counted: Period,
        of: Callable[[str], list[ReleasedRow]],
    ) -> None:
        made, rows = self.at.now, {code: of(code) for code in self.tree()}
        for up, subs in self._holders(holder).items():
            entry = _AreaEntry(counted, made, [(code, rows[code]) for code in (up, *subs)])
            self._put(key(up), entry)

    # -- the view's figures -------------------------------------------------------------------

    def _area_entry(self, period: CalendarPeriod, holder: str) -> _AreaEntry:
        key = self.areas_key(period, holder)
        if key not in self.found:
            computed = self.area_release(period)
            self._keep_areas(
                lambda up: self.areas_key(period, up), holder, computed.period, computed.of
            )
        entry = self.found[key]
        assert isinstance(entry, _AreaEntry)
        self._used(entry.made_at)
        return entry

    def area_rows(
        self, period: CalendarPeriod, holder: str, code: str
    ) -> tuple[Period, list[ReleasedRow]]:
        """The counted period and area ``code``'s own released rows (held by ``holder``)."""
        entry = self._area_entry(period, holder)
        return entry.counted, dict(entry.areas)[code]

    def sub_area_rows(self, period: CalendarPeriod, code: str) -> list[ReleasedRow]:
        """The released rows of the sub-areas of ``code`` (by code, then indicator)."""
        entry = self._area_entry(period, code)
        return [row for _, rows in entry.areas[1:] for row in rows]

    def screen_rows(self, period: CalendarPeriod, holder: str, code: str) -> list[ReleasedRow]:
        """Area ``code``'s screening-test coverage, as released."""
        key = self.screens_key(period, holder)
        if key not in self.found:
            computed = release.screen_release(
                self.session, period, self.at.today, self.tree(), kept=True
            )
            self._keep_areas(
                lambda up: self.screens_key(period, up), holder, computed.period, computed.of
            )
        entry = self.found[key]
        assert isinstance(entry, _AreaEntry)
        self._used(entry.made_at)
        return dict(entry.areas)[code]

    def _totals_of(
        self, period: CalendarPeriod, code: str, shown: list[ReleasedRow]
    ) -> AreaRelease:
        """What :func:`health.release.unit_release` needs of the area's totals: when none of
        ``shown`` (its released rows) hides a count they are the exact counts, else the
        period's area release is computed."""
        if any(r.suppressed for r in shown):
            return self.area_release(period)
        rows = {(r.unit_code, r.indicator): _exact(r) for r in shown}
        hidden = {k: Hidden() for k in rows}
        return AreaRelease(period.counted(self.at.today), rows, hidden)

    def units(
        self, period: CalendarPeriod, code: str, by: str, shown: list[ReleasedRow]
    ) -> list[ReleasedRow]:
        """The clinics or facilities of area ``code``, released against its totals
        (``shown``)."""
        key = self.units_key(period, code, by)
        if key not in self.found:
            totals = self._totals_of(period, code, shown)
            rows = release.unit_release(
                self.session,
                code,
                by,
                period,
                self.at.today,
                totals,  # type: ignore[arg-type]
            )
            self._put(key, _RowsEntry(self.at.now, rows))
        entry = self.found[key]
        assert isinstance(entry, _RowsEntry)
        self._used(entry.made_at)
        return entry.rows

    def outlooks(
        self, code: str, asks: list[tuple[str, str, list[ReleasedRow]]]
    ) -> list[list[forecast.ReleasedForecast]]:
        """The year-end forecasts made today for each ``(by, level, shown)`` of ``asks``: of
        the units of ``shown`` (the areas of ``level`` in area ``code``, or its clinics or
        facilities), released against ``shown`` (the units' rows of the year so far, as
        released). Those not kept are made together (the children loaded once)."""
        keys = [self.outlook_key(code, by, level) for by, level, _ in asks]
        missing = [(key, ask) for key, ask in zip(keys, asks, strict=True) if key not in self.found]
        if missing:
            today = self.at.today
            made = forecast.forecast_many(
                self.session,
                today.year,
                today,
                [(by, level) for _, (by, level, _) in missing],  # type: ignore[misc]
                within_area=code,
            )
            for (key, (_, _, shown)), rows in zip(missing, made, strict=True):
                hidden = {(r.unit_code, r.indicator): r.suppressed for r in shown}
                self._put(key, _OutlookEntry(self.at.now, forecast.release(rows, hidden)))
        out = []
        for key in keys:
            entry = self.found[key]
            assert isinstance(entry, _OutlookEntry)
            self._used(entry.made_at)
            out.append(entry.rows)
        return out


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
