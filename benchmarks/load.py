"""Load and crash benchmark against the real server, on SQLite and on PostgreSQL.

For each database: seed the demo province (``childhealth seed-demo``), start the production
command (``childhealth serve --workers N``) on 127.0.0.1, and from this separate process drive
mixed traffic over loopback with httpx: parents submit measurements, milestone checklists and
feeding recalls for their children back to back; doctors read their clinic's queue and close
cases (0.2 s pause after each round); bureau users read coverage (0.5 s between reads). Prints,
per request type, the count, rate and p50/p95/p99 latency (loopback round trip), the error
count (any answer other than the expected 2xx, or a failed connection) and the median time the
handler took (the ``Server-Timing`` header: the rest is queueing, HTTP and the client), and the
CPU milliseconds per answered request of the server's processes, of its PostgreSQL backends
and of this load generator (from ``/proc``: on a busy machine the CPU figures hold better than
the rates).

Then the crash: the load runs again, the server's whole process group is killed with SIGKILL
in the middle of it, the server is restarted on the same database, and every write that was
acknowledged with a 2xx (in both phases) is looked up in the database directly: the line
``lost: N`` gives how many are missing (goal 0). Requests cut off by the kill were never
acknowledged and are reported apart ("in flight").

Goals (reported, not asserted): 0 errors, 0 lost, >= 300 submissions/s, p99 < 100 ms.

Run: ``.venv/bin/python benchmarks/load.py`` (60 s per database); quick check:
``.venv/bin/python benchmarks/load.py --seconds 10 --db sqlite``. PostgreSQL runs in a scratch
database (``childhealth_load_<pid>``, created and dropped, so two runs at once do not collide;
skipped when the server is unreachable).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # import the project's packages, not files next to this script
CHILDHEALTH = Path(sys.executable).with_name("childhealth")
TODAY = dt.date(2026, 6, 15)
PASSWORD = "childhealth-demo"  # health.demo.DEMO_PASSWORD
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_SCRATCH = f"childhealth_load_{os.getpid()}"  # one per run
DOCTOR_PAUSE_S = 0.2  # after each queue read (and the up to 3 cases it closes)
BUREAU_PAUSE_S = 0.5  # between two coverage reads
SUBMISSIONS = ("measurement", "milestones", "feeding", "case outcome")


@dataclass
class Tally:
    """What the clients saw: latencies per request type, errors, acknowledged writes."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    server_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)
    in_flight: int = 0  # requests cut off by the kill (never acknowledged)
    expect_kill: bool = False  # the crash phase: a dropped connection ends the client
    acked: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ok(self, kind: str, seconds: float, server_ms: float, written: int | None) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            self.server_ms[kind].append(server_ms)
            if written is not None:
                self.acked[kind].add(written)

    def failed(self, kind: str, what: str) -> None:
        with self.lock:
            self.errors[kind] += 1
            if len(self.error_samples) < 5:
                self.error_samples.append(f"{kind}: {what}")


