"""The three coverage indicators of coverage.md, as one SQL aggregation (SQLAlchemy Core; the
same statement on SQLite and PostgreSQL), per area at any level, per clinic or per facility.

Per child (resident children under the age limit at the period's end only):

- ``infant_health_management``: due = number of routine ages k (months) with
  ``birth + k months`` inside the period (computed as birth-date intervals, see
  :func:`health.periods.birth_range_for_age_in`); in the denominator when due > 0; in the
  numerator when the routine checks dated in the period are at least ``due``.
- ``child_health_management_0_6``: denominator when born on or before the period's end and under
  ``under_years`` on that day (``birth > end − 7 years``); numerator with at least one check of any
  kind dated in the period.
- ``newborn_visit``: denominator when born in the period; numerator with a newborn home visit
  0..28 days after birth (the visit may fall after the period).

A child counts in the area of its residence; in the clinic that is responsible for it on the
period's end date (the linked clinic of the facility it is enrolled in then, else the clinic of its
township, the lowest id when a township has several); in the facility it is enrolled in then.

Privacy: these are the exact counts, for clinics (their own children) and the analysts' command
line. What bureaus and their exports see goes through :mod:`health.release`, which hides small
counts by the rule of :mod:`health.suppression` (coverage.md §5).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from sqlalchemy import (
    Select,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    text,
    true,
)
from sqlalchemy.orm import Session

from health.models import Area, AreaAncestor, Check, Child, Clinic, Enrolment, Facility
from health.models.enums import AREA_LEVELS
from health.periods import Period, add_years, birth_range_for_age_in
from health.schedule import CoverageParams, load_schedule
from health.sqlfunc import days_between
from health.stats import (
    meets_target,
    meets_targets,
    target_gap,
    target_gaps,
    wilson_interval,
    wilson_intervals,
)

INDICATORS = ("infant_health_management", "child_health_management_0_6", "newborn_visit")
_FLAG = {  # indicator → (denominator column, numerator column)
    "infant_health_management": ("infant_den", "infant_num"),
    "child_health_management_0_6": ("child_den", "child_num"),
    "newborn_visit": ("newborn_den", "newborn_num"),
}
By = Literal["area", "clinic", "facility"]
ALL_LEVELS = "all"  # level: every area of every level from one aggregation

C = Child.__table__  # type: ignore[attr-defined]
K = Check.__table__  # type: ignore[attr-defined]
A = Area.__table__  # type: ignore[attr-defined]
AA = AreaAncestor.__table__  # type: ignore[attr-defined]
CL = Clinic.__table__  # type: ignore[attr-defined]
F = Facility.__table__  # type: ignore[attr-defined]
E = Enrolment.__table__  # type: ignore[attr-defined]


class CoverageRequestError(ValueError):
    """A coverage request that cannot be answered (unknown level, grouping or area)."""


@dataclass(frozen=True)
class CoverageRow:
    """One indicator for one unit (area, clinic or facility). ``rate``, the interval and
    ``meets_target`` are None when the denominator is 0."""

    unit_code: str
    unit_name: str
    indicator: str
    numerator: int
    denominator: int
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    target: float
    meets_target: bool | None
    gap: int

    def as_dict(self) -> dict[str, Any]:
        """The row as a plain dict (field names as in the CSV output)."""
        return asdict(self)


def _targets(params: CoverageParams) -> dict[str, float]:
    return {
        "infant_health_management": params.infant_target,
        "child_health_management_0_6": params.child_target,
        "newborn_visit": params.newborn_target,
    }


def _flag(condition: Any) -> Any:
    return case((condition, 1), else_=0)


def due_segments(
    period: Period, routine_months: Sequence[int]
) -> list[tuple[dt.date, dt.date, int]]:
    """The number of routine checks due in ``period`` as a step function of the birth date:
    ``(first birth date, last birth date, count)`` for every stretch with a count above 0."""
    ranges = [birth_range_for_age_in(period.start, period.end, m) for m in routine_months]
    ranges = [(lo, hi) for lo, hi in ranges if lo <= hi]
    cuts = sorted({lo for lo, _ in ranges} | {hi + dt.timedelta(days=1) for _, hi in ranges})
    segments: list[tuple[dt.date, dt.date, int]] = []
    for first, after in itertools.pairwise(cuts):
        count = sum(1 for lo, hi in ranges if lo <= first and after - dt.timedelta(days=1) <= hi)
        if count == 0:
            continue
        last = after - dt.timedelta(days=1)
        if (
            segments
            and segments[-1][2] == count
            and segments[-1][1] + dt.timedelta(days=1) == first
        ):
            segments[-1] = (segments[-1][0], last, count)
        else:
            segments.append((first, last, count))
    return segments


Areas = Sequence[int] | Select[Any] | None
"""Which areas' children: ids, a query of ids, or None for every area."""


