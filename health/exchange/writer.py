"""What an import needs from the database: one interface, one writer per dialect.

A :class:`Writer` holds every SQL statement of the import: the reads the validation needs
(codes to ids, children by code) and the writes. The statements both databases share live
here; ``sqlite_writer.py`` and ``postgres_writer.py`` supply the one transaction, the bulk
append (``executemany`` / COPY), the check merge and the children query.

- Every merge is an upsert that skips identical rows: loading the same folder twice changes
  nothing, and the figures count only rows added or changed.
- Children go through a staging table (duplicate ids are found there, enrolments merged from
  it). Big files (``big``) load checks without the secondary indexes of ``checks``, built once
  at the end; every reference has been checked by the validation, so no guarantee is lost.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, text

from health.areas import rebuild_area_ancestors
from health.exchange.validate import CHECK_FIELDS, CHILD_FIELDS, Row, Rows
from health.models import Check
from health.models.enums import AREA_LEVELS

CHECK_KEY = ("child_id", "check_date", "kind")
CHECK_UPDATES = tuple(c for c in CHECK_FIELDS if c not in CHECK_KEY)
CHILD_UPDATES = ("sex", "birth_date", "area_id", "resident", "gestational_weeks")
TABLES = ("areas", "clinics", "facilities", "children", "enrolments", "checks")
"""The tables an import writes (PostgreSQL analyses them at the end of the load: without
statistics for ``enrolments`` the planner takes it for empty and the enrolment merge scans
the staged children once per enrolment)."""


def aligned(
    codes: pa.Array, known: pa.Array, ids: pa.Array, births: pa.Array
) -> tuple[pa.Array, pa.Array]:
    """``ids`` and ``births`` of the children ``known`` (codes, distinct), taken for each of
    ``codes`` (distinct): null where a code is not known. The hash table is built on ``codes``
    (a batch's) and ``known`` probed against it, so a growing ``known`` costs a probe per child,
    not a table rebuilt per batch."""
    where = np.full(len(codes), -1, dtype=np.int64)
    position = pc.index_in(known, value_set=codes)  # each known child's place in codes
    if position.null_count < len(position):
        hit = np.asarray(pc.is_valid(position))
        where[np.asarray(pc.drop_null(position), dtype=np.int64)] = np.flatnonzero(hit)
    take = pa.array(where, mask=where < 0)
    return pc.take(ids, take), pc.take(births, take)


def on_conflict(table: str, key: Sequence[str], columns: Sequence[str]) -> str:
    """``ON CONFLICT (key)`` clause updating ``columns`` only where a value differs, so that an
    identical row is neither written nor counted."""
    return (
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET "
        + ", ".join(f"{c} = excluded.{c}" for c in columns)
        + " WHERE "
        + " OR ".join(f"{table}.{c} IS DISTINCT FROM excluded.{c}" for c in columns)
    )


class Writer(ABC):
    """The database side of one import, on one connection. Use inside :meth:`transaction`."""

    STAGE_TYPES: ClassVar[Mapping[str, str]]  # field type (see validate.CHILD_FIELDS) → SQL

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.bulk = False  # a big file was loaded: the kept tallies are dropped at the end

    # ---- what each database does its own way --------------------------------------------------

    def _bulk_begins(self) -> None:
        """A big file is loaded: the kept coverage sums (:mod:`health.tally`) will be dropped
        at the end of the load (the next view computes them in full, once, instead of area by
        area)."""
        self.bulk = True

    def _drop_tallies(self) -> None:
        """At the end of the load's transaction, after a big file: drop the kept sums."""
        if self.bulk:
            from health.tally import drop_all

            drop_all(self.conn)

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """The one transaction of the load (all or nothing); the writer is used inside it."""

    @abstractmethod
    def _append(self, table: str, columns: Mapping[str, pa.Array]) -> None:
        """Insert the rows of ``columns`` (equal-length arrays by column name) into ``table``."""

    @abstractmethod
    def children(self, codes: pa.Array) -> tuple[pa.Array, pa.Array]:
        """Ids (int64) and ISO birth dates (text) of the children whose codes are ``codes``
        (distinct text; nulls allowed), aligned with ``codes`` and null where no child has the
        code (a :data:`~health.exchange.validate.ChildLookup`)."""

    @abstractmethod
    def add_checks(self, rows: Rows) -> int:
        """Upsert a batch of checks (``CHECK_FIELDS``, one row per key); rows changed."""

    @contextmanager
    def _foreign_keys_suspended(self, table: str, big: bool) -> Iterator[None]:
        """Where it pays, load ``table`` without its foreign keys (default: keep them)."""
        yield

    # ---- reads for the validation ----------------------------------------------------------------

    def codes(self, table: str) -> dict[str, int]:
        """``code → id`` of every row of ``table`` (areas, clinics, facilities)."""
        return {
            code: int(i) for code, i in self.conn.execute(text(f"SELECT code, id FROM {table}"))
        }

    def areas(self) -> dict[str, tuple[int, str]]:
        """``code → (id, level)`` of every area."""
        rows = self.conn.execute(text("SELECT code, id, level FROM areas"))
        return {code: (int(i), level) for code, i, level in rows}

    # ---- areas, clinics, facilities ------------------------------------------------------------

    def upsert(self, table: str, columns: Sequence[str], rows: list[Row]) -> int:
        """Insert or update ``rows`` by their unique ``code`` (the first of ``columns``);
        rows changed."""
        if not rows:
            return 0
        marks = ", ".join(f":{c}" for c in columns)
        sql = text(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) "
            + on_conflict(table, columns[:1], columns[1:])
        )
        return sum(self.conn.execute(sql, {c: row[c] for c in columns}).rowcount for row in rows)

    def upsert_areas(self, rows: list[Row]) -> int:
        """Upsert validated areas level by level (a parent's id exists before its children
        need it), then rebuild ``area_ancestors``; rows changed."""
        changed = 0
        for level in AREA_LEVELS:
            ids = self.codes("areas")
            batch = [
                {**row, "parent_id": ids.get(row["parent_code"]) if row["parent_code"] else None}
                for row in rows
                if row["level"] == level
            ]
            changed += self.upsert("areas", ("code", "name", "level", "parent_id"), batch)
        rebuild_area_ancestors(self.conn)
        return changed

    # ---- children --------------------------------------------------------------------------------

    def _stage(self, name: str, fields: Mapping[str, str], *, with_lines: bool = True) -> None:
        """(Re)create the temporary table ``name`` for ``fields`` (and the file ``line``)."""
        self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
        spec = ", ".join(f"{c} {self.STAGE_TYPES[kind]}" for c, kind in fields.items())
        line = "line BIGINT, " if with_lines else ""
        self.conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {name} ({line}{spec})")

    def _merge(self, table: str, stage: str, key: Sequence[str], columns: Sequence[str]) -> int:
        """Upsert the rows of table ``stage`` into ``table`` by ``key``; rows changed."""
        names = ", ".join([*key, *columns])
        return self.conn.exec_driver_sql(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage} WHERE true "
            + on_conflict(table, key, columns)
        ).rowcount

    def stage_children(self) -> None:
        """Start a children file: an empty staging table."""
        self._stage("stage_children", CHILD_FIELDS)

    def add_children(self, rows: Rows) -> None:
        """Stage a validated batch of children (``CHILD_FIELDS``) with its file lines."""
        self._append("stage_children", {"line": pa.array(rows.lines), **rows.columns})

    def repeated_child(self) -> tuple[str, int, int] | None:
        """A child_id staged twice, ``(code, first line, line)``: of all repeats, the one whose
        last line comes first; None when every id is unique."""
        row = self.conn.execute(
            text(
                "SELECT s.code, MIN(s.line), MAX(s.line) FROM stage_children s "
                "GROUP BY s.code HAVING COUNT(*) > 1 ORDER BY MAX(s.line) LIMIT 1"
            )
        ).first()
        return None if row is None else (str(row[0]), int(row[1]), int(row[2]))

    def merge_children(self, *, big: bool) -> int:
        """Upsert the staged children by code and merge their enrolments; rows changed."""
        if big:
            self._bulk_begins()
        with self._foreign_keys_suspended("children", big):
            changed = self._merge("children", "stage_children", ("code",), CHILD_UPDATES)
        with self._foreign_keys_suspended("enrolments", big):  # child and facility: checked
            changed += self._merge_enrolments()
        self.conn.exec_driver_sql("DROP TABLE stage_children")
        return changed

    def _merge_enrolments(self) -> int:
        """Enrolments from the file carry no dates: keep the open, undated enrolment that matches
        the file, drop other undated open ones, add the missing ones; rows changed."""
        dropped = self.conn.execute(
            text(
                "DELETE FROM enrolments WHERE start_date IS NULL AND end_date IS NULL AND EXISTS ("
                " SELECT 1 FROM stage_children s JOIN children c ON c.code = s.code"
                " WHERE c.id = enrolments.child_id"
                " AND (s.facility_id IS NULL OR s.facility_id <> enrolments.facility_id))"
            )
        ).rowcount
        added = self.conn.execute(
            text(
                "INSERT INTO enrolments (child_id, facility_id) "
                "SELECT c.id, s.facility_id FROM stage_children s"
                " JOIN children c ON c.code = s.code "
                "WHERE s.facility_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM enrolments e "
                " WHERE e.child_id = c.id AND e.facility_id = s.facility_id AND e.end_date IS NULL)"
                " ORDER BY s.line"  # ids in file order, whatever the plan
            )
        ).rowcount
        return dropped + added

    # ---- checks ----------------------------------------------------------------------------------

    @contextmanager
    def loading_checks(self, *, big: bool) -> Iterator[None]:
        """Around the batches of a checks file (:meth:`add_checks`). Big files: the secondary
        (non-unique) indexes of ``checks`` are dropped and built again at the end, in the same
        transaction; one sorted build is much cheaper than millions of random insertions."""
        if big:
            self._bulk_begins()
        with self._foreign_keys_suspended("checks", big), self._indexes_suspended(big):
            yield

    @contextmanager
    def _indexes_suspended(self, big: bool) -> Iterator[None]:
        if not big:
            yield
            return
        with self._indexes_of(Check):
            yield

    @contextmanager
    def _indexes_of(self, model: type) -> Iterator[None]:
        """Drop the secondary (non-unique) indexes of ``model``'s table and build them again
        when the block ends."""
        indexes = [ix for ix in model.__table__.indexes if not ix.unique]  # type: ignore[attr-defined]
        for index in indexes:
            index.drop(self.conn, checkfirst=True)
        yield
        for index in indexes:
            index.create(self.conn, checkfirst=True)