# --- database and server -----------------------------------------------------------------


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def scratch_database(kind: str, tmp: Path) -> Iterator[str]:
    """A database URL for ``kind`` ("sqlite": a file in ``tmp``; "postgres": a scratch
    database created here and dropped afterwards)."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'load.db'}"
        return
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_SCRATCH} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_SCRATCH}")
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{PG_SCRATCH}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_SCRATCH} WITH (FORCE)")


def postgres_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return True
    except Exception:  # any failure means: skip PostgreSQL
        return False


def server_env(url: str, tmp: Path) -> dict[str, str]:
    return {**os.environ, "CHILDHEALTH_DATABASE_URL": url, "CHILDHEALTH_COOKIE_SECURE": "0",
            "CHILDHEALTH_TODAY": str(TODAY),
            "CHILDHEALTH_SECRET_KEY": "l" * 64}  # fmt: skip


def seed(env: dict[str, str], children: int) -> None:
    subprocess.run(
        [str(CHILDHEALTH), "seed-demo", "--today", str(TODAY), "--children", str(children)],
        env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip


def start_server(
    env: dict[str, str], port: int, workers: int, log: Path | None = None
) -> subprocess.Popen[bytes]:
    """``childhealth serve`` in its own process group (its stderr appended to ``log``, else
    dropped); returns once /health answers."""
    stderr = open(log, "ab") if log is not None else subprocess.DEVNULL  # noqa: SIM115
    server = subprocess.Popen(
        [str(CHILDHEALTH), "serve", "--host", "127.0.0.1", "--port", str(port),
         "--workers", str(workers)],
        env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr,
        start_new_session=True,
    )  # fmt: skip
    if log is not None:
        stderr.close()  # type: ignore[union-attr]  # the server holds its own copy
    for _ in range(600):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        if server.poll() is not None:
            raise SystemExit(f"the server exited with status {server.returncode}")
        time.sleep(0.1)
    raise SystemExit("the server did not answer /health within 60 s")


def _cpu_by_group(server_group: int) -> tuple[float, float]:
    """CPU seconds used so far by the server's process group and by PostgreSQL backends of
    the scratch database (Linux ``/proc``; processes that ended are not counted)."""
    tick = os.sysconf("SC_CLK_TCK")
    server = database = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes()
        except OSError:  # gone meanwhile
            continue
        used = (int(fields[11]) + int(fields[12])) / tick
        if int(fields[2]) == server_group:
            server += used
        elif PG_SCRATCH.encode() in command:
            database += used
    return server, database


@contextmanager
def cpu_meter(server: subprocess.Popen[bytes], tally: Tally) -> Iterator[dict[str, float]]:
    """Fills the yielded dict with the CPU milliseconds per answered request of the server,
    its database backends (PostgreSQL) and this load generator, over the block."""
    got: dict[str, float] = {}
    before_server, before_database = _cpu_by_group(server.pid)
    before_self = time.process_time()
    yield got
    after_server, after_database = _cpu_by_group(server.pid)
    answered = max(1, sum(len(v) for v in tally.latencies.values()))
    got["server"] = (after_server - before_server) * 1000 / answered
    got["database"] = (after_database - before_database) * 1000 / answered
    got["client"] = (time.process_time() - before_self) * 1000 / answered


def kill_server(server: subprocess.Popen[bytes]) -> None:
    """SIGKILL to the server's whole process group (supervisor and workers)."""
    with suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)
    server.wait(timeout=30)


# --- the clients -------------------------------------------------------------------------


