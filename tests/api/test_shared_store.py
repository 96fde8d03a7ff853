"""The shared store of sessions and caches (:mod:`api.stores`): the Store contract (expiry with
a pinned clock, renewal, delete, overwrite, namespaces) on SQLite, on PostgreSQL (skipped when
it is not reachable) and on a Valkey/Redis server that :func:`redis_server` starts from
Debian's ``redis-server`` (skipped when the binary is missing); two apps on one database share
their users' sessions; nothing is written under ``var/``."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import shutil
import socket
import subprocess
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from litestar.stores.base import NamespacedStore
from litestar.testing import TestClient
from sqlalchemy import func, select
from sqlmodel import Session

from api import stores
from api.app import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, create_app
from api.settings import SESSION_DIR_WARNING, Settings
from api.stores import DatabaseStore, StoreConfigError, redis_url, store_for
from health.db import make_engine
from health.migrate import upgrade
from health.models import KeyValue, UserCreate
from health.registry import create_user
from tests.api.api_world import BASE_URL, World, login, postgres_world, serve

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
STRONG = "Juniper kettle 42 orbit"


class PinnedClock:
    """Wall-clock seconds that move only when told to."""

    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def redis_server(folder: Path) -> Iterator[str]:
    """A throw-away ``redis-server`` on a random loopback port, its config written to
    ``folder`` (no persistence): yields its ``redis://`` URL, stops it afterwards. Skips the
    test when Debian's ``redis-server`` (``.ci/run`` installs it) is not installed."""
    if not Path(REDIS_SERVER).is_file():
        pytest.skip("redis-server is not installed (Debian package redis-server; see .ci/run)")
    port = _free_port()
    config = folder / "redis.conf"
    config.write_text(
        f"port {port}\nbind 127.0.0.1\nprotected-mode yes\ndaemonize no\n"
        f'dir {folder}\nsave ""\nappendonly no\nloglevel warning\n'
        f"logfile {folder / 'redis.log'}\n"
    )
    process = subprocess.Popen([REDIS_SERVER, str(config)])
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"redis-server did not start: {(folder / 'redis.log').read_text()}")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


# -- the contract, run on every kind of store --------------------------------------------------

Advance = Callable[[float], Awaitable[None]]


async def _contract(root: NamespacedStore, lifetime: int, advance: Advance) -> None:
    """What every store of the service must do; ``lifetime`` is the test entry's seconds and
    ``advance(s)`` lets ``s`` seconds pass for the store."""
    store = root.with_namespace("contract")
    await store.delete_all()
    # overwrite: the last value wins, str is stored as UTF-8
    await store.set("a", b"first")
    await store.set("a", "二")
    assert await store.get("a") == "二".encode()
    assert await store.exists("a") is True
    assert await store.expires_in("a") in (None, -1)  # no expiry (Litestar's own stores: -1)
    # delete, and deleting what is not there
    await store.delete("a")
    assert await store.get("a") is None and await store.exists("a") is False
    await store.delete("never-there")
    # expiry: alive until the lifetime is over, gone at its end
    await store.set("k", b"v", expires_in=lifetime)
    assert await store.expires_in("k") == lifetime
    await advance(lifetime * 0.5)
    assert await store.get("k") == b"v"
    await advance(lifetime * 0.6)
    assert await store.get("k") is None
    assert await store.exists("k") is False and await store.expires_in("k") is None
    # renewal restarts a lifetime; a value without one stays without
    await store.set("r", b"v", expires_in=lifetime)
    assert await store.get("r", renew_for=3 * lifetime) == b"v"
    assert await store.expires_in("r") == 3 * lifetime
    await store.set("forever", b"v")
    assert await store.get("forever", renew_for=lifetime) == b"v"
    assert await store.expires_in("forever") in (None, -1)
    await advance(2 * lifetime)
    assert await store.get("r") == b"v" and await store.get("forever") == b"v"
    await advance(1.1 * lifetime)
    assert await store.get("r") is None and await store.get("forever") == b"v"
    # overwriting an expiring value without a lifetime makes it permanent
    await store.set("o", b"1", expires_in=lifetime)
    await store.set("o", b"2")
    await advance(1.1 * lifetime)
    assert await store.get("o") == b"2"
    # namespaces: delete_all empties its own and its children's, not a sibling's
    child, sibling = store.with_namespace("x"), root.with_namespace("other")
    await child.set("c", b"1")
    await sibling.set("c", b"2")
    await store.set("s", b"3")
    assert await child.get("s") is None  # keys are per namespace
    await store.delete_all()
    assert await store.get("s") is None and await child.get("c") is None
    assert await sibling.get("c") == b"2"
    await sibling.delete_all()


