"""The kept area sums (``health.tally``) equal a full aggregation after every kind of write:
a check added, moved to another day, deleted; a child moved, made non-resident, deleted, added;
many areas at once; a big import (which drops them); and they are dropped when unread."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, func, select, update
from sqlmodel import Session

from health import tally
from health.coverage import KIND_COLUMNS, AreaSums, area_sums
from health.exchange import import_folder, loader
from health.models import Area, Check, Child
from health.models.tallies import Tally, TallyArea, TallyChange
from health.periods import Period
from health.schedule import load_schedule
from health.synthetic import Layout, generate, write_folder

TODAY = dt.date(2025, 3, 1)
PERIODS = {
    "coverage": [Period.year(2024), Period(dt.date(2025, 1, 1), TODAY)],
    "screens": [Period.year(2024)],
    "newborn_months": [Period(dt.date(2025, 1, 1), TODAY), Period.year(2024)],
}


def province(folder: Path, children: int = 1500, seed: int = 7) -> Path:
    layout = Layout(cities=2, counties_per_city=2, townships_per_county=3,
                    facilities_per_township=1)  # fmt: skip
    write_folder(folder, generate(children, TODAY, seed=seed, layout=layout, measurements=False))
    return folder


def fresh(engine: Engine, kind: str, period: Period) -> AreaSums:
    """The sums aggregated now, from every child (what the kept sums must equal)."""
    with Session(engine) as s:
        found = area_sums(s, kind, period, load_schedule().coverage)
    return {k: v for k, v in found.items() if any(v)}


def kept(engine: Engine, kind: str, period: Period) -> AreaSums:
    found = tally.sums(engine, kind, period, load_schedule().coverage)
    return {k: v for k, v in found.items() if any(v)}


def assert_all_kept_equal(engine: Engine) -> None:
    for kind, periods in PERIODS.items():
        for period in periods:
            assert kept(engine, kind, period) == fresh(engine, kind, period), (kind, period)


@pytest.fixture
def loaded(engine: Engine, tmp_path: Path) -> Engine:
    import_folder(engine, province(tmp_path / "x"), today=TODAY)
    return engine


def test_kept_sums_are_those_of_a_full_aggregation(loaded: Engine) -> None:
    engine = loaded
    assert_all_kept_equal(engine)
    with Session(engine) as s:
        assert s.execute(select(func.count()).select_from(Tally)).scalar() == 5
        totals = s.execute(select(func.sum(TallyArea.v1))).scalar()
    assert totals and totals > 0
    # the figures are real: the 2024 infant denominator of the province is its children due
    year = fresh(engine, "coverage", Period.year(2024))
    assert sum(v[0] for v in year.values()) > 100
    assert set(KIND_COLUMNS) == set(PERIODS)


def _some_child(s: Session, offset: int = 0) -> Child:
    return s.execute(select(Child).order_by(Child.id).offset(offset).limit(1)).scalar_one()


def test_every_kind_of_write_is_brought_up_to_date(loaded: Engine) -> None:
    engine = loaded
    assert_all_kept_equal(engine)  # kept now; every change below is then applied area by area
    with Session(engine) as s:
        child = _some_child(s)
        s.add(Check(child_id=child.id, kind="routine", check_date=dt.date(2024, 5, 2),
                    hearing_left="pass"))  # fmt: skip
        s.commit()
    assert_all_kept_equal(engine)
    with Session(engine) as s:  # a check moved to another day, then deleted
        check = s.execute(select(Check).order_by(Check.id.desc()).limit(1)).scalar_one()
        s.execute(update(Check).where(Check.id == check.id).values(check_date=dt.date(2025, 1, 9)))
        s.commit()
        assert_all_kept_equal(engine)
        s.execute(delete(Check).where(Check.id == check.id))
        s.commit()
    assert_all_kept_equal(engine)
    with Session(engine) as s:  # a child moves to another township, another leaves
        areas = list(s.execute(select(Area.id).where(Area.level == "township")).scalars())
        mover, leaver = _some_child(s, 3), _some_child(s, 4)
        target = next(a for a in areas if a != mover.area_id)
        s.execute(update(Child).where(Child.id == mover.id).values(area_id=target))
        s.execute(update(Child).where(Child.id == leaver.id).values(resident=False))
        s.commit()
    assert_all_kept_equal(engine)
    with Session(engine) as s:  # a child born in January 2025, visited; another deleted
        township = areas[0]
        s.add(Child(code="T-NEW-1", area_id=township, birth_date=dt.date(2025, 1, 20),
                    sex="F", resident=True))  # fmt: skip
        s.commit()
        new = s.execute(select(Child).where(Child.code == "T-NEW-1")).scalar_one()
        s.add(Check(child_id=new.id, kind="newborn_visit", check_date=dt.date(2025, 1, 27)))
        gone = _some_child(s, 7)
        s.execute(delete(Check).where(Check.child_id == gone.id))
        s.commit()
        s.execute(delete(Child).where(Child.id == gone.id))
        s.commit()
    assert_all_kept_equal(engine)
    with Session(engine) as s:  # nothing left noted once brought up to date
        assert s.execute(select(func.count()).select_from(TallyChange)).scalar() == 0


def test_changes_in_many_areas_recompute_in_full(loaded: Engine) -> None:
    engine = loaded
    assert_all_kept_equal(engine)
    with Session(engine) as s:  # every township changes: more than WHOLE_SHARE of the areas
        firsts = s.execute(select(func.min(Child.id)).group_by(Child.area_id)).scalars().all()
        for i, child_id in enumerate(firsts):
            s.add(Check(child_id=child_id, kind="routine",
                        check_date=dt.date(2024, 1 + i % 12, 3)))  # fmt: skip
        s.commit()
    assert_all_kept_equal(engine)


def test_a_big_import_drops_the_kept_sums(
    loaded: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = loaded
    assert_all_kept_equal(engine)
    monkeypatch.setattr(loader, "FK_SUSPEND_BYTES", 0)  # every file is big
    import_folder(engine, province(tmp_path / "y", children=400, seed=8), today=TODAY)
    with Session(engine) as s:
        assert s.execute(select(func.count()).select_from(Tally)).scalar() == 0
    assert_all_kept_equal(engine)
    monkeypatch.setattr(loader, "FK_SUSPEND_BYTES", 8 << 20)  # a small import: noted, kept
    import_folder(engine, province(tmp_path / "z", children=300, seed=9), today=TODAY)
    with Session(engine) as s:
        assert s.execute(select(func.count()).select_from(Tally)).scalar() == 5
    assert_all_kept_equal(engine)


def test_unread_sums_are_dropped(loaded: Engine) -> None:
    engine = loaded
    period = Period.year(2024)
    kept(engine, "coverage", period)
    with Session(engine) as s:
        long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(days=tally.KEEP_DAYS + 1)
        s.execute(update(Tally).values(used_at=long_ago))
        s.commit()
    kept(engine, "screens", period)
    with Session(engine) as s:
        assert s.execute(select(Tally.kind)).scalars().all() == ["screens"]


def test_a_held_sqlite_write_lock_gives_the_figures_without_the_kept_sums(
    tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long import holds SQLite's write lock: the view aggregates directly (same figures)
    after a short wait, instead of waiting for the import."""
    import shutil

    from health.db import make_engine

    path = tmp_path / "held.db"
    shutil.copy(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    import_folder(engine, province(tmp_path / "x", children=300), today=TODAY)
    monkeypatch.setattr(tally, "SQLITE_WAIT_MS", 50)
    period = Period.year(2024)
    with engine.connect() as writer:
        writer.execution_options(sqlite_begin="IMMEDIATE").begin()  # the lock, held
        with Session(engine) as s:
            assert tally.kept_sums(s, "coverage", period, load_schedule().coverage) is None
            found = area_sums(s, "coverage", period, load_schedule().coverage, kept=True)
        writer.rollback()
    assert {k: v for k, v in found.items() if any(v)} == fresh(engine, "coverage", period)
    with engine.connect() as conn:  # the pooled connection waits as long as before again
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    engine.dispose()


def test_per_child_within_areas_is_the_province_restricted_to_them(loaded: Engine) -> None:
    """The two query shapes of per_child's links (enrolments grouped for every child, or
    looked up child by child within areas) give every child the same facility and clinic."""
    from health.coverage import area_ids_inside, per_child
    from health.models import Enrolment

    with Session(loaded) as s:  # a second enrolment, ended, and one opening later
        child = _some_child(s, 2)
        facility = s.execute(select(Enrolment.facility_id).limit(1)).scalar_one()
        s.add(Enrolment(child_id=child.id, facility_id=facility, end_date=dt.date(2024, 1, 5)))
        s.add(Enrolment(child_id=child.id, facility_id=facility, start_date=dt.date(2025, 9, 1)))
        s.commit()
        county = s.execute(select(Area.id).where(Area.level == "county")).scalars().first()
        ids = area_ids_inside(s, county)
        for period in (Period.year(2024), Period(dt.date(2025, 1, 1), TODAY)):
            params = load_schedule().coverage
            everyone = s.execute(per_child(period, params, links=True)).all()
            mine = s.execute(per_child(period, params, links=True, areas=ids)).all()
            assert ids and sorted(mine) == sorted(r for r in everyone if r.area_id in ids)
            assert any(r.facility_id is not None for r in mine)


def test_prefetched_sums_serve_the_session_until_forgotten(
    loaded: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = load_schedule().coverage
    asks = [("coverage", Period.year(2024)), ("screens", Period.year(2024))]
    with Session(loaded) as s:
        tally.prefetch(s, asks, params)
        calls: list[object] = []
        monkeypatch.setattr(tally, "sums", lambda *a: calls.append(a) or {})
        for kind, period in asks:  # from the memo: no transaction of its own
            assert tally.kept_sums(s, kind, period, params) == tally.sums_many(
                loaded, [(kind, period)], params
            )[(kind, period)]
        assert calls == []
        tally.forget(s)
        tally.kept_sums(s, "coverage", Period.year(2024), params)
        assert len(calls) == 1
