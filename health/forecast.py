"""Where a unit's coverage will stand on 31 December: the projected year-end rate of each
indicator of :mod:`health.coverage`, with an interval, from what is known on the day ``on``.

Method (``docs/forecast.md`` gives the reasoning and the back-test):

1. **Attendance per check.** For every scheduled check ``j`` (``reference_data/schedule``) and
   unit ``u``: among the unit's children whose window of ``j`` closed in the 365 days up to
   ``on`` (``on − 365 < closes ≤ on``), ``n`` children, ``s`` were seen inside the window. The
   estimate is the mean of a Beta posterior whose prior is the rate ``q₀`` of the whole scope
   asked (all units together) worth :data:`PRIOR_CHILDREN` children:
   ``q = (s + 20 q₀) / (n + 20)``; a unit with few children falls back towards its scope's
   rate, one with many keeps its own. ``q₀ = (S + ½) / (N + 1)`` (½ when nothing is known).
2. **Each check still to come.** A check whose window is not done by ``on`` and still open
   after ``on`` is done inside its window with probability ``q``, on a day spread evenly over
   the window. Given that it was not done on the ``e`` window days up to ``on`` (of ``w``), the
   chance that it is done on one of the ``r`` window days after ``on`` that count is
   ``p = q r / w / (1 − q e / w)``. ``r`` stops at 31 December for the infant and 0–6 rates
   (a check dated after the year does not count) and runs to the window's end for a newborn
   visit (it may fall in the next year). A check that misses its window may still come late,
   in the :data:`LATE_DAYS` after it (stopped where the next check of the kind opens): the
   same formula over that stretch with the unit's late rate ``ℓ`` (estimated like ``q``,
   among children whose late stretch ended in the last 12 months without a visit in the
   window), so ``p = p_window + (1 − P(window)) × p_late``; late visits count for the infant
   and 0–6 rates, never for the newborn visit (28 days is its definition).
3. **Each child.** Already counted on ``on`` → 1. Infant management: the child needs
   ``need = due − routine checks dated from 1 January to on`` more routine checks; the number
   of its pending routine checks that happen is Poisson-binomial in their ``p``; the child's
   probability is ``P(count ≥ need)`` (exact convolution over at most 13 checks, vectorised
   over children). 0–6 management: ``1 − Π(1 − p)`` over every pending check of any kind.
   Newborn visit: ``p`` of the pending visit.
4. **Births still to come.** Children born after ``on`` and by 31 December are not in the
   database yet; they are stood in for by the unit's children born on the same days one year
   earlier, moved one year on, with no check (their checks are all still to come).
5. **The unit.** The year-end numerator is a sum of independent Bernoulli children (Poisson-
   binomial): mean ``μ = Σ P``, variance ``σ² = Σ P (1 − P)``. ``projected_rate = μ / D``;
   the :data:`INTERVAL` (80 %) interval is the normal approximation ``μ ± 1.2816 σ`` kept
   within what can still happen (at least the children counted, at most those not yet
   lost), over ``D``.
6. **Status.** ``on_track`` when the interval's low end reaches the target, ``will_miss`` when
   its high end is below it, ``at_risk`` otherwise; ``meets_target`` is ``projected_rate ≥
   target``. ``extra_children_needed = max(0, ⌈⌈target × D⌉ − μ⌉)``: children beyond those
   expected who must be brought in to reach the target.

Units: area at any level (children by residence), clinic (the responsible clinic on ``on``) or
facility (enrolled on ``on``), as :func:`health.coverage.per_child` assigns them; resident
children only. Exact figures, for the analysts' command line; bureaus see them through
:func:`release` (the small-count rule of coverage.md §5).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from decimal import ROUND_CEILING, Decimal
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Date, Select, case, literal, select, true
from sqlalchemy.engine.cursor import CursorFetchStrategy
from sqlalchemy.orm import Session

from health.coverage import (
    INDICATORS,
    By,
    CoverageRequestError,
    area_ids_inside,
    inside,
    per_child,
    tune,
)
from health.models import Area, AreaAncestor, Check, Child, Clinic, Enrolment, Facility
from health.models.enums import AREA_LEVELS
from health.periods import Period, add_years
from health.schedule import KINDS, CoverageParams, Offset, Schedule, load_schedule
from health.sqlfunc import days_between
from health.suppression import SMALL_COUNT
from screening.vocabulary import add_months_array

PRIOR_CHILDREN = 20.0
"""Weight, in children, of the scope's attendance rate in a unit's estimate (Beta prior)."""
INTERVAL = 0.8
"""Two-sided coverage of the reported interval."""
Z_INTERVAL = 1.2815515655446004  # standard normal quantile 0.9 (two-sided 80 %)
HISTORY_DAYS = 365
"""Windows closed in this many days up to the forecast day give the attendance rates."""
LATE_DAYS = 60
"""A check done this many days after its window (at most) is a late visit (step 2)."""
Status = Literal["on_track", "at_risk", "will_miss"]
STATUSES: tuple[Status, ...] = ("on_track", "at_risk", "will_miss")

A = Area.__table__  # type: ignore[attr-defined]
AA = AreaAncestor.__table__  # type: ignore[attr-defined]
C = Child.__table__  # type: ignore[attr-defined]
K = Check.__table__  # type: ignore[attr-defined]
CL = Clinic.__table__  # type: ignore[attr-defined]
F = Facility.__table__  # type: ignore[attr-defined]
E = Enrolment.__table__  # type: ignore[attr-defined]
DAY = np.timedelta64(1, "D")


@dataclass(frozen=True)
class ForecastRow:
    """The year-end forecast of one indicator for one unit. Rates are 0–1; ``projected`` is the
    expected numerator (children); rates, status and ``meets_target`` are None when the
    denominator is 0."""

    unit_code: str
    unit_name: str
    indicator: str
    denominator: int
    counted: int
    projected: float
    projected_rate: float | None
    low: float | None
    high: float | None
    target: float
    meets_target: bool | None
    status: Status | None
    extra_children_needed: int

    def as_dict(self) -> dict[str, Any]:
        """The row as a plain dict."""
        return asdict(self)


@dataclass(frozen=True)
class Children:
    """What the forecast knows of the children of a scope on the forecast day: parallel
    arrays per child (``unit``: index into the units, −1 for none) and per check (``row``:
    index of the child; only checks dated on or before the forecast day)."""

    birth: NDArray[np.datetime64]
    unit: NDArray[np.int64]
    check_row: NDArray[np.int64]
    check_date: NDArray[np.datetime64]
    check_kind: NDArray[np.object_]


def targets(params: CoverageParams) -> dict[str, float]:
    """Each indicator's target rate."""
    return {
        "infant_health_management": params.infant_target,
        "child_health_management_0_6": params.child_target,
        "newborn_visit": params.newborn_target,
    }


