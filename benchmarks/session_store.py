"""What the shared session store costs a request: one read and one write of a 200-byte session
(what every signed-in request does), through the store's async interface as the session
middleware calls it, on SQLite, on PostgreSQL (skipped when 127.0.0.1:5432 is not reachable)
and on a throw-away Debian ``redis-server`` (skipped when missing). Prints milliseconds per
request (mean, p50, p99). Run: ``.venv/bin/python benchmarks/session_store.py [N]``.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from api.stores import DatabaseStore, store_for  # noqa: E402
from health.db import make_engine  # noqa: E402
from health.migrate import upgrade  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
SESSION = b"x" * 200
LIFETIME_S = 8 * 3600


async def _requests(root) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Milliseconds of each of N get+set pairs over 200 sessions."""
    store = root.with_namespace("sessions")
    keys = [secrets.token_hex(32) for _ in range(200)]
    for key in keys:
        await store.set(key, SESSION, expires_in=LIFETIME_S)
    times = np.empty(N)
    for i in range(N):
        key = keys[i % len(keys)]
        start = time.perf_counter()
        await store.get(key)
        await store.set(key, SESSION, expires_in=LIFETIME_S)
        times[i] = (time.perf_counter() - start) * 1000
    return times


def _report(name: str, times: np.ndarray) -> None:
    p50, p99 = np.percentile(times, [50, 99])
    print(f"{name:<12} {times.mean():6.2f} ms mean  {p50:6.2f} p50  {p99:6.2f} p99  (N={N})")


def _postgres_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=1):
            return True
    except OSError:
        return False


def main() -> None:
    folder = Path(tempfile.mkdtemp())
    engine = make_engine(f"sqlite:///{folder / 'bench.db'}")
    upgrade(engine)
    _report("sqlite", asyncio.run(_requests(DatabaseStore(engine))))
    if _postgres_reachable():
        schema = f"bench_kv_{secrets.token_hex(4)}"
        admin = make_engine(PG_URL)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            pg = make_engine(f"{PG_URL}?options=-csearch_path%3D{schema}")
            upgrade(pg)
            _report("postgresql", asyncio.run(_requests(DatabaseStore(pg))))
            pg.dispose()
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    else:
        print("postgresql   skipped: not reachable on 127.0.0.1:5432")
    binary = shutil.which("redis-server")
    if binary is None:
        print("redis        skipped: redis-server is not installed")
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.5)

        async def redis() -> np.ndarray:
            root = store_for(f"redis://127.0.0.1:{port}/0", engine)
            async with root:
                return await _requests(root)

        _report("redis", asyncio.run(redis()))
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
