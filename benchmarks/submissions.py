"""The write path, one worker: measurement submissions per second and their latency, the SQL
statements of one submission per kind, and a feeding recall's server time.

Starts ``childhealth serve --workers 1`` on SQLite (the API tests' small province, a parent
with ``KIDS`` children) on 127.0.0.1 and drives it from this process: ``N_SEQUENTIAL``
sequential measurement submissions (p50/p99 round trip and server time from
``Server-Timing``), then ``N_CONCURRENT`` from ``CLIENTS`` concurrent clients (submissions/s),
then ``N_RECALLS`` feeding recalls (server time). In process, on a fresh database, it counts
the statements of one home submission (plain, flagged, implausible) with SQLAlchemy's
``before_cursor_execute`` event and times the pipeline call alone. Figures are printed, not
asserted. Run: ``.venv/bin/python benchmarks/submissions.py``.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)
N_SEQUENTIAL = 400
N_CONCURRENT = 1200
N_RECALLS = 100
CLIENTS = 8
KIDS = 200
TODAY = dt.date(2026, 6, 15)


def _world():
    spec = importlib.util.spec_from_file_location(
        "api_world_bench", ROOT / "tests/api/api_world.py"
    )
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[spec.name] = module  # type: ignore[union-attr]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _client(base: str, username: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30)
    client.get("/health")
    client.headers["x-csrftoken"] = client.cookies["childhealth_csrf"]
    client.post("/api/v1/auth/login", json={"username": username, "password": password})
    client.headers["x-csrftoken"] = client.cookies["childhealth_csrf"]
    return client


def _body(i: int) -> dict[str, object]:
    day = TODAY - dt.timedelta(days=7 * (i // KIDS) % 60)
    return {"measured_on": day.isoformat(), "source": "home", "weight_kg": 5.5 + (i % 30) / 10,
            "length_cm": 60 + (i % 20) / 2, "measure": "L",
            "head_cm": 40 + (i % 10) / 5}  # fmt: skip


def _recall(i: int) -> dict[str, object]:
    from screening import reference

    bank = reference.recall_bank()
    foods = {f.id: {"taken": (not f.unhealthy) and (i + k) % 3 == 0}
             for k, f in enumerate(bank.foods)}  # fmt: skip
    for f in bank.foods:
        if f.with_times and foods[f.id]["taken"]:
            foods[f.id]["times"] = 1
    eaten = any(v["taken"] for v in foods.values())
    return {"recalled_on": TODAY.isoformat(), "answers": {
        "breastfed": i % 3 != 0, "bottle_with_nipple": i % 4 == 0,
        "liquids": {q.id: {"taken": False} for q in bank.liquids}, "foods": foods,
        "solid_feeds": 2 if eaten else 0, "vitamin_d": i % 5 != 0}}  # fmt: skip


def _stats(label: str, ms: list[float]) -> None:
    a = np.array(ms)
    p50, p99 = np.percentile(a, [50, 99])
    print(f"  {label}: n={a.size} p50={p50:.1f} ms p99={p99:.1f} ms")


def _server_ms(response: httpx.Response) -> float:
    return float(response.headers["server-timing"].split("dur=")[1])


def statements() -> None:
    """Statements of one home submission per kind, and the pipeline call's own time."""
    from sqlalchemy import event
    from sqlmodel import Session

    from growth_charts import value_at_z
    from health.clock import Moment
    from health.db import make_engine
    from health.migrate import upgrade
    from health.models import ChildCreate, MeasurementCreate
    from health.models.enums import Source
    from health.pipeline import Author, record_measurement
    from health.registry import create_child
    from tests.health.health_builders import build_geography

    at = Moment(now=dt.datetime(2026, 6, 15, 1, 0, tzinfo=dt.UTC), today=TODAY)
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/s.db")
        upgrade(engine)
        seen: list[str] = []
        event.listen(engine, "before_cursor_execute",
                     lambda *a: seen.append(a[2].split()[0]))  # fmt: skip
        with Session(engine, expire_on_commit=False) as s:
            build_geography(s)
            kids = [create_child(s, ChildCreate(code=f"k{i}", sex="F", area_code="T1",
                    birth_date=TODAY - dt.timedelta(days=200))) for i in range(203)]  # fmt: skip
            s.commit()
            low = float(value_at_z("wfa", "F", 200, -2.5)[0])
            kinds = {"plain (earlier series)": {"weight_kg": 7.6, "length_cm": 66.0,
                                                 "measure": "L"},
                     "flagged (opens the case)": {"weight_kg": low},
                     "implausible (re-measure)": {"weight_kg": 2.0}}  # fmt: skip
            for n, (label, values) in enumerate(kinds.items()):
                if n == 0:
                    first = MeasurementCreate(measured_on=TODAY - dt.timedelta(days=30),
                                              source="home", weight_kg=7.3)  # fmt: skip
                    record_measurement(s, kids[0], first, by=Author(Source.home), at=at)
                    s.commit()
                seen.clear()
                data = MeasurementCreate(measured_on=TODAY, source="home", **values)
                record_measurement(s, kids[n], data, by=Author(Source.home), at=at, confirm=True)
                s.commit()
                kinds_seen = {k: seen.count(k) for k in dict.fromkeys(seen)}
                print(f"  statements, {label}: {len(seen)} {kinds_seen}")
            took = []
            for i in range(200):
                data = MeasurementCreate(measured_on=TODAY, source="home", weight_kg=7.5,
                                         length_cm=66.0, measure="L")  # fmt: skip
                start = time.perf_counter()
                record_measurement(s, kids[3 + i], data, by=Author(Source.home), at=at)
                s.commit()
                took.append((time.perf_counter() - start) * 1000)
            _stats("pipeline call + commit, in process", took)
        engine.dispose()


