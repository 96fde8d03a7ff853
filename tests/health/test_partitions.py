"""Yearly partitions of checks and audit_log (migration 0009, ``childhealth partitions``), the
coverage queries pruned to a year's partitions, and the import's COPY into them.

PostgreSQL tests skip with the reason when 127.0.0.1:5432 is unreachable; on SQLite the
migration changes nothing and the command refuses in one line.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, SQLModel
from typer.testing import CliRunner

from health import partitions
from health.coverage import coverage
from health.db import make_engine
from health.exchange import ExchangeError, import_folder
from health.migrate import downgrade, upgrade
from health.periods import Period
from tests.health.conftest import PG_SKIP_REASON
from tests.health.test_health_import import FOLDER, TODAY, write

pg_only = pytest.mark.skipif(PG_SKIP_REASON is not None, reason=PG_SKIP_REASON or "")


def _truncate_all(conn: Connection) -> None:
    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


def _relkinds(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT relname, relkind FROM pg_class WHERE relnamespace = "
                "(SELECT oid FROM pg_namespace WHERE nspname = current_schema()) "
                "AND relkind IN ('r', 'p')"
            )
        )
        return {name: value for name, value in rows}


def _per_partition(engine: Engine, table: str) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(f"SELECT tableoid::regclass::text, COUNT(*) FROM {table} GROUP BY 1")
        )
        return {name: value for name, value in rows}


def _seed_old_schema(engine: Engine) -> None:
    """Rows in the unpartitioned tables of revision 0008: 3 checks (2021, 2023) and 2 audit
    entries, one of them 23:30 at UTC−8 on 31 December 2023, i.e. 07:30 UTC in 2024."""
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO areas (code, name, level) VALUES ('P', 'P', 'province')"))
        conn.execute(
            text(
                "INSERT INTO children (code, sex, birth_date, resident, area_id) "
                "SELECT 'c1', 'M', '2020-06-01', true, id FROM areas"
            )
        )
        conn.execute(
            text(
                "INSERT INTO checks (child_id, check_date, kind) SELECT id, d, 'routine' "
                "FROM children, (VALUES (DATE '2021-03-01'), (DATE '2021-12-31'), "
                "(DATE '2023-01-01')) v(d)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO audit_log (at, role, action, object_kind, object_ref) VALUES "
                "('2022-05-01 08:00+00', 'cli', 'child.read', 'child', '1'), "
                "('2023-12-31 23:30-08', 'cli', 'child.read', 'child', '1')"
            )
        )


@pg_only
def test_migration_partitions_keeps_rows_keys_and_goes_back(private_pg: Engine) -> None:
    engine = private_pg
    upgrade(engine, "0008")
    _seed_old_schema(engine)
    upgrade(engine)
    this_year = dt.datetime.now(dt.UTC).year  # the migration adds this year and the next
    kinds = _relkinds(engine)
    assert (kinds["checks"], kinds["audit_log"], kinds["measurements"]) == ("p", "p", "r")
    assert partitions.years(engine.connect(), "checks") == sorted(
        {2021, 2023, this_year, this_year + 1}
    )
    assert _per_partition(engine, "checks") == {"checks_y2021": 2, "checks_y2023": 1}
    assert _per_partition(engine, "audit_log") == {"audit_log_y2022": 1, "audit_log_y2024": 1}
    with engine.connect() as conn:
        found = conn.execute(
            text(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = 'checks'::regclass AND contype IN ('p', 'u', 'f')"
            )
        )
        keys = {name: definition for name, definition in found}
        assert keys == {
            "checks_pkey": "PRIMARY KEY (id, check_date)",
            "uq_checks_child_date_kind": "UNIQUE (child_id, check_date, kind)",
            "checks_child_id_fkey": "FOREIGN KEY (child_id) REFERENCES children(id)",
            "checks_clinic_id_fkey": "FOREIGN KEY (clinic_id) REFERENCES clinics(id)",
        }
        # ids go on from the same sequence: the next check is the 4th
        new_id = conn.execute(
            text(
                "INSERT INTO checks (child_id, check_date, kind) "
                "SELECT id, DATE '2023-05-05', 'routine' FROM children RETURNING id"
            )
        ).scalar()
        assert new_id == 4
        with pytest.raises(DBAPIError, match="append-only"):  # the trigger is still there
            conn.execute(text("UPDATE audit_log SET role = 'x'"))
        conn.rollback()
    downgrade(engine, "0008")
    kinds = _relkinds(engine)
    assert (kinds["checks"], kinds["audit_log"]) == ("r", "r")
    assert not any(partitions.is_partition(name) for name in kinds)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM checks")).scalar() == 3
        assert conn.execute(text("SELECT COUNT(*) FROM audit_log")).scalar() == 2
        pkey = conn.execute(
            text(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conname = 'checks_pkey' AND conrelid = 'checks'::regclass"  # this schema
            )
        ).scalar()
        assert pkey == "PRIMARY KEY (id)"
        with pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text("DELETE FROM audit_log"))


def test_sqlite_keeps_one_table_each_and_the_command_refuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from api.cli import app
    from health import db

    url = f"sqlite:///{tmp_path / 'x.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with engine.connect() as conn:
        assert (
            conn.exec_driver_sql(
                "SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'checks_y%'"
            ).scalar()
            == 0
        )
        with pytest.raises(partitions.PartitionError, match="PostgreSQL"):
            partitions.create_ahead(conn, dt.date(2026, 1, 1), 1)
    engine.dispose()
    monkeypatch.setenv(db.ENV_VAR, url)
    db.get_engine.cache_clear()
    try:
        result = CliRunner().invoke(app, ["partitions", "--ahead", "1"])
    finally:
        db.get_engine.cache_clear()
    assert result.exit_code == 2
    assert "partitions are a PostgreSQL feature" in result.output


@pg_only
def test_create_ahead_is_idempotent_and_moves_waiting_rows(pg_engine: Engine) -> None:
    with pg_engine.begin() as conn:
        _truncate_all(conn)
        conn.execute(text("INSERT INTO areas (code, name, level) VALUES ('P', 'P', 'province')"))
        conn.execute(
            text(
                "INSERT INTO children (code, sex, birth_date, resident, area_id) "
                "SELECT 'c1', 'F', '2030-01-01', true, id FROM areas"
            )
        )
        # 2034 has no partition yet: the row waits in the default partition
        conn.execute(
            text(
                "INSERT INTO checks (child_id, check_date, kind) "
                "SELECT id, DATE '2034-02-02', 'routine' FROM children"
            )
        )
        assert conn.execute(text("SELECT tableoid::regclass::text FROM checks")).scalar() == (
            "checks_default"
        )
        made = partitions.create_ahead(conn, dt.date(2031, 7, 1), 2)
        assert made["checks"] == [2031, 2032, 2033, 2034]  # 2034: its waiting row
        assert conn.execute(text("SELECT tableoid::regclass::text FROM checks")).scalar() == (
            "checks_y2034"
        )
        again = partitions.create_ahead(conn, dt.date(2031, 7, 1), 2)
        assert again == {"checks": [], "audit_log": []}
        conn.rollback()
    with pg_engine.connect() as conn, pytest.raises(partitions.PartitionError, match="0 or more"):
        partitions.create_ahead(conn, dt.date(2031, 7, 1), -1)


def _scanned(conn: object, statement: str, parameters: object) -> set[str]:
    """The relations a statement's plan reads (EXPLAIN with the statement's own parameters)."""
    plan = conn.exec_driver_sql(  # type: ignore[attr-defined]
        "EXPLAIN (FORMAT JSON) " + statement, parameters
    ).scalar()
    plan = plan if isinstance(plan, list) else json.loads(plan)
    found: set[str] = set()

    def walk(node: dict) -> None:
        if "Relation Name" in node:
            found.add(node["Relation Name"])
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return found


@pg_only
def test_a_years_coverage_reads_only_that_years_partitions(
    pg_engine: Engine, tmp_path: Path
) -> None:
    """Checks of 2023, 2024 and 2025: the 2024 report's statements read checks_y2024 (and
    checks_y2025 only where the newborn visit's 28 days reach into January), never 2023's nor
    the default partition; the figures are those of the unpartitioned table."""
    with pg_engine.begin() as conn:
        _truncate_all(conn)
        partitions.ensure_years(conn, partitions.BY_NAME["checks"], [2023, 2024, 2025])
    files = dict(FOLDER)
    files["checks.csv"] += "c11,2023-02-10,routine,CL1,,,,,\n"
    import_folder(pg_engine, write(tmp_path / "x", files), today=TODAY)
    assert _per_partition(pg_engine, "checks") == {
        "checks_y2023": 1,
        "checks_y2024": 10,
        "checks_y2025": 1,
    }
    statements: list[tuple[str, object]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "checks" in statement:
            statements.append((statement, parameters))

    with Session(pg_engine) as session:
        event.listen(pg_engine, "before_cursor_execute", capture)
        try:
            rows = coverage(session, Period.year(2024), by="clinic")
        finally:
            event.remove(pg_engine, "before_cursor_execute", capture)
        # the figures of test_health_import.test_import_then_coverage: the 2023 check adds none
        figures = {(r.unit_code, r.indicator): (r.numerator, r.denominator) for r in rows}
        assert figures[("CL1", "newborn_visit")] == (1, 2)  # c01 day 28 yes, c03 day 29 no
        assert figures[("CL1", "infant_health_management")] == (2, 3)
        assert statements
        conn = session.connection()
        read = set()
        for statement, parameters in statements:
            scanned = {n for n in _scanned(conn, statement, parameters) if n.startswith("checks")}
            assert scanned and scanned <= {"checks_y2024", "checks_y2025"}, statement
            read |= scanned
    assert "checks_y2024" in read


@pg_only
def test_import_copies_into_year_partitions_all_or_nothing(
    pg_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tiny batches (a child's checks in several, children old and new mixed): the COPY that
    stays open across batches and the upserts give the same rows as one batch; a bad row in a
    late batch leaves nothing of the file."""
    from health.exchange import reader

    with pg_engine.begin() as conn:
        _truncate_all(conn)
        partitions.ensure_years(conn, partitions.BY_NAME["checks"], [2024, 2025])
    monkeypatch.setattr(reader, "BLOCK_SIZE", 120)
    first = dict(FOLDER)
    lines = FOLDER["checks.csv"].splitlines(keepends=True)
    first["checks.csv"] = "".join(lines[:4])  # c01's checks only
    import_folder(pg_engine, write(tmp_path / "a", first), today=TODAY)
    summary = import_folder(pg_engine, write(tmp_path / "b", FOLDER), today=TODAY)
    assert summary.changed["checks.csv"] == 8  # the 3 of c01 were there already
    assert _per_partition(pg_engine, "checks") == {"checks_y2024": 10, "checks_y2025": 1}
    bad = dict(FOLDER)
    bad["children.csv"] += "c20,F,2024-02-02,T1,1,,\n"
    bad["checks.csv"] += (
        "c20,2024-03-03,routine,CL1,,,,,\n" * 3 + "c99,2024-08-09,routine,CL1,,,,,\n"
    )
    with pytest.raises(ExchangeError, match="unknown child_id 'c99'"):
        import_folder(pg_engine, write(tmp_path / "c", bad), today=TODAY)
    with pg_engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM checks")).scalar() == 11
        assert conn.execute(text("SELECT COUNT(*) FROM children WHERE code = 'c20'")).scalar() == 0


