"""Load an exchange folder (areas, clinics, facilities, children, checks) in one transaction.

- Files are streamed in batches of about 8 MB and validated with array operations; the first
  bad cell stops the load with its file, line, column and reason, and nothing is kept.
- Codes of areas, clinics and facilities (thousands at most) are mapped in memory. Child ids are
  looked up per batch (one indexed query per 5,000 codes), so memory does not grow with the
  province; children themselves go through a staging table (duplicate ids are found there).
- Every merge is an upsert that skips identical rows: loading the same folder twice changes
  nothing. Within a batch a repeated (child, date, kind) row replaces the earlier one.
- Speed: SQLite inserts with ``executemany`` and its foreign-key checks off for the load;
  PostgreSQL uses COPY (straight into ``checks`` for children created by the same load, else
  into a staging table and an upsert) and, for big files, drops the foreign keys and rebuilds
  them. Big check files drop the secondary index of ``checks`` and build it once at the end.
  Every reference is checked by the loader itself, so no guarantee is lost.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
from sqlalchemy import Connection, Engine, bindparam, text

from health.areas import rebuild_area_ancestors
from health.exchange import reader as exchange_reader
from health.exchange.errors import ExchangeError
from health.exchange.reader import Batch, Column, read_batches
from health.models import Check
from health.models.enums import AREA_LEVELS

AREAS = (
    Column("code", "code", max_length=32),
    Column("name", "text", max_length=200),
    Column("level", "enum", choices=AREA_LEVELS),
    Column("parent_code", "code", required=False, max_length=32),
)
CLINICS = (
    Column("code", "code", max_length=32),
    Column("name", "text", max_length=200),
    Column("area_code", "code", max_length=32),
)
FACILITIES = (*CLINICS, Column("clinic_code", "code", max_length=32))
CHILDREN = (
    Column("child_id", "code", max_length=64),
    Column("sex", "enum", choices=("M", "F")),
    Column("birth_date", "date"),
    Column("area_code", "code", max_length=32),
    Column("resident", "flag", choices=("1", "0")),
    Column("facility_code", "code", required=False, max_length=32),
    Column("gestational_weeks", "number", required=False, low=22, high=45),
)
CHECKS = (
    Column("child_id", "code", max_length=64),
    Column("date", "date"),
    Column("kind", "enum", choices=("newborn_visit", "full_month", "routine")),
    Column("clinic_code", "code", required=False, max_length=32),
    Column("weight_kg", "number", required=False, low=0.2, high=150),
    Column("length_cm", "number", required=False, low=20, high=230),
    Column("measure", "enum", required=False, choices=("L", "H")),
    Column("head_cm", "number", required=False, low=15, high=70),
    Column("hb_g_l", "number", required=False, low=20, high=250),
)
FILES: dict[str, tuple[Column, ...]] = {
    "areas.csv": AREAS,
    "clinics.csv": CLINICS,
    "facilities.csv": FACILITIES,
    "children.csv": CHILDREN,
    "checks.csv": CHECKS,
}


@dataclass
class ImportSummary:
    """Rows read and rows added or changed, per file."""

    read: dict[str, int] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)


Progress = Callable[[int], None]
FK_SUSPEND_BYTES = 8 << 20  # PostgreSQL: files from this size load without per-row FK checks


def import_folder(
    engine: Engine,
    folder: Path,
    *,
    today: dt.date,
    progress: Progress | None = None,
) -> ImportSummary:
    """Load every exchange file present in ``folder`` (at least one) in one transaction.

    ``today`` bounds birth and check dates (nothing in the future). ``progress`` receives the
    number of bytes consumed as files are read. Raises :class:`ExchangeError`; nothing is
    stored then.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ExchangeError(str(folder), "not a folder")
    present = [name for name in FILES if (folder / name).is_file()]
    if not present:
        raise ExchangeError(str(folder), f"no exchange file found ({', '.join(FILES)})")
    summary = ImportSummary()
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        raw = conn.connection.dbapi_connection
        if sqlite:
            # Every reference is checked by the loader itself (with file, line and column), so
            # SQLite's per-row foreign-key checks are switched off for the load (they can only
            # be switched outside a transaction) and back on afterwards.
            raw.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
        try:
            with conn.begin():
                loader = _Loader(conn, summary, today, progress)
                for name in present:
                    getattr(loader, "load_" + name.removesuffix(".csv"))(folder / name)
                if not sqlite:  # fresh statistics for the planner after a bulk change
                    for table in ("areas", "clinics", "facilities", "children", "checks"):
                        conn.exec_driver_sql(f"ANALYZE {table}")
        finally:
            if sqlite:
                raw.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]
    return summary