def main() -> None:
    module = _world()
    print("in process (SQLite):")
    statements()
    with tempfile.TemporaryDirectory() as tmp:
        module.build(Path(tmp) / "bench.db")
        port = _port()
        env = {**os.environ, "CHILDHEALTH_DATABASE_URL": f"sqlite:///{tmp}/bench.db",
               "CHILDHEALTH_COOKIE_SECURE": "0", "CHILDHEALTH_TODAY": TODAY.isoformat(),
               "CHILDHEALTH_SECRET_KEY": "s" * 64}  # fmt: skip
        server = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "serve", "--host", "127.0.0.1", "--port",
             str(port), "--workers", "1"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    httpx.get(base + "/health", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            client = _client(base, "parent1", module.PASSWORD)
            kids = [client.post("/api/v1/children", json={
                "sex": "MF"[k % 2], "birth_date": "2025-12-01", "area_code": "T1",
            }).raise_for_status().json()["id"] for k in range(KIDS)]  # fmt: skip

            def url(i: int) -> str:
                return f"/api/v1/children/{kids[i % KIDS]}/measurements"

            for i in range(20):  # warm-up
                client.post(url(i), json=_body(i)).raise_for_status()
            print("childhealth serve --workers 1 (SQLite):")
            rtt, server_ms = [], []
            for i in range(N_SEQUENTIAL):
                start = time.perf_counter()
                response = client.post(url(i), json=_body(i)).raise_for_status()
                rtt.append((time.perf_counter() - start) * 1000)
                server_ms.append(_server_ms(response))
            _stats("measurement submission, round trip (sequential)", rtt)
            _stats("measurement submission, server time", server_ms)
            clients = [_client(base, "parent1", module.PASSWORD) for _ in range(CLIENTS)]

            def submit(i: int) -> tuple[int, float]:
                start = time.perf_counter()
                code = clients[i % CLIENTS].post(url(i), json=_body(i)).status_code
                return code, (time.perf_counter() - start) * 1000

            start = time.perf_counter()
            with ThreadPoolExecutor(CLIENTS) as pool:
                got = list(pool.map(submit, range(N_SEQUENTIAL, N_SEQUENTIAL + N_CONCURRENT)))
            elapsed = time.perf_counter() - start
            ok = sum(code == 201 for code, _ in got)
            print(f"  throughput, {CLIENTS} clients: {ok / elapsed:.0f} submissions/s "
                  f"({N_CONCURRENT - ok} of {N_CONCURRENT} failed)")  # fmt: skip
            _stats(f"measurement submission, round trip ({CLIENTS} clients)", [t for _, t in got])
            recall_ms, recall_rtt = [], []
            for i in range(N_RECALLS):
                kid = kids[i % KIDS]
                start = time.perf_counter()
                response = client.post(f"/api/v1/children/{kid}/feeding", json=_recall(i))
                recall_rtt.append((time.perf_counter() - start) * 1000)
                recall_ms.append(_server_ms(response.raise_for_status()))
            _stats("feeding recall, server time", recall_ms)
            _stats("feeding recall, round trip", recall_rtt)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=20)


if __name__ == "__main__":
    main()
