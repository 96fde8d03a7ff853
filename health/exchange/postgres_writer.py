"""The import's writer for PostgreSQL: COPY, and no per-row foreign-key checks for big files.

- Bulk rows go in with ``COPY … FROM STDIN (FORMAT csv)``.
- Checks of children created by this load, in a batch whose children have no check yet, are
  copied straight into ``checks``; any other batch goes to a staging table and an upsert.
- Big files (``big``) drop the foreign keys of the table they fill and add them back, validated
  in one set-based pass, before the transaction ends (per-row trigger checks would triple the
  load time). Small files keep them: re-validating a big table would cost more than it saves.
- After the load, ``ANALYZE`` gives the planner fresh statistics.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.csv as pcsv
from sqlalchemy import Connection, text

from health.exchange.validate import CHECK_FIELDS, Rows
from health.exchange.writer import CHECK_KEY, CHECK_UPDATES, TABLES, Writer


class _NewChildren:
    """Which children created by this load already received checks in an earlier batch (one
    byte per new child: 1 MB per million), so that a batch of only untouched new children can
    be copied without an upsert."""

    def __init__(self, first: int, last: int) -> None:
        self.first = first
        self.seen = np.zeros(max(last - first + 1, 0), dtype=bool)

    def only_new(self, child_ids: pa.Array) -> bool:
        """Whether every id is a new child not seen in an earlier batch; marks them seen."""
        rel = np.asarray(child_ids, dtype=np.int64) - self.first
        inside = (rel >= 0) & (rel < self.seen.size)
        result = bool(rel.size) and bool(inside.all()) and not self.seen[rel].any()
        self.seen[rel[inside]] = True
        return result


class PostgresWriter(Writer):
    """:class:`Writer` for PostgreSQL."""

    STAGE_TYPES: ClassVar[Mapping[str, str]] = {
        "text": "TEXT",
        "date": "DATE",
        "int": "INTEGER",
        "bigint": "BIGINT",
        "bool": "BOOLEAN",
        "real": "DOUBLE PRECISION",
    }
    # one array parameter: no long IN list to parse and plan
    CHILDREN_BY_CODE = text("SELECT code, id, birth_date FROM children WHERE code = ANY(:codes)")

    def __init__(self, conn: Connection) -> None:
        super().__init__(conn)
        self.first_new_child = 1  # children with an id from here on are created by this load
        self._fresh = _NewChildren(1, 0)  # set for each checks file

    def _max_child_id(self) -> int:
        return int(
            self.conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM children")).scalar_one()
        )

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.conn.begin():
            self.first_new_child = 1 + self._max_child_id()  # ids only grow
            yield
            for table in TABLES:  # fresh statistics for the planner after a bulk change
                self.conn.exec_driver_sql(f"ANALYZE {table}")

    def _append(self, table: str, columns: Mapping[str, pa.Array]) -> None:
        buffer = io.BytesIO()
        pcsv.write_csv(
            pa.table(dict(columns)),
            buffer,
            write_options=pcsv.WriteOptions(include_header=False, quoting_style="needed"),
        )
        raw = self.conn.connection.dbapi_connection
        copy = f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT csv)"
        with raw.cursor() as cur, cur.copy(copy) as cp:  # type: ignore[union-attr]
            cp.write(buffer.getvalue())

    @contextmanager
    def _foreign_keys_suspended(self, table: str, big: bool) -> Iterator[None]:
        if not big:
            yield
            return
        rows = self.conn.execute(
            text(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE contype = 'f' AND conrelid = CAST(:t AS regclass)"
            ),
            {"t": table},
        ).all()
        for name, _ in rows:
            self.conn.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        yield
        for name, definition in rows:
            self.conn.exec_driver_sql(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')

    @contextmanager
    def loading_checks(self, *, big: bool) -> Iterator[None]:
        self._stage("stage_checks", CHECK_FIELDS, with_lines=False)
        self._fresh = _NewChildren(self.first_new_child, self._max_child_id())
        with super().loading_checks(big=big):
            yield
        self.conn.exec_driver_sql("DROP TABLE stage_checks")

    def add_checks(self, rows: Rows) -> int:
        if self._fresh.only_new(rows.columns["child_id"]):
            # children created by this load and not in an earlier batch: they have no check to
            # merge with, so the rows are copied straight in
            self._append("checks", rows.columns)
            return len(rows)
        self._append("stage_checks", rows.columns)
        changed = self._merge("checks", "stage_checks", CHECK_KEY, CHECK_UPDATES)
        self.conn.exec_driver_sql("TRUNCATE stage_checks")
        return changed
