"""Load an exchange folder (areas, clinics, facilities, children, checks) in one transaction.

Each file goes read → validate → write, batch by batch, and its figures into the summary:

- ``reader.py`` streams a file in batches of about 8 MB and checks every cell;
- ``validate.py`` checks rows against each other and the database and turns codes into ids;
- a :class:`~health.exchange.writer.Writer` (``sqlite_writer.py`` or ``postgres_writer.py``,
  by the connection's dialect) stores them with upserts that skip identical rows.

The first bad cell or row stops the load with its file, line, column and reason, and nothing is
kept; loading the same folder twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Engine

from health.exchange import reader, validate
from health.exchange.errors import ExchangeError
from health.exchange.postgres_writer import PostgresWriter
from health.exchange.reader import Batch, read_batches
from health.exchange.sqlite_writer import SQLiteWriter
from health.exchange.validate import FILES
from health.exchange.writer import Writer

__all__ = ["FILES", "FK_SUSPEND_BYTES", "ImportSummary", "Progress", "import_folder"]

Progress = Callable[[int], None]
FK_SUSPEND_BYTES = 8 << 20  # files from this size are big: see the writers
WRITERS: dict[str, type[Writer]] = {"sqlite": SQLiteWriter, "postgresql": PostgresWriter}


@dataclass
class ImportSummary:
    """Rows read and rows added or changed, per file."""

    read: dict[str, int] = field(default_factory=dict)
    changed: dict[str, int] = field(default_factory=dict)


def writer_for(conn: Connection) -> Writer:
    """The writer of the connection's database (SQLite or PostgreSQL)."""
    try:
        return WRITERS[conn.dialect.name](conn)
    except KeyError:
        raise ValueError(f"no exchange writer for the '{conn.dialect.name}' dialect") from None


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
    prefetch = ThreadPoolExecutor(max_workers=1, thread_name_prefix="check-keys")
    try:
        with engine.connect() as conn:
            writer = writer_for(conn)
            with writer.transaction():
                load = _Load(writer, today, progress, prefetch)
                for name in present:
                    read, changed = _LOADS[name](load, folder / name)
                    summary.read[name], summary.changed[name] = read, changed
    finally:
        prefetch.shutdown(wait=True, cancel_futures=True)
    return summary


@dataclass(frozen=True)
class _Load:
    """One import: its writer (inside the transaction), ``today`` and the progress callback."""

    writer: Writer
    today: dt.date
    progress: Progress | None
    prefetch: ThreadPoolExecutor | None = None
    # checks file → its key columns being read ahead (:meth:`read_check_keys`)
    check_keys: dict[Path, Future[validate.KeyColumns]] = field(default_factory=dict)

    def batches(self, path: Path) -> Iterator[Batch]:
        return read_batches(path, FILES[path.name], self.progress)

    def read_check_keys(self, folder: Path) -> None:
        """Start reading the key columns of the folder's checks file (if it has several
        batches) on the prefetch thread: the children merge keeps the server busy meanwhile."""
        path = folder / "checks.csv"
        if self.prefetch is None or not path.is_file() or path.stat().st_size <= reader.BLOCK_SIZE:
            return
        self.check_keys[path] = self.prefetch.submit(validate.CheckRepeats.read_keys, path)

    def check_repeats(self, path: Path) -> validate.CheckRepeats:
        """``validate.CheckRepeats.scan`` of ``path``, with its key columns read ahead where
        they were (the same marks, and the same fault for a bad file)."""
        future = self.check_keys.pop(path, None)
        keys = future.result if future is not None else None
        return validate.CheckRepeats.scan(path, self.writer.children, keys)

    @staticmethod
    def big(path: Path) -> bool:
        return path.stat().st_size >= FK_SUSPEND_BYTES


# Each returns (rows read, rows added or changed).


def _areas(load: _Load, path: Path) -> tuple[int, int]:
    rows = validate.areas(path, load.batches(path), load.writer.areas())
    return len(rows), load.writer.upsert_areas(rows)


def _clinics(load: _Load, path: Path) -> tuple[int, int]:
    rows = validate.clinics(path, load.batches(path), load.writer.areas())
    return len(rows), load.writer.upsert("clinics", ("code", "name", "area_id"), rows)


def _facilities(load: _Load, path: Path) -> tuple[int, int]:
    w = load.writer
    rows = validate.facilities(path, load.batches(path), w.codes("areas"), w.codes("clinics"))
    return len(rows), w.upsert("facilities", ("code", "name", "area_id", "clinic_id"), rows)


def _children(load: _Load, path: Path) -> tuple[int, int]:
    w = load.writer
    areas, facilities = w.codes("areas"), w.codes("facilities")
    w.stage_children()
    read = 0
    for batch in load.batches(path):
        w.add_children(validate.children(path, batch, areas, facilities, load.today))
        read += len(batch)
    load.read_check_keys(path.parent)  # while the server checks and merges the children
    validate.unique_children(path, w.repeated_child())
    return read, w.merge_children(big=load.big(path))


def _checks(load: _Load, path: Path) -> tuple[int, int]:
    w = load.writer
    clinics = w.codes("clinics")
    repeats = load.check_repeats(path)
    read = changed = 0
    with w.loading_checks(big=load.big(path)):
        batches = load.batches(path)
        for batch in batches:
            try:
                rows = validate.checks(path, batch, clinics, w.children, load.today)
            except ExchangeError:
                # a fault of a cell (the reader's) anywhere in the file is told before a row's
                # (the validation's): read the rest, which raises the first such fault
                for _ in batches:
                    pass
                raise
            changed += w.add_checks(repeats.keep_last(rows))
            read += batch.rows_read
    return read, changed


_LOADS: dict[str, Callable[[_Load, Path], tuple[int, int]]] = {
    "areas.csv": _areas,
    "clinics.csv": _clinics,
    "facilities.csv": _facilities,
    "children.csv": _children,
    "checks.csv": _checks,
}
