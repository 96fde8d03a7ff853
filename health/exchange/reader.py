"""Streamed, vectorised reading of one exchange CSV file into validated column batches.

Batches come from pyarrow's streaming CSV reader (all columns read as text); each column is
checked with array operations, and the first bad cell raises :class:`ExchangeError` with its
line (header = line 1; one record per line, as the exchange format has no multi-line fields).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from growth_charts.textlines import LINE_END, UndecodableLineError, text_lines
from health.exchange.errors import ExchangeError

BLOCK_SIZE = 8 << 20  # bytes of CSV per batch (~200,000 check rows)
DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
NUMBER_RE = r"^[0-9]+(\.[0-9]+)?$"
CONTROL_RE = r"[\x00-\x1f\x7f]"  # not allowed in codes and names


@dataclass(frozen=True)
class Column:
    """How one column is read. ``kind``: code, text, date, enum, number, flag."""

    name: str
    kind: str
    required: bool = True
    choices: tuple[str, ...] = ()
    low: float | None = None  # numbers: allowed closed range
    high: float | None = None
    max_length: int = 64
    optional: bool = False  # the column may be left out of the header (then all empty)


@dataclass
class Batch:
    """Validated text columns (empty optional cells as nulls) and their file line numbers."""

    columns: dict[str, pa.Array]
    lines: np.ndarray
    bytes_read: int = 0
    rows_read: int = 0  # rows in the file this batch covers (before de-duplication)

    def __len__(self) -> int:
        return len(self.lines)


def first_true(bad: pa.Array | np.ndarray) -> int | None:
    """Index of the first true value, None when there is none (nulls count as false)."""
    mask = np.asarray(pc.fill_null(bad, False)) if isinstance(bad, pa.Array) else bad
    hits = np.flatnonzero(mask)
    return int(hits[0]) if hits.size else None


def _offsets_and_bytes(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The value offsets (``n + 1``, from 0) and the bytes of a string array."""
    n = len(values)
    offsets = np.frombuffer(values.buffers()[1], np.int32, n + 1, values.offset * 4)
    data = values.buffers()[2]
    start, end = int(offsets[0]), int(offsets[n])
    raw = (
        np.frombuffer(data, np.uint8, end - start, start) if end > start else np.empty(0, np.uint8)
    )
    return offsets - offsets[0], raw


def trimmed(values: pa.Array) -> pa.Array:
    """``values`` without leading and trailing whitespace (``utf8_trim_whitespace``); returned
    as they are, without that pass, when no value begins or ends with a byte that could start
    or end whitespace (below ``!``, DEL or beyond ASCII)."""
    if values.null_count == 0 and len(values):
        offsets, data = _offsets_and_bytes(values)
        filled = offsets[1:] > offsets[:-1]
        ends = np.concatenate([data[offsets[:-1][filled]], data[offsets[1:][filled] - 1]])
        if not ((ends <= 0x20) | (ends >= 0x7F)).any():
            return values
    return pc.utf8_trim_whitespace(values)


def plain_numbers(values: pa.Array) -> bool:
    """Whether every non-empty value matches :data:`NUMBER_RE` (digits, at most one point,
    not first nor last), decided on the bytes; False also for an array with nulls."""
    if values.null_count:
        return False
    offsets, data = _offsets_and_bytes(values)
    if not (((data >= 0x30) & (data <= 0x39)) | (data == 0x2E)).all():
        return False
    points = np.flatnonzero(data == 0x2E)
    if not points.size:
        return True
    row = np.searchsorted(offsets, points, side="right") - 1
    if (np.diff(row) == 0).any():  # two points in one value
        return False
    return not ((points == offsets[row]) | (points == offsets[row + 1] - 1)).any()


def has_control(values: pa.Array) -> pa.Array:
    """True where a value holds a control character (:data:`CONTROL_RE`; nulls: false). A
    batch of printable ASCII only (the usual codes) is told in one cheap pass, without the
    regular expression."""
    if pc.all(pc.ascii_is_printable(values)).as_py() is not False:
        return pa.array(np.zeros(len(values), dtype=bool))
    return pc.match_substring_regex(values, CONTROL_RE)