def _living_in(areas: Areas) -> list[Any]:
    """The condition on ``children`` of :func:`per_child`'s ``areas`` (none: every area)."""
    if areas is None:
        return []
    return [C.c.area_id.in_(areas if isinstance(areas, Select) else list(areas))]


def inside(scope_id: int | None) -> Areas:
    """The areas of ``scope_id`` and below it, as :data:`Areas` (None: every area)."""
    if scope_id is None:
        return None
    return select(AA.c.area_id).where(AA.c.ancestor_id == scope_id)


def area_ids_inside(session: Session, scope_id: int | None) -> list[int] | None:
    """The ids of :func:`inside`, read now (None: every area): a list of ids lets PostgreSQL
    walk the children's area index, where the subquery gets a scan of every child."""
    if scope_id is None:
        return None
    return [int(a) for a in session.execute(inside(scope_id)).scalars()]  # type: ignore[arg-type]


def _checks_of(areas: Areas) -> list[Any]:
    """The condition on ``checks`` of :func:`per_child`'s ``areas``: checks of their children
    only (walks the checks' child index instead of grouping every check of the period)."""
    if areas is None:
        return []
    return [K.c.child_id.in_(select(C.c.id).where(*_living_in(areas)))]


def per_child(
    period: Period, params: CoverageParams, *, links: bool, areas: Areas = None
) -> Select[Any]:
    """One row per resident child under the age limit at ``period.end`` with its 0/1 indicator
    flags; with ``links`` also the responsible ``clinic_id`` and the ``facility_id`` it is
    enrolled in on the period's end date. ``areas``: only the children living directly in
    those areas (ids)."""
    start, end = period.start, period.end
    stats = (
        select(
            K.c.child_id,
            func.sum(_flag(K.c.kind == "routine")).label("n_routine"),
            func.count().label("n_any"),
        )
        .where(K.c.check_date.between(start, end), *_checks_of(areas))
        .group_by(K.c.child_id)
        .subquery("st")
    )
    within = params.newborn_within_days
    visited = (
        select(literal(1))
        .select_from(K)
        .where(
            K.c.child_id == C.c.id,
            K.c.kind == "newborn_visit",
            K.c.check_date.between(start, end + dt.timedelta(days=within)),
            days_between(K.c.check_date, C.c.birth_date).between(0, within),
        )
        .exists()
    )
    segments = due_segments(period, params.routine_months)
    due = (
        case(*((C.c.birth_date.between(lo, hi), n) for lo, hi, n in segments), else_=0)
        if segments
        else literal(0)
    )
    born_in = C.c.birth_date.between(start, end)
    columns = [  # per-child facts, each expression evaluated once per child
        C.c.id.label("child_id"),
        C.c.code.label("child_code"),
        C.c.area_id,
        C.c.birth_date,
        due.label("due"),
        func.coalesce(stats.c.n_routine, 0).label("n_routine"),
        func.coalesce(stats.c.n_any, 0).label("n_any"),
        _flag(born_in).label("born_in"),
        case((born_in, case((visited, 1), else_=0)), else_=0).label("visited"),
    ]
    source = C.outerjoin(stats, stats.c.child_id == C.c.id)
    if links:  # the facility enrolled in on the end date (the lowest id of several)
        open_on_end = (
            or_(E.c.start_date.is_(None), E.c.start_date <= end),
            or_(E.c.end_date.is_(None), E.c.end_date >= end),
        )
        if areas is None:  # every child: the enrolments grouped once, then joined
            grouped = (
                select(E.c.child_id, func.min(E.c.facility_id).label("facility_id"))
                .where(*open_on_end)
                .group_by(E.c.child_id)
                .subquery("en")
            )
            source = source.outerjoin(grouped, grouped.c.child_id == C.c.id)
            columns.append(grouped.c.facility_id)
        else:  # some areas' children: each child's enrolments looked up by its index
            # "+ 0": PostgreSQL would otherwise take min() as the first row of the facility
            # index that matches, walking that index for every child
            lowest = func.min(E.c.facility_id + 0)
            enrolled = select(lowest).where(E.c.child_id == C.c.id, *open_on_end)
            columns.append(enrolled.scalar_subquery().label("facility_id"))
    oldest = add_years(end, -params.under_years)
    # OFFSET 0 keeps the facts a real subquery (SQLite would otherwise inline it and evaluate
    # the due-count CASE and the join columns once per use instead of once per child)
    facts = (
        select(*columns)
        .select_from(source)
        .where(
            C.c.resident == true(),
            C.c.birth_date > oldest,
            C.c.birth_date <= end,
            *_living_in(areas),
        )
        .offset(0)
        .subquery("facts")
    )
    f = facts.c
    kept = [f.child_id, f.child_code, f.area_id, f.birth_date]
    source_out: Any = facts
    if links:  # the responsible clinic: the facility's, else the township's (lowest id)
        township_clinic = (
            select(CL.c.area_id, func.min(CL.c.id).label("clinic_id"))
            .where(*([] if areas is None else [CL.c.area_id.in_(areas)]))
            .group_by(CL.c.area_id)
            .subquery("tc")
        )  # within areas only theirs: a handful of rows whatever the plan
        source_out = facts.outerjoin(F, F.c.id == f.facility_id).outerjoin(
            township_clinic, township_clinic.c.area_id == f.area_id
        )
        clinic = func.coalesce(F.c.clinic_id, township_clinic.c.clinic_id)
        kept += [clinic.label("clinic_id"), f.facility_id]
    return select(
        *kept,
        _flag(f.due > 0).label("infant_den"),
        _flag(and_(f.due > 0, f.n_routine >= f.due)).label("infant_num"),
        literal(1).label("child_den"),
        _flag(f.n_any > 0).label("child_num"),
        f.born_in.label("newborn_den"),
        f.visited.label("newborn_num"),
    ).select_from(source_out)


