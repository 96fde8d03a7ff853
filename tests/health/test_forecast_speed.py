"""The fast paths of the year-end forecast (health.forecast), on SQLite and PostgreSQL: one load
of the children for several groupings (``forecast_many``) gives exactly the rows of separate
``forecast`` calls; the children and units loaded are those of ``health.coverage.per_child``;
the vectorised pieces (checks of a kind looked up per window, month shifts over distinct birth
dates) equal their plain definitions.

The world: the two counties of ``build_geography`` plus a township T3 in K2 without a clinic
and a facility F2 in T1 linked to CL2; 90 children born over eight years (some not resident,
some too old), with checks of every kind spread around their windows, some enrolled (open,
ended, not yet started, two at once).
"""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pytest
from sqlalchemy import select
from sqlmodel import Session

from health.coverage import inside, per_child
from health.forecast import (
    Children,
    ForecastRow,
    _CheckIndex,
    _scope_id,
    _Shifts,
    _units,
    forecast,
    forecast_many,
    late_windows,
    load_children,
)
from health.models import Area, AreaAncestor, AreaCreate, Check, Enrolment, FacilityCreate
from health.periods import Period
from health.registry import create_area, create_facility
from health.schedule import load_schedule
from screening.vocabulary import add_months_array
from tests.health.health_builders import add_child, build_geography

ON = dt.date(2025, 3, 1)
GROUPINGS = [
    ("area", "county"),
    ("area", "township"),
    ("clinic", "county"),
    ("facility", "county"),
    ("area", "province"),
]


@pytest.fixture
def busy(session: Session) -> Session:
    places = build_geography(session)
    create_area(session, AreaCreate(code="T3", name="Town T3", level="township", parent_code="K2"))
    f2 = create_facility(
        session, FacilityCreate(code="F2", name="Kindergarten", area_code="T1", clinic_code="CL2")
    )
    f1 = places["F1"]
    rng = random.Random(20250301)
    kinds = ("newborn_visit", "full_month", "routine")
    for i in range(90):
        birth = ON - dt.timedelta(days=rng.randrange(0, 8 * 365))
        area = rng.choice(("T1", "T2", "T3"))
        checks = set()
        for _ in range(rng.randrange(0, 12)):
            day = birth + dt.timedelta(days=rng.randrange(0, 40 * rng.choice((1, 3, 12, 30))))
            if day <= ON + dt.timedelta(days=30):
                checks.add((day.isoformat(), rng.choice(kinds)))
        child = add_child(session, f"c{i:03}", birth.isoformat(), area,
                          resident=rng.random() > 0.1, checks=tuple(sorted(checks)))  # fmt: skip
        pick = rng.random()
        if pick < 0.15:  # open enrolment
            session.add(Enrolment(child_id=child.id, facility_id=f1.id, start_date=None))
        elif pick < 0.25:  # ended before the day
            start, end = dt.date(2023, 1, 1), dt.date(2024, 6, 30)
            ended = Enrolment(child_id=child.id, facility_id=f2.id, start_date=start, end_date=end)
            session.add(ended)
        elif pick < 0.3:  # starts after the day
            session.add(Enrolment(child_id=child.id, facility_id=f1.id,
                                  start_date=dt.date(2025, 4, 1)))  # fmt: skip
        elif pick < 0.38:  # two at once: the lower facility id is the child's
            session.add(Enrolment(child_id=child.id, facility_id=f2.id, start_date=None))
            session.add(Enrolment(child_id=child.id, facility_id=f1.id,
                                  start_date=dt.date(2024, 1, 1)))  # fmt: skip
    session.flush()
    return session


def _plain(rows: list[ForecastRow]) -> list[dict[str, object]]:
    return [r.as_dict() for r in rows]


@pytest.mark.parametrize("within", [None, "K2", "T1"])
@pytest.mark.parametrize("on", [ON, dt.date(2025, 12, 31), dt.date(2025, 1, 1)])
def test_forecast_many_is_separate_forecasts(
    busy: Session, within: str | None, on: dt.date
) -> None:
    many = forecast_many(busy, on.year, on, GROUPINGS, within_area=within)
    assert len(many) == len(GROUPINGS)
    for (by, level), rows in zip(GROUPINGS, many, strict=True):
        alone = forecast(busy, on.year, on, by=by, level=level, within_area=within)  # type: ignore[arg-type]
        assert _plain(rows) == _plain(alone)
    assert any(r.denominator for rows in many for r in rows)
    pair = forecast_many(busy, on.year, on, [("area", "township")], within_area=within)
    assert _plain(pair[0]) == _plain(many[1])  # without links: the same area rows


def test_forecast_many_refuses_like_forecast(busy: Session) -> None:
    from health.coverage import CoverageRequestError

    with pytest.raises(CoverageRequestError, match="grouping 'ward'"):
        forecast_many(busy, 2025, ON, [("area", "county"), ("ward", "county")])  # type: ignore[list-item]
    with pytest.raises(CoverageRequestError, match="level 'village'"):
        forecast_many(busy, 2025, ON, [("area", "village")])
    with pytest.raises(CoverageRequestError, match="not in 2024"):
        forecast_many(busy, 2024, ON, [("area", "county")])
    assert forecast_many(busy, 2025, ON, []) == []


