"""The advanced-alchemy SQLAlchemy plugin over the SQLModel metadata; one session per request,
committed when the response is 2xx or 3xx (a form post redirects) and rolled back otherwise."""

from __future__ import annotations

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
from health.db import make_engine
from health.migrate import upgrade

SESSION_KEY = "db"


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
