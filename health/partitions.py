"""Yearly partitions of the big tables on PostgreSQL (native declarative RANGE partitioning).

``checks`` is partitioned by ``check_date`` (local dates: a year is 1 January–31 December) and
``audit_log`` by ``at`` (UTC instants: a year starts at 00:00 UTC on 1 January). Each table has one
partition per year, ``<table>_y<YEAR>``, and a default partition, ``<table>_default``, that catches
a row of a year not created yet (the command ``childhealth partitions --ahead N`` creates the
years ahead; a year created later takes its rows out of the default partition).

A partitioned table's primary key and unique constraints must include the partition key, so the
primary key of ``checks`` is ``(id, check_date)`` and that of ``audit_log`` is ``(id, at)``; ``id``
still comes from the one sequence and stays unique. ``uq_checks_child_date_kind`` already holds
``check_date``. No foreign key references either table, which is why they can be partitioned.

``measurements`` stays one table: ``remeasure_requests.measurement_id`` and
``measurements.corrects_id`` reference ``measurements.id`` alone, and a foreign key can only
reference a unique key of a partitioned table that includes the partition key (see
``docs/sizing.md``). SQLite has no partitioning: everything here is PostgreSQL only.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import Connection, text


@dataclass(frozen=True)
class Partitioned:
    """A table partitioned by year on ``column`` (``date`` or ``timestamptz``)."""

    table: str
    column: str
    kind: str  # "date" or "timestamptz"

    def bound(self, year: int) -> str:
        """The SQL literal of 1 January of ``year`` (00:00 UTC for an instant)."""
        return f"'{year:04d}-01-01'" if self.kind == "date" else f"'{year:04d}-01-01 00:00:00+00'"

    def year_of(self) -> str:
        """SQL: the year of ``column`` (UTC for an instant)."""
        if self.kind == "date":
            return f"EXTRACT(YEAR FROM {self.column})"
        return f"EXTRACT(YEAR FROM {self.column} AT TIME ZONE 'UTC')"


TABLES: tuple[Partitioned, ...] = (
    Partitioned("checks", "check_date", "date"),
    Partitioned("audit_log", "at", "timestamptz"),
)
BY_NAME = {t.table: t for t in TABLES}
MIN_YEAR, MAX_YEAR = 1900, 2999  # years a partition may be created for
_NAMES = "|".join(t.table for t in TABLES)
_PARTITION = re.compile(rf"^({_NAMES})_(y\d{{4}}|default)$")


class PartitionError(Exception):
    """A partition request that cannot be met (a year out of range, a table not partitioned)."""


def partition_name(table: str, year: int | None) -> str:
    """``checks_y2025``; ``checks_default`` for ``year=None``."""
    return f"{table}_default" if year is None else f"{table}_y{year:04d}"


def is_partition(name: str) -> bool:
    """Whether ``name`` is one of the yearly or default partitions made here."""
    return _PARTITION.match(name) is not None


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's ``include_name`` hook: the partitions are not model tables, leave them out."""
    return not (type_ == "table" and name is not None and is_partition(name))


def is_partitioned(conn: Connection, table: str) -> bool:
    """Whether ``table`` (on the search path) is a partitioned table."""
    found = conn.execute(
        text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:t)"), {"t": table}
    ).scalar()
    return found == "p"


def years_present(conn: Connection, spec: Partitioned, source: str | None = None) -> list[int]:
    """The years of the rows of ``source`` (default: the table itself), ascending."""
    rows = conn.execute(
        text(f"SELECT DISTINCT {spec.year_of()} FROM {source or spec.table} ORDER BY 1")
    )
    return [int(y) for (y,) in rows if y is not None]


def years(conn: Connection, table: str) -> list[int]:
    """The years that have a partition of ``table``, ascending."""
    rows = conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(:t)"
        ),
        {"t": table},
    )
    return sorted(int(n[-4:]) for (n,) in rows if n.startswith(f"{table}_y"))


def ensure_years(conn: Connection, spec: Partitioned, wanted: Iterable[int]) -> list[int]:
    """Create the missing yearly partitions of ``spec.table`` for ``wanted`` years and the
    default partition; rows of such a year already in the default partition move to the new
    partition. Idempotent. Returns the years created."""
    todo = sorted(set(wanted) - set(years(conn, spec.table)))
    for year in todo:
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise PartitionError(f"year {year} is outside {MIN_YEAR}–{MAX_YEAR}")
    default = partition_name(spec.table, None)
    has_default = conn.execute(text("SELECT to_regclass(:t)"), {"t": default}).scalar()
    for year in todo:
        name = partition_name(spec.table, year)
        bounds = f"FROM ({spec.bound(year)}) TO ({spec.bound(year + 1)})"
        inside = f"{spec.column} >= {spec.bound(year)} AND {spec.column} < {spec.bound(year + 1)}"
        waiting = (
            has_default
            and conn.execute(
                text(f"SELECT EXISTS (SELECT 1 FROM {default} WHERE {inside})")
            ).scalar()
        )
        if not waiting:
            conn.exec_driver_sql(
                f"CREATE TABLE {name} PARTITION OF {spec.table} FOR VALUES {bounds}"
            )
            continue
        # the year's rows wait in the default partition: take it out, move them, put it back
        conn.exec_driver_sql(f"ALTER TABLE {spec.table} DETACH PARTITION {default}")
        conn.exec_driver_sql(f"CREATE TABLE {name} PARTITION OF {spec.table} FOR VALUES {bounds}")
        conn.exec_driver_sql(f"INSERT INTO {spec.table} SELECT * FROM {default} WHERE {inside}")
        conn.exec_driver_sql(f"ALTER TABLE {default} DISABLE TRIGGER USER")  # append-only audit
        conn.exec_driver_sql(f"DELETE FROM {default} WHERE {inside}")
        conn.exec_driver_sql(f"ALTER TABLE {default} ENABLE TRIGGER USER")
        conn.exec_driver_sql(f"ALTER TABLE {spec.table} ATTACH PARTITION {default} DEFAULT")
    if not has_default:
        conn.exec_driver_sql(f"CREATE TABLE {default} PARTITION OF {spec.table} DEFAULT")
    return todo


