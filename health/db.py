"""The database: URL from ``CHILDHEALTH_DATABASE_URL``, SQLite file by default, PostgreSQL
(psycopg 3) in production; schema kept current by the alembic migrations in ``health/migrations``.

SQLite connections get WAL journalling, foreign keys on, a busy timeout, and real transactions
(``BEGIN`` emitted by SQLAlchemy, so DDL and bulk loads roll back as a whole).
"""

from __future__ import annotations

import os
import select
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlmodel import Session

ENV_VAR = "CHILDHEALTH_DATABASE_URL"
DEFAULT_SQLITE_PATH = Path("var") / "childhealth.db"


class DatabaseConfigError(Exception):
    """The database URL names a backend this project does not support."""


def database_url() -> str:
    """The configured URL: ``$CHILDHEALTH_DATABASE_URL`` or the default SQLite file
    ``var/childhealth.db`` relative to the working directory."""
    url = os.environ.get(ENV_VAR, "").strip()
    return url or f"sqlite:///{DEFAULT_SQLITE_PATH}"


def normalise_url(url: str) -> str:
    """Pin the driver: ``postgresql://`` / ``postgres://`` → ``postgresql+psycopg://``."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    if parsed.get_backend_name() == "sqlite":
        return url
    raise DatabaseConfigError(
        f"unsupported database '{parsed.get_backend_name()}': use sqlite:/// or postgresql://"
    )


def _sqlite_setup(engine: Engine) -> None:
    """Pragmas on every new SQLite connection, and explicit BEGIN for real transactions."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 30000")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA cache_size = -65536")  # 64 MiB page cache per connection
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # "IMMEDIATE" (see write_session) takes the write lock at the start, so a transaction
        # that reads and then writes never fails with a stale snapshot under concurrency
        mode = connection.get_execution_options().get("sqlite_begin", "")
        connection.exec_driver_sql(f"BEGIN {mode}".strip())


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url`` (default: :func:`database_url`). Creates the SQLite file's folder;
    PostgreSQL gets the pool of :func:`pool_settings` (``kwargs`` override it)."""
    url = normalise_url(url or database_url())
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        _sqlite_setup(engine)
        return engine
    pool = pool_settings()
    if "poolclass" in kwargs:  # a pool of the caller's choice (e.g. NullPool) takes no sizes
        pool = {"pool_pre_ping": False}
    engine = create_engine(url, **{**pool, **kwargs})
    _check_on_checkout(engine)
    return engine


def _has_input(dbapi_connection: Any) -> bool:
    """Whether the server has sent anything on an idle connection (or closed it): a look at
    the socket, no round trip. An idle PostgreSQL connection gets nothing unasked but a notice
    or, when the server ends it (restart, ``pg_terminate_backend``), an error and end of file."""
    if dbapi_connection.closed:
        return True
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))


def _check_on_checkout(engine: Engine) -> None:
    """Each connection taken from the pool is checked first: a connection whose socket is
    quiet is used as it is; one with input waiting gets a real ping, and one that fails it is
    replaced by a fresh connection (the pool retries on :class:`DisconnectionError`). Instead
    of ``pool_pre_ping``'s round trip on every checkout."""

    @event.listens_for(engine, "checkout")
    def _alive(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        try:
            if not _has_input(dbapi_connection) or engine.dialect.do_ping(dbapi_connection):
                return
        except Exception as exc:  # the driver's own error for a connection that is gone
            raise DisconnectionError("the server closed the connection") from exc
        raise DisconnectionError("the connection did not answer a ping")


WORKERS_VAR = "CHILDHEALTH_WORKERS"
"""Worker processes of ``childhealth serve --workers N`` (set by the command for its workers)."""
CONNECTIONS_VAR = "CHILDHEALTH_DB_MAX_CONNECTIONS"
CONNECTIONS_DEFAULT = 90
"""The connections all workers may hold together: PostgreSQL's default ``max_connections``
(100) less its reserved and administrative head room."""


def pool_settings(workers: int | None = None, cores: int | None = None) -> dict[str, Any]:
    """Connection pool of one worker process on PostgreSQL (SQLite keeps SQLAlchemy's own).

    A worker runs its sync handlers in threads; a request holds one or two connections at a
    time (its handler's, and a read or the stored answer on the event loop), and more than
    about four per core of the worker's share of the machine only queue inside the database.
    So ``pool_size = 2 × max(5, 2 × ceil(cores / workers))``, all kept open (no overflow: a
    connection opened for a burst and closed after it costs the server a new backend process
    each time, which under steady load was every few requests), capped so that
    ``workers × pool_size`` stays within :data:`CONNECTIONS_VAR` (default
    :data:`CONNECTIONS_DEFAULT`); a request waits at most 10 s for a connection; connections
    are checked before use by a look at their socket (:func:`make_engine`; no
    ``pool_pre_ping`` round trip) and renewed after 30 minutes. Example: 2 cores, 1 worker →
    10; 16 cores, 4 workers → 16; 64 workers → 1 each."""
    workers = max(1, workers or int(os.environ.get(WORKERS_VAR, "1") or 1))
    cores = max(1, cores or os.cpu_count() or 1)
    budget = max(workers, int(os.environ.get(CONNECTIONS_VAR, CONNECTIONS_DEFAULT)))
    share = budget // workers
    size = min(2 * max(5, 2 * -(-cores // workers)), share)
    return {
        "pool_size": size,
        "max_overflow": 0,
        "pool_timeout": 10,
        "pool_pre_ping": False,  # the socket check of make_engine instead
        "pool_recycle": 1800,
    }


def is_sqlite(engine: Engine) -> bool:
    """Whether ``engine`` talks to SQLite."""
    return engine.dialect.name == "sqlite"


@cache
def get_engine() -> Engine:
    """The process-wide engine for the configured URL, migrated to the latest schema."""
    from health.migrate import upgrade

    engine = make_engine()
    upgrade(engine)
    return engine


def for_writing(engine: Engine) -> Engine:
    """``engine`` for read-then-write work (recording, cases): on SQLite its transactions
    begin IMMEDIATE (writers queue up for the lock, up to the busy timeout, instead of failing
    with SQLITE_BUSY_SNAPSHOT); on PostgreSQL the same engine."""
    return engine.execution_options(sqlite_begin="IMMEDIATE") if is_sqlite(engine) else engine


@contextmanager
def session_scope(engine: Engine | None = None, *, write: bool = False) -> Iterator[Session]:
    """A session committed on success and rolled back on error; ``write=True`` for sessions
    that read and then write (see :func:`for_writing`)."""
    engine = engine or get_engine()
    with Session(for_writing(engine) if write else engine) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
