"""Web service benchmark against the real server (uvicorn, one worker) on 127.0.0.1 with SQLite
(or PostgreSQL with ``--postgres``: a scratch database, created and dropped).

Prints: a parent's measurement submission (validate, z-scores, flags, case, commit) latency
p50/p95/p99 over sequential requests, submissions per second with 8 concurrent clients and their
latency p50/p95/p99 (the round trip each client sees), and the parent's result page (results +
growth chart) server time; and the server's CPU time per concurrent submission (user + system
seconds of the server's processes, from ``/proc``): on a machine shared with other work the rate
moves with the neighbours, the CPU per request much less. Run:
``.venv/bin/python benchmarks/api.py [WORKERS] [--postgres]`` (uvicorn worker processes,
default 1).
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # this file is named api.py: import the project's api package instead
N_SEQUENTIAL = 400
N_CONCURRENT = 1200
CLIENTS = 8
KIDS = 200  # the parent's children: submissions go round-robin, a week apart, ~8 each
_NUMBERS = [a for a in sys.argv[1:] if a.isdigit()]
WORKERS = int(_NUMBERS[0]) if _NUMBERS else 1  # uvicorn worker processes
POSTGRES = "--postgres" in sys.argv[1:]
DB_NAME = "PostgreSQL" if POSTGRES else "SQLite"


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
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    response.raise_for_status()
    return client


def _birth(k: int) -> str:
    """Child ``k``'s birth date: each child its own, so that no two children's sign-ups are the
    same body (a repeat within 10 s is answered as the first)."""
    return (dt.date(2025, 3, 1) + dt.timedelta(days=k % 120, weeks=k // 120)).isoformat()


def _body(i: int) -> dict[str, object]:
    """Submission ``i``: child ``i % KIDS`` measured a week after its previous submission, on a
    plausible, steady trajectory (no two submissions of a child on one day, none a repeat)."""
    kid, week = i % KIDS, i // KIDS
    day = dt.date(2026, 1, 5) + dt.timedelta(weeks=week)
    return {"measured_on": day.isoformat(), "source": "home",
            "weight_kg": round(7.0 + (kid % 10) * 0.2 + 0.1 * week, 2),
            "length_cm": round(65 + (kid % 10) * 0.5 + 0.4 * week, 1), "measure": "L",
            "head_cm": round(42 + (kid % 10) * 0.2 + 0.1 * week, 1)}  # fmt: skip


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` and its worker processes (Linux ``/proc``;
    0.0 where it cannot be read)."""
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
        total = 0.0
        for one in pids:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total
    except (OSError, ValueError, IndexError):
        return 0.0


def _stats(label: str, seconds: list[float]) -> None:
    ms = np.array(seconds) * 1000
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    print(f"{label}: n={ms.size} p50={p50:.1f} ms p95={p95:.1f} ms p99={p99:.1f} ms")


def _database(tmp: str) -> Any:
    """The benchmark's database URL (a context manager): a SQLite file in ``tmp``, or with
    ``--postgres`` a scratch PostgreSQL database dropped afterwards (``benchmarks/load.py``'s)."""
    spec = importlib.util.spec_from_file_location("load_bench", ROOT / "benchmarks/load.py")
    load = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[spec.name] = load  # type: ignore[union-attr]
    spec.loader.exec_module(load)  # type: ignore[union-attr]
    return load.scratch_database("postgres" if POSTGRES else "sqlite", Path(tmp))


def main() -> None:
    module = _world()
    with tempfile.TemporaryDirectory() as tmp, _database(tmp) as url:
        world = module.build(Path(tmp) / "load.db", url)
        port = _port()
        env = {
            **os.environ,
            "CHILDHEALTH_DATABASE_URL": url,
            "CHILDHEALTH_COOKIE_SECURE": "0",
            "CHILDHEALTH_TODAY": "2026-06-15",
            "CHILDHEALTH_SECRET_KEY": "b" * 32,
            "CHILDHEALTH_WARM_CHARTS": "1",
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory", "--host",
             "127.0.0.1", "--port", str(port), "--log-level", "warning", "--workers",
             str(WORKERS)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    httpx.get(base + "/health", timeout=1)
                    break
                except httpx.HTTPError:
                    time.sleep(0.1)
            client = _client(base, "parent1", module.PASSWORD)
            kids = [
                client.post("/api/v1/children", json={
                    "sex": "MF"[k % 2], "birth_date": _birth(k), "area_code": "T1",
                }).raise_for_status().json()["id"]
                for k in range(KIDS)
            ]  # fmt: skip

            def url(i: int) -> str:
                return f"/api/v1/children/{kids[i % KIDS]}/measurements"

            for i in range(20):  # warm-up
                client.post(url(i), json=_body(i)).raise_for_status()
            times = []
            for i in range(20, 20 + N_SEQUENTIAL):
                start = time.perf_counter()
                client.post(url(i), json=_body(i)).raise_for_status()
                times.append(time.perf_counter() - start)
            _stats("measurement submission (sequential)", times)

            clients = [_client(base, "parent1", module.PASSWORD) for _ in range(CLIENTS)]

            def submit(i: int) -> tuple[int, float]:
                begun = time.perf_counter()
                response = clients[i % CLIENTS].post(url(i), json=_body(i))
                took = time.perf_counter() - begun
                replayed = "idempotent-replayed" in response.headers
                return (-1 if replayed else response.status_code), took

            cpu = _cpu_s(server.pid)
            start = time.perf_counter()
            with ThreadPoolExecutor(CLIENTS) as pool:
                first = 20 + N_SEQUENTIAL
                answers = list(pool.map(submit, range(first, first + N_CONCURRENT)))
            elapsed = time.perf_counter() - start
            codes = [code for code, _ in answers]
            cpu = _cpu_s(server.pid) - cpu
            ok = sum(c == 201 for c in codes)
            print(
                f"throughput ({CLIENTS} clients, {WORKERS} worker(s), {DB_NAME}): "
                f"{ok / elapsed:.0f}/s "
                f"({N_CONCURRENT - ok} of {N_CONCURRENT} failed or replayed); server CPU "
                f"{1000 * cpu / N_CONCURRENT:.2f} ms per submission"
            )
            _stats("measurement submission (8 clients at once)", [t for _, t in answers])

            # a child with a realistic history (12 measurements) and a fresh one each round
            other = _client(base, "parent2", module.PASSWORD)
            page = f"/children/{world.other_child}"
            times, server_ms = [], []
            for i in range(60):
                if i % 5 == 0:
                    body = _body(i) | {"measured_on": f"2026-0{1 + i // 12}-{10 + i % 12}"}
                    url_other = f"/api/v1/children/{world.other_child}/measurements"
                    other.post(url_other, json=body, params={"confirm": "true"}).raise_for_status()
                chart = ("wfa", "lhfa", "wflh")[i % 3]
                start = time.perf_counter()
                response = other.get(page, params={"chart": chart})
                times.append(time.perf_counter() - start)
                response.raise_for_status()
                server_ms.append(float(response.headers["server-timing"].split("dur=")[1]) / 1000)
            _stats("result page, server time (Server-Timing)", server_ms)
            _stats("result page, loopback round trip", times)
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