@pg_only
def test_big_file_into_empty_checks_builds_the_keys_once(
    pg_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A big file into an empty checks table is copied whole, its keys dropped and built again
    at the end: the same keys after, the same rows, a reload changes nothing, a reload with one
    changed value changes one row (the upsert needs the unique key back)."""
    from health.exchange import loader, reader

    def keys() -> dict[str, str]:
        with pg_engine.connect() as conn:
            found = conn.execute(
                text(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = 'checks'::regclass"
                )
            )
            return {name: definition for name, definition in found}

    with pg_engine.begin() as conn:
        _truncate_all(conn)
        partitions.ensure_years(conn, partitions.BY_NAME["checks"], [2024, 2025])
    before = keys()
    monkeypatch.setattr(loader, "FK_SUSPEND_BYTES", 0)
    monkeypatch.setattr(reader, "BLOCK_SIZE", 200)  # several batches
    first = import_folder(pg_engine, write(tmp_path / "a", FOLDER), today=TODAY)
    assert first.changed["checks.csv"] == 11
    assert keys() == before
    assert _per_partition(pg_engine, "checks") == {"checks_y2024": 10, "checks_y2025": 1}
    assert import_folder(pg_engine, tmp_path / "a", today=TODAY).changed["checks.csv"] == 0
    changed = dict(FOLDER)
    changed["checks.csv"] = changed["checks.csv"].replace(
        "c11,2024-08-09,routine,CL1,12.0", "c11,2024-08-09,routine,CL1,12.5"
    )
    assert (
        import_folder(pg_engine, write(tmp_path / "b", changed), today=TODAY).changed["checks.csv"]
        == 1
    )
    with pg_engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM checks")).scalar() == 11


@pg_only
def test_geography_upserts_count_rows_changed(pg_engine: Engine, tmp_path: Path) -> None:
    """Areas, clinics and facilities go in one executemany each: 6, 2 and 1 rows the first
    time, none again, one when a clinic's name changes."""
    with pg_engine.begin() as conn:
        _truncate_all(conn)
    first = import_folder(pg_engine, write(tmp_path / "a", FOLDER), today=TODAY)
    counts = {n: first.changed[n] for n in ("areas.csv", "clinics.csv", "facilities.csv")}
    assert counts == {"areas.csv": 6, "clinics.csv": 2, "facilities.csv": 1}
    again = import_folder(pg_engine, tmp_path / "a", today=TODAY)
    assert again.changed == dict.fromkeys(FOLDER, 0)
    renamed = dict(FOLDER)
    renamed["clinics.csv"] = renamed["clinics.csv"].replace("CL1,Clinic one", "CL1,Clinic 1")
    third = import_folder(pg_engine, write(tmp_path / "b", renamed), today=TODAY)
    assert third.changed["clinics.csv"] == 1


@pg_only
def test_partitions_command_on_postgresql(
    pg_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``childhealth partitions --ahead 3`` names what it created; run again, nothing."""
    from api.cli import app
    from health import db

    monkeypatch.setenv(db.ENV_VAR, pg_engine.info_url)  # type: ignore[attr-defined]
    monkeypatch.setenv("CHILDHEALTH_TIMEZONE", "Asia/Shanghai")
    year = dt.datetime.now(dt.UTC).year
    db.get_engine.cache_clear()
    try:
        first = CliRunner().invoke(app, ["partitions", "--ahead", "3"])
        again = CliRunner().invoke(app, ["partitions", "--ahead", "3"])
    finally:
        db.get_engine().dispose()
        db.get_engine.cache_clear()
    assert first.exit_code == 0, first.output
    assert f"checks: created {year + 2}, {year + 3};" in first.output or (
        "checks: created none" in first.output  # an earlier test made them already
    )
    assert f"–{year + 3} and a default one" in first.output
    assert again.exit_code == 0
    assert "checks: created none (all there)" in again.output
    assert "audit_log: created none (all there)" in again.output
