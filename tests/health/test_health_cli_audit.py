"""`childhealth coverage` is an export: each run adds exactly one entry to the access audit."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session
from typer.testing import CliRunner

from api.cli import app
from health import db
from health.models import AuditEntry
from tests.health.test_health_cli import database  # noqa: F401  (the SQLite / PostgreSQL fixture)
from tests.health.test_health_import import FOLDER, write


def _entries() -> list[tuple[int | None, str, str, str, str]]:
    with Session(db.get_engine()) as session:
        rows = session.execute(select(AuditEntry).order_by(AuditEntry.id)).scalars()
        return [(e.actor_id, e.role, e.action, e.object_kind, e.object_ref) for e in rows]


def test_each_coverage_export_is_one_audit_entry(database: str, tmp_path: Path) -> None:  # noqa: F811
    runner = CliRunner()
    assert runner.invoke(app, ["import", str(write(tmp_path / "in", FOLDER))]).exit_code == 0
    assert _entries() == []  # an import is not an export
    assert runner.invoke(app, ["coverage", "--year", "2024", "--level", "province"]).exit_code == 0
    args = ["coverage", "--year", "2024", "--by", "clinic", "--area", "P", "--format", "json"]
    assert runner.invoke(app, args).exit_code == 0
    assert runner.invoke(app, ["coverage", "--year", "2024", "--level", "village"]).exit_code != 0
    assert _entries() == [
        (None, "cli", "export.coverage", "area", "*"),
        (None, "cli", "export.coverage", "area", "P"),
    ]
