"""The advanced-alchemy SQLAlchemy plugin over the SQLModel metadata; one session per request,
committed when the response is 2xx or 3xx (a form post redirects) and rolled back otherwise."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import anyio.to_thread
from advanced_alchemy.extensions.litestar import (
    SQLAlchemyPlugin,
    SQLAlchemySyncConfig,
    SyncSessionConfig,
)
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from sqlmodel import Session as SQLModelSession
from sqlmodel import SQLModel

import health.models  # noqa: F401  (registers every table on SQLModel.metadata)
from health.db import is_sqlite, make_engine, pool_settings
from health.migrate import upgrade

SESSION_KEY = "db"
T = TypeVar("T")


def engine_for(url: str) -> Engine:
    """An engine for ``url`` (empty: the default SQLite file), migrated to the latest schema."""
    engine = make_engine(url or None)
    upgrade(engine)
    return engine


def sqlalchemy_config(engine: Engine) -> SQLAlchemySyncConfig:
    """The plugin's configuration: ``db`` is the request's session dependency."""
    return SQLAlchemySyncConfig(
        engine_instance=engine,
        metadata=SQLModel.metadata,
        create_all=False,
        session_dependency_key=SESSION_KEY,
        before_send_handler="autocommit_include_redirects",
        session_config=SyncSessionConfig(expire_on_commit=False, class_=SQLModelSession),
        enable_file_object_listener=False,  # no stored files: no listener on every flush
    )


def sqlalchemy_plugin(config: SQLAlchemySyncConfig) -> SQLAlchemyPlugin:
    """The advanced-alchemy plugin for ``config``."""
    return SQLAlchemyPlugin(config=config)


def begin_write(session: Session) -> None:
    """Start a request that reads and then writes: on SQLite its transaction begins IMMEDIATE
    (``health.db``'s ``sqlite_begin`` option, as :func:`health.db.for_writing`), so it waits for
    the write lock instead of failing on a snapshot a concurrent writer made stale. Write
    handlers then commit before returning, so no other request on the event loop waits for a
    lock held across an ``await``. Call it before the request's first statement."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})


def off_the_loop(engine: Engine) -> bool:
    """Whether a request's blocking database work on ``engine`` runs in the worker's thread
    pool (PostgreSQL: every statement is a network round trip and every commit waits for the
    disk, which would stall every other request of the event loop meanwhile) rather than inline
    on the loop (SQLite: a local file, microseconds a statement, less than a thread hop)."""
    return not is_sqlite(engine)


async def blocking(engine: Engine, work: Callable[..., T], *args: Any) -> T:
    """``work(*args)``, synchronous database work of a request on ``engine``: inline on the
    event loop, or in a worker thread when :func:`off_the_loop` (then the loop serves other
    requests meanwhile)."""
    if not off_the_loop(engine):
        return work(*args)
    return await anyio.to_thread.run_sync(partial(work, *args))


def thread_tokens(engine: Engine) -> int | None:
    """How many worker threads a process runs its requests' database work in: as many as its
    pool has connections (``pool_size + max_overflow`` of :func:`health.db.pool_settings`), so
    a thread seldom waits for a connection and no more threads contend for the interpreter
    than can be busy in the database; None (anyio's default) when the work stays on the loop."""
    if not off_the_loop(engine):
        return None
    pool = pool_settings()
    return max(1, int(pool["pool_size"]) + int(pool["max_overflow"]))