def sign_in(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    client.get("/health")
    client.headers["x-csrftoken"] = client.cookies["childhealth_csrf"]
    client.post("/api/v1/auth/login", json={"username": username, "password": PASSWORD})
    client.headers["x-csrftoken"] = client.cookies["childhealth_csrf"]
    assert client.get("/api/v1/me").status_code == 200, f"{username} could not sign in"
    return client


@dataclass
class Kid:
    id: int
    birth: dt.date
    milestone_answers: dict[str, str]


def township_of_first_child(url: str, username: str) -> str:
    """The township code of a demo parent's first child (their children's area)."""
    from sqlalchemy import text

    from health.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        code = conn.execute(
            text(
                "SELECT a.code FROM users u JOIN guardianships g ON g.user_id = u.id "
                "JOIN children c ON c.id = g.child_id JOIN areas a ON a.id = c.area_id "
                "WHERE u.username = :u ORDER BY c.id LIMIT 1"
            ),
            {"u": username},
        ).scalar_one()
    engine.dispose()
    return str(code)


def add_kids(client: httpx.Client, area: str, count: int, rng: random.Random) -> list[Kid]:
    """``count`` children aged 6-20 months added by a parent, with their milestone form
    answered "yes" (or "no" for warning signs)."""
    kids = []
    for _ in range(count):
        birth = TODAY - dt.timedelta(days=rng.randint(185, 610))
        made = client.post("/api/v1/children", json={
            "sex": rng.choice("MF"), "birth_date": str(birth), "area_code": area,
        })  # fmt: skip
        made.raise_for_status()
        kid_id = int(made.json()["id"])
        form = client.get(f"/api/v1/children/{kid_id}/milestones/form").raise_for_status().json()
        answers = {
            q["id"]: "no" if q["answers"] == ["yes", "no"] else q["answers"][0]
            for q in form["questions"]
        }
        kids.append(Kid(kid_id, birth, answers))
    return kids


def recall_answers(rng: random.Random) -> dict[str, Any]:
    """A previous-day feeding recall (answers of the question bank)."""
    from screening import reference

    bank = reference.recall_bank()
    return {
        "breastfed": rng.random() < 0.7,
        "bottle_with_nipple": rng.random() < 0.3,
        "liquids": {q.id: {"taken": False} for q in bank.liquids},
        "foods": {f.id: {"taken": (not f.unhealthy) and rng.random() < 0.5} for f in bank.foods},
        "solid_feeds": rng.randint(1, 4),
        "vitamin_d": rng.random() < 0.8,
    }


def measurement(kid: Kid, rng: random.Random) -> dict[str, Any]:
    """Plausible values for the child's age; one in ten low enough to open a case."""
    day = TODAY - dt.timedelta(days=rng.randint(0, 30))
    months = (day - kid.birth).days / 30.44
    weight = 7.0 + 0.22 * (months - 6) + rng.uniform(-0.6, 0.6)
    if rng.random() < 0.1:
        weight *= 0.85  # about -3 SD weight-for-length: flagged, yet within WHO's plausible limits
    length = 66.0 + 1.1 * (months - 6) + rng.uniform(-1.5, 1.5)
    return {"measured_on": str(day), "source": "home", "weight_kg": round(weight, 2),
            "length_cm": round(length, 1), "measure": "L"}  # fmt: skip


def timed(
    tally: Tally,
    kind: str,
    request: tuple[httpx.Client, str, str, Any],
    ok: int,
    written: str | None,
) -> httpx.Response | None:
    """Send ``request`` (client, method, url, JSON body); record its latency when the answer
    is the expected ``ok`` status (with the id of the row it wrote), else an error."""
    client, method, url, body = request
    start = time.perf_counter()
    try:
        response = client.request(method, url, json=body)
    except httpx.TransportError as error:
        if not tally.expect_kill:
            tally.failed(kind, f"connection: {error!r}")
            return None
        with tally.lock:
            tally.in_flight += 1
        raise ServerGoneError from error
    elapsed = time.perf_counter() - start
    if response.status_code != ok:
        tally.failed(kind, f"{response.status_code} {response.text[:200]}")
        return None
    new_id = None
    if written is not None:
        body = response.json()
        new_id = int(body[written]["id"] if written != "id" else body["id"])
    timing = response.headers.get("server-timing", "dur=nan")  # "app;dur=12.3"
    tally.ok(kind, elapsed, float(timing.split("dur=")[1].split(",")[0]), new_id)
    return response


class ServerGoneError(Exception):
    """The server dropped the connection during the crash phase: the client stops."""


def until_gone(loop: Callable[..., None]) -> Callable[..., None]:
    """``loop`` ending quietly when the server is killed under it."""

    def run(*args: Any) -> None:
        try:
            loop(*args)
        except ServerGoneError:
            return

    return run


def parent_loop(
    client: httpx.Client, kids: list[Kid], tally: Tally, stop: threading.Event, seed_: int
) -> None:
    rng = random.Random(seed_)
    recall_day = str(TODAY - dt.timedelta(days=1))
    for _ in range(1_000_000):  # bounded: the stop event ends it long before
        if stop.is_set():
            return
        kid = rng.choice(kids)
        base = f"/api/v1/children/{kid.id}"
        roll = rng.random()
        if roll < 0.7:
            post = (client, "POST", f"{base}/measurements", measurement(kid, rng))
            timed(tally, "measurement", post, 201, "measurement")
        elif roll < 0.85:
            body = {"administered_on": str(TODAY), "answers": kid.milestone_answers}
            timed(tally, "milestones", (client, "POST", f"{base}/milestones", body), 201,
                  "administration")  # fmt: skip
        else:
            body = {"recalled_on": recall_day, "answers": recall_answers(rng)}
            timed(tally, "feeding", (client, "POST", f"{base}/feeding", body), 201, "recall")


def doctor_loop(
    client: httpx.Client, share: tuple[int, int], tally: Tally, stop: threading.Event
) -> None:
    """Read the queue, close the cases of this client's share (case id modulo), repeat."""
    part, parts = share
    for _ in range(1_000_000):
        if stop.is_set():
            return
        queue = timed(tally, "queue read", (client, "GET", "/api/v1/cases", None), 200, None)
        if queue is None:
            continue
        mine = [row["case_id"] for row in queue.json() if row["case_id"] % parts == part][:3]
        for case_id in mine:
            if stop.is_set():
                return
            body = {"outcome": "advice", "outcome_note": "Feeding advice given"}
            post = (client, "POST", f"/api/v1/cases/{case_id}/outcome", body)
            timed(tally, "case outcome", post, 201, "id")
        stop.wait(DOCTOR_PAUSE_S)  # reading the next child's file


def bureau_loop(client: httpx.Client, tally: Tally, stop: threading.Event) -> None:
    for _ in range(1_000_000):
        if stop.is_set():
            return
        timed(tally, "coverage read", (client, "GET", "/api/v1/coverage", None), 200, None)
        stop.wait(BUREAU_PAUSE_S)  # looking at the dashboard


@dataclass
class Crowd:
    """The signed-in clients and the parents' children."""

    parents: list[tuple[httpx.Client, list[Kid]]]
    doctors: list[httpx.Client]
    bureaus: list[httpx.Client]


def gather(base: str, url: str, args: argparse.Namespace) -> Crowd:
    rng = random.Random(7)
    accounts = [f"parent-{i + 1}" for i in range(4)]
    kids_of = {}
    for username in accounts:
        client = sign_in(base, username)
        kids_of[username] = add_kids(client, township_of_first_child(url, username), args.kids, rng)
        client.close()
    parents = [
        (sign_in(base, accounts[i % 4]), kids_of[accounts[i % 4]]) for i in range(args.parents)
    ]
    doctors = [sign_in(base, f"doctor-{i % 3 + 1}") for i in range(args.doctors)]
    bureaus = [
        sign_in(base, ("bureau-county", "bureau-province")[i % 2]) for i in range(args.bureaus)
    ]
    return Crowd(parents, doctors, bureaus)


def run_load(crowd: Crowd, seconds: float, tally: Tally, during: Callable[[], None]) -> float:
    """Every client in its own thread for ``seconds`` (``during`` runs meanwhile, on this
    thread); returns the elapsed time."""
    stop = threading.Event()
    threads = [
        threading.Thread(target=until_gone(parent_loop), args=(client, kids, tally, stop, i))
        for i, (client, kids) in enumerate(crowd.parents)
    ]
    by_doctor: dict[str, list[httpx.Client]] = defaultdict(list)
    for client in crowd.doctors:
        by_doctor[str(client.get("/api/v1/me").json()["username"])].append(client)
    for clients in by_doctor.values():
        threads += [
            threading.Thread(
                target=until_gone(doctor_loop), args=(c, (k, len(clients)), tally, stop)
            )
            for k, c in enumerate(clients)
        ]
    threads += [
        threading.Thread(target=until_gone(bureau_loop), args=(c, tally, stop))
        for c in crowd.bureaus
    ]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    during()
    stop.wait(max(0.0, seconds - (time.perf_counter() - start)))
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    return time.perf_counter() - start


# --- report and verification -------------------------------------------------------------


def report(tally: Tally, elapsed: float) -> None:
    print(f"  {'request':<14}{'n':>7}{'per s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
          f"{'errors':>8}{'server p50 ms':>15}")  # fmt: skip
    kinds = ["measurement", "milestones", "feeding", "case outcome", "queue read", "coverage read"]
    for kind in kinds:
        ms = np.array(tally.latencies.get(kind, []), dtype=float) * 1000
        if ms.size:
            p50, p95, p99 = np.percentile(ms, [50, 95, 99])
            row = f"{ms.size:>7}{ms.size / elapsed:>8.1f}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}"
        else:
            row = f"{0:>7}{0:>8.1f}{'-':>9}{'-':>9}{'-':>9}"
        server = np.median(tally.server_ms[kind]) if ms.size else float("nan")
        print(f"  {kind:<14}{row}{tally.errors.get(kind, 0):>8}{server:>15.1f}")
    writes = np.concatenate(
        [np.array(tally.latencies.get(k, []), dtype=float) for k in SUBMISSIONS]
    )
    p99 = float(np.percentile(writes * 1000, 99)) if writes.size else float("nan")
    print(f"  submissions: {writes.size / elapsed:.0f}/s (p99 {p99:.1f} ms); "
          f"errors: {sum(tally.errors.values())}")  # fmt: skip
    for sample in tally.error_samples:
        print(f"    e.g. {sample}")


def missing(url: str, acked: dict[str, set[int]]) -> dict[str, int]:
    """Acknowledged writes not found in the database, per kind (read directly, not via the
    service). A closed case counts when it has its outcome."""
    from sqlalchemy import bindparam, text

    from health.db import make_engine

    queries = {
        "measurement": "SELECT id FROM measurements WHERE id IN :ids",
        "milestones": "SELECT id FROM milestone_administrations WHERE id IN :ids",
        "feeding": "SELECT id FROM feeding_recalls WHERE id IN :ids",
        "case outcome": "SELECT id FROM cases WHERE id IN :ids AND outcome IS NOT NULL",
        "child": "SELECT id FROM children WHERE id IN :ids",
    }
    engine = make_engine(url)
    lost = {}
    with engine.connect() as conn:
        for kind, sql in queries.items():
            ids = sorted(acked.get(kind, set()))
            found: set[int] = set()
            for start in range(0, len(ids), 5000):
                chunk = ids[start : start + 5000]
                query = text(sql).bindparams(bindparam("ids", expanding=True))
                found |= {int(r[0]) for r in conn.execute(query, {"ids": chunk})}
            lost[kind] = len(set(ids) - found)
    engine.dispose()
    return lost


def bench(kind: str, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp_name, scratch_database(kind, Path(tmp_name)) as url:
        tmp = Path(tmp_name)
        env = server_env(url, tmp)
        started = time.perf_counter()
        seed(env, args.children)
        print(f"\n== {kind}: demo province of {args.children} children seeded in "
              f"{time.perf_counter() - started:.0f} s; childhealth serve --workers "
              f"{args.workers}; clients: {args.parents} parents, {args.doctors} doctors, "
              f"{args.bureaus} bureau")  # fmt: skip
        port = _port()
        base = f"http://127.0.0.1:{port}"
        server = start_server(env, port, args.workers, args.server_log)
        try:
            crowd = gather(base, url, args)
            tally = Tally()
            with cpu_meter(server, tally) as cpu:
                elapsed = run_load(crowd, args.seconds, tally, lambda: None)
            print(f"-- load: {elapsed:.1f} s")
            report(tally, elapsed)
            print(f"  CPU ms per answered request: server {cpu['server']:.1f}, database "
                  f"{cpu['database']:.1f}, load generator {cpu['client']:.1f}")  # fmt: skip

            crash = Tally(expect_kill=True)
            crash_seconds = max(4.0, args.seconds / 4)
            state: dict[str, Any] = {}

            def kill_midway() -> None:
                time.sleep(crash_seconds / 2)
                kill_server(server)
                state["killed_at"] = crash_seconds / 2

            elapsed = run_load(crowd, crash_seconds, crash, kill_midway)
            restart = time.perf_counter()
            server = start_server(env, port, args.workers, args.server_log)
            print(f"-- crash: SIGKILL to the server after {state['killed_at']:.1f} s of load; "
                  f"{crash.in_flight} requests cut off (never acknowledged); restarted in "
                  f"{time.perf_counter() - restart:.1f} s")  # fmt: skip
            acked = {k: tally.acked.get(k, set()) | crash.acked.get(k, set()) for k in SUBMISSIONS}
            acked["child"] = {kid.id for _, kids in crowd.parents for kid in kids}  # set-up
            lost = missing(url, acked)
            print(
                f"  acknowledged writes: {sum(len(v) for v in acked.values())} ("
                + ", ".join(f"{k} {len(v)}" for k, v in acked.items())
                + ")"
            )
            alive = crowd.parents[0][0].get("/api/v1/me").status_code
            print(f"  after restart: GET /api/v1/me with the old session -> {alive}")
            print(f"lost: {sum(lost.values())}" + (f" {lost}" if any(lost.values()) else ""))
            for client in [c for c, _ in crowd.parents] + crowd.doctors + crowd.bureaus:
                client.close()
        finally:
            kill_server(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of the load phase")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--parents", type=int, default=8, help="parent clients (threads)")
    parser.add_argument("--doctors", type=int, default=3, help="doctor clients")
    parser.add_argument("--bureaus", type=int, default=1, help="bureau clients")
    parser.add_argument("--kids", type=int, default=50, help="children each demo parent adds")
    parser.add_argument("--children", type=int, default=3000, help="children in the province")
    parser.add_argument("--server-log", type=Path, help="append the server's stderr to this file")
    args = parser.parse_args()
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    for kind in kinds:
        if kind == "postgres" and not postgres_reachable():
            print("\n== postgres: skipped (nothing answers on 127.0.0.1:5432)")
            continue
        bench(kind, args)


if __name__ == "__main__":
    main()
