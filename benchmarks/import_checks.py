"""Benchmark: the exchange import of a synthetic province on PostgreSQL, before and after.

    .venv/bin/python benchmarks/import_checks.py                        # 200,000 children
    .venv/bin/python benchmarks/import_checks.py --children 1000000 --before 84e23b0
    .venv/bin/python benchmarks/import_checks.py --repeat 2 --before-package aad3d24

Generates the exchange folder once (``health.synthetic``, about 8.5 checks per child), then, each
in a fresh schema of database ``test`` on 127.0.0.1:5432 and a fresh child process:

- **before**: the whole ``health/exchange`` package (reader, validation, loader, writers) of
  commit ``--before`` (default: the last one before the COPY stream) on the schema of revision
  0008 (unpartitioned ``checks``); with ``--before-package REV`` instead, the package of ``REV``
  on the head schema, partitioned as for "after";
- **after**: the writer of the working tree on the head schema, ``checks`` partitioned by year
  with the file's years created first (what ``childhealth partitions`` leaves).

It prints the check rows per second of the whole import (the figure of issue 16) and of the
checks file alone, and, after the import, ``pg_total_relation_size`` of ``checks`` (all
partitions, indexes and TOAST) per row: the bytes per check of ``docs/sizing.md``; and the CPU
seconds of the import's Python process, of its server backend and of the backend's parallel
workers (from ``/proc``, so only for a server on this machine; the workers sampled every 10 ms):
on a shared machine they move much less than the wall-clock figures.
No timed asserts: figures only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import multiprocessing as mp
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from queue import Empty

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TODAY = dt.date(2025, 3, 1)
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BEFORE = "84e23b0"  # partitions in, the import's writer not changed yet


def generate(folder: Path, children: int) -> dict[str, int]:
    """The exchange folder of a province of ``children`` children (as benchmarks/coverage.py)."""
    from health.synthetic import Layout, generate, write_folder

    layout = Layout(cities=10, counties_per_city=8, townships_per_county=12,
                    facilities_per_township=2)  # fmt: skip
    return write_folder(folder, generate(children, TODAY, seed=1, layout=layout))


def _old_package(revision: str, into: Path) -> None:
    """Make ``health.exchange`` the package as it was at ``revision`` (its files copied from git
    into ``into``); call before anything imports it."""
    names = subprocess.run(
        ["git", "ls-tree", "--name-only", revision, "health/exchange/"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    into.mkdir(parents=True, exist_ok=True)
    for name in names:
        source = subprocess.run(["git", "show", f"{revision}:{name}"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout  # fmt: skip
        (into / Path(name).name).write_text(source, encoding="utf-8")
    import health

    spec = importlib.util.spec_from_file_location(
        "health.exchange", into / "__init__.py", submodule_search_locations=[str(into)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["health.exchange"] = module
    health.exchange = module  # type: ignore[attr-defined]
    spec.loader.exec_module(module)


def backend_cpu(pids: set[int]) -> float:
    """CPU seconds (user + system) used so far by the server processes ``pids``, read from
    ``/proc`` (0 for a server on another machine); their parallel workers: ``ParallelWorkers``."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