def _in_map(values: pa.Array, mapping: dict[str, int]) -> pa.Array:
    """Ids for codes via ``mapping`` (null where the code is null or unknown)."""
    keys = pa.array(list(mapping), pa.string())
    ids = pa.array(list(mapping.values()), pa.int64())
    return pc.take(ids, pc.index_in(values, value_set=keys))


class _Loader:
    """One import: a connection inside its transaction, and the running summary."""

    def __init__(
        self, conn: Connection, summary: ImportSummary, today: dt.date, progress: Progress | None
    ) -> None:
        self.conn = conn
        self.summary = summary
        self.today = today.isoformat()
        self.progress = progress
        self.pg = conn.dialect.name == "postgresql"
        # children with an id from here on are created by this load (ids only grow)
        self.first_new_child = 1 + int(
            conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM children")).scalar_one()
        )

    # ---- helpers -------------------------------------------------------------------------------

    def _codes(self, table: str) -> dict[str, int]:
        rows = self.conn.execute(text(f"SELECT code, id FROM {table}"))
        return {code: int(i) for code, i in rows}

    def _batches(self, path: Path) -> Any:
        return read_batches(path, FILES[path.name], self.progress)

    def _unknown(self, path: Path, batch: Batch, column: str, ids: pa.Array, what: str) -> None:
        """Raise for the first non-empty code in ``column`` that did not map to an id."""
        bad = pc.and_(pc.is_valid(batch.columns[column]), pc.is_null(ids))
        hits = np.flatnonzero(np.asarray(pc.fill_null(bad, False)))
        if hits.size:
            i = int(hits[0])
            code = batch.columns[column][i].as_py()
            raise ExchangeError(
                path.name, f"unknown {what} '{code}'", line=int(batch.lines[i]), column=column
            )

    def _future(self, path: Path, batch: Batch, column: str) -> None:
        bad = pc.greater(batch.columns[column], self.today)
        hits = np.flatnonzero(np.asarray(pc.fill_null(bad, False)))
        if hits.size:
            i = int(hits[0])
            raise ExchangeError(
                path.name,
                f"{batch.columns[column][i].as_py()} is in the future",
                line=int(batch.lines[i]),
                column=column,
            )

    def _rows(self, path: Path) -> list[dict[str, Any]]:
        """All rows of a small file (areas, clinics, facilities) with their line numbers."""
        rows: list[dict[str, Any]] = []
        for batch in self._batches(path):
            cols = {k: v.to_pylist() for k, v in batch.columns.items()}
            for i, line in enumerate(batch.lines.tolist()):
                rows.append({"line": line, **{k: v[i] for k, v in cols.items()}})
        return rows

    @staticmethod
    def _duplicates(path: Path, rows: list[dict[str, Any]], key: str) -> None:
        seen: dict[str, int] = {}
        for row in rows:
            if row[key] in seen:
                raise ExchangeError(
                    path.name,
                    f"duplicate {key} '{row[key]}' (first on line {seen[row[key]]})",
                    line=row["line"],
                    column=key,
                )
            seen[row[key]] = row["line"]

    def _upsert(self, table: str, columns: list[str], key: str, rows: list[dict[str, Any]]) -> int:
        """Insert or update ``rows`` by the unique ``key``; identical rows are left alone."""
        if not rows:
            return 0
        names = ", ".join(columns)
        marks = ", ".join(f":{c}" for c in columns)
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c != key)
        changed = " OR ".join(
            f"{table}.{c} IS DISTINCT FROM excluded.{c}" for c in columns if c != key
        )
        sql = (
            f"INSERT INTO {table} ({names}) VALUES ({marks}) "
            f"ON CONFLICT ({key}) DO UPDATE SET {updates} WHERE {changed}"
        )
        total = 0
        for row in rows:
            total += self.conn.execute(text(sql), {c: row[c] for c in columns}).rowcount
        return total

    # ---- small files ---------------------------------------------------------------------------

    def load_areas(self, path: Path) -> None:
        rows = self._rows(path)
        self._duplicates(path, rows, "code")
        known = {
            code: (i, level)
            for code, i, level in self.conn.execute(text("SELECT code, id, level FROM areas"))
        }
        in_file = {row["code"]: row["level"] for row in rows}
        for row in rows:
            depth = AREA_LEVELS.index(row["level"])
            parent = row["parent_code"]
            if parent is None:
                if depth != 0:
                    raise ExchangeError(
                        path.name,
                        f"a {row['level']} needs a parent area",
                        line=row["line"],
                        column="parent_code",
                    )
                continue
            parent_level = in_file.get(parent) or (known[parent][1] if parent in known else None)
            if parent_level is None:
                raise ExchangeError(
                    path.name,
                    f"unknown parent area '{parent}'",
                    line=row["line"],
                    column="parent_code",
                )
            if AREA_LEVELS.index(parent_level) != depth - 1:
                raise ExchangeError(
                    path.name,
                    f"a {row['level']} cannot sit directly under a {parent_level} ('{parent}')",
                    line=row["line"],
                    column="parent_code",
                )
        changed = 0
        for level in AREA_LEVELS:  # parents first
            ids = self._codes("areas")
            batch = []
            for row in rows:
                if row["level"] == level:
                    parent_id = ids.get(row["parent_code"]) if row["parent_code"] else None
                    batch.append({**row, "parent_id": parent_id})
            changed += self._upsert("areas", ["code", "name", "level", "parent_id"], "code", batch)
        rebuild_area_ancestors(self.conn)
        self._note(path, len(rows), changed)

    def load_clinics(self, path: Path) -> None:
        rows = self._rows(path)
        self._duplicates(path, rows, "code")
        areas = {
            code: (i, level)
            for code, i, level in self.conn.execute(text("SELECT code, id, level FROM areas"))
        }
        for row in rows:
            if row["area_code"] not in areas:
                raise ExchangeError(
                    path.name,
                    f"unknown area '{row['area_code']}'",
                    line=row["line"],
                    column="area_code",
                )
            area_id, level = areas[row["area_code"]]
            if level != "township":
                raise ExchangeError(
                    path.name,
                    f"area '{row['area_code']}' is a {level}, not a township",
                    line=row["line"],
                    column="area_code",
                )
            row["area_id"] = area_id
        changed = self._upsert("clinics", ["code", "name", "area_id"], "code", rows)
        self._note(path, len(rows), changed)

    def load_facilities(self, path: Path) -> None:
        rows = self._rows(path)
        self._duplicates(path, rows, "code")
        areas, clinics = self._codes("areas"), self._codes("clinics")
        for row in rows:
            for column, table, what in (
                ("area_code", areas, "area"),
                ("clinic_code", clinics, "clinic"),
            ):
                if row[column] not in table:
                    raise ExchangeError(
                        path.name,
                        f"unknown {what} '{row[column]}'",
                        line=row["line"],
                        column=column,
                    )
            row["area_id"], row["clinic_id"] = areas[row["area_code"]], clinics[row["clinic_code"]]
        changed = self._upsert("facilities", ["code", "name", "area_id", "clinic_id"], "code", rows)
        self._note(path, len(rows), changed)

    def _note(self, path: Path, read: int, changed: int) -> None:
        self.summary.read[path.name] = read
        self.summary.changed[path.name] = changed

    # ---- staging -------------------------------------------------------------------------------

    def _stage(
        self, name: str, columns: list[tuple[str, str, str]], *, with_lines: bool = True
    ) -> None:
        """(Re)create the temporary table ``name``; columns as (name, sqlite type, pg type)."""
        self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
        spec = ", ".join(f"{c} {pg if self.pg else lite}" for c, lite, pg in columns)
        line = "line BIGINT, " if with_lines else ""
        self.conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {name} ({line}{spec})")

    def _fill(
        self, name: str, batch: Batch, arrays: dict[str, pa.Array], *, with_lines: bool = True
    ) -> None:
        """Append a batch to staging table ``name`` (COPY on PostgreSQL)."""
        if self.pg:
            lines = {"line": pa.array(batch.lines)} if with_lines else {}
            table = pa.table({**lines, **arrays})
            buffer = io.BytesIO()
            pcsv.write_csv(
                table,
                buffer,
                write_options=pcsv.WriteOptions(include_header=False, quoting_style="needed"),
            )
            raw = self.conn.connection.dbapi_connection
            cols = ", ".join(table.column_names)
            with (
                raw.cursor() as cur,
                cur.copy(f"COPY {name} ({cols}) FROM STDIN (FORMAT csv)") as cp,
            ):  # type: ignore[union-attr]
                cp.write(buffer.getvalue())
        else:
            cols = ["line", *arrays]
            marks = ", ".join("?" for _ in cols)
            data = zip(batch.lines.tolist(), *(a.to_pylist() for a in arrays.values()), strict=True)
            raw = self.conn.connection.dbapi_connection
            cur = raw.cursor()  # type: ignore[union-attr]
            cur.executemany(f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({marks})", data)
            cur.close()

    # ---- children ------------------------------------------------------------------------------

    def load_children(self, path: Path) -> None:
        areas, facilities = self._codes("areas"), self._codes("facilities")
        self._stage(
            "stage_children",
            [
                ("code", "TEXT", "TEXT"),
                ("sex", "TEXT", "TEXT"),
                ("birth_date", "TEXT", "DATE"),
                ("area_id", "INTEGER", "INTEGER"),
                ("resident", "INTEGER", "BOOLEAN"),
                ("facility_id", "INTEGER", "INTEGER"),
                ("gestational_weeks", "REAL", "DOUBLE PRECISION"),
            ],
        )
        read = 0
        for batch in self._batches(path):
            cols = batch.columns
            area_ids = _in_map(cols["area_code"], areas)
            self._unknown(path, batch, "area_code", area_ids, "area")
            facility_ids = _in_map(cols["facility_code"], facilities)
            self._unknown(path, batch, "facility_code", facility_ids, "facility")
            self._future(path, batch, "birth_date")
            resident = pc.equal(cols["resident"], "1")
            self._fill(
                "stage_children",
                batch,
                {
                    "code": cols["child_id"],
                    "sex": cols["sex"],
                    "birth_date": cols["birth_date"],
                    "area_id": area_ids,
                    "resident": resident if self.pg else pc.cast(resident, pa.int64()),
                    "facility_id": facility_ids,
                    "gestational_weeks": cols["gestational_weeks"],
                },
            )
            read += len(batch)
        dup = self.conn.execute(
            text(
                "SELECT s.code, MIN(s.line), MAX(s.line) FROM stage_children s "
                "GROUP BY s.code HAVING COUNT(*) > 1 ORDER BY MAX(s.line) LIMIT 1"
            )
        ).first()
        if dup is not None:
            raise ExchangeError(
                path.name,
                f"duplicate child_id '{dup[0]}' (first on line {dup[1]})",
                line=int(dup[2]),
                column="child_id",
            )
        cols = ["sex", "birth_date", "area_id", "resident", "gestational_weeks"]
        with self._foreign_keys_suspended("children", path):
            changed = self._merge_children(cols)
        changed += self._merge_enrolments()
        self.conn.exec_driver_sql("DROP TABLE stage_children")
        self._note(path, read, changed)

    def _merge_children(self, cols: list[str]) -> int:
        """Upsert the staged children by code; rows changed."""
        return self.conn.execute(
            text(
                f"INSERT INTO children (code, {', '.join(cols)}) "
                f"SELECT code, {', '.join(cols)} FROM stage_children WHERE true "
                "ON CONFLICT (code) DO UPDATE SET "
                + ", ".join(f"{c} = excluded.{c}" for c in cols)
                + " WHERE "
                + " OR ".join(f"children.{c} IS DISTINCT FROM excluded.{c}" for c in cols)
            )
        ).rowcount

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
            )
        ).rowcount
        return dropped + added

    # ---- checks --------------------------------------------------------------------------------

    def _children_of(self, codes: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array]:
        """``(distinct codes, ids, ISO birth dates)`` of the children named in a batch; one
        indexed query per 5,000 codes (memory bounded by the batch, not by the province)."""
        distinct = pc.unique(codes)
        found: dict[str, tuple[int, str]] = {}
        if self.pg:  # one array parameter: no long IN list to parse and plan
            query = text("SELECT code, id, birth_date FROM children WHERE code = ANY(:codes)")
        else:
            query = text("SELECT code, id, birth_date FROM children WHERE code IN :codes")
            query = query.bindparams(bindparam("codes", expanding=True))
        names = distinct.to_pylist()
        for i in range(0, len(names), 5000):
            for code, pk, birth in self.conn.execute(query, {"codes": names[i : i + 5000]}):
                found[code] = (int(pk), str(birth)[:10])
        ids = pa.array([found.get(n, (None, None))[0] for n in names], pa.int64())
        births = pa.array([found.get(n, (None, None))[1] for n in names], pa.string())
        return distinct, ids, births

    def load_checks(self, path: Path) -> None:
        clinics = self._codes("clinics")
        numbers = ("weight_kg", "length_cm", "head_cm", "hb_g_l")
        cols = ["child_id", "check_date", "kind", "clinic_id", "measure", *numbers]
        upsert = (
            "ON CONFLICT (child_id, check_date, kind) DO UPDATE SET "
            + ", ".join(f"{c} = excluded.{c}" for c in cols[3:])
            + " WHERE "
            + " OR ".join(f"checks.{c} IS DISTINCT FROM excluded.{c}" for c in cols[3:])
        )
        if self.pg:
            self._stage(
                "stage_checks",
                [
                    ("child_id", "", "BIGINT"),
                    ("check_date", "", "DATE"),
                    ("kind", "", "TEXT"),
                    ("clinic_id", "", "INTEGER"),
                    ("measure", "", "TEXT"),
                    *((n, "", "DOUBLE PRECISION") for n in numbers),
                ],
                with_lines=False,
            )
            merge = (
                f"INSERT INTO checks ({', '.join(cols)}) SELECT {', '.join(cols)} "
                f"FROM stage_checks WHERE true {upsert}"
            )
        else:
            marks = ", ".join("?" for _ in cols)
            merge = f"INSERT INTO checks ({', '.join(cols)}) VALUES ({marks}) {upsert}"
        read = changed = 0
        top = self.conn.execute(text("SELECT COALESCE(MAX(id), 0) FROM children")).scalar_one()
        fresh = _NewChildren(self.first_new_child, int(top))
        superseded = self._superseded_checks(path)
        offset = 0
        with self._foreign_keys_suspended("checks", path), self._indexes_suspended(path):
            for batch in self._batches(path):
                c = batch.columns
                clinic_ids = _in_map(c["clinic_code"], clinics)
                self._unknown(path, batch, "clinic_code", clinic_ids, "clinic")
                self._future(path, batch, "date")
                codes, ids, births = self._children_of(c["child_id"])
                where = pc.index_in(c["child_id"], value_set=codes)
                child_ids, birth = pc.take(ids, where), pc.take(births, where)
                self._unknown(path, batch, "child_id", child_ids, "child_id")
                early = np.flatnonzero(np.asarray(pc.fill_null(pc.less(c["date"], birth), False)))
                if early.size:
                    i = int(early[0])
                    raise ExchangeError(
                        path.name,
                        f"check dated {c['date'][i].as_py()} before the child's birth date",
                        line=int(batch.lines[i]),
                        column="date",
                    )
                values = {
                    "child_id": child_ids,
                    "check_date": c["date"],
                    "kind": c["kind"],
                    "clinic_id": clinic_ids,
                    "measure": c["measure"],
                    **{n: c[n] for n in numbers},
                }
                if superseded is not None:  # a later batch repeats these checks: it wins
                    drop = superseded[offset : offset + len(batch)]
                    offset += len(batch)
                    if drop.any():
                        keep = pa.array(~drop)
                        values = {name: pc.filter(a, keep) for name, a in values.items()}
                values = _last_per_key(values)
                if self.pg and fresh.only_new(values["child_id"]):
                    # children created by this load and not in an earlier batch: they have no
                    # check to merge with, so the rows are copied straight in
                    self._fill("checks", batch, values, with_lines=False)
                    changed += len(values["child_id"])
                elif self.pg:
                    self._fill("stage_checks", batch, values, with_lines=False)
                    changed += self.conn.exec_driver_sql(merge).rowcount
                    self.conn.exec_driver_sql("TRUNCATE stage_checks")
                else:
                    changed += self._executemany(merge, values)
                read += batch.rows_read
        if self.pg:
            self.conn.exec_driver_sql("DROP TABLE stage_checks")
        self._note(path, read, changed)

    def _superseded_checks(self, path: Path) -> np.ndarray | None:
        """For a file of several batches, the rows whose check (child, date, kind) comes again
        later in the file (one bool per row); ``None`` for a single batch, where the per-batch
        de-duplication is enough. A first pass over the keys only: 8 bytes a row while it runs,
        so that a reload of the same file finds nothing to change."""
        if path.stat().st_size <= exchange_reader.BLOCK_SIZE:
            return None
        keys = []
        for batch in read_batches(path, FILES[path.name], None):
            c = batch.columns
            codes, ids, _ = self._children_of(c["child_id"])
            child_ids = pc.take(ids, pc.index_in(c["child_id"], value_set=codes))
            keys.append(_check_keys(child_ids, c["date"], c["kind"]))
        if not keys:
            return None
        return ~_last_occurrences(np.concatenate(keys))

    def _executemany(self, sql: str, values: dict[str, pa.Array]) -> int:
        """SQLite: run ``sql`` for every row of ``values``; rows changed."""
        raw = self.conn.connection.dbapi_connection
        cur = raw.cursor()  # type: ignore[union-attr]
        cur.executemany(sql, zip(*(a.to_pylist() for a in values.values()), strict=True))
        count = cur.rowcount
        cur.close()
        return max(count, 0)

    @contextmanager
    def _indexes_suspended(self, path: Path) -> Iterator[None]:
        """Big check files: drop the secondary (non-unique) indexes of ``checks`` for the load
        and build them again at its end, in the same transaction; one sorted build is much
        cheaper than millions of random index insertions."""
        if path.stat().st_size < FK_SUSPEND_BYTES:
            yield
            return
        indexes = [ix for ix in Check.__table__.indexes if not ix.unique]  # type: ignore[attr-defined]
        for index in indexes:
            index.drop(self.conn, checkfirst=True)
        yield
        for index in indexes:
            index.create(self.conn, checkfirst=True)

    @contextmanager
    def _foreign_keys_suspended(self, table: str, path: Path) -> Iterator[None]:
        """PostgreSQL, big files: drop ``table``'s foreign keys for the load and add them back
        (validated in one set-based pass) before the transaction ends. The loader has checked
        every reference itself; per-row trigger checks would triple the load time. Small files
        keep the constraints (re-validating a big table would cost more than it saves)."""
        if not self.pg or path.stat().st_size < FK_SUSPEND_BYTES:
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