def _database_contract(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    clock = PinnedClock()

    async def advance(seconds: float) -> None:
        clock.now += seconds

    try:
        asyncio.run(_contract(DatabaseStore(engine, clock=clock), 60, advance))
    finally:
        engine.dispose()


def test_the_store_contract_on_sqlite(tmp_path: Path) -> None:
    _database_contract(f"sqlite:///{tmp_path / 'store.db'}")


@pytest.mark.postgres
def test_the_store_contract_on_postgres() -> None:
    with postgres_world("ch_kv") as (url, _):
        _database_contract(url)


def test_the_store_contract_on_redis(tmp_path: Path) -> None:
    with redis_server(tmp_path) as url:

        async def run() -> None:
            root = store_for(url, make_engine(f"sqlite:///{tmp_path / 'unused.db'}"))
            async with root:  # closes its connections at the end
                await _contract(root, 1, asyncio.sleep)

        asyncio.run(run())


def test_expired_rows_are_purged_by_a_later_write(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    clock = PinnedClock()
    store = DatabaseStore(engine, clock=clock).with_namespace("sessions")

    def rows() -> int:
        with Session(engine) as db:
            return int(db.scalar(select(func.count()).select_from(KeyValue)))

    async def run() -> list[int]:
        seen = []
        await store.set("one", b"1", expires_in=10)  # the first write purges (nothing yet)
        await store.set("two", b"2", expires_in=dt.timedelta(seconds=1000))
        clock.now += 20  # "one" expired, but the last purge was 20 s ago
        await store.set("three", b"3")
        seen.append(rows())
        clock.now += stores.PURGE_EVERY_S
        await store.set("four", b"4")  # purges "one" only
        seen.append(rows())
        assert await store.expires_in("two") == 1000 - 20 - int(stores.PURGE_EVERY_S)
        return seen

    assert asyncio.run(run()) == [3, 3]  # one, two, three; then two, three, four
    with Session(engine) as db:
        keys = sorted(db.scalars(select(KeyValue.key)))
    assert keys == ["childhealth.sessions:four", "childhealth.sessions:three",
                    "childhealth.sessions:two"]  # fmt: skip
    engine.dispose()


def test_keys_and_namespaces_are_checked(tmp_path: Path) -> None:
    store = DatabaseStore(make_engine(f"sqlite:///{tmp_path / 'store.db'}"))
    with pytest.raises(ValueError, match="at most 255 characters"):
        asyncio.run(store.set("k" * 250, b"v"))
    with pytest.raises(ValueError, match="plain word"):
        store.with_namespace("a:b")


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("redis://cache:6379/0", "redis://cache:6379/0"),
        ("valkey://:pw@cache:6379/1", "redis://:pw@cache:6379/1"),
        ("valkeys://cache:6380", "rediss://cache:6380"),
        ("rediss://cache", "rediss://cache"),
    ],
)
def test_valkey_addresses_are_given_to_redis_py(given: str, used: str) -> None:
    assert redis_url(given) == used


def test_a_store_url_of_another_kind_stops_start_up_in_one_line() -> None:
    with pytest.raises(StoreConfigError) as caught:
        Settings(store_url="memcached://user:secret@cache:11211")
    message = str(caught.value)
    assert message.startswith("CHILDHEALTH_STORE_URL must be empty (the database) or a redis://")
    assert "\n" not in message and "secret" not in message


# -- sessions shared by two apps on one database -----------------------------------------------


def _same_browser(source: TestClient, target: TestClient) -> TestClient:
    """``target`` carrying ``source``'s cookies and CSRF header (the same browser reaching
    another process behind the proxy)."""
    target.cookies.clear()
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        target.cookies.set(name, source.cookies[name])
    target.headers[CSRF_HEADER] = source.cookies[CSRF_COOKIE]
    return target


