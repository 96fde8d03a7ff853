"""Rows of the exchange files checked against each other, ``today`` and the database, as typed
batches.

The reader (``reader.py``) has already checked every cell by itself (shape, length, range,
choices). Here a row is checked against the rest: codes must name a known area, clinic,
facility or child (and become ids), an area must sit directly under its parent's level, a
clinic's area must be a township, no date is after ``today``, no check before the child's
birth, no code twice in a file. The first bad row raises :class:`ExchangeError` with its file,
line, column and reason.

Nothing here writes. The reads it needs come in as arguments: code → id maps (areas, clinics
and facilities are thousands at most) and a :data:`ChildLookup` for children, which are looked
up per batch so that memory stays bounded by the batch, not by the province.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from health.exchange import reader
from health.exchange.errors import ExchangeError
from health.exchange.reader import Batch, Column, first_true
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
    # screening results (optional columns, docs/exchange.md): each may be left out
    *(
        Column(name, "enum", required=False, choices=("pass", "refer"), optional=True)
        for name in ("hearing_left", "hearing_right")
    ),
    *(
        Column(name, "enum", required=False, choices=("normal", "abnormal"), optional=True)
        for name in ("red_reflex", "eye_position", "visual_behaviour")
    ),
    *(
        Column(name, "number", required=False, low=3.0, high=5.3, optional=True)
        for name in ("acuity_left", "acuity_right")
    ),
    Column("caries_teeth", "number", required=False, low=0, high=20, optional=True),
    Column("vitamin_d_given", "flag", required=False, choices=("1", "0"), optional=True),
)
FILES: dict[str, tuple[Column, ...]] = {
    "areas.csv": AREAS,
    "clinics.csv": CLINICS,
    "facilities.csv": FACILITIES,
    "children.csv": CHILDREN,
    "checks.csv": CHECKS,
}

# The columns of a validated batch and the SQL type each is stored as (text, date, int, bigint,
# bool, real). Ids are integers and ``resident`` a boolean; dates (ISO) and numbers stay the
# text the reader checked, and the database converts them.
CHILD_FIELDS: dict[str, str] = {
    "code": "text",
    "sex": "text",
    "birth_date": "date",
    "area_id": "int",
    "resident": "bool",
    "facility_id": "int",
    "gestational_weeks": "real",
}
NUMBERS = ("weight_kg", "length_cm", "head_cm", "hb_g_l")
RESULT_TEXTS = ("hearing_left", "hearing_right", "red_reflex", "eye_position", "visual_behaviour")
ACUITY = ("acuity_left", "acuity_right")
ACUITY_MIN_DAYS = 1096  # 36 completed months (36 x 30.4375 = 1095.75): a chart is read from 3 y
CHECK_FIELDS: dict[str, str] = {
    "child_id": "bigint",
    "check_date": "date",
    "kind": "text",
    "clinic_id": "int",
    "measure": "text",
    **dict.fromkeys(NUMBERS, "real"),
    **dict.fromkeys(RESULT_TEXTS, "text"),
    **dict.fromkeys(ACUITY, "real"),
    "caries_teeth": "int",
    "vitamin_d_given": "bool",
}

ChildLookup = Callable[[pa.Array], tuple[pa.Array, pa.Array]]
"""Children by code: for distinct codes (text, nulls allowed), the ids (int64) and ISO birth
dates (text) aligned with them, null where no child has the code."""

Row = dict[str, Any]
"""One row of a small file (areas, clinics, facilities): its cells by column, and ``line``."""


@dataclass(frozen=True)
class Rows:
    """A validated batch: arrays by column (``CHILD_FIELDS`` or ``CHECK_FIELDS``, in that
    order) and the file line of each row."""

    columns: dict[str, pa.Array]
    lines: np.ndarray

    def __len__(self) -> int:
        return len(self.lines)

    def keep(self, mask: np.ndarray) -> Rows:
        """The rows where ``mask`` (one bool per row) is true."""
        keep = pa.array(mask)
        return Rows({k: pc.filter(a, keep) for k, a in self.columns.items()}, self.lines[mask])


# ---- errors -------------------------------------------------------------------------------------


def _row_error(path: Path, row: Row, column: str, reason: str) -> ExchangeError:
    return ExchangeError(path.name, reason, line=row["line"], column=column)


def _repeated(path: Path, column: str, value: object, first: int, line: int) -> ExchangeError:
    return ExchangeError(
        path.name, f"duplicate {column} '{value}' (first on line {first})", line=line, column=column
    )


def _fail_first(
    path: Path, batch: Batch, bad: pa.Array, column: str, reason: Callable[[int], str]
) -> None:
    """Raise for the first row where ``bad`` is true (nulls count as false)."""
    if (i := first_true(bad)) is not None:
        raise ExchangeError(path.name, reason(i), line=int(batch.lines[i]), column=column)


def _unknown(path: Path, batch: Batch, column: str, ids: pa.Array, what: str) -> None:
    """Raise for the first non-empty code in ``column`` that did not map to an id."""
    codes = batch.columns[column]
    bad = pc.and_(pc.is_valid(codes), pc.is_null(ids))
    _fail_first(path, batch, bad, column, lambda i: f"unknown {what} '{codes[i].as_py()}'")


def _future(path: Path, batch: Batch, column: str, today: dt.date) -> None:
    dates = batch.columns[column]
    bad = pc.greater(dates, today.isoformat())  # ISO dates compare as text
    _fail_first(path, batch, bad, column, lambda i: f"{dates[i].as_py()} is in the future")


# ---- areas, clinics, facilities ------------------------------------------------------------------


def _small_file(path: Path, batches: Iterable[Batch]) -> list[Row]:
    """All rows of a small file with their line numbers; a code given twice raises."""
    rows: list[Row] = []
    for batch in batches:
        cols = {k: v.to_pylist() for k, v in batch.columns.items()}
        for i, line in enumerate(batch.lines.tolist()):
            rows.append({"line": line, **{k: v[i] for k, v in cols.items()}})
    seen: dict[str, int] = {}
    for row in rows:
        if row["code"] in seen:
            raise _repeated(path, "code", row["code"], seen[row["code"]], row["line"])
        seen[row["code"]] = row["line"]
    return rows


def areas(path: Path, batches: Iterable[Batch], known: Mapping[str, tuple[int, str]]) -> list[Row]:
    """Rows of ``areas.csv``: each parent (in the file or ``known``: code → (id, level)) is one
    level up; only a province has none."""
    rows = _small_file(path, batches)
    in_file = {row["code"]: row["level"] for row in rows}
    for row in rows:
        depth = AREA_LEVELS.index(row["level"])
        parent = row["parent_code"]
        if parent is None:
            if depth != 0:
                raise _row_error(path, row, "parent_code", f"a {row['level']} needs a parent area")
            continue
        parent_level = in_file.get(parent) or (known[parent][1] if parent in known else None)
        if parent_level is None:
            raise _row_error(path, row, "parent_code", f"unknown parent area '{parent}'")
        if AREA_LEVELS.index(parent_level) != depth - 1:
            reason = f"a {row['level']} cannot sit directly under a {parent_level} ('{parent}')"
            raise _row_error(path, row, "parent_code", reason)
    return rows


def clinics(
    path: Path, batches: Iterable[Batch], areas: Mapping[str, tuple[int, str]]
) -> list[Row]:
    """Rows of ``clinics.csv`` with ``area_id``; a clinic's area (code → (id, level)) is a
    township."""
    rows = _small_file(path, batches)
    for row in rows:
        code = row["area_code"]
        if code not in areas:
            raise _row_error(path, row, "area_code", f"unknown area '{code}'")
        row["area_id"], level = areas[code]
        if level != "township":
            raise _row_error(path, row, "area_code", f"area '{code}' is a {level}, not a township")
    return rows


def facilities(
    path: Path,
    batches: Iterable[Batch],
    areas: Mapping[str, int],
    clinics: Mapping[str, int],
) -> list[Row]:
    """Rows of ``facilities.csv`` with ``area_id`` and ``clinic_id`` (maps: code → id)."""
    rows = _small_file(path, batches)
    for row in rows:
        for column, ids, what in (("area_code", areas, "area"), ("clinic_code", clinics, "clinic")):
            if row[column] not in ids:
                raise _row_error(path, row, column, f"unknown {what} '{row[column]}'")
        row["area_id"], row["clinic_id"] = areas[row["area_code"]], clinics[row["clinic_code"]]
    return rows


# ---- children and checks -------------------------------------------------------------------------


def _ids(codes: pa.Array, mapping: Mapping[str, int]) -> pa.Array:
    """Ids for codes via ``mapping`` (null where the code is null or unknown)."""
    keys = pa.array(list(mapping), pa.string())
    ids = pa.array(list(mapping.values()), pa.int64())
    return pc.take(ids, pc.index_in(codes, value_set=keys))


def _children(codes: pa.Array, lookup: ChildLookup) -> tuple[pa.Array, pa.Array]:
    """Child ids and ISO birth dates for ``codes`` (null where unknown); one lookup of the
    distinct codes."""
    distinct = pc.unique(codes)
    ids, births = lookup(distinct)
    where = pc.index_in(codes, value_set=distinct)
    return pc.take(ids, where), pc.take(births, where)


def children(
    path: Path,
    batch: Batch,
    areas: Mapping[str, int],
    facilities: Mapping[str, int],
    today: dt.date,
) -> Rows:
    """A batch of ``children.csv`` as ``CHILD_FIELDS`` (maps: code → id). A child_id repeated
    across batches is found once all are staged (:func:`unique_children`)."""
    c = batch.columns
    area_ids = _ids(c["area_code"], areas)
    _unknown(path, batch, "area_code", area_ids, "area")
    facility_ids = _ids(c["facility_code"], facilities)
    _unknown(path, batch, "facility_code", facility_ids, "facility")
    _future(path, batch, "birth_date", today)
    columns = {
        "code": c["child_id"],
        "sex": c["sex"],
        "birth_date": c["birth_date"],
        "area_id": area_ids,
        "resident": pc.equal(c["resident"], "1"),
        "facility_id": facility_ids,
        "gestational_weeks": c["gestational_weeks"],
    }
    return Rows(columns, batch.lines)


def unique_children(path: Path, repeated: tuple[str, int, int] | None) -> None:
    """Raise for a child_id given twice: ``(code, first line, line)`` of the repeat that ends
    first in the file, or None."""
    if repeated is not None:
        code, first, line = repeated
        raise _repeated(path, "child_id", code, first, line)


def checks(
    path: Path,
    batch: Batch,
    clinics: Mapping[str, int],
    lookup: ChildLookup,
    today: dt.date,
) -> Rows:
    """A batch of ``checks.csv`` as ``CHECK_FIELDS`` (clinics: code → id); every child must
    exist (in the database or earlier in this load) and be born by the check's date."""
    c = batch.columns
    clinic_ids = _ids(c["clinic_code"], clinics)
    _unknown(path, batch, "clinic_code", clinic_ids, "clinic")
    _future(path, batch, "date", today)
    child_ids, births = _children(c["child_id"], lookup)
    _unknown(path, batch, "child_id", child_ids, "child_id")
    dates = c["date"]
    _fail_first(
        path,
        batch,
        pc.less(dates, births),
        "date",
        lambda i: f"check dated {dates[i].as_py()} before the child's birth date",
    )
    _results(path, batch, births)
    columns = {
        "child_id": child_ids,
        "check_date": dates,
        "kind": c["kind"],
        "clinic_id": clinic_ids,
        "measure": c["measure"],
        **{n: c[n] for n in NUMBERS},
        **{n: c[n] for n in RESULT_TEXTS},
        **{n: c[n] for n in ACUITY},
        "caries_teeth": pc.cast(c["caries_teeth"], pa.float64()).cast(pa.int64()),
        "vitamin_d_given": pc.equal(c["vitamin_d_given"], "1"),
    }
    return Rows(columns, batch.lines)