def _sums(sub: Any) -> list[Any]:
    return [
        func.coalesce(func.sum(sub.c[name]), 0).label(name)
        for pair in _FLAG.values()
        for name in pair
    ]


def _area_id(session: Session, code: str) -> int:
    found = session.execute(select(A.c.id).where(A.c.code == code)).scalar()
    if found is None:
        raise CoverageRequestError(f"unknown area '{code}'")
    return int(found)


def _units(
    session: Session, by: By, level: str | None, scope_id: int | None
) -> list[tuple[int, str, str]]:
    """Every unit that gets a row (even with empty denominators): ``(id, code, name)``."""
    if by == "area":
        q = select(A.c.id, A.c.code, A.c.name)
        if level != ALL_LEVELS:
            q = q.where(A.c.level == level)
        if scope_id is not None:
            inside = select(AA.c.area_id).where(AA.c.ancestor_id == scope_id)
            above = select(AA.c.ancestor_id).where(AA.c.area_id == scope_id)
            q = q.where(or_(A.c.id.in_(inside), A.c.id.in_(above)))
    else:
        table = CL if by == "clinic" else F
        q = select(table.c.id, table.c.code, table.c.name)
        if scope_id is not None:
            q = q.where(
                table.c.area_id.in_(select(AA.c.area_id).where(AA.c.ancestor_id == scope_id))
            )
    return [
        (int(r[0]), str(r[1]), str(r[2]))
        for r in session.execute(q.order_by(q.selected_columns[1]))
    ]


AreaSums = dict[tuple[int, int], tuple[int, ...]]
"""(area id, part) → the sums of a :data:`KIND_COLUMNS` kind over the children living directly
in that area (part: the birth month for ``newborn_months``, else 0)."""


