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
from dataclasses import asdict, dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from health.coverage import INDICATORS, By, CoverageRequestError, inside, per_child
from health.models import Area, AreaAncestor, Check, Child, Clinic, Facility
from health.models.enums import AREA_LEVELS
from health.periods import Period, add_years
from health.schedule import CoverageParams, Schedule, load_schedule
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


def late_windows(
    schedule: Schedule, births: NDArray[np.datetime64]
) -> list[tuple[NDArray[Any], NDArray[Any], NDArray[Any], NDArray[Any]]]:
    """Per scheduled check: ``(opens, closes, late_from, late_to)`` for each child; the late
    stretch is the :data:`LATE_DAYS` after the window, stopped the day before the next check
    of the same kind opens (empty when ``late_from > late_to``)."""
    windows = [item.windows(births)[1:] for item in schedule.checks]
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
    kids: Children, on: dt.date, n_units: int, schedule: Schedule
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Per scheduled check (rows) and unit (columns): children whose window closed in the
    :data:`HISTORY_DAYS` up to ``on`` (``n``), those seen inside it (``s``), the estimate
    ``q = (s + PRIOR_CHILDREN q₀) / (n + PRIOR_CHILDREN)`` with the scope's ``q₀``, and the
    same estimate ``ℓ`` of a late visit (in the late stretch, among children whose late
    stretch ended in those days without a visit in the window)."""
    day = np.datetime64(on, "D")
    shape = (len(schedule.checks), n_units)
    n, s, q, late = np.zeros(shape), np.zeros(shape), np.zeros(shape), np.zeros(shape)
    since = day - HISTORY_DAYS * DAY
    for j, (item, (opens, closes, late_from, late_to)) in enumerate(
        zip(schedule.checks, late_windows(schedule, kids.birth), strict=True)
    ):
        done = _done(kids, item.kind, opens, closes)
        n[j], s[j], q[j] = _rate(done, (closes <= day) & (closes > since), kids.unit, n_units)
        asked = ~done & (late_from <= late_to) & (late_to <= day) & (late_to > since)
        came = _done(kids, item.kind, late_from, late_to)
        late[j] = _rate(came, asked, kids.unit, n_units)[2]
        late[j][~np.isfinite(late[j])] = 0.0
    return n, s, q, late


def _done(kids: Children, kind: str, opens: NDArray[Any], closes: NDArray[Any]) -> NDArray[Any]:
    """Whether each child has a check of ``kind`` dated inside its window (known on the day)."""
    mine = kids.check_kind == kind
    rows = kids.check_row[mine]
    dates = kids.check_date[mine]
    hit = (dates >= opens[rows]) & (dates <= closes[rows])
    done = np.zeros(kids.birth.size, dtype=bool)
    done[rows[hit]] = True
    return done


def _pending(
    opens: NDArray[Any],
    closes: NDArray[Any],
    done: NDArray[Any],
    q: NDArray[Any],
    day: Any,
    last: Any,
) -> NDArray[np.float64]:
    """Probability that a check not done by ``day`` is done inside its window on a day after
    ``day`` and on or before ``last`` (None: the window's end); 0 for a check already done or
    whose window is over (method, step 2)."""  # fmt: skip
    width = (closes - opens).astype(np.int64) + 1
    elapsed = np.clip((day - opens).astype(np.int64) + 1, 0, width)
    stop = closes if last is None else np.minimum(closes, last)
    start = np.maximum(opens, day + DAY)
    remaining = np.clip((stop - start).astype(np.int64) + 1, 0, None)
    p = q * remaining / width / np.maximum(1.0 - q * elapsed / width, 1e-12)
    return np.where(done | (remaining == 0), 0.0, np.clip(p, 0.0, 1.0))


def _of_unit(values: NDArray[Any], unit: NDArray[np.int64], fallback: float) -> NDArray[Any]:
    """Each child's unit's value (``fallback`` for a child without a unit)."""
    if values.size == 0:  # no unit to forecast: every child is outside the units
        return np.full(unit.size, fallback, dtype=float)
    return np.where(unit >= 0, values[np.maximum(unit, 0)], fallback)


def child_probabilities(
    kids: Children,
    year: int,
    on: dt.date,
    q: NDArray[np.float64],
    params: CoverageParams,
    schedule: Schedule,
    late: NDArray[np.float64] | None = None,
) -> dict[str, tuple[NDArray[np.bool_], NDArray[np.float64], NDArray[np.bool_]]]:
    """Per indicator: ``(in the denominator, probability of the numerator by 31 December,
    already counted on on)`` for each child (method, step 3). ``q`` is :func:`attendance`'s
    estimate, per check and unit; a child without a unit uses the scope's mean of ``q``."""
    day = np.datetime64(on, "D")
    first, last = np.datetime64(dt.date(year, 1, 1), "D"), np.datetime64(dt.date(year, 12, 31))
    births = kids.birth
    size = births.size
    known = kids.check_date <= day
    in_year = known & (kids.check_date >= first)
    routine = kids.check_kind == "routine"
    n_routine = np.bincount(kids.check_row[in_year & routine], minlength=size)
    n_any = np.bincount(kids.check_row[in_year], minlength=size)
    fallback = q.mean(axis=1) if q.shape[1] else np.full(q.shape[0], 0.5)
    late_fallback = (
        None if late is None else (late.mean(axis=1) if late.shape[1] else np.zeros(q.shape[0]))
    )
    dist = np.zeros((size, len(schedule.checks) + 1))  # pending routine checks that happen
    dist[:, 0] = 1.0
    none_any = np.ones(size)  # probability that no pending check of any kind happens
    newborn_p = np.zeros(size)
    newborn_done = np.zeros(size, dtype=bool)
    for j, (item, (opens, closes, late_from, late_to)) in enumerate(
        zip(schedule.checks, late_windows(schedule, births), strict=True)
    ):
        done = _done(kids, item.kind, opens, closes)
        qj = _of_unit(q[j], kids.unit, fallback[j])
        in_window = _pending(opens, closes, done, qj, day, last)
        if item.kind == "newborn_visit":
            newborn_p = _pending(opens, closes, done, qj, day, None)
            newborn_done = done
        if late is not None:  # a late visit, if the window passes without one (step 2)
            lj = _of_unit(late[j], kids.unit, late_fallback[j])
            gone = done | _done(kids, item.kind, late_from, late_to) | (late_from > late_to)
            whole = _pending(opens, closes, done, qj, day, None)
            late_p = _pending(late_from, np.maximum(late_to, late_from), gone, lj, day, last)
            p = in_window + (1.0 - whole) * late_p
        else:
            p = in_window
        none_any *= 1.0 - p
        if item.kind == "routine":
            dist[:, 1:] = dist[:, 1:] * (1.0 - p[:, None]) + dist[:, :-1] * p[:, None]
            dist[:, 0] *= 1.0 - p
    due = sum(
        ((t >= first) & (t <= last)).astype(np.int64)
        for t in (add_months_array(births, k) for k in params.routine_months)
    )
    need = np.clip(due - n_routine, 0, dist.shape[1] - 1)
    tail = np.cumsum(dist[:, ::-1], axis=1)[:, ::-1]  # tail[:, k] = P(count ≥ k)
    infant_p = tail[np.arange(size), need]
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


def with_births_to_come(kids: Children, year: int, on: dt.date) -> tuple[Children, int]:
    """``kids`` with the births still to come in the year (method, step 4): a copy, moved one
    year on and without checks, of each child born in ``(on − 1 year, 31 Dec − 1 year]``;
    returns the children and how many stand-ins were added."""
    if on >= dt.date(year, 12, 31):
        return kids, 0
    low = np.datetime64(add_years(on, -1), "D")
    high = np.datetime64(dt.date(year - 1, 12, 31), "D")
    take = (kids.birth > low) & (kids.birth <= high)
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
    _, _, q, late = attendance(kids, on, len(units), schedule)
    everyone, _ = with_births_to_come(kids, year, on)
    probs = child_probabilities(everyone, year, on, q, params, schedule, late)
    goal = targets(params)
    by_indicator = {
        ind: unit_rows(units, ind, *probs[ind], everyone.unit, goal[ind]) for ind in INDICATORS
    }
    return [by_indicator[ind][i] for i in range(len(units)) for ind in INDICATORS]


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
    (:func:`health.coverage.per_child` on a period ending ``on``), and their checks
    dated from a year and seven months before ``on`` to ``on`` (two queries)."""
    # the period of one day, ``on``: the same children and units as any period ending on
    # ``on``, with the per-child check counts (not used here) over one day only
    children = per_child(Period(on, on), params, links=by != "area", areas=inside(scope_id))
    sub = children.subquery("pc")
    key = sub.c.area_id if by == "area" else sub.c[f"{by}_id"]
    rows = session.execute(
        select(sub.c.child_id, sub.c.birth_date, key).order_by(sub.c.child_id)
    ).all()
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    birth = np.array([r[1] for r in rows], dtype="datetime64[D]")
    raw = np.array([-1 if r[2] is None else r[2] for r in rows], dtype=np.int64)
    if by == "area":
        pairs = session.execute(
            select(AA.c.area_id, AA.c.ancestor_id)
            .join(A, A.c.id == AA.c.ancestor_id)
            .where(A.c.level == level)
        ).all()
        up = {int(a): int(b) for a, b in pairs}
        raw = np.array([up.get(int(a), -1) for a in raw], dtype=np.int64)
    position = {uid: i for i, uid in enumerate(unit_ids)}
    lookup = np.vectorize(lambda v: position.get(int(v), -1), otypes=[np.int64])
    unit = lookup(raw) if raw.size else raw
    since = on - dt.timedelta(days=HISTORY_DAYS + 220)
    mine = select(C.c.id).where(C.c.resident.is_(True))
    if scope_id is not None:  # the scope's children first, then their checks by child
        mine = mine.where(C.c.area_id.in_(select(AA.c.area_id).where(AA.c.ancestor_id == scope_id)))
    stmt = select(K.c.child_id, K.c.check_date, K.c.kind).where(
        K.c.child_id.in_(mine), and_(K.c.check_date >= since, K.c.check_date <= on)
    )
    checks = session.execute(stmt).all()
    child = np.array([r[0] for r in checks], dtype=np.int64)
    where = np.searchsorted(ids, child)
    where = np.minimum(where, max(ids.size - 1, 0))
    found = ids[where] == child if ids.size else np.zeros(child.size, dtype=bool)
    return Children(
        birth,
        unit,
        where[found].astype(np.int64),
        np.array([r[1] for r in checks], dtype="datetime64[D]")[found],
        np.array([str(r[2]) for r in checks], dtype=object)[found],
    )


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
    everywhere). ``on`` must lie in ``year``."""
    if on.year != year:
        raise CoverageRequestError(f"the forecast day {on.isoformat()} is not in {year}")
    if by not in ("area", "clinic", "facility"):
        raise CoverageRequestError(f"grouping '{by}' is not one of area, clinic, facility")
    if by == "area" and level not in AREA_LEVELS:
        raise CoverageRequestError(f"level '{level}' is not one of {', '.join(AREA_LEVELS)}")
    schedule = schedule or load_schedule()
    params = params or schedule.coverage
    scope_id = _scope_id(session, within_area)
    units = _units(session, by, level, scope_id)
    kids = load_children(
        session, year, on, by=by, level=level, scope_id=scope_id,
        unit_ids=[u[0] for u in units], params=params,
    )  # fmt: skip
    return project(kids, [(c, n) for _, c, n in units], year, on, params, schedule)


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