def _results(path: Path, batch: Batch, births: pa.Array) -> None:
    """The row rules of the screening results (the reader checked choices and ranges): an
    acuity has one decimal and is read from 36 months; decayed teeth are a whole number."""
    c = batch.columns
    for name in ACUITY:
        values = pc.cast(c[name], pa.float64())
        tenths = pc.multiply(values, 10.0)
        off = pc.greater(pc.abs(pc.subtract(tenths, pc.round(tenths))), 1e-6)
        _fail_first(path, batch, off, name,
                    lambda i, n=name: f"{c[n][i].as_py()} is not a 5-point record with one "
                    "decimal (for example 4.9)")  # fmt: skip
        age = pc.days_between(pc.cast(births, pa.date32()), pc.cast(c["date"], pa.date32()))
        young = pc.and_(pc.is_valid(values), pc.less(age, ACUITY_MIN_DAYS))
        _fail_first(path, batch, young, name,
                    lambda i: "visual acuity is recorded from 36 months of age")  # fmt: skip
    teeth = pc.cast(c["caries_teeth"], pa.float64())
    whole = pc.not_equal(teeth, pc.floor(teeth))
    _fail_first(
        path, batch, whole, "caries_teeth",
        lambda i: f"{c['caries_teeth'][i].as_py()} is not a whole number of teeth",
    )  # fmt: skip