def _first_bad_date(values: pa.Array, present: pa.Array) -> int | None:
    """First present value that is not an existing ISO date ``YYYY-MM-DD``, or None.

    Fast path: arrow's strict cast to date32 succeeds for the whole batch. Only when it fails
    is the slow exact check run (strptime rolls impossible days over, 2024-02-30 → 03-01, so a
    round trip through strftime must give the text back)."""
    if values.null_count == 0:  # arrow's date32 cast reads exactly YYYY-MM-DD, of digits
        lengths = np.asarray(pc.binary_length(values))
        if ((lengths == 10) | (lengths == 0)).all():
            try:
                pc.cast(pc.if_else(present, values, pa.scalar(None, pa.string())), pa.date32())
                return None
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                pass
    shaped = pc.match_substring_regex(values, DATE_RE)
    if (i := first_true(pc.and_(present, pc.invert(shaped)))) is not None:
        return i
    try:
        pc.cast(pc.if_else(present, values, pa.scalar(None, pa.string())), pa.date32())
        return None
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        parsed = pc.strptime(values, format="%Y-%m-%d", unit="s", error_is_null=True)
        same = pc.fill_null(pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), values), False)
        return first_true(pc.and_(present, pc.invert(same)))


def _check_column(col: Column, values: pa.Array) -> tuple[int, str] | None:
    """First bad row of ``values`` and the reason, or None."""
    size = pc.binary_length(values)  # bytes: no fewer than characters
    empty = pc.equal(size, 0)
    problems: list[tuple[int, str]] = []
    if col.required and (i := first_true(empty)) is not None:
        problems.append((i, "value is missing"))
    present = pc.invert(empty)
    longest = pc.max(size).as_py()
    if (
        longest is not None
        and longest > col.max_length
        and (i := first_true(pc.and_(present, pc.greater(pc.utf8_length(values), col.max_length))))
        is not None
    ):
        problems.append((i, f"longer than {col.max_length} characters"))
    # a line break in a value would also shift every later line number
    controls = has_control(values) if col.kind in ("code", "text") else None
    if controls is not None and (i := first_true(controls)) is not None:
        problems.append((i, "contains a control character (line break, tab, NUL)"))
    if col.kind == "date" and (i := _first_bad_date(values, present)) is not None:
        problems.append((i, f"'{values[i].as_py()}' is not a date (YYYY-MM-DD)"))
    elif col.kind in ("enum", "flag"):
        bad = pc.and_(present, pc.invert(pc.is_in(values, value_set=pa.array(col.choices))))
        if (i := first_true(bad)) is not None:
            allowed = ", ".join(col.choices)
            problems.append((i, f"'{values[i].as_py()}' is not one of {allowed}"))
    elif col.kind == "number":
        shaped = None if plain_numbers(values) else pc.match_substring_regex(values, NUMBER_RE)
        if (
            shaped is not None
            and (i := first_true(pc.and_(present, pc.invert(shaped)))) is not None
        ):
            problems.append((i, f"'{values[i].as_py()}' is not a number"))
        else:
            numbers = pc.cast(pc.if_else(present, values, "0"), pa.float64())
            out = pc.or_(pc.less(numbers, col.low), pc.greater(numbers, col.high))
            if (i := first_true(pc.and_(present, out))) is not None:
                problems.append((i, f"{values[i].as_py()} is outside {col.low:g}–{col.high:g}"))
    return min(problems) if problems else None


def _text_lines(path: Path) -> Iterator[str]:
    """``text_lines`` with its decoding error as an ``ExchangeError`` naming the line."""
    try:
        yield from text_lines(path)
    except UndecodableLineError as error:
        raise ExchangeError(
            path.name, f"not valid UTF-8 ({error.reason})", line=error.line
        ) from None


def locate_parse_error(path: Path, width: int) -> ExchangeError:
    """Re-scan a file pyarrow could not parse and name the first malformed line (the line a
    record starts on; blank lines are left to the column checks)."""
    try:
        reader = csv.reader(_text_lines(path))
        done = 0
        for row in reader:
            if row and len(row) != width:
                return ExchangeError(
                    path.name, f"expected {width} fields, found {len(row)}", line=done + 1
                )
            done = reader.line_num
    except ExchangeError as error:
        return error
    except csv.Error as exc:
        return ExchangeError(path.name, f"malformed CSV ({exc})", line=done + 1)
    return ExchangeError(path.name, "malformed CSV")


