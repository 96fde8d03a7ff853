"""The import's writer for SQLite: ``executemany`` inserts, foreign-key checks off for the load.

Every reference has been checked by the validation (with file, line and column), so SQLite's
per-row foreign-key checks are switched off for the load and back on afterwards (they can
only be switched outside a transaction). Checks are upserted straight from the batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import bindparam, text

from health.exchange.validate import CHECK_FIELDS, Rows
from health.exchange.writer import CHECK_KEY, CHECK_UPDATES, Writer, on_conflict

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
    CHILDREN_BY_CODE = text(
        "SELECT code, id, birth_date FROM children WHERE code IN :codes"
    ).bindparams(bindparam("codes", expanding=True))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        raw = self.conn.connection.dbapi_connection
        raw.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
        try:
            with self.conn.begin():
                yield
        finally:
            raw.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]

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