def area_sums_select(
    kind: str, period: Period, params: CoverageParams, areas: Areas = None
) -> Select[Any]:
    """The aggregation behind :data:`AreaSums` for ``kind`` (see :data:`KIND_COLUMNS`):
    ``area_id``, ``part`` and one sum per column named ``v0``, ``v1`` …, over the resident
    children under the age limit at ``period.end`` (only those living in ``areas`` if given)."""
    if kind == "screens":
        sub = screen_per_child(period, params, areas).subquery("spc")
    else:
        sub = per_child(period, params, links=False, areas=areas).subquery("pc")
    # "+ 0": group by value, so SQLite scans the table instead of walking the area index
    # with one random row lookup per child
    area = (sub.c.area_id + 0).label("area_id")
    if kind == "newborn_months":
        year = period.start.year
        months = [Period.month(year, m) for m in range(1, 13)]
        born = [(sub.c.birth_date.between(p.start, p.end), p.start.month) for p in months]
        part = case(*born, else_=0).label("part")
        sums = [func.sum(sub.c.newborn_num).label("v0"), func.count().label("v1")]
        return select(area, part, *sums).where(sub.c.newborn_den == 1).group_by(area, part)
    if kind not in KIND_COLUMNS:
        raise CoverageRequestError(f"unknown kind of sums '{kind}'")
    names = KIND_COLUMNS[kind]
    sums = [func.coalesce(func.sum(sub.c[n]), 0).label(f"v{i}") for i, n in enumerate(names)]
    return select(area, literal(0).label("part"), *sums).group_by(area)


def area_sums(
    session: Session, kind: str, period: Period, params: CoverageParams, *, kept: bool = False
) -> AreaSums:
    """:data:`AreaSums` of ``kind`` for ``period``: with ``kept``, from the sums the database
    keeps up to date (:func:`health.tally.kept_sums`, when the session's engine allows it),
    else aggregated now; the two are equal."""
    if kept:
        from health import tally

        found = tally.kept_sums(session, kind, period, params)
        if found is not None:
            return found
    tune(session)
    width = len(KIND_COLUMNS[kind])
    return {
        (int(r[0]), int(r[1])): tuple(int(v or 0) for v in r[2 : 2 + width])
        for r in session.execute(area_sums_select(kind, period, params))
    }


def roll_up(
    session: Session, sums: AreaSums, level: str | None, scope_id: int | None
) -> dict[tuple[int, int], list[int]]:
    """``sums`` of the areas children live in, added up to every area of ``level`` (or of every
    level, :data:`ALL_LEVELS`) above or at them: (area id, part) → sums. ``scope_id``: only the
    children living in that area or below it. (numpy: one pass over area × ancestor pairs.)"""
    if not sums:
        return {}
    pairs = select(AA.c.area_id, AA.c.ancestor_id).join(A, A.c.id == AA.c.ancestor_id)
    if level != ALL_LEVELS:
        pairs = pairs.where(A.c.level == level)
    found = session.execute(pairs.order_by(AA.c.area_id)).all()
    below = np.array([p[0] for p in found], dtype=np.int64)
    above = np.array([p[1] for p in found], dtype=np.int64)
    keys = np.array(list(sums), dtype=np.int64).reshape(-1, 2)
    values = np.array(list(sums.values()), dtype=np.int64).reshape(len(keys), -1)
    if scope_id is not None:
        inside_ids = session.execute(
            select(AA.c.area_id).where(AA.c.ancestor_id == scope_id)
        ).scalars()
        kept = np.isin(keys[:, 0], np.fromiter(inside_ids, dtype=np.int64))
        keys, values = keys[kept], values[kept]
    first = np.searchsorted(below, keys[:, 0], "left")
    many = np.searchsorted(below, keys[:, 0], "right") - first
    row = np.repeat(np.arange(len(keys)), many)  # each row once per ancestor of its area
    pair = np.arange(row.size) - np.repeat(np.cumsum(many) - many, many) + first[row]
    if row.size == 0:
        return {}
    span = int(keys[:, 1].max()) + 1  # parts 0 … span − 1: (unit, part) as one integer
    units, where = np.unique(above[pair] * span + keys[row, 1], return_inverse=True)
    totals = np.zeros((len(units), values.shape[1]), dtype=np.int64)
    np.add.at(totals, where.ravel(), values[row])
    return {
        divmod(key, span): total for key, total in zip(units.tolist(), totals.tolist(), strict=True)
    }