class _Shifts:
    """``add_months_array(births, months)`` per whole-month offset, each computed once over the
    distinct birth dates and spread back to the children (identical, element by element)."""

    def __init__(self, births: NDArray[np.datetime64]) -> None:
        self._unique, self._where = np.unique(np.asarray(births, "datetime64[D]"),
                                              return_inverse=True)  # fmt: skip
        self._done: dict[int, NDArray[np.datetime64]] = {}

    def prepare(self, months: Iterable[int]) -> None:
        """Work out the shifts by all these offsets at once (one broadcast call)."""
        todo = sorted({int(m) for m in months} - self._done.keys())
        if todo:
            shifted = add_months_array(self._unique[None, :], np.array(todo)[:, None])
            for m, row in zip(todo, shifted, strict=True):
                self._done[m] = row[self._where]

    def __call__(self, months: int) -> NDArray[np.datetime64]:
        self.prepare((months,))
        return self._done[months]

    def offset(self, off: Offset) -> NDArray[np.datetime64]:
        """:meth:`health.schedule.Offset.from_births` of the births."""
        return self(off.months) + np.timedelta64(off.days, "D")


def _windows(
    schedule: Schedule, shifts: _Shifts
) -> list[tuple[NDArray[Any], NDArray[Any], NDArray[Any], NDArray[Any]]]:
    """:func:`late_windows` from the births' month shifts."""
    shifts.prepare(
        (item.target + edge).months
        for item in schedule.checks
        for edge in (item.window_from, item.window_to)
    )
    windows = [
        (shifts.offset(item.target + item.window_from), shifts.offset(item.target + item.window_to))
        for item in schedule.checks
    ]
    out = []
    for j, item in enumerate(schedule.checks):
        opens, closes = windows[j]
        late_to = closes + LATE_DAYS * DAY
        after = [k for k in range(j + 1, len(schedule.checks))
                 if schedule.checks[k].kind == item.kind]  # fmt: skip
        if after:
            late_to = np.minimum(late_to, windows[after[0]][0] - DAY)
        out.append((opens, closes, closes + DAY, late_to))
    return out


def late_windows(
    schedule: Schedule, births: NDArray[np.datetime64]
) -> list[tuple[NDArray[Any], NDArray[Any], NDArray[Any], NDArray[Any]]]:
    """Per scheduled check: ``(opens, closes, late_from, late_to)`` for each child; the late
    stretch is the :data:`LATE_DAYS` after the window, stopped the day before the next check
    of the same kind opens (empty when ``late_from > late_to``)."""
    return _windows(schedule, _Shifts(births))


