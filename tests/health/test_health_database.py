"""The database module and migrations on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel

from health import db, partitions
from health.areas import descendant_area_ids
from health.migrate import downgrade, upgrade
from health.models import AreaCreate, Child, ChildCreate
from health.registry import create_area, create_child


def test_default_url_is_sqlite_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(db.ENV_VAR, raising=False)
    assert db.database_url() == "sqlite:///var/childhealth.db"
    monkeypatch.setenv(db.ENV_VAR, "postgres://u@h/d")
    assert db.normalise_url(db.database_url()) == "postgresql+psycopg://u@h/d"


def test_unsupported_backend_is_named() -> None:
    with pytest.raises(db.DatabaseConfigError, match="mysql"):
        db.normalise_url("mysql://u@h/d")


def test_sqlite_file_created_with_wal_and_foreign_keys(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "sub" / "x.db"
    engine = db.make_engine(f"sqlite:///{path}")
    upgrade(engine)
    assert path.exists()
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_migrations_create_every_table_and_downgrade(engine: Engine) -> None:
    tables = set(inspect(engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables
    if engine.dialect.name == "sqlite":  # the shared PostgreSQL schema stays for other tests
        downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        assert set(SQLModel.metadata.tables) <= set(inspect(engine).get_table_names())


def test_foreign_keys_enforced(session: Session) -> None:
    session.add(
        Child(code="c1", sex="M", birth_date=dt.date(2024, 1, 1), resident=True, area_id=999)
    )
    with pytest.raises(IntegrityError):
        session.flush()


def test_area_tree_and_closure(session: Session) -> None:
    p = create_area(session, AreaCreate(code="P", name="Province", level="province"))
    c = create_area(session, AreaCreate(code="C", name="City", level="city", parent_code="P"))
    k = create_area(session, AreaCreate(code="K", name="County", level="county", parent_code="C"))
    t = create_area(session, AreaCreate(code="T", name="Town", level="township", parent_code="K"))
    session.commit()
    assert descendant_area_ids(session, p.id) == sorted([p.id, c.id, k.id, t.id])
    assert descendant_area_ids(session, k.id) == sorted([k.id, t.id])
    depth = session.execute(
        text("SELECT depth FROM area_ancestors WHERE area_id = :a AND ancestor_id = :p"),
        {"a": t.id, "p": p.id},
    ).scalar()
    assert depth == 3


def test_child_round_trip(session: Session) -> None:
    create_area(session, AreaCreate(code="P", name="Province", level="province"))
    child = create_child(
        session,
        ChildCreate(sex="F", birth_date=dt.date(2023, 12, 31), area_code="P", code="X1"),
    )
    session.commit()
    again = session.get(Child, child.id)
    assert again is not None
    assert (again.code, again.sex, again.birth_date, again.resident) == (
        "X1",
        "F",
        dt.date(2023, 12, 31),
        True,
    )


def test_migrations_match_the_models(engine: Engine) -> None:
    """Autogenerate finds nothing to add: the migrations create exactly the SQLModel tables."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        # the yearly partitions of PostgreSQL (migration 0009) are not model tables
        opts = {"compare_type": True, "include_name": partitions.include_name}
        context = MigrationContext.configure(conn, opts=opts)
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_one_open_case_per_child_is_enforced(session: Session) -> None:
    from health.models import Case

    create_area(session, AreaCreate(code="P", name="Province", level="province"))
    child = create_child(
        session, ChildCreate(sex="M", birth_date=dt.date(2024, 1, 1), area_code="P")
    )
    now = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    fields = {"child_id": child.id, "severity": "review", "opened_at": now, "updated_at": now,
              "oldest_flag_at": now}  # fmt: skip
    session.add(Case(**fields))
    session.flush()
    session.add(Case(**fields, status="closed"))
    session.flush()
    session.add(Case(**fields))
    with pytest.raises(IntegrityError):
        session.flush()
