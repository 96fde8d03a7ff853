"""Database fixtures: every DB test runs on SQLite and, when reachable, on PostgreSQL.

SQLite: a migrated template file is built once per session and copied for each test.
PostgreSQL: a private schema (``ch_test_<random>``) in database ``test`` on 127.0.0.1:5432 is
migrated once per session and dropped at the end; each test starts from empty tables.
"""

from __future__ import annotations

import shutil
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel

from health.db import make_engine
from health.migrate import upgrade

PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_URL = f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/test"


def _postgres_reason() -> str | None:
    """None when PostgreSQL answers, else why the PostgreSQL variants are skipped."""
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=1):
            pass
    except OSError as exc:
        return f"PostgreSQL not reachable on {PG_HOST}:{PG_PORT} ({exc.strerror or exc})"
    try:
        import psycopg

        with psycopg.connect(
            host=PG_HOST, port=PG_PORT, user="postgres", dbname="test", connect_timeout=2
        ):
            pass
    except Exception as exc:
        return f"PostgreSQL database 'test' unusable as user postgres: {exc}"
    return None


PG_SKIP_REASON = _postgres_reason()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test."""
    path = tmp_path_factory.mktemp("db") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@contextmanager
def private_schema(prefix: str) -> Iterator[Engine]:
    """An engine bound to an empty schema of its own in database ``test`` (named ``prefix``
    and a random suffix), dropped with everything in it afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    engine.info_url = f"{PG_URL}?options=-csearch_path%3D{schema}"  # type: ignore[attr-defined]
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[Engine]:
    """An engine bound to a fresh, migrated schema of database ``test``."""
    if PG_SKIP_REASON:
        pytest.skip(PG_SKIP_REASON)
    with private_schema("ch_test") as engine:
        upgrade(engine)
        yield engine


@pytest.fixture
def private_pg() -> Iterator[Engine]:
    """An empty schema of its own (migrated up and down by the test), dropped afterwards."""
    with private_schema("ch_private") as engine:
        yield engine


def _truncate_all(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A migrated, empty database: SQLite, then PostgreSQL (skipped with a reason if absent)."""
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        eng = make_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()
    else:
        eng = request.getfixturevalue("pg_engine")
        _truncate_all(eng)
        yield eng


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the test database (``expire_on_commit`` off for easy assertions)."""
    with Session(engine, expire_on_commit=False) as s:
        yield s