class _CheckIndex:
    """The checks of :class:`Children` by kind: each check's child (row) and day number, so
    that "a check of this kind dated in ``[opens, closes]``" is a comparison per check."""

    def __init__(self, kids: Children) -> None:
        days = kids.check_date.astype("datetime64[D]").view(np.int64)
        kinds = np.asarray(kids.check_kind, dtype=object)
        self.size = kids.birth.size
        self.checks: dict[str, tuple[NDArray[np.int64], NDArray[np.int64]]] = {}
        for kind in dict.fromkeys(kinds.tolist()):
            mine = kinds == kind
            self.checks[str(kind)] = (kids.check_row[mine], days[mine])

    def done(self, kind: str, opens: NDArray[Any], closes: NDArray[Any]) -> NDArray[np.bool_]:
        """Whether each child has a check of ``kind`` dated in ``[opens, closes]`` (both
        included; nothing for a child when ``opens > closes``)."""
        out = np.zeros(self.size, dtype=bool)
        if kind in self.checks:
            rows, days = self.checks[kind]
            low = opens.astype("datetime64[D]").view(np.int64)
            high = closes.astype("datetime64[D]").view(np.int64)
            out[rows[(days >= low[rows]) & (days <= high[rows])]] = True
        return out


@dataclass(frozen=True)
class _Stretch:
    """One scheduled check for every child: its window, its late stretch, and whether a check
    of its kind is dated inside each (known on the day)."""

    kind: str
    opens: NDArray[Any]
    closes: NDArray[Any]
    late_from: NDArray[Any]
    late_to: NDArray[Any]
    done: NDArray[np.bool_]
    came: NDArray[np.bool_]


def _stretches(kids: Children, schedule: Schedule, shifts: _Shifts | None = None) -> list[_Stretch]:
    """Per scheduled check, its :class:`_Stretch` for each child of ``kids``."""
    index = _CheckIndex(kids)
    windows = _windows(schedule, shifts or _Shifts(kids.birth))
    return [
        _Stretch(item.kind, opens, closes, late_from, late_to,
                 index.done(item.kind, opens, closes), index.done(item.kind, late_from, late_to))
        for item, (opens, closes, late_from, late_to) in zip(schedule.checks, windows, strict=True)
    ]  # fmt: skip


