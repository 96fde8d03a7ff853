"""The access audit table is append-only in the database itself (migrated schema on SQLite and
PostgreSQL, and a schema made by ``create_all``): inserts work, UPDATE and DELETE are refused."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session, SQLModel

from health.models.audit import AUDIT_ACTIONS, LIST_READS, AuditEntry
from health.services import audit

AT = dt.datetime(2026, 6, 15, 10, 0, tzinfo=dt.UTC)


def _refuses_changes(engine: Engine) -> None:
    with Session(engine) as session:
        for ref in (7, "P1"):
            audit.record(session, actor_id=None, role="cli", action="export.coverage",
                         object_kind="area", object_ref=ref, at=AT)  # fmt: skip
        session.commit()
        assert [e.object_ref for e in audit.recent(session)] == ["P1", "7"]
        assert [e.object_ref for e in audit.recent(session, action="child.read")] == []
    for sql in ("UPDATE audit_log SET role = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(text(sql))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar() == 2


def test_migrated_audit_is_append_only(engine: Engine) -> None:
    _refuses_changes(engine)


def test_created_audit_is_append_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite:///{tmp_path / 'made.db'}")
    SQLModel.metadata.create_all(engine)
    try:
        _refuses_changes(engine)
    finally:
        engine.dispose()


def test_unknown_action_is_refused(session: Session) -> None:
    with pytest.raises(ValueError, match=r"unknown audit action 'child\.write'"):
        audit.record(session, actor_id=None, role="cli", action="child.write",
                     object_kind="child", object_ref=1, at=AT)  # fmt: skip


def test_each_list_read_is_an_action_whose_name_fits_its_column(session: Session) -> None:
    kind_width = AuditEntry.__table__.c.object_kind.type.length
    action_width = AuditEntry.__table__.c.action.type.length
    for action, kind in LIST_READS.items():
        assert action in AUDIT_ACTIONS and len(action) <= action_width
        assert len(kind) <= kind_width
        audit.record(session, actor_id=None, role="doctor", action=action,
                     object_kind=kind, object_ref=153, at=AT)  # fmt: skip
    session.commit()
    stored = [(e.action, e.object_kind, e.object_ref) for e in audit.recent(session)]
    assert stored == [(a, k, "153") for a, k in reversed(LIST_READS.items())]
