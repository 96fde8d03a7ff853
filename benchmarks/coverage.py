"""Benchmark: a synthetic province in the exchange format, imported and reported on.

    .venv/bin/python benchmarks/coverage.py                     # 1,000,000 children, both DBs
    .venv/bin/python benchmarks/coverage.py --children 200000 --backends sqlite

Generates the exchange folder (vectorised), then for each database, in a fresh child process:
migrate an empty database, ``import_folder`` (rows/s of checks.csv), coverage for 2024 at every
area level and per clinic and facility (seconds), the year-end forecast of one county
(``health.forecast``, made on 30 June and 30 September 2024: its townships, its clinics, the
county itself; seconds, best of ``--repeat``), and the process's peak resident memory.
``--reports forecast`` skips the six coverage reports; ``--no-measurements`` leaves the check
rows without measurements (a quicker import; the figures do not use them).
The bureau dashboard of county P0101 (``api.services.dashboard``, as the page and the API make
it, its figures kept in the database's shared store): first (right after the import: the kept
area sums of ``health.tally`` are computed from every child, once per counted period), cold
(the store's figures emptied; the sums kept), warm (the same view again, from the store, in a
new session as another process would), and after one new check (the data's stamp moved:
computed again, the sums brought up to date for the one area that changed), for the current
year (with the forecast), its clinics, and the whole of 2024; seconds, best of ``--repeat``.
PostgreSQL uses a private schema in database ``test`` on 127.0.0.1:5432 (dropped afterwards).
Goals: ≥ 100,000 check rows/s; < 5 s per coverage report; < 5 s for a county's forecast;
a county's dashboard < 1 s cold; memory flat in the number of children.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import resource
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TODAY = dt.date(2025, 3, 1)
YEAR = 2024
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def peak_mib() -> float:
    """Peak resident memory of this process, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


COUNTY = "P0101"  # the first county of the synthetic province (12 townships)


def generate(folder: str, children: int, seed: int, measurements: bool, queue: mp.Queue) -> None:
    from health.synthetic import Layout, write_folder
    from health.synthetic import generate as pieces

    start = time.perf_counter()
    layout = Layout(cities=10, counties_per_city=8, townships_per_county=12,
                    facilities_per_township=2)  # fmt: skip
    rows = write_folder(
        Path(folder), pieces(children, TODAY, seed=seed, layout=layout, measurements=measurements)
    )
    queue.put({"rows": rows, "seconds": time.perf_counter() - start, "peak_mib": peak_mib()})


def time_forecasts(session, repeat: int) -> dict:  # type: ignore[no-untyped-def]
    """Seconds (best of ``repeat``) of a county's forecast on each day and grouping."""
    from health.forecast import forecast

    out = {}
    for on in (dt.date(YEAR, 6, 30), dt.date(YEAR, 9, 30)):
        for label, by, level in (("townships", "area", "township"), ("clinics", "clinic", "county"),
                                 ("county", "area", "county")):  # fmt: skip
            best, rows = float("inf"), []
            for _ in range(repeat):
                t = time.perf_counter()
                rows = forecast(session, YEAR, on, by=by, level=level, within_area=COUNTY)
                best = min(best, time.perf_counter() - t)
            out[(on.isoformat(), label)] = (best, len(rows), rows)
    return out


DASHBOARD_VIEWS = (("year so far", "area", None), ("clinics", "clinic", None),
                   (f"{YEAR}", "area", YEAR))  # fmt: skip


def time_dashboard(engine, repeat: int) -> dict:  # type: ignore[no-untyped-def]
    """Seconds (best of ``repeat``) of county :data:`COUNTY`'s dashboard per view: cold (the
    store's figures emptied first), warm (again, in a new session), after one new check."""
    import asyncio

    from sqlalchemy import select
    from sqlmodel import Session

    from api.access import CurrentUser
    from api.services.dashboard import NAMESPACE, dashboard
    from api.stores import DatabaseStore
    from health.clock import Moment
    from health.models import Area, Check, Child
    from health.periods import CalendarPeriod

    store = DatabaseStore(engine)
    at = Moment(dt.datetime.combine(TODAY, dt.time(4), dt.UTC), TODAY)
    with Session(engine) as s:
        county = s.execute(select(Area.id).where(Area.code == COUNTY)).scalar_one()
        child = s.execute(select(Child.id).order_by(Child.id.desc()).limit(1)).scalar_one()
    user = CurrentUser(id=0, username="bench", role="bureau", area_id=county)
    added = [0]

    def view(by: str, year: int | None) -> float:
        period = CalendarPeriod(year) if year else None
        with Session(engine) as s:
            t = time.perf_counter()
            dashboard(s, user, at, by=by, period=period, store=store)
            return time.perf_counter() - t

    def write() -> None:  # one new check: every kept figure is now of an older stamp
        added[0] += 1
        with Session(engine) as s:
            day = TODAY - dt.timedelta(days=added[0])
            s.add(Check(child_id=child, kind="routine", check_date=day))
            s.commit()

    out = {}
    for label, by, year in DASHBOARD_VIEWS:
        first = view(by, year)  # the sums this view needs, computed in full
        cold, warm, after = [], [], []
        for _ in range(repeat):
            asyncio.run(store.with_namespace(NAMESPACE).delete_all())
            cold.append(view(by, year))
            warm.append(view(by, year))
            write()
            after.append(view(by, year))
        out[label] = (first, min(cold), min(warm), min(after))
    return out


