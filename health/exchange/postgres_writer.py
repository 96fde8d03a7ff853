"""The import's writer for PostgreSQL: COPY, and no per-row foreign-key checks for big files.

- Bulk rows go in with ``COPY … FROM STDIN (FORMAT binary)``, built from the arrays
  (``_binary``): the server parses no number or date (a third less of its time in the checks
  COPY than CSV); CSV for a table with a column type the encoder does not know.
- Checks of children created by this load go straight into ``checks`` through one COPY that
  stays open across batches (psycopg's queued writer sends a batch from a thread while the next
  one is read and validated, so the server and Python work at the same time); the checks of
  children already in the database go to a staging table and an upsert. A check key comes once
  per file (``validate.CheckRepeats``) and a new child has no check yet, so a new child's check
  can never conflict. Into the partitioned ``checks`` (migration 0009) the COPY routes each row
  to its year's partition.
- A big checks load holds ``checks`` exclusively (its indexes are dropped), so its COPY sends
  the ids itself: the values ``nextval`` would give, in the same order, the sequence set to the
  last of them at the end of the COPY (a ``nextval`` per row: about 1 s of server CPU a
  1.7 million rows).
- The children of the checks file are looked up once (the repeat scan reads the file first) and
  kept for the checks pass: that pass needs the connection for nothing but the COPY.
- A big checks file into an empty ``checks`` (a deployment's first load) has nothing to merge
  with: every row is copied, and the primary and unique keys are dropped and built once at the
  end (with the secondary indexes, ``writer.py``); every key is unique in the file already.
- Big files (``big``) drop the foreign keys of the table they fill and add them back, validated
  in one set-based pass, before the transaction ends (per-row trigger checks would triple the
  load time). Small files keep them: re-validating a big table would cost more than it saves.
  A big children file into an empty ``children`` is a plain insert (no upsert), its code key
  and secondary index built once after it.
- Areas, clinics and facilities are copied into a staging table and merged in one statement
  each (a statement per row fired the table's statement trigger once a row).
- A big load drops the tally triggers (transition tables) for its load and creates them again
  at the end: even disabled, such a trigger has every row of a statement collected, and makes
  COPY into the partitioned ``checks`` insert row by row.
- After the load, ``ANALYZE`` gives the planner fresh statistics (of ``checks``, only the
  columns queries join, filter or group on: :data:`ANALYZED`).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
from psycopg import Copy, Cursor
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy import Connection, text

from health.exchange.validate import CHECK_FIELDS, Row, Rows
from health.exchange.writer import (
    CHECK_KEY,
    CHECK_UPDATES,
    TABLES,
    Writer,
    aligned,
)
from health.models import Child
from health.models.tallies import LOCK_KEY, TALLY_TRIGGERS

# the children of a checks file, as CSV that pyarrow reads into arrays
CHILDREN_CSV_SQL = (
    "SELECT string_agg(concat('\"', replace(code, '\"', '\"\"'), '\",', id, ',', birth_date), "
    "E'\\n') FROM children WHERE code = ANY(string_to_array(%s, E'\\n'))"
)  # one text value in, one out (COPY TO would hand over a message per row)
CHILDREN_CSV = {
    "read_options": pcsv.ReadOptions(column_names=["code", "id", "birth_date"]),
    "convert_options": pcsv.ConvertOptions(
        column_types={"code": pa.string(), "id": pa.int64(), "birth_date": pa.string()},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    ),
}
CHUNK = 20_000  # codes per lookup
ANALYZED = {"checks": ("child_id", "check_date", "kind", "clinic_id")}
"""The columns of a table analysed at the end of a load, where not all: those of its joins,
filters and groupings (the measurements' statistics cost half the time of ``ANALYZE checks``
and steer no query). A column list leaves the table's count of changed rows, so autovacuum
still analyses the partitions in full later."""
NO_CHILDREN = (pa.array([], pa.string()), pa.array([], pa.int64()), pa.array([], pa.string()))


def _csv(columns: Mapping[str, pa.Array]) -> bytes:
    """The rows of ``columns`` as CSV without a header (what ``COPY … (FORMAT csv)`` reads)."""
    buffer = io.BytesIO()
    pcsv.write_csv(
        pa.table(dict(columns)),
        buffer,
        write_options=pcsv.WriteOptions(include_header=False, quoting_style="needed"),
    )
    return buffer.getvalue()


# COPY's binary format (https://www.postgresql.org/docs/current/sql-copy.html): a signature,
# then per row a 16-bit field count and per field a 32-bit length (-1: NULL) and the value
BINARY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + bytes(8)  # signature, flags, extension length
BINARY_TRAILER = b"\xff\xff"
PG_EPOCH_DAYS = 10_957  # 2000-01-01 (PostgreSQL's day 0) in days after 1970-01-01
BINARY_FIXED = {  # column type (format_type) → big-endian value layout
    "smallint": ">i2",
    "integer": ">i4",
    "bigint": ">i8",
    "real": ">f4",
    "double precision": ">f8",
    "boolean": "u1",
    "date": ">i4",
}
BINARY_TEXT = ("text", "character varying")
_NULL_FIELD = pa.scalar(b"\xff\xff\xff\xff", pa.binary())


def _binary_values(array: pa.Array, kind: str) -> tuple[pa.Array, np.dtype]:
    """``array`` (ints, booleans, ISO date or number text) as the numbers of column type
    ``kind`` and their big-endian layout; text is parsed as PostgreSQL would (nearest double)."""
    dtype = np.dtype(BINARY_FIXED[kind])
    if kind == "date":
        days = array if pa.types.is_date32(array.type) else pc.cast(array, pa.date32())
        return pc.subtract(pc.cast(days, pa.int32()), PG_EPOCH_DAYS), dtype
    if kind == "boolean":
        return pc.cast(array, pa.uint8()), dtype
    return pc.cast(array, pa.from_numpy_dtype(dtype.newbyteorder("="))), dtype


# a field of a fixed-width run: its values and their layout (length word then value), or
# (lengths, None): only the length word of a text field (the text follows the run), or
# (None, None): a NULL (length word -1)
Field = tuple[pa.Array | np.ndarray | None, np.dtype | None]


def _binary_fields(n: int, parts: Sequence[Field], count: int | None = None) -> pa.Array:
    """Per row, ``count`` (the field count, if given) and the fields ``parts`` (:data:`Field`;
    nulls among values are written as zeros: the caller replaces them), as one binary value."""
    layout: list[tuple[str, str | np.dtype]] = [("c", ">i2")] if count is not None else []
    for i, (_, dtype) in enumerate(parts):
        layout.append((f"n{i}", ">i4"))
        if dtype is not None:
            layout.append((f"v{i}", dtype))
    record = np.dtype(layout)
    rows = np.empty(n, record)
    if count is not None:
        rows["c"] = count
    for i, (values, dtype) in enumerate(parts):
        if dtype is None:
            rows[f"n{i}"] = -1 if values is None else values
            continue
        assert isinstance(values, pa.Array)
        rows[f"n{i}"] = dtype.itemsize
        rows[f"v{i}"] = pc.fill_null(values, 0).to_numpy(zero_copy_only=False)
    fixed = pa.Array.from_buffers(pa.binary(record.itemsize), n, [None, pa.py_buffer(rows)])
    return fixed.cast(pa.binary())


def _binary(columns: Mapping[str, pa.Array], types: Mapping[str, str]) -> bytes:
    """The rows of ``columns`` in COPY's binary format, without signature and trailer;
    ``types``: each column's type in the table (``format_type``: :data:`BINARY_FIXED` or
    :data:`BINARY_TEXT`). Built column by column with array operations (no Python object
    per row): the field count, fixed-width columns without nulls, columns of nulls only and
    the length words of texts without nulls share one record per row, and pyarrow joins the
    pieces of each row."""
    n = len(next(iter(columns.values())))
    if n == 0:
        return b""
    pieces: list[pa.Array] = []
    run: list[Field] = []  # fields of the pending fixed-width record

    def flush() -> None:
        if run or not pieces:  # the first record holds the field count
            pieces.append(_binary_fields(n, run, None if pieces else len(columns)))
            run.clear()

    for name, array in columns.items():
        kind = types[name]
        if array.null_count == n:
            run.append((None, None))
            continue
        if kind in BINARY_FIXED:
            values, dtype = _binary_values(array, kind)
            if values.null_count == 0:
                run.append((values, dtype))
                continue
            flush()
            fields = _binary_fields(n, [(values, dtype)])
            pieces.append(pc.if_else(values.is_valid(), fields, _NULL_FIELD))
            continue
        text = pc.cast(array, pa.string())
        if text.null_count == 0:
            run.append((np.asarray(pc.binary_length(text), dtype=">i4"), None))
            flush()
            pieces.append(text.cast(pa.binary()))
            continue
        flush()
        lengths = np.asarray(pc.fill_null(pc.binary_length(text), -1), dtype=">i4")
        pieces.append(
            pa.Array.from_buffers(pa.binary(4), n, [None, pa.py_buffer(lengths)]).cast(pa.binary())
        )
        pieces.append(pc.fill_null(text, "").cast(pa.binary()))
    if run:
        flush()
    joined = pc.binary_join_element_wise(*pieces, b"") if len(pieces) > 1 else pieces[0]
    offsets = np.frombuffer(joined.buffers()[1], np.int32, n + 1, joined.offset * 4)
    return joined.buffers()[2][offsets[0] : offsets[n]].to_pybytes()


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

    def __init__(self, conn: Connection) -> None:
        super().__init__(conn)
        self.first_new_child = 1  # children with an id from here on are created by this load
        # children looked up for the checks file: codes, ids, ISO birth dates
        self._known: tuple[pa.Array, pa.Array, pa.Array] = NO_CHILDREN
        self._empty = False  # a big checks file into an empty checks table
        # the open COPY into checks: its cursor, context manager, Copy and binary column types
        self._copy: (
            tuple[Cursor, AbstractContextManager[Copy], Copy, dict[str, str] | None] | None
        ) = None
        self._dropped_triggers: list[str] = []  # CREATE TRIGGER statements, for the end
        self._children_empty = False  # a big children file into an empty table is merged
        self._encoder: ThreadPoolExecutor | None = None  # encodes the batches of the COPY
        self._encoding: Future[None] | None = None  # the batch being encoded
        self._own_ids = False  # a big checks load: the COPY sends ids taken from the sequence
        # of the open COPY with own ids: the sequence, its next value, its step, values taken
        self._ids: tuple[str, int, int, int] | None = None

    def _max_child_id(self) -> int:
        return int(
            self.conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM children")).scalar_one()
        )

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self.conn.begin():
            # memory for the sorted builds of the keys and indexes put back after a big file
            self.conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
            self.first_new_child = 1 + self._max_child_id()  # ids only grow
            yield
            if self.bulk:
                for definition in self._dropped_triggers:
                    self.conn.exec_driver_sql(definition)
                # wait for a view bringing the sums up to date, so none kept before this
                # commit survives it (views after it wait for the commit)
                self.conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})
                self._drop_tallies()
            for table in TABLES:  # fresh statistics for the planner after a bulk change
                columns = ANALYZED.get(table)
                self.conn.exec_driver_sql(
                    f"ANALYZE {table}" + (f" ({', '.join(columns)})" if columns else "")
                )

    def _bulk_begins(self) -> None:
        """As :meth:`Writer._bulk_begins`; the triggers noting changed areas are dropped for the
        load and created again at its end (in its transaction: a rollback keeps them). Dropped,
        not disabled: a disabled trigger with a transition table still has every row of a
        statement collected for it, and into a partitioned table it makes COPY insert row by
        row instead of in multi-row batches."""
        if not self.bulk:
            rows = self.conn.execute(
                text(
                    "SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) "
                    "FROM pg_trigger WHERE tgname = ANY(:names) "
                    "AND tgrelid = ANY(CAST(:tables AS regclass[])) ORDER BY tgname"
                ),
                {
                    "names": [n for names in TALLY_TRIGGERS.values() for n in names],
                    "tables": list(TALLY_TRIGGERS),
                },
            ).all()
            for table, name, _ in rows:
                self.conn.exec_driver_sql(f'DROP TRIGGER "{name}" ON {table}')
            self._dropped_triggers = [definition for *_, definition in rows]
        super()._bulk_begins()

    def _binary_types(self, table: str, columns: Sequence[str]) -> dict[str, str] | None:
        """The type of each of ``columns`` in ``table`` (``format_type``) when all of them can
        be sent in COPY's binary format (:func:`_binary`), else None (then CSV is sent)."""
        found = dict(
            self.conn.execute(
                text(
                    "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute "
                    "WHERE attrelid = CAST(:t AS regclass) AND attnum > 0 AND NOT attisdropped"
                ),
                {"t": table},
            ).all()
        )
        types = {c: found.get(c, "") for c in columns}
        supported = (*BINARY_FIXED, *BINARY_TEXT)
        return types if all(t in supported for t in types.values()) else None

    def _copy_sql(self, table: str, columns: Sequence[str]) -> tuple[str, dict[str, str] | None]:
        """The COPY of ``columns`` into ``table``: binary (its column types) where they allow,
        which spares the server parsing every number and date; else CSV (None)."""
        types = self._binary_types(table, columns)
        kind = "binary" if types is not None else "csv"
        return f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT {kind})", types

    def _append(self, table: str, columns: Mapping[str, pa.Array]) -> None:
        self._end_copy()
        sql, types = self._copy_sql(table, list(columns))
        raw = self.conn.connection.dbapi_connection
        with raw.cursor() as cur, cur.copy(sql) as cp:  # type: ignore[union-attr]
            if types is None:
                cp.write(_csv(columns))
            else:
                cp.write(BINARY_SIGNATURE + _binary(columns, types) + BINARY_TRAILER)

    def _copy_checks(self, columns: Mapping[str, pa.Array]) -> None:
        """Send rows to the COPY into ``checks`` that stays open across batches (opened on the
        first call). A thread encodes them and hands them to the queued writer, which sends
        them from a thread of its own, so this returns at once: the next batch is read and
        checked meanwhile (pyarrow releases the GIL). One batch at most waits to be encoded."""
        if self._copy is None:
            if self._own_ids:
                self._ids = self._check_ids()
            sql, types = self._copy_sql("checks", [*self._id_column(), *columns])
            raw = self.conn.connection.dbapi_connection
            cur = raw.cursor()  # type: ignore[union-attr]
            manager = cur.copy(sql, writer=QueuedLibpqWriter(cur))
            self._copy = (cur, manager, manager.__enter__(), types)
            if types is not None:
                self._copy[2].write(BINARY_SIGNATURE)
            self._encoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="copy-encode")
        _, _, copy, types = self._copy
        if self._ids is not None:  # the values nextval would give, in the same order
            sequence, start, step, taken = self._ids
            n = len(next(iter(columns.values())))
            ids = pa.array(np.arange(taken, taken + n, dtype=np.int64) * step + start)
            columns = {"id": ids, **columns}
            self._ids = (sequence, start, step, taken + n)
        self._encoded()  # the previous batch is in the writer's queue (or its error raised)

        def encode() -> None:
            copy.write(_csv(columns) if types is None else _binary(columns, types))

        assert self._encoder is not None
        self._encoding = self._encoder.submit(encode)

    def _id_column(self) -> list[str]:
        return ["id"] if self._ids is not None else []

    def _check_ids(self) -> tuple[str, int, int, int]:
        """The sequence of ``checks.id``, the value its next ``nextval`` gives, its step, and 0
        values taken. Only while the load holds ``checks`` exclusively (its indexes dropped):
        no other insert can take a value meanwhile."""
        sequence = self.conn.execute(
            text("SELECT pg_get_serial_sequence('checks', 'id')")
        ).scalar_one()
        last, called, step = self.conn.execute(
            text(
                f"SELECT last_value, is_called, (SELECT seqincrement FROM pg_sequence "
                f"WHERE seqrelid = CAST(:s AS regclass)) FROM {sequence}"
            ),
            {"s": sequence},
        ).one()
        return sequence, int(last) + int(step) if called else int(last), int(step), 0

    def _encoded(self) -> None:
        """Wait for the batch being encoded, if any; raises what its encoding raised."""
        encoding, self._encoding = self._encoding, None
        if encoding is not None:
            encoding.result()

    def _end_copy(self, error: BaseException | None = None) -> None:
        """Finish the open COPY into ``checks`` (wait for the server to take every row), or
        abort it with ``error``; the connection is free for other statements afterwards."""
        if self._copy is None:
            return
        cur, manager, copy, types = self._copy
        self._copy = None
        ids, self._ids = self._ids, None
        failed: BaseException | None = None  # an error of the last batch's encoding
        try:
            try:
                self._encoded()
            except BaseException as exc:
                failed = exc
            finally:
                if self._encoder is not None:
                    self._encoder.shutdown(wait=True)
                    self._encoder = None
            cause = error or failed
            if cause is None:
                if types is not None:
                    copy.write(BINARY_TRAILER)
                manager.__exit__(None, None, None)
                if ids is not None and ids[3]:  # the sequence where the nextvals would leave it
                    sequence, start, step, taken = ids
                    cur.execute(
                        "SELECT setval(%s, %s, true)", [sequence, start + (taken - 1) * step]
                    )
                return
            manager.__exit__(type(cause), cause, cause.__traceback__)
            if error is None and failed is not None:
                raise failed
        finally:
            cur.close()

    def upsert(self, table: str, columns: Sequence[str], rows: list[Row]) -> int:
        """As :meth:`Writer.upsert`, as one statement: the rows are copied into a staging table
        of the table's own column types and merged from it (a statement per row would fire the
        table's statement triggers and foreign-key checks once a row)."""
        if not rows:
            return 0
        self._end_copy()
        names = ", ".join(columns)
        self.conn.exec_driver_sql("DROP TABLE IF EXISTS stage_upsert")
        self.conn.exec_driver_sql(
            f"CREATE TEMPORARY TABLE stage_upsert AS SELECT {names} FROM {table} WITH NO DATA"
        )
        arrays = {}
        for c in columns:
            array = pa.array([row[c] for row in rows])
            arrays[c] = array.cast(pa.string()) if pa.types.is_null(array.type) else array
        self._append("stage_upsert", arrays)
        changed = self._merge(table, "stage_upsert", columns[:1], columns[1:])
        self.conn.exec_driver_sql("DROP TABLE stage_upsert")
        return changed

    def children(self, codes: pa.Array) -> tuple[pa.Array, pa.Array]:
        """As :meth:`Writer.children`, remembering what was found for the rest of the checks
        file (children do not change while it loads); only codes not seen yet are queried,
        20,000 a query whose answer is one CSV text that pyarrow reads (no Python object per
        child)."""
        ids, _ = aligned(codes, *self._known)
        missing = pc.drop_null(pc.filter(codes, pc.is_null(ids)))
        if len(missing):
            self._end_copy()
            raw = self.conn.connection.dbapi_connection
            found = [*self._known]
            with raw.cursor() as cur:  # type: ignore[union-attr]
                for i in range(0, len(missing), CHUNK):
                    # codes hold no line break (the reader refuses control characters)
                    wanted = "\n".join(missing[i : i + CHUNK].to_pylist())
                    cur.execute(CHILDREN_CSV_SQL, [wanted])
                    out = cur.fetchone()[0]  # type: ignore[index]
                    if out is None:  # none of them is a child
                        continue
                    table = pcsv.read_csv(pa.BufferReader(out.encode()), **CHILDREN_CSV)
                    found = [
                        pa.concat_arrays([known, *new.chunks])
                        for known, new in zip(found, table.columns, strict=True)
                    ]
            self._known = (found[0], found[1], found[2])
        return aligned(codes, *self._known)

    @contextmanager
    def _foreign_keys_suspended(self, table: str, big: bool) -> Iterator[None]:
        if not big:
            yield
            return
        with self._constraints_suspended(table, "f"):
            # a big children file into an empty table (the drop above locks it: nothing is
            # added meanwhile): plain inserts, the code key and the index built after
            if table == "children" and not self._exists("children"):
                with self._constraints_suspended("children", "u"), self._indexes_of(Child):
                    self._children_empty = True
                    try:
                        yield
                    finally:
                        self._children_empty = False
                return
            yield

    def _exists(self, table: str) -> bool:
        """Whether ``table`` has a row."""
        return bool(self.conn.execute(text(f"SELECT EXISTS (SELECT FROM {table})")).scalar())

    def _merge(self, table: str, stage: str, key: Sequence[str], columns: Sequence[str]) -> int:
        """As :meth:`Writer._merge`; into an empty children table, a plain insert (no code can
        conflict: the staged codes are unique)."""
        if table != "children" or not self._children_empty:
            return super()._merge(table, stage, key, columns)
        names = ", ".join([*key, *columns])
        return self.conn.exec_driver_sql(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage}"
        ).rowcount

    @contextmanager
    def _constraints_suspended(self, table: str, kinds: str) -> Iterator[None]:
        """Drop the constraints of ``table`` of the ``pg_constraint.contype`` letters in
        ``kinds`` (``f`` foreign keys; ``p``, ``u`` primary and unique keys) and add them back,
        validated in one pass (a sorted index build for a key), when the block ends."""
        rows = self.conn.execute(
            text(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE contype = ANY(:kinds) AND conrelid = CAST(:t AS regclass) "
                "AND conparentid = 0"
            ),
            {"t": table, "kinds": list(kinds)},
        ).all()
        for name, _ in rows:
            self.conn.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        yield
        for name, definition in rows:
            self.conn.exec_driver_sql(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')

    def merge_children(self, *, big: bool) -> int:
        self._known = NO_CHILDREN  # ids change here
        return super().merge_children(big=big)

    @contextmanager
    def loading_checks(self, *, big: bool) -> Iterator[None]:
        self._stage("stage_checks", CHECK_FIELDS, with_lines=False)
        # a big file into an empty table: no check to merge with, every row is copied and the
        # keys are built once at the end (a sorted build, not millions of insertions)
        self._empty = big and not self._exists("checks")
        keys = self._constraints_suspended("checks", "pu") if self._empty else nullcontext()
        with super().loading_checks(big=big), keys:
            self._own_ids = big  # the dropped indexes lock checks until the commit
            try:
                yield
            except BaseException as error:
                self._end_copy(error)
                raise
            finally:
                self._own_ids = False
            self._end_copy()
        self.conn.exec_driver_sql("DROP TABLE stage_checks")
        self._known = NO_CHILDREN

    def add_checks(self, rows: Rows) -> int:
        new = np.asarray(rows.columns["child_id"], dtype=np.int64) >= self.first_new_child
        if self._empty or new.all():  # children created by this load: nothing to merge with
            self._copy_checks(rows.columns)
            return len(rows)
        changed = 0
        if new.any():
            fresh, rows = rows.keep(new), rows.keep(~new)
            self._copy_checks(fresh.columns)
            changed += len(fresh)
        self._append("stage_checks", rows.columns)
        changed += self._merge("checks", "stage_checks", CHECK_KEY, CHECK_UPDATES)
        self.conn.exec_driver_sql("TRUNCATE stage_checks")
        return changed