KIND_CODE = {"newborn_visit": 0, "full_month": 1, "routine": 2}


def _check_keys(child_ids: pa.Array, dates: pa.Array, kinds: pa.Array) -> np.ndarray:
    """(child id, day number, kind) packed into one integer per check row, so that finding
    repeated checks is a numpy sort, not a string hash. Missing parts pack as −1."""
    child = np.asarray(pc.fill_null(child_ids, -1), dtype=np.int64)
    day = np.asarray(pc.fill_null(pc.cast(pc.cast(dates, pa.date32()), pa.int32()), -1), np.int64)
    kind = pc.index_in(kinds, value_set=pa.array(list(KIND_CODE)))
    kind = np.asarray(pc.fill_null(kind, 3), np.int64)
    return (child << 22) | ((day + 2**19) << 2) | kind  # days within ±1435 years of 1970


def _last_occurrences(keys: np.ndarray) -> np.ndarray:
    """True at the last row of each key: a later row of the same check replaces an earlier one."""
    last = np.zeros(len(keys), dtype=bool)
    last[len(keys) - 1 - np.unique(keys[::-1], return_index=True)[1]] = True
    return last


def _last_per_key(values: dict[str, pa.Array]) -> dict[str, pa.Array]:
    """Keep the last row of each (child, date, kind) within a batch."""
    last = _last_occurrences(_check_keys(values["child_id"], values["check_date"], values["kind"]))
    if last.all():
        return values
    return {name: pc.filter(array, pa.array(last)) for name, array in values.items()}
