"""The import's writer for SQLite: ``executemany`` inserts, foreign-key checks off for the load.

Every reference has been checked by the validation (with file, line and column), so SQLite's
per-row foreign-key checks are switched off for the load and back on afterwards (they can
only be switched outside a transaction). Checks are upserted straight from the batch.

The staged children get an index on ``code`` before the merge: the enrolment merge looks a
child's staged row up by code for every enrolment of the database, and without the index each
look-up scans the whole staging table (a re-import of 100,000 children, 30,000 enrolments:
minutes instead of a fraction of a second).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc

from health.exchange.validate import CHECK_FIELDS, Rows
from health.exchange.writer import CHECK_KEY, CHECK_UPDATES, Writer, aligned, on_conflict

JSON_CHUNK = 50_000  # codes per children query
CHILDREN_BY_JSON = (
    "SELECT code, id, substr(birth_date, 1, 10) FROM children "
    "WHERE code IN (SELECT value FROM json_each(?))"
)
_CHECK_NAMES = ", ".join(CHECK_FIELDS)
UPSERT_CHECK = (
    f"INSERT INTO checks ({_CHECK_NAMES}) VALUES ({', '.join('?' for _ in CHECK_FIELDS)}) "
    + on_conflict("checks", CHECK_KEY, CHECK_UPDATES)
)


def _cells(array: pa.Array) -> list[Any]:
    """Python values of a column; booleans as 1/0 (SQLite has no boolean type)."""
    if pa.types.is_boolean(array.type):
        array = pc.cast(array, pa.int64())
    return array.to_pylist()


class SQLiteWriter(Writer):
    """:class:`Writer` for SQLite."""

    STAGE_TYPES: ClassVar[Mapping[str, str]] = {
        "text": "TEXT",
        "date": "TEXT",
        "int": "INTEGER",
        "bigint": "INTEGER",
        "bool": "INTEGER",
        "real": "REAL",
    }

    @contextmanager
    def transaction(self) -> Iterator[None]:
        raw = self.conn.connection.dbapi_connection
        raw.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
        try:
            with self.conn.begin():
                yield
                self._drop_tallies()  # one writer at a time: no view keeps sums meanwhile
        finally:
            raw.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]

    def children(self, codes: pa.Array) -> tuple[pa.Array, pa.Array]:
        """As :meth:`Writer.children`, the codes going in as one JSON parameter per 50,000."""
        names = pc.drop_null(codes).to_pylist()
        cur = self.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        found: list[tuple[str, int, str]] = []
        for i in range(0, len(names), JSON_CHUNK):
            cur.execute(CHILDREN_BY_JSON, (json.dumps(names[i : i + JSON_CHUNK]),))
            found.extend(cur.fetchall())
        cur.close()
        code, pk, birth = zip(*found, strict=True) if found else ((), (), ())
        known = pa.array(code, pa.string()), pa.array(pk, pa.int64()), pa.array(birth, pa.string())
        return aligned(codes, *known)

    def merge_children(self, *, big: bool) -> int:
        """As :meth:`Writer.merge_children`, the staged children indexed by code first (the
        enrolment merge's look-ups by code; the index goes with the staging table)."""
        self.conn.exec_driver_sql("CREATE INDEX stage_children_code ON stage_children (code)")
        return super().merge_children(big=big)

    def _executemany(self, sql: str, arrays: Iterable[pa.Array]) -> int:
        """Run ``sql`` for every row of ``arrays`` (its parameters, in order); rows changed."""
        cur = self.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        cur.executemany(sql, zip(*(_cells(a) for a in arrays), strict=True))
        count = cur.rowcount
        cur.close()
        return max(count, 0)

    def _append(self, table: str, columns: Mapping[str, pa.Array]) -> None:
        marks = ", ".join("?" for _ in columns)
        self._executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", columns.values()
        )

    def add_checks(self, rows: Rows) -> int:
        return self._executemany(UPSERT_CHECK, (rows.columns[c] for c in CHECK_FIELDS))
