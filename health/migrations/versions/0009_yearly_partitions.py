"""checks and audit_log partitioned by year on PostgreSQL (a no-op on SQLite)

PostgreSQL: ``checks`` becomes a table partitioned by RANGE on ``check_date`` and ``audit_log``
one partitioned on ``at`` (UTC years), each with a partition per year of its rows, for this year
and the next, and a default partition; the rows are copied, every constraint, index and trigger
is kept, the primary keys become ``(id, check_date)`` and ``(id, at)`` (a partitioned table's
keys must include the partition key). ``measurements`` stays one table (foreign keys reference
its ``id``). ``childhealth partitions --ahead N`` creates later years. See ``health/partitions.py``
and ``docs/sizing.md``.

SQLite has no partitioning: nothing changes there, in either direction.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

from health.clock import Clock, zone_from_env
from health.partitions import TABLES, partition, unpartition

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    today = Clock(zone=zone_from_env()).today()
    for spec in TABLES:
        partition(conn, spec, today)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    for spec in TABLES:
        unpartition(conn, spec)