# ---- repeated checks -----------------------------------------------------------------------------

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


def _plausible_codes(codes: pa.Array) -> pa.Array:
    """Unchecked child codes with the ones the reader would refuse (empty, too long, a control
    character) as nulls: only codes that could be valid are looked up (their rows are refused
    by the checked pass anyway)."""
    length = pc.utf8_length(codes)
    bad = pc.or_(
        pc.or_(pc.equal(length, 0), pc.greater(length, CHECKS[0].max_length)),
        reader.has_control(codes),
    )
    return pc.if_else(bad, pa.scalar(None, pa.string()), codes)


KeyColumns = list[tuple[pa.Array, pa.Array, pa.Array]]
"""A checks file's repeat-scan columns per batch: child codes, dates, kinds (unchecked)."""


class CheckRepeats:
    """A check (child, date, kind) given more than once in ``checks.csv``: the last row wins,
    so that a reload of the same file finds nothing to change.

    Within a batch the repeats are found in the batch itself. A file of several batches first
    gets a pass over its keys only (8 bytes a row while it runs) that marks every row repeated
    later in the file; :meth:`keep_last` drops those, batch after batch, in file order.
    """

    def __init__(self, superseded: np.ndarray | None = None) -> None:
        self.superseded = superseded  # one bool per row of the file; None for a single batch
        self.offset = 0

    @staticmethod
    def read_keys(path: Path) -> KeyColumns:
        """The part of :meth:`scan` that needs no database: per batch of ``path``, its child
        codes (those the reader would refuse as null), dates and kinds, read unchecked by
        pyarrow (which raises on a malformed file). Empty for a file of one batch."""
        if path.stat().st_size <= reader.BLOCK_SIZE:
            return []
        return [(_plausible_codes(c["child_id"]), c["date"], c["kind"])
                for c in reader.read_raw_columns(path, ("child_id", "date", "kind"))]  # fmt: skip

    @classmethod
    def scan(
        cls, path: Path, lookup: ChildLookup, keys: Callable[[], KeyColumns] | None = None
    ) -> CheckRepeats:
        """The first pass over ``path`` (none for a file that fits in one batch): only the three
        key columns are read, unchecked (:meth:`read_keys`; ``keys`` gives them when they were
        read ahead, e.g. a future's ``result``). If pyarrow cannot read them (a malformed file),
        the file is read again with every cell checked, which raises the located fault."""
        if path.stat().st_size <= reader.BLOCK_SIZE:
            return cls()
        try:
            columns = keys() if keys is not None else cls.read_keys(path)
            parts = [_check_keys(_children(codes, lookup)[0], dates, kinds)
                     for codes, dates, kinds in columns]  # fmt: skip
        except (pa.ArrowException, UnicodeDecodeError, ExchangeError):
            parts = [
                _check_keys(_children(b.columns["child_id"], lookup)[0], b.columns["date"],
                            b.columns["kind"])
                for b in reader.read_batches(path, CHECKS, None)
            ]  # fmt: skip
        if not parts:
            return cls()
        return cls(~_last_occurrences(np.concatenate(parts)))

    def keep_last(self, rows: Rows) -> Rows:
        """``rows`` (the next batch of the file, as :func:`checks` returned it) without the
        checks that come again later in the file or in the batch."""
        if self.superseded is not None:
            drop = self.superseded[self.offset : self.offset + len(rows)]
            self.offset += len(rows)
            if drop.any():
                rows = rows.keep(~drop)
        c = rows.columns
        last = _last_occurrences(_check_keys(c["child_id"], c["check_date"], c["kind"]))
        return rows if last.all() else rows.keep(last)
