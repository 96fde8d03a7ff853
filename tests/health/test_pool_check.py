"""The pool's check of a PostgreSQL connection before use (``health.db._check_on_checkout``):
a quiet socket costs no round trip; a connection the server has ended is replaced, so the
request that takes it does not fail."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from health.db import _has_input, make_engine
from tests.health.conftest import PG_SKIP_REASON, PG_URL

pytestmark = pytest.mark.skipif(bool(PG_SKIP_REASON), reason=PG_SKIP_REASON or "")


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_quiet_connection_is_used_without_a_ping(monkeypatch: pytest.MonkeyPatch) -> None:
    engine = make_engine(PG_URL, pool_size=1, max_overflow=0)
    pings: list[object] = []
    try:
        first = _backend_pid(engine)
        monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: pings.append(conn) or True)
        assert [_backend_pid(engine) for _ in range(3)] == [first] * 3  # the same connection
        assert pings == []  # and not one round trip to check it
    finally:
        engine.dispose()


def test_a_connection_the_server_ended_is_replaced() -> None:
    engine = make_engine(PG_URL, pool_size=1, max_overflow=0)
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        first = _backend_pid(engine)
        with admin.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": first}).scalar()
        pooled = engine.pool._pool.queue[0].dbapi_connection  # type: ignore[attr-defined]
        deadline = time.monotonic() + 5
        while not _has_input(pooled) and time.monotonic() < deadline:
            time.sleep(0.01)  # the server's goodbye reaches the socket
        assert _has_input(pooled)
        second = _backend_pid(engine)  # no error: the pool took a fresh connection
        assert second != first
    finally:
        engine.dispose()
        admin.dispose()