def create_ahead(conn: Connection, today: dt.date, ahead: int) -> dict[str, list[int]]:
    """For each partitioned table: the partitions of this year and the ``ahead`` years after it,
    of the years whose rows wait in the default partition (their rows move), and the default
    one; the years created, per table. Refuses when the tables are not
    partitioned (SQLite, or a PostgreSQL database before migration 0009)."""
    if ahead < 0:
        raise PartitionError("--ahead must be 0 or more years")
    if conn.dialect.name != "postgresql":
        raise PartitionError("partitions are a PostgreSQL feature; SQLite keeps one table each")
    made = {}
    for spec in TABLES:
        if not is_partitioned(conn, spec.table):
            raise PartitionError(f"{spec.table} is not partitioned: run the migrations first")
        waiting = []  # years whose rows sit in the default partition
        if conn.execute(
            text("SELECT to_regclass(:t)"), {"t": partition_name(spec.table, None)}
        ).scalar():
            waiting = years_present(conn, spec, partition_name(spec.table, None))
        wanted = {*range(today.year, today.year + ahead + 1), *waiting}
        made[spec.table] = ensure_years(conn, spec, wanted)
    return made


# ---- migration 0009: turn a table into a partitioned one and back ------------------------------


def _definitions(conn: Connection, table: str) -> dict[str, list[tuple[str, str]]]:
    """The primary key, unique and foreign-key constraints, plain indexes and user triggers of
    ``table``: ``kind → [(name, SQL definition)]``."""
    oid = {"t": table}
    constraints = conn.execute(
        text(
            "SELECT contype, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = to_regclass(:t) AND contype IN ('p', 'u', 'f') "
            "AND conparentid = 0 ORDER BY contype DESC, conname"
        ),
        oid,
    ).all()
    indexes = conn.execute(
        text(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = to_regclass(:t) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) "
            "ORDER BY 1"
        ),
        oid,
    ).all()
    triggers = conn.execute(
        text(
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
            "WHERE tgrelid = to_regclass(:t) AND NOT tgisinternal AND tgparentid = 0 ORDER BY 1"
        ),
        oid,
    ).all()
    return {
        "constraints": [(f"{k}:{n}", d) for k, n, d in constraints],
        "indexes": [(n, d) for n, d in indexes],
        "triggers": [(n, d) for n, d in triggers],
    }


def _convert(
    conn: Connection,
    table: str,
    partition_by: str | None,
    primary_key: str,
    before_copy: Callable[[], None] = lambda: None,
) -> None:
    """Recreate ``table`` (partitioned by ``partition_by``, or one plain table for None) with
    the same columns, defaults, checks, keys, indexes, triggers and id sequence, ``primary_key``
    as its primary key, and its rows; ``before_copy`` runs once the new table exists (to create
    its partitions)."""
    found = _definitions(conn, table)
    old = f"{table}_old"
    conn.exec_driver_sql(f"ALTER TABLE {table} RENAME TO {old}")
    for name, _ in found["triggers"]:
        conn.exec_driver_sql(f'DROP TRIGGER "{name}" ON {old}')
    for name, _ in found["indexes"]:
        conn.exec_driver_sql(f'DROP INDEX "{name}"')
    for key, _ in sorted(found["constraints"], key=lambda c: c[0][0] != "f"):  # foreign keys first
        conn.exec_driver_sql(f'ALTER TABLE {old} DROP CONSTRAINT "{key[2:]}"')
    tail = f" PARTITION BY {partition_by}" if partition_by else ""
    conn.exec_driver_sql(
        f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS){tail}"
    )
    sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": old}).scalar()
    if sequence:  # the new table owns it, so that dropping the old one keeps it
        conn.exec_driver_sql(f"ALTER SEQUENCE {sequence} OWNED BY {table}.id")
    before_copy()
    conn.exec_driver_sql(f"INSERT INTO {table} SELECT * FROM {old}")
    conn.exec_driver_sql(f"DROP TABLE {old} CASCADE")  # with its partitions, if any
    for key, definition in found["constraints"]:
        kind, name = key.split(":", 1)
        if kind == "p":
            definition = f"PRIMARY KEY ({primary_key})"
        conn.exec_driver_sql(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    for _, definition in found["indexes"]:
        conn.exec_driver_sql(definition)
    for _, definition in found["triggers"]:
        conn.exec_driver_sql(definition)


def partition(conn: Connection, spec: Partitioned, today: dt.date) -> None:
    """Turn ``spec.table`` into a table partitioned by year on ``spec.column``: a partition for
    each year of its rows and for this year and the next, a default one; rows copied. No-op
    when it is partitioned already."""
    if is_partitioned(conn, spec.table):
        return
    wanted = {*years_present(conn, spec), today.year, today.year + 1}

    def partitions() -> None:
        ensure_years(conn, spec, wanted)

    _convert(conn, spec.table, f"RANGE ({spec.column})", f"id, {spec.column}", partitions)


def unpartition(conn: Connection, spec: Partitioned) -> None:
    """The way back: ``spec.table`` as one plain table with primary key ``id``, rows copied."""
    if is_partitioned(conn, spec.table):
        _convert(conn, spec.table, None, "id")