def read_header(path: Path) -> list[str]:
    """The header fields of ``path``, trimmed (a UTF-8 byte-order mark is ignored)."""
    with path.open("rb") as handle:
        raw = handle.readline().removeprefix(b"\xef\xbb\xbf")
    try:  # only the first line: a bad byte further down is reported on its own line
        text = LINE_END.split(raw.decode("utf-8"), maxsplit=1)[0]
    except UnicodeDecodeError as exc:
        raise ExchangeError(path.name, f"not valid UTF-8 ({exc.reason})", line=1) from None
    return [h.strip() for h in next(csv.reader([text]), [])]


def read_raw_columns(path: Path, names: Sequence[str]) -> Iterator[dict[str, pa.Array]]:
    """Batches of the trimmed text of ``names`` only, nothing checked (a pre-pass: pyarrow still
    splits every record, but converts only these columns). Raises what pyarrow raises
    (``pa.ArrowException``, ``UnicodeDecodeError``) or :class:`ExchangeError` for a bad header;
    the caller then reads the file with :func:`read_batches`, which names the fault."""
    header = read_header(path)
    reader = pcsv.open_csv(
        str(path),
        read_options=pcsv.ReadOptions(
            block_size=BLOCK_SIZE, use_threads=True, column_names=header, skip_rows=1
        ),
        parse_options=pcsv.ParseOptions(ignore_empty_lines=False),
        convert_options=pcsv.ConvertOptions(
            include_columns=list(names),
            column_types={n: pa.string() for n in names},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    for record in reader:
        yield {n: trimmed(record.column(n)) for n in names}


def read_batches(
    path: Path, columns: Sequence[Column], on_bytes: Callable[[int], None] | None = None
) -> Iterator[Batch]:
    """Validated batches of ``path``; raises :class:`ExchangeError` at the first bad cell."""
    header = read_header(path)
    if not header:
        raise ExchangeError(path.name, "the file is empty (a header row is needed)", line=1)
    for col in columns:
        if col.name not in header and col.optional:
            continue
        if col.name not in header:
            raise ExchangeError(path.name, "required column is missing", line=1, column=col.name)
        if header.count(col.name) > 1:
            raise ExchangeError(path.name, "the column appears twice", line=1, column=col.name)
    stream = pa.input_stream(str(path))
    try:
        reader = pcsv.open_csv(
            stream,
            # the trimmed names of read_header stand for the file's own header row
            read_options=pcsv.ReadOptions(
                block_size=BLOCK_SIZE, use_threads=True, column_names=header, skip_rows=1
            ),
            parse_options=pcsv.ParseOptions(ignore_empty_lines=False),
            convert_options=pcsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                # every column, read or not, is converted: so all of it must be UTF-8
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowKeyError):
        raise locate_parse_error(path, len(header)) from None
    first_line = 2
    last_pos = 0
    while True:
        try:
            record = reader.read_next_batch()
        except StopIteration:
            break
        except pa.ArrowInvalid:
            raise locate_parse_error(path, len(header)) from None
        n = record.num_rows
        lines = np.arange(first_line, first_line + n, dtype=np.int64)
        found: list[tuple[int, int, str]] = []
        values: dict[str, pa.Array] = {}
        for order, col in enumerate(columns):
            if col.name not in header:  # an optional column left out: every cell empty
                values[col.name] = pa.nulls(n, pa.string())
                continue
            raw = trimmed(record.column(col.name))
            problem = _check_column(col, raw)
            if problem is not None:
                found.append((problem[0], order, problem[1]))
            empty = pc.equal(pc.binary_length(raw), 0)
            values[col.name] = (
                pc.if_else(empty, pa.scalar(None, pa.string()), raw)
                if pc.any(empty).as_py()
                else raw
            )
        if found:
            row, order, reason = min(found)
            raise ExchangeError(path.name, reason, line=int(lines[row]), column=columns[order].name)
        position = stream.tell()
        if on_bytes is not None:
            on_bytes(position - last_pos)
        yield Batch(values, lines, position - last_pos, n)
        last_pos = position
        first_line += n