class ParallelWorkers:
    """Samples, every 10 ms on a thread of this process, the CPU seconds of the server's parallel
    workers (``parallel worker for PID …``: index builds, parallel scans) on this machine, by
    leader and the wall-clock time each was first seen (a worker's last 10 ms may be missed)."""

    def __init__(self) -> None:
        self.seen: dict[int, tuple[int, float, float]] = {}  # pid → leader, first seen, CPU s
        self._other: set[int] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        tick = os.sysconf("SC_CLK_TCK")
        while not self._stop.wait(0.01):
            for name in os.listdir("/proc"):
                if not name.isdigit() or int(name) in self._other:
                    continue
                pid = int(name)
                try:
                    if pid not in self.seen:
                        title = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
                        found = re.search(r"parallel worker for PID (\d+)", title)
                        if found is None:
                            self._other.add(pid)
                            continue
                        self.seen[pid] = (int(found[1]), time.time(), 0.0)
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                leader, first, _ = self.seen[pid]
                self.seen[pid] = (leader, first, (int(fields[11]) + int(fields[12])) / tick)

    def cpu(self, leaders: set[int], start: float, end: float) -> float:
        """CPU seconds of the workers of ``leaders`` first seen between ``start`` and ``end``."""
        return sum(
            c for leader, t, c in self.seen.values() if leader in leaders and start <= t <= end
        )

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def run(variant: str, folder: str, before: str, package: str | None, queue: mp.Queue) -> None:
    """One import in a fresh schema; puts its figures on ``queue``."""
    if variant == "before":  # the whole package: the loader's writer interface has changed since
        revision = package or before
        _old_package(revision, Path(folder).parent / f"exchange_{revision}")
    from sqlalchemy import event, text

    from health import partitions
    from health.db import make_engine
    from health.exchange import import_folder, loader
    from health.migrate import upgrade

    partitioned = variant == "after" or bool(package)
    checks_file = loader._LOADS["checks.csv"]
    spent = {}

    def timed(load, path):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        try:
            return checks_file(load, path)
        finally:
            spent["checks"] = time.perf_counter() - start

    loader._LOADS["checks.csv"] = timed
    schema = f"bench_imp_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    pids: set[int] = set()

    @event.listens_for(engine, "connect")
    def _backend(dbapi, _record) -> None:  # type: ignore[no-untyped-def]
        with dbapi.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()")
            pids.add(cur.fetchone()[0])

    try:
        upgrade(engine, "head" if partitioned else "0008")
        if partitioned:
            with engine.begin() as conn:
                spec = partitions.BY_NAME["checks"]
                partitions.ensure_years(conn, spec, range(TODAY.year - 8, TODAY.year + 2))
        start, client, server = time.perf_counter(), time.process_time(), backend_cpu(pids)
        began = time.time()
        summary = import_folder(engine, Path(folder), today=TODAY)
        seconds = time.perf_counter() - start
        ended = time.time()
        cpu = (time.process_time() - client, backend_cpu(pids) - server)
        with engine.connect() as conn:
            size = conn.execute(text("SELECT pg_total_relation_size('checks')")).scalar()
            if partitioned:  # a partitioned table's size is the sum of its partitions
                size = conn.execute(
                    text(
                        "SELECT SUM(pg_total_relation_size(inhrelid)) FROM pg_inherits "
                        "WHERE inhparent = 'checks'::regclass"
                    )
                ).scalar()
            rows = conn.execute(text("SELECT COUNT(*) FROM checks")).scalar()
        queue.put({"variant": variant, "seconds": seconds, "checks_seconds": spent["checks"],
                   "checks": summary.read["checks.csv"], "stored": rows,
                   "bytes": int(size), "cpu": cpu, "pids": set(pids),
                   "span": (began, ended)})  # fmt: skip
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _result(proc: mp.process.BaseProcess, queue: mp.queues.Queue, variant: str) -> dict:
    """The figures ``proc`` puts on ``queue``; SystemExit if it ends without them (its traceback
    is on standard error), instead of waiting for ever."""
    while True:
        try:
            return queue.get(timeout=1)
        except Empty:
            if not proc.is_alive():
                ended = f"the {variant} import ended without figures (exit {proc.exitcode})"
                raise SystemExit(ended) from None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=200_000)
    parser.add_argument("--before", default=BEFORE, help="git revision of the 'before' package")
    parser.add_argument("--repeat", type=int, default=1, help="imports per variant (best kept)")
    parser.add_argument(
        "--before-package", default=None, help="git revision of the 'before' health/exchange"
    )
    parser.add_argument("--variants", default="before,after", help="before, after or both")
    parser.add_argument("--each", action="store_true", help="print every import's figures too")
    args = parser.parse_args()
    variants = [v for v in ("before", "after") if v in args.variants.split(",")]
    ctx = mp.get_context("spawn")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "exchange"
        t = time.perf_counter()
        files = generate(folder, args.children)
        print(f"generated {files['children.csv']:,} children, {files['checks.csv']:,} checks "
              f"in {time.perf_counter() - t:.1f} s")  # fmt: skip
        best: dict[str, dict] = {}
        workers = ParallelWorkers()
        for _ in range(args.repeat):
            for variant in variants:  # alternating: the same load on the machine
                queue = ctx.Queue()
                proc = ctx.Process(target=run, args=(variant, str(folder), args.before,
                                                          args.before_package, queue))  # fmt: skip
                proc.start()
                result = _result(proc, queue, variant)
                proc.join()
                time.sleep(0.05)  # the last samples of the workers
                result["workers"] = workers.cpu(result["pids"], *result["span"])
                if args.each:
                    print(
                        f"  ({variant}: {result['seconds']:.1f} s; CPU s: Python "
                        f"{result['cpu'][0]:.2f}, server {result['cpu'][1]:.2f} + "
                        f"{result['workers']:.2f}; load {os.getloadavg()[0]:.1f})",
                        flush=True,
                    )
                if variant not in best or result["seconds"] < best[variant]["seconds"]:
                    best[variant] = result
        for variant in variants:
            r = best[variant]
            print(
                f"{variant:>6}: import {r['seconds']:6.1f} s = {r['checks'] / r['seconds']:9,.0f} "
                f"check rows/s; checks file {r['checks_seconds']:6.1f} s = "
                f"{r['checks'] / r['checks_seconds']:9,.0f} rows/s; checks on disk "
                f"{r['bytes'] / r['stored']:.0f} bytes/row ({r['bytes'] / 2**20:,.0f} MiB); "
                f"CPU s: Python {r['cpu'][0]:.1f}, server {r['cpu'][1]:.1f} "
                f"+ parallel workers {r['workers']:.1f}"
            )
        workers.stop()
        if len(best) == 2:
            ratio = best["before"]["seconds"] / best["after"]["seconds"]
            print(f"after / before: {ratio:.2f}× the import's speed")


if __name__ == "__main__":
    main()
