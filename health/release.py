"""Coverage as bureaus and their exports see it: the exact rows of :mod:`health.coverage` with
the small-count rule of :mod:`health.suppression` applied (coverage.md §5).

The rule is solved over everything a second question could set beside a table, so that asking
another way never undoes it:

- **Areas**: over the whole area tree of the period at once (an area's counts = the sum of its
  sub-areas' counts plus the children living in it directly), so an area shows the same figures
  in its own view, as a row of its parent's table and to every bureau user.
- **Newborn visits** are counted by birth date, so a year is the sum of its quarters and a
  quarter the sum of its months: the year, its quarters and its months are solved together
  (:class:`NewbornYear`), so the quarterly trend, the year and a month asked alone agree.
- **Infant and 0–6 management** are not sums over time (a child due checks in two quarters
  counts in both), so each period is solved on its own tree.
- **Clinics and facilities**: per table (the units of an area), against the area's totals as
  decided over the tree (fixed here) and the unpublished rest (children no listed unit counts).

A bureau period is a :class:`~health.periods.CalendarPeriod` counted on ``today``
(:meth:`~health.periods.CalendarPeriod.counted`: one under way is counted to today).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import msgspec
import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from health.coverage import (
    INDICATORS,
    SCREENS,
    By,
    CoverageRow,
    coverage,
    newborn_by_month,
    screening_coverage,
)
from health.models import Area
from health.periods import CalendarPeriod, Period
from health.schedule import CoverageParams, load_schedule
from health.stats import target_gaps
from health.suppression import (
    SMALL_COUNT,
    Counts,
    Hidden,
    Relation,
    suppress,
    suppress_numbered,
)

NEWBORN = "newborn_visit"
AreaTree = dict[str, str | None]
"""Area code → its parent's code (None for the root), in code order."""


class ReleasedRow(msgspec.Struct, frozen=True, array_like=True):
    """One indicator of one unit as released: a hidden count is None and ``suppressed`` is
    true; the rate, its 95 % interval and ``meets_target`` are None when a count is hidden.
    (A msgspec struct: the dashboard keeps thousands of them in the shared store, as JSON
    arrays.)"""

    unit_code: str
    unit_name: str
    indicator: str
    numerator: int | None
    denominator: int | None
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    target: float
    meets_target: bool | None
    gap: int | None
    suppressed: bool

    def as_dict(self) -> dict[str, Any]:
        """The row as a plain dict (field names as in the CSV output)."""
        return msgspec.structs.asdict(self)


def counts_of(row: CoverageRow) -> Counts:
    """The three counts of a coverage row."""
    return Counts(row.numerator, row.denominator, row.gap)


def released(row: CoverageRow, hidden: Hidden) -> ReleasedRow:
    """``row`` with what ``hidden`` hides set to None."""
    shown = not hidden.any
    return ReleasedRow(
        unit_code=row.unit_code,
        unit_name=row.unit_name,
        indicator=row.indicator,
        numerator=None if hidden.numerator else row.numerator,
        denominator=None if hidden.denominator else row.denominator,
        rate=row.rate if shown else None,
        ci_low=row.ci_low if shown else None,
        ci_high=row.ci_high if shown else None,
        target=row.target,
        meets_target=row.meets_target if shown else None,
        gap=None if hidden.gap else row.gap,
        suppressed=hidden.any,
    )


def area_tree(session: Session) -> AreaTree:
    """Every area's parent, by code."""
    parent = aliased(Area)
    rows = session.execute(
        select(Area.code, parent.code)
        .outerjoin(parent, parent.id == Area.parent_id)
        .order_by(Area.code)
    )
    return {str(code): (str(up) if up is not None else None) for code, up in rows}


def _children(tree: AreaTree) -> dict[str, list[str]]:
    below: dict[str, list[str]] = {}
    for code, up in tree.items():
        if up is not None:
            below.setdefault(up, []).append(code)
    return below


def _tree_relations(tree: AreaTree, key: Any) -> list[Relation[Any]]:
    """One relation per area with sub-areas: ``key(area)`` = sum of ``key(sub-area)``."""
    return [
        Relation(key(up), tuple(key(code) for code in codes))
        for up, codes in _children(tree).items()
    ]