def _counts(
    session: Session,
    period: Period,
    params: CoverageParams,
    by: By,
    level: str | None,
    scope_id: int | None,
    kept: bool = False,
) -> dict[int, dict[str, int]]:
    """Numerators and denominators per unit id, computed in the database.

    ``by="area"`` groups children by their ancestor area at ``level`` (checked by the caller;
    ``"all"``: every area of every level, from one pass over the children, or from the kept
    sums with ``kept``); ``"clinic"`` / ``"facility"`` by the responsible clinic / the facility
    of enrolment. ``scope_id`` limits the children to those living in that area (id) or below
    it.
    """
    names = _names()
    if by == "area":
        sums = area_sums(session, "coverage", period, params, kept=kept)
        return {
            unit: dict(zip(names, values, strict=True))
            for (unit, _), values in roll_up(session, sums, level, scope_id).items()
        }
    if by not in ("clinic", "facility"):
        raise CoverageRequestError(f"grouping '{by}' is not one of area, clinic, facility")
    tune(session)
    areas = area_ids_inside(session, scope_id)
    sub = per_child(period, params, links=True, areas=areas).subquery("pc")
    key = sub.c.clinic_id if by == "clinic" else sub.c.facility_id
    stmt = select(key.label("unit_id"), *_sums(sub)).where(key.is_not(None)).group_by(key)
    return {
        int(row.unit_id): {n: int(row._mapping[n] or 0) for n in names}
        for row in session.execute(stmt)
    }


def _check_level(level: str | None) -> None:
    if level not in (*AREA_LEVELS, ALL_LEVELS):
        raise CoverageRequestError(f"level '{level}' is not one of {', '.join(AREA_LEVELS)}")


