"""Two real ``childhealth serve`` processes (different ports, one database, the first with
two workers) serve the same users: a browser signs in on one, is recognised by the other, signs
out on the other and is refused on the first. Sessions are in the database (PostgreSQL; the
test skips when it is not reachable) or, with ``CHILDHEALTH_STORE_URL``, in a ``redis-server``
the test starts itself (skipped when the binary is missing). Neither process writes a file in
its working directory (no ``var/``)."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import select, text
from sqlmodel import Session

from api.app import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE
from health.db import make_engine
from health.migrate import alembic_config
from health.models import KeyValue
from tests.api.api_world import PASSWORD, PG_URL, TODAY, build, postgres_reachable, postgres_world
from tests.api.test_shared_store import redis_server
from tests.e2e.browsing import wait_until_up

CHILDHEALTH = Path(sys.executable).with_name("childhealth")
SECRET = "two-processes-" + "s" * 24


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _serve(database_url: str, folder: Path, workers: int, store_url: str = "") -> Iterator[str]:
    """``childhealth serve --workers N`` on a free port, run in the empty ``folder``: yields
    its base URL, stops it (and its workers) afterwards."""
    port = _free_port()
    env = {
        **os.environ,
        "CHILDHEALTH_DATABASE_URL": database_url,
        "CHILDHEALTH_SECRET_KEY": SECRET,
        "CHILDHEALTH_COOKIE_SECURE": "0",  # plain HTTP on loopback
        "CHILDHEALTH_TODAY": TODAY.isoformat(),
        "CHILDHEALTH_WARM_CHARTS": "0",
        "CHILDHEALTH_STORE_URL": store_url,
    }
    env.pop("CHILDHEALTH_SESSION_DIR", None)
    folder.mkdir()
    log = (folder.parent / f"{folder.name}.log").open("wb")
    process = subprocess.Popen(
        [str(CHILDHEALTH), "serve", "--port", str(port), "--workers", str(workers)],
        cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        if not wait_until_up(base, tries=600):
            log.flush()
            pytest.fail(f"childhealth serve did not start: {Path(log.name).read_text()[-2000:]}")
        yield base
    finally:
        process.terminate()  # uvicorn's supervisor stops its workers on SIGTERM
        process.wait(timeout=30)
        log.close()


def _signs_in(client: httpx.Client, username: str) -> None:
    client.get("/health")
    client.headers[CSRF_HEADER] = client.cookies[CSRF_COOKIE]
    body = {"username": username, "password": PASSWORD}
    assert client.post("/api/v1/auth/login", json=body).status_code == 201


def _one_browser_two_processes(
    first_url: str, second_url: str, stored: Callable[[], list[str]]
) -> None:
    """Sign in on the first, be known to the second, sign out there, be refused by the first;
    ``stored()`` lists the keys of the shared store, one session while signed in."""
    with httpx.Client(base_url=first_url) as first, httpx.Client(base_url=second_url) as second:
        _signs_in(first, "parent1")
        for _ in range(4):  # each request may meet either of the first process's two workers
            assert first.get("/api/v1/me").json()["username"] == "parent1"
        for name in (SESSION_COOKIE, CSRF_COOKIE):  # the same browser, through the proxy
            second.cookies.set(name, first.cookies[name])
        second.headers[CSRF_HEADER] = first.cookies[CSRF_COOKIE]
        assert second.get("/api/v1/me").json()["username"] == "parent1"
        assert len(stored()) == 1
        assert second.post("/api/v1/auth/logout").status_code == 204
        for _ in range(4):
            assert first.get("/api/v1/me").status_code == 401
        assert second.get("/api/v1/me").status_code == 401


def _kv_keys(database_url: str) -> list[str]:
    engine = make_engine(database_url)
    with Session(engine) as db:
        keys = list(db.scalars(select(KeyValue.key)))
    engine.dispose()
    return keys


def _redis_keys(url: str) -> list[str]:
    import redis

    client = redis.Redis.from_url(url)
    try:
        return sorted(k.decode() for k in client.keys("childhealth_sessions:*"))
    finally:
        client.close()


@pytest.mark.postgres
def test_two_serve_processes_share_sessions_through_postgres(tmp_path: Path) -> None:
    with postgres_world("ch_procs") as (url, _):
        with ExitStack() as running:
            one = running.enter_context(_serve(url, tmp_path / "one", workers=2))
            two = running.enter_context(_serve(url, tmp_path / "two", workers=1))
            _one_browser_two_processes(one, two, lambda: _kv_keys(url))
        assert _kv_keys(url) == []  # signed out: no session left behind
    assert list((tmp_path / "one").iterdir()) == list((tmp_path / "two").iterdir()) == []


@pytest.mark.slow
def test_two_serve_processes_share_sessions_through_redis(tmp_path: Path) -> None:
    (tmp_path / "redis").mkdir()
    with redis_server(tmp_path / "redis") as store:
        build(tmp_path / "world.db")
        url = f"sqlite:///{tmp_path / 'world.db'}"
        with ExitStack() as running:
            one = running.enter_context(_serve(url, tmp_path / "one", 2, store_url=store))
            two = running.enter_context(_serve(url, tmp_path / "two", 1, store_url=store))
            _one_browser_two_processes(one, two, lambda: _redis_keys(store))
            assert _kv_keys(url) == []  # the session was in Redis, not in the database
        assert _redis_keys(store) == []
    assert list((tmp_path / "one").iterdir()) == list((tmp_path / "two").iterdir()) == []


MIGRATE = "import sys; from health.db import make_engine; from health.migrate import upgrade; " \
    "upgrade(make_engine(sys.argv[1]))"  # fmt: skip


def _migrate_together(url: str, processes: int = 3) -> None:
    """``processes`` fresh processes migrate ``url`` at once (as the workers of N ``serve``
    processes do at start-up): every one succeeds and the schema is at the head revision."""
    running = [
        subprocess.Popen(
            [sys.executable, "-c", MIGRATE, url], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        for _ in range(processes)
    ]
    failures = [p.stderr.read().decode()[-800:] for p in running if p.wait(120) != 0]  # type: ignore[union-attr]
    assert failures == []
    engine = make_engine(url)
    with engine.connect() as conn:
        versions = [
            row[0] for row in conn.exec_driver_sql("SELECT version_num FROM alembic_version")
        ]
    engine.dispose()
    assert versions == [ScriptDirectory.from_config(alembic_config()).get_current_head()]


@pytest.mark.postgres
def test_processes_starting_together_migrate_one_after_the_other_on_postgres() -> None:
    if not postgres_reachable():
        pytest.skip("PostgreSQL not reachable on 127.0.0.1:5432 (database test, user postgres)")
    schema = f"ch_migrate_{secrets.token_hex(5)}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        _migrate_together(f"{PG_URL}?options=-csearch_path%3D{schema}")
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_processes_starting_together_migrate_one_after_the_other_on_sqlite(tmp_path: Path) -> None:
    _migrate_together(f"sqlite:///{tmp_path / 'fresh.db'}")