@dataclass(frozen=True)
class NewbornYear:
    """The newborn-visit decisions of every area for each whole period of one year (the year,
    its quarters, its months): row ``a × len(periods) + u`` is area ``codes[a]`` in counted
    period ``periods[u]``; ``counts`` holds the rows' numerators, denominators and gaps, and
    ``decided`` whether each row's numerator and denominator are hidden (1) or not.
    :attr:`counts_by_key` and :attr:`hidden` key them by ``(area code, counted period)``."""

    year: int
    codes: list[str]
    periods: list[Period]
    counts: tuple[Any, Any, Any]
    decided: tuple[bytearray, bytearray]

    def _decision(self, row: int) -> Hidden:
        hid_n, hid_d = self.decided
        return Hidden(numerator=bool(hid_n[row]), denominator=bool(hid_d[row]))

    def hidden_in(self, period: Period) -> dict[str, Hidden]:
        """Area code → the decision of its newborn-visit row in counted ``period``."""
        u, width = self.periods.index(period), len(self.periods)
        return {code: self._decision(a * width + u) for a, code in enumerate(self.codes)}

    def _keys(self) -> list[tuple[str, Period]]:
        return [(code, period) for code in self.codes for period in self.periods]

    @property
    def counts_by_key(self) -> dict[tuple[str, Period], Counts]:
        """Every row's counts by ``(area code, counted period)``."""
        num, den, gap = (c.tolist() for c in self.counts)
        return {
            key: Counts(n, d, g) for key, n, d, g in zip(self._keys(), num, den, gap, strict=True)
        }

    @property
    def hidden(self) -> dict[tuple[str, Period], Hidden]:
        """Every row's decision by ``(area code, counted period)``."""
        return {key: self._decision(i) for i, key in enumerate(self._keys())}