def tune(session: Session) -> None:
    """PostgreSQL: for this transaction, skip JIT compilation (it costs more than it saves on
    a one-off report) and give hash aggregation room so it does not spill to disk."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text("SET LOCAL work_mem = '256MB'"))


def _names() -> list[str]:
    return [name for pair in _FLAG.values() for name in pair]


def coverage(
    session: Session,
    period: Period,
    *,
    by: By = "area",
    level: str | None = "township",
    within_area: str | None = None,
    params: CoverageParams | None = None,
    kept: bool = False,
) -> list[CoverageRow]:
    """Coverage rows for every unit (sorted by code) and each of the three indicators; with
    ``kept`` (areas only) from the sums the database keeps (:mod:`health.tally`)."""
    params = params or load_schedule().coverage
    if by == "area":
        _check_level(level)
    scope_id = _area_id(session, within_area) if within_area is not None else None
    counts = _counts(session, period, params, by, level, scope_id, kept)
    targets = _targets(params)
    cells = []  # (code, name, indicator, numerator, denominator, target)
    for unit_id, code, name in _units(session, by, level, scope_id):
        values = counts.get(unit_id, {})
        for indicator in INDICATORS:
            den_name, num_name = _FLAG[indicator]
            cells.append(
                (code, name, indicator, values.get(num_name, 0), values.get(den_name, 0),
                 targets[indicator])
            )  # fmt: skip
    return make_rows(cells)


def newborn_by_month(
    session: Session,
    period: Period,
    params: CoverageParams | None = None,
    *,
    kept: bool = False,
) -> dict[str, list[tuple[int, int]]]:
    """Newborn visits of ``period`` (inside one calendar year) by month of birth, for every area
    at every level: area code → 12 ``(numerator, denominator)`` pairs, January first.

    The same per-child facts as :func:`coverage` (:func:`per_child`): a child born in month m
    has the same newborn flags in a month, quarter or year that holds m (the visit window is
    the 28 days after birth), so each month's pair is the month's newborn figure and their sums
    are the quarter's and the year's. Areas with no newborn get twelve ``(0, 0)``. ``kept`` as
    in :func:`coverage`.
    """
    if period.start.year != period.end.year:
        raise CoverageRequestError("newborn visits by month need a period inside one year")
    params = params or load_schedule().coverage
    sums = area_sums(session, "newborn_months", period, params, kept=kept)
    codes = {int(i): str(c) for i, c in session.execute(select(A.c.id, A.c.code))}
    out = {str(code): [(0, 0)] * 12 for code in codes.values()}
    for (unit, month), (num, den) in roll_up(session, sums, ALL_LEVELS, None).items():
        if 1 <= month <= 12:
            out[str(codes[unit])][month - 1] = (num, den)
    return out


def make_rows(cells: Sequence[tuple[str, str, str, int, int, float]]) -> list[CoverageRow]:
    """:func:`make_row` of each ``(code, name, indicator, numerator, denominator, target)``,
    the rates, intervals, targets met and gaps computed as arrays (the same numbers)."""
    if not cells:
        return []
    nums = np.array([c[3] for c in cells], dtype=np.int64)
    dens = np.array([c[4] for c in cells], dtype=np.int64)
    goals = [c[5] for c in cells]
    low, high = wilson_intervals(nums, dens)
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = nums / dens
    gaps = np.empty(len(cells), dtype=np.int64)
    met = np.empty(len(cells), dtype=bool)
    for target in set(goals):
        mine = np.array([g == target for g in goals])
        gaps[mine] = target_gaps(nums[mine], dens[mine], target)
        met[mine] = meets_targets(nums[mine], dens[mine], target)
    has = (dens > 0).tolist()
    return [
        CoverageRow(code, name, indicator, n, d, r if h else None, lo if h else None,
                    hi if h else None, target, m if h else None, g)
        for (code, name, indicator, n, d, target), h, r, lo, hi, m, g in zip(
            cells, has, rates.tolist(), low.tolist(), high.tolist(), met.tolist(),
            gaps.tolist(), strict=True,
        )
    ]  # fmt: skip


def make_row(
    code: str, name: str, indicator: str, numerator: int, denominator: int, target: float
) -> CoverageRow:
    """A :class:`CoverageRow` with rate, Wilson 95 % interval, target check and gap."""
    interval = wilson_interval(numerator, denominator)
    return CoverageRow(
        unit_code=code,
        unit_name=name,
        indicator=indicator,
        numerator=numerator,
        denominator=denominator,
        rate=numerator / denominator if denominator else None,
        ci_low=interval[0] if interval else None,
        ci_high=interval[1] if interval else None,
        target=target,
        meets_target=meets_target(numerator, denominator, target),
        gap=target_gap(numerator, denominator, target),
    )


def children_missing(
    session: Session,
    period: Period,
    clinic_id: int,
    indicator: str,
    params: CoverageParams | None = None,
) -> Sequence[tuple[int, str]]:
    """``(child id, child code)`` of the children a clinic counts in ``indicator``'s denominator
    but not in its numerator (for the clinic's own work list; bureaus only see counts)."""
    if indicator not in _FLAG:
        raise CoverageRequestError(f"indicator '{indicator}' is not one of {', '.join(INDICATORS)}")
    params = params or load_schedule().coverage
    tune(session)
    sub = per_child(period, params, links=True).subquery("pc")
    den, num = _FLAG[indicator]
    stmt = (
        select(sub.c.child_id, sub.c.child_code)
        .where(sub.c.clinic_id == clinic_id, sub.c[den] == 1, sub.c[num] == 0)
        .order_by(sub.c.child_code)
    )
    return [(int(r[0]), str(r[1])) for r in session.execute(stmt)]


# ---- screening-test coverage (screening.md 2b, coverage.md §1) ---------------------------------

SCREEN_AGES: dict[str, tuple[int, ...]] = {
    "hearing": (6, 12, 24, 36),
    "eyes": (3, 6, 8, 12, 18, 24, 30, 36, 48, 60, 72),
    "acuity": (48, 60, 72),
    "haemoglobin": (6, 18, 30, 48, 60, 72),
    "teeth": (6, 8, 12, 18, 24, 30, 36, 48, 60, 72),
    "vitamin_d": (3, 6, 8, 12),
}
"""Per screen, the routine check ages (months) at which it is due (coverage.md §1: hearing at
6, 12, 24, 36 months; haemoglobin at 6-8 (counted at 6), 18, 30 months and yearly 4-6 y; the
eye checks at every routine check (the newborn and full-month eye checks are not counted here);
acuity yearly 4-6 y; teeth at each check from the first tooth (6 months); vitamin D at the
infant checks)."""
SCREENS = tuple(SCREEN_AGES)
SCREEN_TARGET = 0.95
"""No national target exists for the screens: the management rates' 95 % is shown beside them
for comparison."""


def _screened(screen: str) -> Any:
    """The condition of a check that carries ``screen``'s result."""
    k = K.c
    either = {
        "hearing": (k.hearing_left, k.hearing_right),
        "eyes": (k.red_reflex, k.eye_position, k.visual_behaviour, k.acuity_left, k.acuity_right),
        "acuity": (k.acuity_left, k.acuity_right),
        "haemoglobin": (k.hb_g_l,),
        "teeth": (k.caries_teeth,),
        "vitamin_d": (k.vitamin_d_given,),
    }[screen]
    return or_(*(c.is_not(None) for c in either))


def screen_per_child(period: Period, params: CoverageParams, areas: Areas = None) -> Select[Any]:
    """One row per resident child under the age limit at ``period.end`` (the base of
    :func:`per_child`) with, per screen, ``<screen>_den`` (a screen due in the period) and
    ``<screen>_num`` (as many checks dated in the period carrying its result as screens due);
    ``areas`` as in :func:`per_child`."""
    start, end = period.start, period.end
    stats = (
        select(K.c.child_id, *(func.sum(_flag(_screened(s))).label(f"n_{s}") for s in SCREENS))
        .where(K.c.check_date.between(start, end), *_checks_of(areas))
        .group_by(K.c.child_id)
        .subquery("sst")
    )
    dues = []
    for screen in SCREENS:
        segments = due_segments(period, SCREEN_AGES[screen])
        due = (
            case(*((C.c.birth_date.between(lo, hi), n) for lo, hi, n in segments), else_=0)
            if segments
            else literal(0)
        )
        dues += [
            due.label(f"due_{screen}"),
            func.coalesce(stats.c[f"n_{screen}"], 0).label(f"n_{screen}"),
        ]
    oldest = add_years(end, -params.under_years)
    facts = (
        select(C.c.id.label("child_id"), C.c.area_id, *dues)
        .select_from(C.outerjoin(stats, stats.c.child_id == C.c.id))
        .where(
            C.c.resident == true(),
            C.c.birth_date > oldest,
            C.c.birth_date <= end,
            *_living_in(areas),
        )
        .offset(0)
        .subquery("sfacts")
    )
    f = facts.c
    out = [f.child_id, f.area_id]
    for s in SCREENS:
        due, done = f[f"due_{s}"], f[f"n_{s}"]
        out += [
            _flag(due > 0).label(f"{s}_den"),
            _flag(and_(due > 0, done >= due)).label(f"{s}_num"),
        ]
    return select(*out)


def screening_coverage(
    session: Session,
    period: Period,
    *,
    level: str | None = ALL_LEVELS,
    within_area: str | None = None,
    params: CoverageParams | None = None,
    kept: bool = False,
) -> list[CoverageRow]:
    """Screening-test coverage per area (every level by default), one row per area and screen,
    indicator ``screen_<screen>``: numerator children screened, denominator children due (see
    :func:`screen_per_child`), target :data:`SCREEN_TARGET`. One SQL aggregation (or the kept
    sums with ``kept``, as in :func:`coverage`)."""
    params = params or load_schedule().coverage
    _check_level(level)
    scope_id = _area_id(session, within_area) if within_area is not None else None
    names = KIND_COLUMNS["screens"]
    sums = area_sums(session, "screens", period, params, kept=kept)
    counts = {
        unit: dict(zip(names, values, strict=True))
        for (unit, _), values in roll_up(session, sums, level, scope_id).items()
    }
    cells = [
        (code, name, f"screen_{s}", values.get(f"{s}_num", 0), values.get(f"{s}_den", 0),
         SCREEN_TARGET)
        for unit_id, code, name in _units(session, "area", level, scope_id)
        for values in (counts.get(unit_id, {}),)
        for s in SCREENS
    ]  # fmt: skip
    return make_rows(cells)


KIND_COLUMNS: dict[str, tuple[str, ...]] = {
    "coverage": tuple(name for pair in _FLAG.values() for name in pair),
    "screens": tuple(f"{s}_{part}" for s in SCREENS for part in ("den", "num")),
    "newborn_months": ("num", "den"),
}
"""The kinds of :data:`AreaSums` and their columns (``v0`` … in this order): the management
rates' flags (:func:`per_child`), the screens' (:func:`screen_per_child`), and the newborn
visits by birth month (numerator, denominator)."""