def run_backend(
    backend: str, folder: str, workdir: str, reports: str, repeat: int, queue: mp.Queue
) -> None:
    from sqlalchemy import text
    from sqlmodel import Session

    from health.coverage import coverage
    from health.db import make_engine
    from health.exchange import import_folder
    from health.migrate import upgrade
    from health.periods import Period

    schema = None
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{workdir}/bench.db")
    else:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    result: dict = {"backend": backend}
    try:
        upgrade(engine)
        start = time.perf_counter()
        summary = import_folder(engine, Path(folder), today=TODAY)
        seconds = time.perf_counter() - start
        result["import_seconds"] = seconds
        result["rows"] = summary.read
        result["check_rows_per_s"] = summary.read["checks.csv"] / seconds
        result["all_rows_per_s"] = sum(summary.read.values()) / seconds
        if backend == "postgresql":  # what autovacuum does soon after a load: visibility map
            with engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM")
        timings = {}
        period = Period.year(YEAR)
        with Session(engine) as session:
            if "forecast" in reports:
                found = time_forecasts(session, repeat)
                result["forecast"] = {k: v[:2] for k, v in found.items()}
                county = found[(f"{YEAR}-09-30", "county")][2]
                result["county_forecast"] = [
                    (r.indicator, r.denominator, round(r.projected_rate or 0, 4),
                     round(r.low or 0, 4), round(r.high or 0, 4), r.status,
                     r.extra_children_needed)
                    for r in county
                ]  # fmt: skip
            for level in ("province", "city", "county", "township", "all"):
                if "coverage" not in reports:
                    break
                t = time.perf_counter()
                rows = coverage(session, period, level=level)
                timings[level] = (time.perf_counter() - t, len(rows))
            for by in ("clinic", "facility") if "coverage" in reports else ():
                t = time.perf_counter()
                rows = coverage(session, period, by=by)
                timings[by] = (time.perf_counter() - t, len(rows))
            province = coverage(session, period, level="province")
        if "dashboard" in reports:
            result["dashboard"] = time_dashboard(engine, repeat)
        result["coverage"] = timings
        result["province"] = [(r.indicator, r.numerator, r.denominator) for r in province]
        result["peak_mib"] = peak_mib()
    finally:
        engine.dispose()
        if schema:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    queue.put(result)


def in_child(target, *args) -> dict:  # type: ignore[no-untyped-def]
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    out = queue.get()
    proc.join()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--seed", type=int, default=20240101)
    parser.add_argument("--workdir", default=None, help="Folder for files (default: a temp dir)")
    parser.add_argument("--reports", default="coverage,forecast,dashboard",
                        help="coverage, forecast, dashboard")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=3, help="Runs of each forecast (best)")
    parser.add_argument("--no-measurements", action="store_true")
    args = parser.parse_args()
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="childhealth-bench-"))
    folder = workdir / "exchange"
    try:
        gen = in_child(generate, str(folder), args.children, args.seed, not args.no_measurements)
        size = sum(f.stat().st_size for f in folder.iterdir()) / 2**20
        print(f"generated {gen['rows']} in {gen['seconds']:.1f} s ({size:.0f} MiB of CSV)")
        for backend in args.backends.split(","):
            r = in_child(run_backend, backend, str(folder), str(workdir), args.reports, args.repeat)
            print(f"\n== {backend}")
            print(f"import: {r['import_seconds']:.1f} s, {r['check_rows_per_s']:,.0f} check rows/s "
                  f"({r['all_rows_per_s']:,.0f} rows/s over all files)")  # fmt: skip
            for unit, (seconds, n) in r["coverage"].items():
                print(f"coverage by {unit:<9} {seconds:6.2f} s  ({n} rows)")
            total = sum(s for u, (s, _) in r["coverage"].items() if u != "all")
            if r["coverage"]:
                print(f"coverage, the six reports one by one: {total:.2f} s")
            for (on, label), (seconds, n) in r.get("forecast", {}).items():
                print(f"forecast of county {COUNTY} made {on}, by {label:<9} {seconds:6.2f} s  "
                      f"({n} rows)")  # fmt: skip
            for row in r.get("county_forecast", []):
                print(f"  county {COUNTY} on {YEAR}-09-30: {row}")
            for label, (first, cold, warm, after) in r.get("dashboard", {}).items():
                print(f"dashboard of county {COUNTY}, {label:<11} first {first:6.3f} s  "
                      f"cold {cold:6.3f} s  warm {warm:6.3f} s  "
                      f"after a new check {after:6.3f} s")  # fmt: skip
            print(f"province {YEAR}: {r['province']}")
            print(f"peak memory of the import+coverage process: {r['peak_mib']:.0f} MiB")
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