@pytest.mark.parametrize("within", [None, "K2", "T1"])
def test_children_and_units_are_per_childs(busy: Session, within: str | None) -> None:
    """Same children (by id order), birth dates and units as per_child on a period ending on
    the day, for every grouping."""
    params = load_schedule().coverage
    scope = _scope_id(busy, within)
    sub = per_child(Period(ON, ON), params, links=True, areas=inside(scope)).subquery("pc")
    rows = busy.execute(
        select(sub.c.child_id, sub.c.birth_date, sub.c.area_id, sub.c.clinic_id,
               sub.c.facility_id).order_by(sub.c.child_id)
    ).all()  # fmt: skip
    assert rows
    for by, level in GROUPINGS:
        units = _units(busy, by, level, scope)  # type: ignore[arg-type]
        position = {u[0]: i for i, u in enumerate(units)}
        kids = load_children(busy, 2025, ON, by=by, level=level, scope_id=scope,  # type: ignore[arg-type]
                             unit_ids=[u[0] for u in units], params=params)  # fmt: skip
        assert kids.birth.tolist() == [r[1] for r in rows]
        if by == "area":
            up = dict(
                busy.execute(
                    select(AreaAncestor.area_id, AreaAncestor.ancestor_id)
                    .join(Area, Area.id == AreaAncestor.ancestor_id)  # type: ignore[arg-type]
                    .where(Area.level == level)
                ).all()
            )
            raw = [up.get(r[2]) for r in rows]
        else:
            raw = [r[3] if by == "clinic" else r[4] for r in rows]
        assert kids.unit.tolist() == [position.get(v, -1) for v in raw]  # type: ignore[arg-type]
    assert any(r[4] is not None for r in rows)  # some children are enrolled on the day


def test_checks_loaded_are_the_childrens_up_to_the_day(busy: Session) -> None:
    params = load_schedule().coverage
    kids = load_children(busy, 2025, ON, by="area", level="county", scope_id=None,
                         unit_ids=[], params=params)  # fmt: skip
    sub = per_child(Period(ON, ON), params, links=False).subquery()
    ids = [r[0] for r in busy.execute(select(sub.c.child_id).order_by(sub.c.child_id))]
    since = ON - dt.timedelta(days=365 + 220)
    want = sorted(
        (ids.index(c), d, k)
        for c, d, k in busy.execute(select(Check.child_id, Check.check_date, Check.kind)).all()  # type: ignore[call-overload]
        if c in ids and since <= d <= ON
    )
    got = sorted(zip(kids.check_row.tolist(), kids.check_date.tolist(), kids.check_kind.tolist(),
                     strict=True))  # fmt: skip
    assert got == want and got


def test_check_index_is_the_plain_mask() -> None:
    rng = np.random.default_rng(7)
    size = 400
    birth = np.datetime64("2019-01-01") + rng.integers(0, 2500, size).astype("timedelta64[D]")
    rows = rng.integers(0, size, 3000)
    dates = np.datetime64("2023-06-01") + rng.integers(0, 640, rows.size).astype("timedelta64[D]")
    kinds = rng.choice(np.array(["routine", "newborn_visit", "full_month"], dtype=object), 3000)
    kids = Children(birth, np.zeros(size, np.int64), rows, dates, kinds)
    index = _CheckIndex(kids)
    for opens, closes, _, late_to in late_windows(load_schedule(), birth):
        for lo, hi in ((opens, closes), (closes, late_to), (late_to, opens)):  # the last: empty
            for kind in ("routine", "newborn_visit", "full_month", "other"):
                mine = kinds == kind
                hit = (dates[mine] >= lo[rows[mine]]) & (dates[mine] <= hi[rows[mine]])
                plain = np.zeros(size, dtype=bool)
                plain[rows[mine][hit]] = True
                assert (index.done(kind, lo, hi) == plain).all()
    empty = Children(birth, np.zeros(size, np.int64), np.zeros(0, np.int64),
                     np.zeros(0, "datetime64[D]"), np.zeros(0, object))  # fmt: skip
    assert not _CheckIndex(empty).done("routine", birth, birth + 30).any()


def test_month_shifts_are_add_months_array() -> None:
    births = np.array(["2024-01-31", "2023-02-28", "2024-02-29", "2024-01-31", "2020-12-31"],
                      dtype="datetime64[D]")  # fmt: skip
    shifts = _Shifts(births)
    for months in (0, 1, 3, 12, 13, 36, -1, -3):
        assert (shifts(months) == add_months_array(births, months)).all()
    for item in load_schedule().checks:
        _, opens, closes = item.windows(births)
        assert (shifts.offset(item.target + item.window_from) == opens).all()
        assert (shifts.offset(item.target + item.window_to) == closes).all()