def newborn_year(
    session: Session,
    year: int,
    today: dt.date,
    tree: AreaTree,
    params: CoverageParams | None = None,
    threshold: int = SMALL_COUNT,
    *,
    kept: bool = False,
) -> NewbornYear:
    """Newborn visits of ``year`` by area and whole period, suppressed together: the tree of
    each period, and each area's year = its quarters, each quarter = its months. ``kept``: the
    counts from the sums the database keeps (:mod:`health.tally`; for a session that has
    written nothing uncommitted, as a view's)."""
    params = params or load_schedule().coverage
    whole = CalendarPeriod(year)
    monthly = newborn_by_month(session, whole.counted(today), params, kept=kept)
    target = params.newborn_target
    spans = [  # each whole period once: (counted period, first month, last month, parts)
        (p.counted(today), p.whole.start.month, p.whole.end.month,
         tuple(part.counted(today) for part in p.parts()))
        for p in whole.calendar()
    ]  # fmt: skip
    # The rule is solved on row numbers, not on (code, period) keys (whose hashing dominated):
    # row (area a, period u) is a × len(periods) + u, u numbering the distinct counted periods
    # (in January the year, its first quarter and January are one period: one row, as before).
    # The numbering is one-to-one and keeps the order of rows and relations, so the decisions
    # are those of the (code, period) keys.
    number: dict[Period, int] = {}
    for counted, *_, parts in spans:
        for p in (counted, *parts):
            number.setdefault(p, len(number))
    periods, width = list(number), len(number)
    numbered = [
        (number[c], first, last, [number[p] for p in parts]) for c, first, last, parts in spans
    ]
    codes = list(tree)
    monthly_n = np.zeros((len(codes), 12, 2), dtype=np.int64)  # (area, month, num/den)
    for a, code in enumerate(codes):
        if code in monthly:
            monthly_n[a] = monthly[code]
    cum = np.zeros((len(codes), 13, 2), dtype=np.int64)  # sums of months 1 … m, m = 0 … 12
    np.cumsum(monthly_n, axis=1, out=cum[:, 1:])
    firsts = np.array([first for _, first, _, _ in numbered], dtype=np.int64)
    lasts = np.array([last for _, _, last, _ in numbered], dtype=np.int64)
    span_n = cum[:, lasts, 0] - cum[:, firsts - 1, 0]  # (area, span)
    span_d = cum[:, lasts, 1] - cum[:, firsts - 1, 1]
    span_g = target_gaps(span_n, span_d, target)
    n_areas = len(codes)
    rows_n = np.zeros((n_areas, width), dtype=np.int64)  # row a × width + u
    rows_d, rows_g = rows_n.copy(), rows_n.copy()
    for i, (u, *_) in enumerate(numbered):  # a period counted twice: the same counts
        rows_n[:, u], rows_d[:, u], rows_g[:, u] = span_n[:, i], span_d[:, i], span_g[:, i]
    # the relations, in the order of the rows' areas: each area's periods = their parts …
    bases = np.arange(n_areas, dtype=np.int64)[:, None] * width
    split = [(u, parts_u) for u, _, _, parts_u in numbered if parts_u]
    own_totals = (bases + np.array([u for u, _ in split], dtype=np.int64)).ravel()
    own_sizes = np.tile(np.array([len(p) for _, p in split], dtype=np.int64), n_areas)
    own_flat = (bases + np.array([p for _, ps in split for p in ps], dtype=np.int64)).ravel()
    # … then, per period, each area with sub-areas = its sub-areas
    index = {code: a for a, code in enumerate(codes)}
    below = list(_children(tree).items())
    ups = np.array([index[up] for up, _ in below], dtype=np.int64) * width
    subs = np.array([index[c] for _, cs in below for c in cs], dtype=np.int64) * width
    sub_sizes = np.array([len(cs) for _, cs in below], dtype=np.int64)
    us = [u for u, *_ in numbered]
    totals = np.concatenate([own_totals, *(ups + u for u in us)])
    sizes = np.concatenate([own_sizes, *(sub_sizes for _ in us)])
    flat = np.concatenate([own_flat, *(subs + u for u in us)])
    num, den, gap = rows_n.ravel(), rows_d.ravel(), rows_g.ravel()
    hid_n, hid_d = suppress_numbered(num, den, gap, totals, sizes, flat, threshold=threshold)
    return NewbornYear(year, codes, periods, (num, den, gap), (hid_n, hid_d))


def sums_asked(
    period: CalendarPeriod, today: dt.date, *, screens: bool
) -> list[tuple[str, Period]]:
    """The kept sums (:mod:`health.tally`) that :func:`area_release` of ``period`` counted on
    ``today`` reads, with those of :func:`screen_release` when ``screens``: for
    :func:`health.tally.prefetch`."""
    counted = period.counted(today)
    asks = [("coverage", counted), ("newborn_months", CalendarPeriod(period.year).counted(today))]
    return asks + ([("screens", counted)] if screens else [])


@dataclass(frozen=True)
class AreaRelease:
    """Every area's coverage rows of one counted period with their decisions, keyed by
    ``(area code, indicator)``."""

    period: Period
    rows: dict[tuple[str, str], CoverageRow]
    hidden: dict[tuple[str, str], Hidden]

    def of(self, code: str) -> list[ReleasedRow]:
        """The released rows of area ``code``, one per indicator."""
        return [released(self.rows[(code, i)], self.hidden[(code, i)]) for i in INDICATORS]

    def below(self, tree: AreaTree, code: str) -> list[ReleasedRow]:
        """The released rows of the sub-areas of ``code`` (by code, then indicator)."""
        subs = _children(tree).get(code, [])
        return [row for sub in subs for row in self.of(sub)]