def _rate(
    seen: NDArray[np.bool_], asked: NDArray[np.bool_], unit: NDArray[np.int64], n_units: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """``(n, s, q)`` per unit of the children ``asked`` and those of them ``seen`` (step 1)."""
    pooled = (seen[asked].sum() + 0.5) / (asked.sum() + 1.0)
    take = asked & (unit >= 0)
    n = np.bincount(unit[take], minlength=n_units).astype(float)
    s = np.bincount(unit[take & seen], minlength=n_units).astype(float)
    return n, s, (s + PRIOR_CHILDREN * pooled) / (n + PRIOR_CHILDREN)


def attendance(
    kids: Children,
    on: dt.date,
    n_units: int,
    schedule: Schedule,
    stretches: list[_Stretch] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Per scheduled check (rows) and unit (columns): children whose window closed in the
    :data:`HISTORY_DAYS` up to ``on`` (``n``), those seen inside it (``s``), the estimate
    ``q = (s + PRIOR_CHILDREN q₀) / (n + PRIOR_CHILDREN)`` with the scope's ``q₀``, and the
    same estimate ``ℓ`` of a late visit (in the late stretch, among children whose late
    stretch ended in those days without a visit in the window). ``stretches``: those of
    :func:`_stretches` for ``kids`` or for more children after them (stand-ins)."""
    day = np.datetime64(on, "D")
    shape = (len(schedule.checks), n_units)
    n, s, q, late = np.zeros(shape), np.zeros(shape), np.zeros(shape), np.zeros(shape)
    since = day - HISTORY_DAYS * DAY
    size = kids.birth.size
    for j, st in enumerate(stretches if stretches is not None else _stretches(kids, schedule)):
        closes, late_from, late_to = st.closes[:size], st.late_from[:size], st.late_to[:size]
        done, came = st.done[:size], st.came[:size]
        n[j], s[j], q[j] = _rate(done, (closes <= day) & (closes > since), kids.unit, n_units)
        asked = ~done & (late_from <= late_to) & (late_to <= day) & (late_to > since)
        late[j] = _rate(came, asked, kids.unit, n_units)[2]
        late[j][~np.isfinite(late[j])] = 0.0
    return n, s, q, late


def _pending_pair(
    opens: NDArray[Any],
    closes: NDArray[Any],
    done: NDArray[Any],
    q: NDArray[Any],
    day: Any,
    last: Any,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Probability that a check not done by ``day`` is done inside its window on a day after
    ``day`` and on or before ``last`` (None: the window's end), and the same up to the
    window's end; 0 for a check already done or whose window is over (method, step 2)."""
    width = (closes - opens).astype(np.int64) + 1
    elapsed = np.clip((day - opens).astype(np.int64) + 1, 0, width)
    start = np.maximum(opens, day + DAY)
    given = np.maximum(1.0 - q * elapsed / width, 1e-12)  # not done on the days up to day

    def until(stop: NDArray[Any]) -> NDArray[np.float64]:
        remaining = np.clip((stop - start).astype(np.int64) + 1, 0, None)
        p = q * remaining / width / given
        return np.where(done | (remaining == 0), 0.0, np.clip(p, 0.0, 1.0))

    whole = until(closes)
    return (whole if last is None else until(np.minimum(closes, last))), whole


def _pending(
    opens: NDArray[Any],
    closes: NDArray[Any],
    done: NDArray[Any],
    q: NDArray[Any],
    day: Any,
    last: Any,
) -> NDArray[np.float64]:
    """The first of :func:`_pending_pair`: the chance of the check after ``day`` and by
    ``last`` (None: the window's end)."""
    return _pending_pair(opens, closes, done, q, day, last)[0]


def _of_unit(
    values: NDArray[Any], has_unit: NDArray[np.bool_], unit: NDArray[np.int64], fallback: float
) -> NDArray[Any]:
    """Each child's unit's value (``fallback`` for a child without a unit: ``has_unit`` false;
    ``unit`` is the unit clipped to 0 or more)."""
    if values.size == 0:  # no unit to forecast: every child is outside the units
        return np.full(unit.size, fallback, dtype=float)
    return np.where(has_unit, values[unit], fallback)


def child_probabilities(
    kids: Children,
    year: int,
    on: dt.date,
    q: NDArray[np.float64],
    params: CoverageParams,
    schedule: Schedule,
    late: NDArray[np.float64] | None = None,
    stretches: list[_Stretch] | None = None,
    shifts: _Shifts | None = None,
) -> dict[str, tuple[NDArray[np.bool_], NDArray[np.float64], NDArray[np.bool_]]]:
    """Per indicator: ``(in the denominator, probability of the numerator by 31 December,
    already counted on on)`` for each child (method, step 3). ``q`` is :func:`attendance`'s
    estimate, per check and unit; a child without a unit uses the scope's mean of ``q``.
    ``stretches`` and ``shifts``: those of ``kids`` already worked out (else computed)."""
    day = np.datetime64(on, "D")
    first, last = np.datetime64(dt.date(year, 1, 1), "D"), np.datetime64(dt.date(year, 12, 31))
    births = kids.birth
    size = births.size
    shifts = shifts or _Shifts(births)
    if stretches is None:
        stretches = _stretches(kids, schedule, shifts)
    known = kids.check_date <= day
    in_year = known & (kids.check_date >= first)
    routine = kids.check_kind == "routine"
    n_routine = np.bincount(kids.check_row[in_year & routine], minlength=size)
    n_any = np.bincount(kids.check_row[in_year], minlength=size)
    fallback = q.mean(axis=1) if q.shape[1] else np.full(q.shape[0], 0.5)
    late_fallback = (
        None if late is None else (late.mean(axis=1) if late.shape[1] else np.zeros(q.shape[0]))
    )
    # dist[k]: probability that k pending routine checks happen; row k stays 0 until k routine
    # checks have been counted in, so only rows 0..r+1 change at the r-th (from 0)
    dist = np.zeros((len(schedule.checks) + 1, size))
    dist[0] = 1.0
    counted = 0
    none_any = np.ones(size)  # probability that no pending check of any kind happens
    newborn_p = np.zeros(size)
    newborn_done = np.zeros(size, dtype=bool)
    has_unit = kids.unit >= 0
    unit = np.maximum(kids.unit, 0)
    for j, st in enumerate(stretches):
        qj = _of_unit(q[j], has_unit, unit, fallback[j])
        in_window, whole = _pending_pair(st.opens, st.closes, st.done, qj, day, last)
        if st.kind == "newborn_visit":
            newborn_p = whole
            newborn_done = st.done
        if late is not None and late_fallback is not None:
            # a late visit, if the window passes without one (step 2)
            lj = _of_unit(late[j], has_unit, unit, late_fallback[j])
            gone = st.done | st.came | (st.late_from > st.late_to)
            late_to = np.maximum(st.late_to, st.late_from)
            late_p = _pending(st.late_from, late_to, gone, lj, day, last)
            p = in_window + (1.0 - whole) * late_p
        else:
            p = in_window
        none_any *= 1.0 - p
        if st.kind == "routine":
            dist[1 : counted + 2] = dist[1 : counted + 2] * (1.0 - p) + dist[: counted + 1] * p
            dist[0] *= 1.0 - p
            counted += 1
    due = sum(
        ((t >= first) & (t <= last)).astype(np.int64)
        for t in (shifts(k) for k in params.routine_months)
    )
    need = np.clip(due - n_routine, 0, dist.shape[0] - 1)
    tail = np.cumsum(dist[::-1], axis=0)[::-1]  # tail[k] = P(count ≥ k)
    infant_p = tail[need, np.arange(size)]
    oldest = np.datetime64(add_years(dt.date(year, 12, 31), -params.under_years), "D")
    return {
        "infant_health_management": (due > 0, np.where(need == 0, 1.0, infant_p), need == 0),
        "child_health_management_0_6": (
            (births > oldest) & (births <= last),
            np.where(n_any > 0, 1.0, 1.0 - none_any),
            n_any > 0,
        ),
        "newborn_visit": (
            (births >= first) & (births <= last),
            np.where(newborn_done, 1.0, newborn_p),
            newborn_done,
        ),
    }


def _stand_ins(kids: Children, year: int, on: dt.date) -> NDArray[np.bool_] | None:
    """Which children stand in for the births still to come (method, step 4): those born in
    ``(on − 1 year, 31 Dec − 1 year]``; None when ``on`` is 31 December (nothing to come)."""
    if on >= dt.date(year, 12, 31):
        return None
    low = np.datetime64(add_years(on, -1), "D")
    high = np.datetime64(dt.date(year - 1, 12, 31), "D")
    return (kids.birth > low) & (kids.birth <= high)


def with_births_to_come(kids: Children, year: int, on: dt.date) -> tuple[Children, int]:
    """``kids`` with the births still to come in the year (method, step 4): a copy, moved one
    year on and without checks, of each child born in ``(on − 1 year, 31 Dec − 1 year]``;
    returns the children and how many stand-ins were added."""
    take = _stand_ins(kids, year, on)
    if take is None:
        return kids, 0
    moved = add_months_array(kids.birth[take], 12)
    added = int(take.sum())
    return (
        Children(
            np.concatenate([kids.birth, moved]),
            np.concatenate([kids.unit, kids.unit[take]]),
            kids.check_row,
            kids.check_date,
            kids.check_kind,
        ),
        added,
    )


def _ceil_target(target: float, denominator: int) -> int:
    """``⌈target × denominator⌉`` in decimal arithmetic (0.95 × 20 is exactly 19)."""
    value = Decimal(str(target)) * denominator
    return int(value.to_integral_value(rounding=ROUND_CEILING))


def unit_rows(
    units: list[tuple[str, str]],
    indicator: str,
    member: NDArray[np.bool_],
    prob: NDArray[np.float64],
    counted: NDArray[np.bool_],
    unit: NDArray[np.int64],
    target: float,
) -> list[ForecastRow]:
    """Sum children into units (method, steps 5 and 6): one row per unit in ``units``."""
    size = len(units)
    take = member & (unit >= 0)
    u = unit[take]
    p = prob[take]
    den = np.bincount(u, minlength=size)
    mean = np.bincount(u, weights=p, minlength=size)
    var = np.bincount(u, weights=p * (1.0 - p), minlength=size)
    sure = np.bincount(u, weights=counted[take].astype(float), minlength=size)
    lost = np.bincount(u, weights=(p <= 0.0).astype(float), minlength=size)
    rows = []
    for i, (code, name) in enumerate(units):
        d = int(den[i])
        mu = float(mean[i])
        if d == 0:
            rows.append(ForecastRow(code, name, indicator, 0, 0, 0.0, None, None, None, target,
                                    None, None, 0))  # fmt: skip
            continue
        sd = math.sqrt(max(float(var[i]), 0.0))
        low = max(float(sure[i]), mu - Z_INTERVAL * sd) / d
        high = min(d - float(lost[i]), mu + Z_INTERVAL * sd) / d
        rate = mu / d
        status: Status = (
            "on_track" if low >= target else ("will_miss" if high < target else "at_risk")
        )
        extra = max(0, math.ceil(_ceil_target(target, d) - mu - 1e-9))
        rows.append(ForecastRow(code, name, indicator, d, int(sure[i]), mu, rate, low, high,
                                target, rate >= target, status, extra))  # fmt: skip
    return rows


@dataclass(frozen=True)
class _Frame:
    """What every grouping of one forecast shares (no unit in it): the children with the
    stand-ins for the births to come (:func:`with_births_to_come`), which children stand in,
    and every scheduled check's stretches and month shifts of all of them."""

    kids: Children
    everyone: Children
    take: NDArray[np.bool_] | None
    stretches: list[_Stretch]
    shifts: _Shifts


def _frame(kids: Children, year: int, on: dt.date, schedule: Schedule) -> _Frame:
    """The :class:`_Frame` of ``kids`` (their ``unit`` is not used)."""
    everyone, _ = with_births_to_come(kids, year, on)
    shifts = _Shifts(everyone.birth)
    return _Frame(
        kids, everyone, _stand_ins(kids, year, on), _stretches(everyone, schedule, shifts), shifts
    )


def _project(
    frame: _Frame,
    unit: NDArray[np.int64],
    units: list[tuple[str, str]],
    year: int,
    on: dt.date,
    params: CoverageParams,
    schedule: Schedule,
) -> list[ForecastRow]:
    """:func:`project` of the frame's children with ``unit`` (index into ``units`` per child
    of ``frame.kids``, −1 for none)."""
    kids = replace(frame.kids, unit=unit)
    _, _, q, late = attendance(kids, on, len(units), schedule, frame.stretches)
    every_unit = unit if frame.take is None else np.concatenate([unit, unit[frame.take]])
    everyone = replace(frame.everyone, unit=every_unit)
    probs = child_probabilities(
        everyone, year, on, q, params, schedule, late, frame.stretches, frame.shifts
    )
    goal = targets(params)
    by_indicator = {
        ind: unit_rows(units, ind, *probs[ind], every_unit, goal[ind]) for ind in INDICATORS
    }
    return [by_indicator[ind][i] for i in range(len(units)) for ind in INDICATORS]


def project(
    kids: Children,
    units: list[tuple[str, str]],
    year: int,
    on: dt.date,
    params: CoverageParams,
    schedule: Schedule,
) -> list[ForecastRow]:
    """The forecast rows (by unit, then indicator) from the arrays of :class:`Children`
    (pure: no database; method in the module docstring)."""
    return _project(_frame(kids, year, on, schedule), kids.unit, units, year, on, params, schedule)


def _scope_id(session: Session, code: str | None) -> int | None:
    if code is None:
        return None
    found = session.execute(select(A.c.id).where(A.c.code == code)).scalar()
    if found is None:
        raise CoverageRequestError(f"unknown area '{code}'")
    return int(found)


def _units(
    session: Session, by: By, level: str, scope_id: int | None
) -> list[tuple[int, str, str]]:
    """The units that get rows, by code: areas of ``level`` in the scope, or its clinics or
    facilities; ``(id, code, name)``."""
    inside = select(AA.c.area_id).where(AA.c.ancestor_id == scope_id)
    if by == "area":
        q = select(A.c.id, A.c.code, A.c.name).where(A.c.level == level)
        if scope_id is not None:
            q = q.where(A.c.id.in_(inside))
        order = A.c.code
    else:
        table = CL if by == "clinic" else F
        q = select(table.c.id, table.c.code, table.c.name)
        if scope_id is not None:
            q = q.where(table.c.area_id.in_(inside))
        order = table.c.code
    return [(int(r[0]), str(r[1]), str(r[2])) for r in session.execute(q.order_by(order))]


def _numbers(session: Session, stmt: Select[Any], width: int) -> NDArray[np.float64]:
    """The rows of ``stmt`` (``width`` columns of integers or NULL) as one ``(rows, width)``
    array, NULL as nan; read from the driver's cursor as its plain tuples (no result row
    objects, no type processing) and converted by numpy in one go. Integers are exact up to
    2**53 (ids and day numbers are far below)."""
    result = session.connection().execute(stmt)
    try:
        if type(result.cursor_strategy) is CursorFetchStrategy:  # nothing buffered yet
            rows: list[Any] = result.cursor.fetchall()
        else:  # a buffering strategy (e.g. stream_results): through SQLAlchemy's rows
            rows = [tuple(r) for r in result.all()]
    finally:
        result.close()
    return np.array(rows, dtype=np.float64).reshape(len(rows), width)


def _ids(column: NDArray[np.float64]) -> NDArray[np.int64]:
    """A column of :func:`_numbers` as ``int64``, −1 for NULL."""
    return np.where(np.isnan(column), -1.0, column).astype(np.int64)


def _lookup(keys: NDArray[np.int64], values: NDArray[np.int64], wanted: NDArray[np.int64]) -> Any:
    """``values[i]`` for each ``wanted`` equal to ``keys[i]`` (keys distinct), −1 for none."""
    if keys.size == 0:
        return np.full(wanted.size, -1, dtype=np.int64)
    order = np.argsort(keys, kind="stable")
    ranked = keys[order]
    at = np.minimum(np.searchsorted(ranked, wanted), keys.size - 1)
    return np.where(ranked[at] == wanted, values[order[at]], -1).astype(np.int64)


@dataclass(frozen=True)
class _Loaded:
    """The children of a scope (:class:`Children`, ``unit`` −1) and each child's raw unit ids
    (−1 for none): ``area_id`` always, ``clinic_id`` and ``facility_id`` with links."""

    kids: Children
    keys: dict[str, NDArray[np.int64]]


def _load(
    session: Session, on: dt.date, scope_id: int | None, params: CoverageParams, links: bool
) -> _Loaded:
    """Two queries: the resident children under ``params.under_years`` on ``on`` living in the
    scope, by id, with their unit keys (:func:`health.coverage.per_child` on a period ending
    ``on``; ``links``: the facility enrolled in on ``on`` and the responsible clinic); then the
    checks of the scope's resident children dated from :data:`HISTORY_DAYS` + 220 days before
    ``on`` to ``on`` (those of the children loaded are kept). Every column is an integer (dates
    as days from ``on``, a check's kind as its index in :data:`health.schedule.KINDS`) so that
    the rows become arrays in one numpy call."""
    tune(session)
    areas = area_ids_inside(session, scope_id)
    sub = per_child(Period(on, on), params, links=links, areas=areas).subquery("pc")
    day = literal(on, Date)  # dates travel as whole days from ``on`` (integers)
    columns: list[Any] = [sub.c.child_id, days_between(sub.c.birth_date, day), sub.c.area_id]
    if links:
        columns += [sub.c.facility_id, sub.c.clinic_id]
    found = _numbers(session, select(*columns).order_by(sub.c.child_id), len(columns))
    ids = found[:, 0].astype(np.int64)
    origin = np.datetime64(on, "D")
    birth = origin + found[:, 1].astype(np.int64).astype("timedelta64[D]")
    keys = {"area_id": _ids(found[:, 2])}
    if links:
        keys["facility_id"] = _ids(found[:, 3])
        keys["clinic_id"] = _ids(found[:, 4])
    since = on - dt.timedelta(days=HISTORY_DAYS + 220)
    kind = case(*((K.c.kind == k, i) for i, k in enumerate(KINDS)), else_=len(KINDS))
    residents = select(C.c.id).where(C.c.resident == true())
    if areas is not None:
        residents = residents.where(C.c.area_id.in_(areas))
    stmt = select(K.c.child_id, days_between(K.c.check_date, day), kind).where(
        K.c.child_id.in_(residents), K.c.check_date >= since, K.c.check_date <= on
    )
    checks = _numbers(session, stmt, 3).astype(np.int64)
    rows = _lookup(ids, np.arange(ids.size, dtype=np.int64), checks[:, 0])
    mine = rows >= 0
    names = np.array([*KINDS, ""], dtype=object)  # "": a kind the schedule does not know
    kids = Children(
        birth,
        np.full(ids.size, -1, dtype=np.int64),
        rows[mine],
        origin + checks[mine, 1].astype("timedelta64[D]"),
        names[checks[mine, 2]],
    )
    return _Loaded(kids, keys)


def _unit_of(
    session: Session,
    loaded: _Loaded,
    by: By,
    level: str,
    scope_id: int | None,
    unit_ids: list[int],
) -> NDArray[np.int64]:
    """Each child's unit: index into ``unit_ids`` of its area's ancestor at ``level`` (``by``
    area), its clinic or its facility; −1 for none."""
    if by == "area":
        pairs = select(AA.c.area_id, AA.c.ancestor_id).join(A, A.c.id == AA.c.ancestor_id)
        pairs = pairs.where(A.c.level == level)
        if scope_id is not None:  # the children's areas are all in the scope
            pairs = pairs.where(AA.c.area_id.in_(inside(scope_id)))  # a few pairs
        pair = _numbers(session, pairs, 2).astype(np.int64)
        raw = _lookup(pair[:, 0], pair[:, 1], loaded.keys["area_id"])
    else:
        raw = loaded.keys[f"{by}_id"]
    ids = np.array(unit_ids, dtype=np.int64)
    return _lookup(ids, np.arange(ids.size, dtype=np.int64), raw)


def load_children(
    session: Session,
    year: int,
    on: dt.date,
    *,
    by: By,
    level: str,
    scope_id: int | None,
    unit_ids: list[int],
    params: CoverageParams,
) -> Children:
    """The resident children under 7 on ``on`` living in the scope, with the unit of each
    (the children and units of :func:`health.coverage.per_child` on a period ending ``on``),
    and their checks dated from a year and seven months before ``on`` to ``on`` (:func:`_load`,
    and one query of areas for ``by`` area)."""
    loaded = _load(session, on, scope_id, params, links=by != "area")
    unit = _unit_of(session, loaded, by, level, scope_id, unit_ids)
    return replace(loaded.kids, unit=unit)


def _check_request(year: int, on: dt.date, groupings: list[tuple[By, str]]) -> None:
    if on.year != year:
        raise CoverageRequestError(f"the forecast day {on.isoformat()} is not in {year}")
    for by, level in groupings:
        if by not in ("area", "clinic", "facility"):
            raise CoverageRequestError(f"grouping '{by}' is not one of area, clinic, facility")
        if by == "area" and level not in AREA_LEVELS:
            raise CoverageRequestError(f"level '{level}' is not one of {', '.join(AREA_LEVELS)}")


def forecast_many(
    session: Session,
    year: int,
    on: dt.date,
    groupings: list[tuple[By, str]],
    within_area: str | None = None,
    params: CoverageParams | None = None,
    schedule: Schedule | None = None,
) -> list[list[ForecastRow]]:
    """:func:`forecast` for each ``(by, level)`` of ``groupings``, in order (``level`` only
    matters for ``by`` area), the children and their checks loaded once (with the clinic and
    facility links when a grouping needs them) and everything that does not depend on the
    units worked out once; each list is exactly what ``forecast(by=, level=)`` returns."""
    _check_request(year, on, groupings)
    schedule = schedule or load_schedule()
    params = params or schedule.coverage
    scope_id = _scope_id(session, within_area)
    if not groupings:
        return []
    loaded = _load(session, on, scope_id, params, links=any(by != "area" for by, _ in groupings))
    frame = _frame(loaded.kids, year, on, schedule)
    out = []
    for by, level in groupings:
        units = _units(session, by, level, scope_id)
        unit = _unit_of(session, loaded, by, level, scope_id, [u[0] for u in units])
        rows = _project(frame, unit, [(c, n) for _, c, n in units], year, on, params, schedule)
        out.append(rows)
    return out


def forecast(
    session: Session,
    year: int,
    on: dt.date,
    *,
    by: By = "area",
    level: str = "county",
    within_area: str | None = None,
    params: CoverageParams | None = None,
    schedule: Schedule | None = None,
) -> list[ForecastRow]:
    """The year-end forecast of ``year`` made on ``on`` for every unit (by code) and indicator:
    areas of ``level`` (``by="area"``), clinics or facilities, in ``within_area`` (default:
    everywhere). ``on`` must lie in ``year``. Several groupings of one scope:
    :func:`forecast_many` (one load of the children)."""
    return forecast_many(session, year, on, [(by, level)], within_area, params, schedule)[0]


@dataclass(frozen=True)
class ReleasedForecast:
    """A forecast row as bureaus see it (:func:`release`): the denominator and the children
    counted are never shown; with ``suppressed`` every figure is None; ``extra_hidden`` when
    ``extra_children_needed`` (then None) was 1–4."""

    unit_code: str
    unit_name: str
    indicator: str
    projected_rate: float | None
    low: float | None
    high: float | None
    target: float
    meets_target: bool | None
    status: Status | None
    extra_children_needed: int | None
    extra_hidden: bool
    suppressed: bool

    def as_dict(self) -> dict[str, Any]:
        """The row as a plain dict."""
        return asdict(self)


def release(
    rows: list[ForecastRow], hidden: dict[tuple[str, str], bool], threshold: int = SMALL_COUNT
) -> list[ReleasedForecast]:
    """The rows a bureau may see, by the small-count rule of coverage.md §5 (threshold
    :data:`health.suppression.SMALL_COUNT`). ``hidden[(unit code, indicator)]`` says whether
    the unit's coverage row of the year so far, as released (``health.release``), hides a
    count; a unit missing from it is hidden.

    - Hidden entirely when the year's row hides a count (the forecast's low end is the counted
      children over the denominator when the interval is clipped there, so it would give the
      hidden count back) or when the forecast's denominator is 1–4 children.
    - ``extra_children_needed`` of 1–4 is hidden (like the gap); 0 and 5 or more are shown
      (None for a unit without children in the denominator).
    - The denominator and the children counted are never released (the year's own row shows
      them where they may be shown)."""
    out = []
    for r in rows:
        small = 0 < r.denominator < threshold
        if hidden.get((r.unit_code, r.indicator), True) or small:
            out.append(ReleasedForecast(r.unit_code, r.unit_name, r.indicator, None, None, None,
                                        r.target, None, None, None, False, True))  # fmt: skip
            continue
        extra_small = 0 < r.extra_children_needed < threshold
        extra = None if extra_small or r.denominator == 0 else r.extra_children_needed
        out.append(
            ReleasedForecast(
                r.unit_code, r.unit_name, r.indicator, r.projected_rate, r.low, r.high,
                r.target, r.meets_target, r.status, extra, extra_small, False,
            )
        )  # fmt: skip
    return out