def _one_session_two_apps(url: str, **overrides: str) -> None:
    with serve(url, **overrides) as first, serve(url, **overrides) as second:
        login(first, "parent1")
        assert first.get("/api/v1/me").json()["username"] == "parent1"
        other = _same_browser(first, second)
        assert other.get("/api/v1/me").json()["username"] == "parent1"
        assert other.post("/api/v1/auth/logout").status_code == 204
        assert first.get("/api/v1/me").status_code == 401


def test_a_session_begun_on_one_app_is_known_to_another_on_sqlite(world: World) -> None:
    _one_session_two_apps(f"sqlite:///{world.db_file}", store_url="")
    with Session(make_engine(f"sqlite:///{world.db_file}")) as db:
        left = db.scalars(select(KeyValue.key)).all()
    assert left == []  # signed out: the session row is gone


def test_a_session_begun_on_one_app_is_known_to_another_on_redis(
    world: World, tmp_path: Path
) -> None:
    with redis_server(tmp_path) as url:
        _one_session_two_apps(f"sqlite:///{world.db_file}", store_url=url)
    with Session(make_engine(f"sqlite:///{world.db_file}")) as db:
        assert db.scalars(select(KeyValue.key)).all() == []  # nothing went to the database


def test_no_file_is_written_under_var_and_the_old_session_dir_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    elsewhere, run = tmp_path / "data", tmp_path / "run"
    elsewhere.mkdir()
    run.mkdir()
    monkeypatch.chdir(run)  # a fresh working directory
    monkeypatch.setenv("CHILDHEALTH_DATABASE_URL", f"sqlite:///{elsewhere / 'ch.db'}")
    monkeypatch.setenv("CHILDHEALTH_SECRET_KEY", "s" * 32)
    monkeypatch.setenv("CHILDHEALTH_WARM_CHARTS", "0")
    monkeypatch.delenv("CHILDHEALTH_STORE_URL", raising=False)
    monkeypatch.setenv("CHILDHEALTH_SESSION_DIR", str(run / "sessions"))
    with caplog.at_level(logging.WARNING, logger="childhealth"):
        app = create_app(Settings.from_env())
    assert SESSION_DIR_WARNING in caplog.messages
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(STRONG)
    with Session(app.state["engine"]) as db:
        create_user(db, UserCreate(username="mother", role="parent", password=STRONG),
                    now=dt.datetime.now(dt.UTC), password_hash=cheap)  # fmt: skip
        db.commit()
    with TestClient(app, base_url=BASE_URL) as client:
        client.get("/health")
        client.headers[CSRF_HEADER] = client.cookies[CSRF_COOKIE]
        body = {"username": "mother", "password": STRONG}
        assert client.post("/api/v1/auth/login", json=body).status_code == 201
        assert client.get("/api/v1/me").json()["username"] == "mother"
    assert list(run.iterdir()) == []  # no var/, no session folder
    with Session(app.state["engine"]) as db:
        stored = db.scalars(select(KeyValue.key)).all()
    assert len(stored) == 1 and stored[0].startswith("childhealth.sessions:")


def test_serve_stops_in_one_line_when_the_store_cannot_be_reached(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from api.cli import app

    monkeypatch.setenv("CHILDHEALTH_SECRET_KEY", "s" * 32)
    monkeypatch.setenv("CHILDHEALTH_STORE_URL", f"redis://127.0.0.1:{_free_port()}/0")
    result = CliRunner().invoke(app, ["serve", "--workers", "2"])
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: CHILDHEALTH_STORE_URL: cannot reach")
    monkeypatch.setenv("CHILDHEALTH_STORE_URL", "memcached://cache:11211")
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code != 0
    assert "CHILDHEALTH_STORE_URL must be empty (the database) or a redis://" in result.output


def test_the_session_is_written_after_the_transaction_ends_and_before_the_answer_leaves(
    world: World,
) -> None:
    """The session write is the last before-send hook: after the database plugin's (so its
    request's write lock is released), before the first byte goes out (so a client acting on a
    204 sign-out finds the session gone on every process)."""
    from api.sessions import write_session

    with serve(f"sqlite:///{world.db_file}") as client:
        hooks = [getattr(h, "func", h) for h in client.app.before_send]
    names = [getattr(h, "__qualname__", "") for h in hooks]
    assert hooks[-1] is write_session
    assert any(n.startswith("autocommit_handler_maker") for n in names[:-1])
