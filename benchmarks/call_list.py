"""Benchmark: one clinic's call list on the synthetic province of 1,000,000 children.

    .venv/bin/python benchmarks/call_list.py                     # 1,000,000 children, both DBs
    .venv/bin/python benchmarks/call_list.py --children 200000 --backends sqlite
    .venv/bin/python benchmarks/call_list.py --database sqlite:///bench.db   # already loaded

Generates the exchange folder (``health.synthetic``, the layout of ``benchmarks/coverage.py``:
960 townships, one clinic each, two facilities per township), imports it into a fresh database
per backend in a child process, gives the largest clinic 300 contact attempts, then times
:func:`health.services.call_list.call_list` for that clinic on the data's "today" with windows
closing within 7, 14 and 30 days (the first, cold call and the best of 5 warm ones) and the
same for its largest facility, and the clinic's list as the web asks for it (with the
doctor's scope of ``api.access`` on top, "web"). PostgreSQL uses a private schema in
database ``test`` on 127.0.0.1:5432 (dropped afterwards). Goal: under 1 s for one clinic's
list on both databases.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TODAY = dt.date(2025, 3, 1)
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REPEATS = 5


def generate(folder: str, children: int, seed: int, queue: mp.Queue) -> None:
    from health.synthetic import Layout, write_folder
    from health.synthetic import generate as pieces

    start = time.perf_counter()
    layout = Layout(cities=10, counties_per_city=8, townships_per_county=12,
                    facilities_per_township=2)  # fmt: skip
    rows = write_folder(Path(folder), pieces(children, TODAY, seed=seed, layout=layout))
    queue.put({"rows": rows, "seconds": time.perf_counter() - start})


def _largest_units(session) -> tuple[int, str, int, str]:  # type: ignore[no-untyped-def]
    """The clinic of the township with the most children, and the facility with the most
    enrolled children: ``(clinic id, code, facility id, code)``."""
    from sqlalchemy import func, select

    from health.models import Child, Clinic, Enrolment, Facility

    area = session.execute(
        select(Child.area_id).group_by(Child.area_id).order_by(func.count().desc()).limit(1)
    ).scalar()
    clinic = session.execute(
        select(Clinic.id, Clinic.code).where(Clinic.area_id == area).order_by(Clinic.id)
    ).first()
    facility = session.execute(
        select(Enrolment.facility_id)
        .where(Enrolment.end_date.is_(None))
        .group_by(Enrolment.facility_id)
        .order_by(func.count().desc())
        .limit(1)
    ).scalar()
    code = session.execute(select(Facility.code).where(Facility.id == facility)).scalar()
    return int(clinic[0]), str(clinic[1]), int(facility), str(code)


def _add_attempts(session, clinic_id: int, count: int) -> int:  # type: ignore[no-untyped-def]
    """``count`` contact attempts by a new doctor of the clinic on children of its township."""
    from sqlalchemy import select

    from health.models import Child, Clinic, UserCreate
    from health.models.outreach import CONTACT_RESULTS, ContactAttempt
    from health.registry import create_user

    doctor = create_user(
        session,
        UserCreate(username=f"bench-{uuid.uuid4().hex[:6]}", password="bench-Kestrel-58-lantern",
                   role="doctor", clinic_id=clinic_id),
        now=dt.datetime(2025, 1, 1, tzinfo=dt.UTC), password_hash="unused",
    )  # fmt: skip
    area = select(Clinic.area_id).where(Clinic.id == clinic_id).scalar_subquery()
    kids = session.execute(
        select(Child.id).where(Child.area_id == area).order_by(Child.birth_date.desc()).limit(count)
    ).scalars()
    at = dt.datetime(2025, 2, 20, 2, 0, tzinfo=dt.UTC)
    for i, child_id in enumerate(kids):
        booked = TODAY + dt.timedelta(days=3) if i % 4 == 1 else None
        session.add(ContactAttempt(child_id=child_id, clinic_id=clinic_id, check_code="routine_6m",
                                   attempted_at=at + dt.timedelta(minutes=i),
                                   by_user_id=int(doctor.id), result=CONTACT_RESULTS[i % 4],
                                   booked_on=booked))  # fmt: skip
    session.commit()
    return count


def _time_lists(engine) -> dict:  # type: ignore[no-untyped-def]
    from sqlmodel import Session

    from api.access import CurrentUser, child_scope
    from health.services.call_list import Unit, call_list

    out: dict = {}
    with Session(engine) as session:
        clinic_id, clinic_code, facility_id, facility_code = _largest_units(session)
        out["clinic"], out["facility"] = clinic_code, facility_code
        out["attempts"] = _add_attempts(session, clinic_id, 300)
        doctor = CurrentUser(id=0, username="bench", role="doctor", clinic_id=clinic_id)
        web = child_scope(doctor)  # what the web adds: the guard's scope of the doctor
        for kind, unit_id, scope in (("clinic", clinic_id, None), ("facility", facility_id, None),
                                     ("web", clinic_id, web)):  # fmt: skip
            unit = Unit("clinic" if kind == "web" else kind, unit_id)  # type: ignore[arg-type]
            for within in (7, 14, 30):
                times = []
                for _ in range(1 + REPEATS):
                    session.rollback()  # a fresh read transaction, as each request has
                    t = time.perf_counter()
                    listed = call_list(session, unit, TODAY, within, scope=scope)
                    times.append(time.perf_counter() - t)
                out[(kind, within)] = {
                    "cold": times[0],
                    "best": min(times[1:]),
                    "rows": len(listed.rows),
                    "pivotal": sum(r.pivotal for r in listed.rows),
                    "scope": listed.children,
                    "standing": listed.standing,
                }
    return out


def run_backend(backend: str, folder: str, workdir: str, database: str | None,
                queue: mp.Queue) -> None:  # fmt: skip
    from sqlalchemy import text

    from health.db import make_engine
    from health.exchange import import_folder
    from health.migrate import upgrade

    schema = None
    result: dict = {"backend": backend}
    if database:
        engine = make_engine(database)
        upgrade(engine)
    elif backend == "sqlite":
        engine = make_engine(f"sqlite:///{workdir}/bench.db")
    else:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        admin = make_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        if not database:
            upgrade(engine)
            start = time.perf_counter()
            summary = import_folder(engine, Path(folder), today=TODAY)
            result["import_seconds"] = time.perf_counter() - start
            result["rows"] = summary.read
            if backend == "postgresql":
                with engine.connect() as conn:
                    conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM")
        result["lists"] = _time_lists(engine)
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


def report(r: dict) -> None:
    """Print one backend's figures."""
    print(f"\n== {r['backend']}")
    if "import_seconds" in r:
        print(f"import: {r['import_seconds']:.1f} s ({r['rows']})")
    lists = r["lists"]
    print(f"clinic {lists['clinic']}, facility {lists['facility']}, "
          f"{lists['attempts']} contact attempts added")  # fmt: skip
    for key, v in lists.items():
        if not isinstance(key, tuple):
            continue
        kind, within = key
        s = v["standing"]
        print(f"{kind:<8} within {within:>2} d: cold {v['cold']:.3f} s, best of {REPEATS} "
              f"{v['best']:.3f} s; {v['rows']} rows ({v['pivotal']} pivotal) of {v['scope']} "
              f"children; {s.year}: {s.numerator}/{s.denominator}, gap {s.gap}, "
              f"countable {s.countable}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--seed", type=int, default=20240101)
    parser.add_argument("--workdir", default=None, help="Folder for files (default: a temp dir)")
    parser.add_argument("--database", default=None, help="A loaded database (skips the import)")
    args = parser.parse_args()
    if args.database:
        report(in_child(run_backend, "given", "", "", args.database))
        return
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="childhealth-calls-"))
    folder = workdir / "exchange"
    try:
        gen = in_child(generate, str(folder), args.children, args.seed)
        print(f"generated {gen['rows']} in {gen['seconds']:.1f} s")
        for backend in args.backends.split(","):
            report(in_child(run_backend, backend, str(folder), str(workdir), None))
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