def area_release(
    session: Session,
    period: CalendarPeriod,
    today: dt.date,
    tree: AreaTree,
    newborn: NewbornYear,
    params: CoverageParams | None = None,
    threshold: int = SMALL_COUNT,
    *,
    kept: bool = False,
) -> AreaRelease:
    """The rows of every area for ``period`` counted on ``today``: infant and 0–6 management
    solved over the area tree of the period; newborn visits as decided in ``newborn`` (the
    :class:`NewbornYear` of the period's year). ``kept`` as in :func:`newborn_year`."""
    if newborn.year != period.year:
        raise ValueError(f"newborn decisions of {newborn.year}, not {period.year}")
    counted = period.counted(today)
    rows = {
        (r.unit_code, r.indicator): r
        for r in coverage(session, counted, by="area", level="all", params=params, kept=kept)
    }
    hidden: dict[tuple[str, str], Hidden] = {}
    for indicator in INDICATORS:
        if indicator == NEWBORN:
            decided = newborn.hidden_in(counted)
            for code in tree:
                hidden[(code, indicator)] = decided[code]
            continue
        counts = {(code, indicator): counts_of(rows[(code, indicator)]) for code in tree}
        relations = _tree_relations(tree, lambda code, i=indicator: (code, i))
        hidden |= suppress(counts, relations, threshold=threshold)
    return AreaRelease(counted, rows, hidden)


def unit_release(
    session: Session,
    area_code: str,
    by: By,
    period: CalendarPeriod,
    today: dt.date,
    totals: AreaRelease,
    params: CoverageParams | None = None,
    threshold: int = SMALL_COUNT,
) -> list[ReleasedRow]:
    """The clinics (``by="clinic"``) or facilities of area ``area_code`` for ``period``,
    suppressed per indicator against the area's totals of ``totals`` (fixed) and the rest."""
    counted = period.counted(today)
    if totals.period != counted:
        raise ValueError(f"totals of {totals.period}, not {counted}")
    rows = coverage(session, counted, by=by, within_area=area_code, params=params)
    total_key = ("", "")  # no unit has an empty code
    decided: dict[tuple[str, str], Hidden] = {}
    for indicator in INDICATORS:
        mine = [r for r in rows if r.indicator == indicator]
        counts = {(r.unit_code, indicator): counts_of(r) for r in mine}
        counts[total_key] = counts_of(totals.rows[(area_code, indicator)])
        relation = Relation(total_key, tuple((r.unit_code, indicator) for r in mine))
        fixed = {total_key: totals.hidden[(area_code, indicator)]}
        found = suppress(counts, [relation], fixed=fixed, threshold=threshold)
        found.pop(total_key)
        decided |= found
    return [released(r, decided[(r.unit_code, r.indicator)]) for r in rows]


@dataclass(frozen=True)
class ScreenRelease:
    """Every area's screening-test coverage of one counted period with its decisions, keyed by
    ``(area code, indicator)`` (indicator ``screen_<screen>``)."""

    period: Period
    rows: dict[tuple[str, str], CoverageRow]
    hidden: dict[tuple[str, str], Hidden]

    def of(self, code: str) -> list[ReleasedRow]:
        """The released rows of area ``code``, one per screen (in :data:`SCREENS` order)."""
        keys = [(code, f"screen_{s}") for s in SCREENS]
        return [released(self.rows[k], self.hidden[k]) for k in keys if k in self.rows]


def screen_release(
    session: Session,
    period: CalendarPeriod,
    today: dt.date,
    tree: AreaTree,
    params: CoverageParams | None = None,
    threshold: int = SMALL_COUNT,
    *,
    kept: bool = False,
) -> ScreenRelease:
    """Screening-test coverage of every area for ``period`` counted on ``today``, each screen
    suppressed over the area tree of the period (the rule of the management rates: a screen
    due in two quarters counts in both, so each period is solved on its own tree). ``kept`` as
    in :func:`newborn_year`."""
    counted = period.counted(today)
    rows = {
        (r.unit_code, r.indicator): r
        for r in screening_coverage(session, counted, level="all", params=params, kept=kept)
    }
    hidden: dict[tuple[str, str], Hidden] = {}
    for screen in SCREENS:
        indicator = f"screen_{screen}"
        counts = {(code, indicator): counts_of(rows[(code, indicator)]) for code in tree}
        relations = _tree_relations(tree, lambda code, i=indicator: (code, i))
        hidden |= suppress(counts, relations, threshold=threshold)
    return ScreenRelease(counted, rows, hidden)
