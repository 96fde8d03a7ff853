"""64-bit ids for the tables that grow per check, measurement, answer or read (PostgreSQL)

At national scale (about 500 million checks a year, home entries on top, an audit row per read)
a 32-bit INTEGER id (largest 2 147 483 647) runs out within a few years. PostgreSQL: the ids of
``checks``, ``measurements``, ``audit_log``, ``flags``, ``cases``, ``case_events``,
``remeasure_requests``, ``notifications``, ``contact_attempts``, ``milestone_administrations``,
``feeding_recalls`` and ``idempotency_records`` (its sequence counts every keyed write, even
though old rows expire), every column referencing one of them (``measurements.corrects_id``,
``remeasure_requests.measurement_id``, ``flags.case_id``, ``case_events.case_id``,
``milestone_answers.administration_id``) and ``flags.source_id`` (the id of the measurement,
check or answer a flag came from) become BIGINT, and the id sequences ``AS bigint`` (their
maximum goes with the type). The ids of children, users, areas, clinics and facilities stay
INTEGER: they grow with births and staff, not with activity.

- One ``ALTER TABLE`` per table, so each table is rewritten once (its indexes, primary key and
  unique keys are rebuilt on the new type; foreign keys are checked again). On the yearly
  partitioned ``checks`` and ``audit_log`` (migration 0009) the change on the parent applies to
  every partition; partitions made later (``childhealth partitions``) take the parent's types.
- The rewrite holds an exclusive lock on each table for its duration: on a database that
  already holds many millions of rows, run it in a maintenance window.
- No view or function reads these columns (``audit_log_append_only`` reads no column); the
  append-only trigger of ``audit_log`` fires on row changes, not on a rewrite.

Downgrade: back to INTEGER, refused with the column named when a stored id or a sequence is
already beyond 2 147 483 647 (nothing changes then).

SQLite: INTEGER is already 64-bit and ``INTEGER PRIMARY KEY`` is the rowid; nothing changes
(the models say ``BigInteger().with_variant(Integer(), "sqlite")``, ``health/models/ids.py``).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import Connection, text

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

INT_MAX = 2**31 - 1

#: table → its columns that hold a 64-bit id (``id`` first where the table's own id is one)
COLUMNS: dict[str, tuple[str, ...]] = {
    "measurements": ("id", "corrects_id"),
    "checks": ("id",),
    "milestone_administrations": ("id",),
    "milestone_answers": ("administration_id",),
    "feeding_recalls": ("id",),
    "cases": ("id",),
    "flags": ("id", "case_id", "source_id"),
    "case_events": ("id", "case_id"),
    "remeasure_requests": ("id", "measurement_id"),
    "audit_log": ("id",),
    "notifications": ("id",),
    "contact_attempts": ("id",),
    "idempotency_records": ("id",),
}


def _sequence(conn: Connection, table: str) -> str | None:
    """The sequence that numbers ``table.id`` (quoted as needed), or None (no own id)."""
    if "id" not in COLUMNS[table]:
        return None
    return conn.execute(text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": table}).scalar()


def _retype(conn: Connection, sql_type: str) -> None:
    for table, columns in COLUMNS.items():
        changes = ", ".join(f"ALTER COLUMN {c} TYPE {sql_type}" for c in columns)
        conn.exec_driver_sql(f"ALTER TABLE {table} {changes}")
        sequence = _sequence(conn, table)
        if sequence:
            conn.exec_driver_sql(f"ALTER SEQUENCE {sequence} AS {sql_type}")


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    _retype(conn, "bigint")


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    for table, columns in COLUMNS.items():
        for column in columns:
            top = conn.execute(text(f"SELECT MAX({column}) FROM {table}")).scalar()
            if top is not None and top > INT_MAX:
                raise RuntimeError(
                    f"cannot go back to 32-bit ids: {table}.{column} holds {top} > {INT_MAX}"
                )
        sequence = _sequence(conn, table)
        if sequence:
            last = conn.execute(text(f"SELECT last_value FROM {sequence}")).scalar()
            if last is not None and last > INT_MAX:
                raise RuntimeError(
                    f"cannot go back to 32-bit ids: the sequence of {table}.id is at {last}"
                )
    _retype(conn, "integer")
