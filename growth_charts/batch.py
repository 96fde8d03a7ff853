"""CSV → CSV z-scores for survey files of any size, streamed in blocks.

Input columns pass through byte for byte (each output line is the input line plus the appended
WHO columns), so nothing an analyst had in the file is reformatted. Only the columns the engine
reads are parsed (pyarrow), and the appended numbers are written by pyarrow's CSV writer.
Files whose quoted values span lines, or that already carry output columns, take a slower
pandas path with the same result.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from growth_charts.anthro import FUSED_MIN_ROWS, OUTPUT_ORDER, RuleSet, children, rounded_matrix
from growth_charts.codes import UNKNOWN, measure_codes, oedema_codes, sex_codes
from growth_charts.frame import (
    _EXPECTED,
    MISSING_TEXT,
    NUMERIC_COLUMNS,
    OUTPUT_COLUMNS,
    InvalidValueError,
    MissingColumnError,
    zscores,
)
from growth_charts.textlines import UndecodableLineError, text_lines

BLOCK_BYTES = 8 << 20
WARM_UP_BYTES = 1 << 20  # from this much data the engine's kernels load while a block is read
MEASUREMENT_COLUMNS = ("weight", "lenhei", "headc", "armc", "triskin", "subskin")
CODED_COLUMNS = {"sex": sex_codes, "measure": measure_codes, "oedema": oedema_codes}
FLAG_COLUMNS = {"c9mo_flag"} | {c for c in OUTPUT_COLUMNS if c.startswith("f")}
CODED_TYPE = pa.dictionary(pa.int32(), pa.string())  # coded columns: each distinct text once
C_VALUE_DECIMALS = 4  # clenhei and cbmi are written to 4 decimals (z-scores are already rounded)
Progress = Callable[[int, int], None]


@dataclass
class BatchInputError(Exception):
    """A problem with the input file: ``line`` is 1-based with the header on line 1."""

    file: str
    reason: str
    line: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = self.file + (f", line {self.line}" if self.line else "")
        where += f", column '{self.column}'" if self.column else ""
        return f"{where}: {self.reason}"


def _header(path: Path) -> tuple[list[str], bytes, int]:
    """Column names, the raw header line and the byte offset where data starts."""
    with path.open("rb") as handle:
        raw = handle.readline()
    if not raw.strip():
        raise BatchInputError(str(path), "the file is empty: expected a header row", line=1)
    start = len(raw)
    raw = raw.removeprefix(b"\xef\xbb\xbf").rstrip(b"\r\n")
    # a file with bare CR line ends reads as one line here: the header ends at the first CR
    # (zscore_csv sends such files down the general path, which splits lines at CR too)
    try:
        text = raw.split(b"\r", 1)[0].decode("utf-8")
    except UnicodeDecodeError:
        raise BatchInputError(str(path), "the file is not UTF-8 text", line=1) from None
    names = [name.strip() for name in next(csv.reader([text]), [])]
    return names, raw, start


def _check_columns(path: Path, names: list[str]) -> None:
    if "sex" not in names:
        raise BatchInputError(str(path), "required column 'sex' is missing", line=1)
    if not any(name in names for name in MEASUREMENT_COLUMNS):
        raise BatchInputError(
            str(path),
            "no measurement column: expected one of " + ", ".join(MEASUREMENT_COLUMNS),
            line=1,
        )


def _blocks(path: Path, start: int) -> Iterator[tuple[bytes, int]]:
    """Whole-line blocks of the data part of the file, with the offset reached after each."""
    with path.open("rb") as handle:
        handle.seek(start)
        rest = b""
        while True:
            chunk = handle.read(BLOCK_BYTES)
            if not chunk:
                if rest.strip():
                    yield rest, handle.tell()
                return
            chunk = rest + chunk
            cut = chunk.rfind(b"\n") + 1
            if cut == 0:
                rest = chunk
                continue
            rest = chunk[cut:]
            yield chunk[:cut], handle.tell()


def _numeric(array: pa.Array) -> np.ndarray:
    """A string column as float64; raises ``ValueError`` naming the first row that is no number."""
    if pa.types.is_floating(array.type):  # read as numbers already (missing texts as null)
        return array.to_numpy(zero_copy_only=False)
    cleaned = pc.utf8_trim_whitespace(array)
    missing = pc.is_in(pc.utf8_lower(cleaned), value_set=pa.array(MISSING_TEXT))
    cleaned = pc.if_else(missing, pa.scalar(None, pa.string()), cleaned)
    try:
        numbers = pc.cast(cleaned, pa.float64())
    except pa.ArrowInvalid:
        parsed = pd.to_numeric(pd.Series(cleaned.to_pylist(), dtype=object), errors="coerce")
        bad = parsed.isna().to_numpy() & ~pc.is_null(cleaned).to_numpy(zero_copy_only=False)
        raise _BadValueError(int(np.flatnonzero(bad)[0]), "a number") from None
    return numbers.to_numpy(zero_copy_only=False)


def _coded(array: pa.Array, column: str) -> np.ndarray:
    """A categorical column (text, or text read as a dictionary) as engine codes, mapping each
    distinct text once; null (a quoted empty value) reads as ""."""
    encoded = array if pa.types.is_dictionary(array.type) else pc.dictionary_encode(array)
    texts = encoded.dictionary.to_numpy(zero_copy_only=False)
    codes = CODED_COLUMNS[column](np.append(texts, np.array([""], dtype=object)))
    indices = pc.fill_null(encoded.indices, len(texts))  # the code of "" comes last
    values = codes[indices.to_numpy(zero_copy_only=False)]
    bad = np.flatnonzero(values == UNKNOWN)
    if bad.size:
        raise _BadValueError(int(bad[0]), _EXPECTED[column])
    return values


class _BadValueError(Exception):
    def __init__(self, row: int, expected: str) -> None:
        self.row = row
        self.expected = expected


def _one_array(column: pa.ChunkedArray) -> pa.Array:
    """A column as one array (its only chunk as it is: no copy)."""
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def _block_matrix(table: pa.Table, rules: RuleSet, buffer: np.ndarray | None = None) -> np.ndarray:
    """The WHO columns of one parsed block, a (25, n) matrix in ``OUTPUT_COLUMNS`` order
    (written into ``buffer`` when it is large enough)."""
    n = table.num_rows
    inputs: dict[str, np.ndarray] = {}
    for name in table.column_names:
        array = _one_array(table.column(name))
        if name in CODED_COLUMNS:
            inputs[name] = _coded(array, name)
        else:
            inputs[name] = _numeric(array)
    kids = children(
        inputs.get("sex", np.full(n, -1, np.int8)),
        **{k: v for k, v in inputs.items() if k != "sex"},
    )
    return rounded_matrix(kids, rules, buffer)


if tuple(OUTPUT_ORDER) != OUTPUT_COLUMNS:
    raise AssertionError("the engine's matrix rows must be the CSV's output columns")


MAX_TEXT_BYTES = 16  # the longest value write_lines spells: −999999999.9999 and its comma


class _LineWriter:
    """Each input line of a block followed by its WHO columns, spelt as ``_appended_lines``
    (pyarrow's writer) does; one output buffer reused from block to block. Numbers beyond ±1e9
    or infinite take that slower path."""

    def __init__(self) -> None:
        self.buffer = np.empty(0, np.uint8)

    def lines(self, text: bytes, matrix: np.ndarray) -> bytes | memoryview:
        from growth_charts.fused import write_lines, z_texts

        rows = matrix.shape[1]
        bound = len(text) + rows * (len(OUTPUT_COLUMNS) * MAX_TEXT_BYTES + 1)
        if self.buffer.size < bound:
            self.buffer = np.empty(bound, np.uint8)
        size = write_lines(np.frombuffer(text, np.uint8), rows, matrix, z_texts(), self.buffer)
        if size >= 0:
            return memoryview(self.buffer)[:size]
        appended = _appended_lines(matrix)
        parts: list[bytes] = [b""] * (2 * rows)
        parts[0::2] = text.split(b"\n")[:-1]
        parts[1::2] = appended
        return b"".join(parts)


def _appended_lines(matrix: np.ndarray) -> list[bytes]:
    """The appended WHO columns of one block, one ``,v1,v2,…\n`` text line per row (pyarrow's
    CSV writer; the general spelling of any number)."""
    n = matrix.shape[1]
    result = dict(zip(OUTPUT_ORDER, matrix, strict=True))
    # a leading all-null column makes every written line start with the separating comma
    columns: dict[str, pa.Array] = {"": pa.nulls(n)}
    for name in OUTPUT_COLUMNS:
        values = result[name]
        if name in FLAG_COLUMNS:
            missing = np.isnan(values)
            columns[name] = pa.array(np.nan_to_num(values).astype(np.int8), mask=missing)
        elif name.startswith("z"):
            columns[name] = _z_text(values)
        else:
            columns[name] = pa.array(np.round(values, C_VALUE_DECIMALS), from_pandas=True)
    buffer = io.BytesIO()
    # only numbers and preformatted numbers are written: nothing ever needs quoting
    options = pacsv.WriteOptions(include_header=False, quoting_style="none")
    pacsv.write_csv(pa.table(columns), buffer, options)
    return buffer.getvalue().splitlines(keepends=True)


Z_TEXT_LIMIT = 1000  # hundredths: z in [−10, 10] is written from a table of preformatted texts


@cache
def _z_texts() -> pa.Array:
    """The text of every 2-decimal z in [−10, 10], as the float writer would print it."""
    return pa.array([f"{k / 100:g}" for k in range(-Z_TEXT_LIMIT, Z_TEXT_LIMIT + 1)])


def _z_text(z: np.ndarray) -> pa.Array:
    """Rounded z as a dictionary of preformatted texts (faster to write than floats)."""
    missing = np.isnan(z)
    hundredths = np.rint(np.where(missing, 0.0, z) * 100.0)
    if np.abs(hundredths).max(initial=0.0) > Z_TEXT_LIMIT:
        return pa.array(z, from_pandas=True)
    indices = pa.array(hundredths.astype(np.int32) + Z_TEXT_LIMIT, mask=missing)
    return pa.DictionaryArray.from_arrays(indices, _z_texts())


def _normalised(block: bytes) -> bytes:
    """LF line ends, no blank lines, a final newline: one text line per parsed row."""
    if b"\r" in block:
        block = block.replace(b"\r\n", b"\n")
    if b"\n\n" in block or block.startswith(b"\n"):
        block = b"\n".join(line for line in block.split(b"\n") if line.strip()) + b"\n"
    return block if block.endswith(b"\n") else block + b"\n"


@cache
def _missing_spellings() -> list[str]:
    """Every upper/lower-case spelling of the missing-value texts (pyarrow matches exactly)."""
    spellings = {""}
    for text in MISSING_TEXT:
        for mask in range(1 << len(text)):
            spellings.add("".join(c.upper() if mask >> k & 1 else c for k, c in enumerate(text)))
    return sorted(spellings)


def _parse_block(path: Path, header: bytes, block: bytes, wanted: list[str]) -> pa.Table:
    """The engine's columns of one block: numbers read as numbers where they all are (missing
    texts as null), else every column as text for ``_numeric`` to name the bad value."""
    source = header + b"\n" + block
    options = {
        # one thread: zscore_csv already parses a block while it computes and writes others
        "read_options": pacsv.ReadOptions(use_threads=False, block_size=BLOCK_BYTES * 2),
        "parse_options": pacsv.ParseOptions(newlines_in_values=False, ignore_empty_lines=True),
    }
    numeric = [c for c in wanted if c in NUMERIC_COLUMNS]
    try:
        return pacsv.read_csv(
            io.BytesIO(source),
            **options,
            convert_options=pacsv.ConvertOptions(
                include_columns=wanted,
                column_types={c: pa.float64() if c in numeric else CODED_TYPE for c in wanted},
                null_values=_missing_spellings(),
                strings_can_be_null=False,
                quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid:
        pass
    return pacsv.read_csv(
        io.BytesIO(source),
        **options,
        convert_options=pacsv.ConvertOptions(
            include_columns=wanted,
            column_types=dict.fromkeys(wanted, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


@dataclass
class _Block:
    """One block of the file, read and parsed: its raw bytes (for error lines), its text lines
    (LF-ended, one per parsed row), the parsed engine columns and the file offset reached."""

    raw: bytes
    text: bytes
    table: pa.Table
    reached: int


class _GeneralPathError(Exception):
    """A block only the general (pandas) path reads: quoted line breaks, bare CRs, blank
    lines, text that is not UTF-8."""


def _read_block(
    blocks: Iterator[tuple[bytes, int]], path: Path, header: bytes, wanted: list[str]
) -> _Block | None:
    """The next block parsed and checked (``None`` at the end); raises ``_GeneralPathError``."""
    item = next(blocks, None)
    if item is None:
        return None
    block, reached = item
    try:
        table = _parse_block(path, header, block, wanted)
        if not block.isascii():  # columns passed through must be UTF-8 too
            block.decode("utf-8")
    except (pa.ArrowInvalid, UnicodeDecodeError):
        # a quoted value may span lines, a bare CR ends a line, a blank line is skipped: the
        # general path reads it or names the exact line of the fault
        raise _GeneralPathError from None
    text = _normalised(block)
    if table.num_rows != text.count(b"\n") or b"\r" in text:  # bare CR: general path
        raise _GeneralPathError
    return _Block(block, text, table, reached)


def zscore_csv(
    source: str | Path,
    target: str | Path,
    rules: RuleSet = "who-anthro",
    on_progress: Progress | None = None,
) -> int:
    """Write ``source`` plus WHO's z-score columns to ``target``; returns the number of rows.

    Raises ``BatchInputError`` (file, line, column, reason) for an unreadable file, a missing
    required column or a value that cannot be read; ``target`` is then left unwritten.

    Three stages overlap, block by block: while this thread computes the z-scores of one
    block, one worker thread reads and parses the next and another writes the lines of the
    previous one (pyarrow, the compiled line writer and the file write release the GIL). The
    output is the same bytes, in order.
    """
    path = Path(source)
    if not path.is_file():
        raise BatchInputError(str(path), "no such file")
    names, header, start = _header(path)
    _check_columns(path, names)
    wanted = [c for c in names if c in CODED_COLUMNS or c in NUMERIC_COLUMNS]
    if any(c in OUTPUT_COLUMNS for c in names) or len(set(names)) != len(names) or b"\r" in header:
        return _zscore_csv_pandas(path, Path(target), rules)
    total = path.stat().st_size
    out_path = Path(target)
    partial = out_path.with_name(out_path.name + ".partial")
    rows = 0
    line = 2
    # the WHO columns of a block, two reused in turn: one being written while the next fills
    buffers = [np.empty(0), np.empty(0)]
    writer = _LineWriter()
    blocks = _blocks(path, start)
    try:
        with partial.open("wb") as out, ThreadPoolExecutor(2, "zscore-csv") as pool:
            out.write(header + b"," + ",".join(OUTPUT_COLUMNS).encode() + b"\n")
            reading = pool.submit(_read_block, blocks, path, header, wanted)
            # the compiled kernels load while the first block is read (numba's start-up); a
            # small file may never need the engine's
            writing: Future[None] | None = None
            if total - start >= WARM_UP_BYTES:
                writing = pool.submit(_warm_up, rules)
            reached = 0
            while True:
                try:
                    block = reading.result()
                except _GeneralPathError:
                    if writing is not None:
                        writing.result()
                    break
                if block is None:
                    if writing is not None:
                        writing.result()
                        _progress(on_progress, reached, total)
                    blocks = None  # the whole file is read
                    break
                reading = pool.submit(_read_block, blocks, path, header, wanted)
                n = block.table.num_rows
                turn = buffers[0]
                if turn.size < len(OUTPUT_COLUMNS) * n:
                    turn = np.empty(len(OUTPUT_COLUMNS) * n)
                buffers = [buffers[1], turn]
                try:
                    matrix = _block_matrix(block.table, rules, turn)
                except _BadValueError as bad:
                    column = _bad_column(block.table, bad)
                    raise BatchInputError(
                        str(path),
                        f"{_cell(block.table, column, bad.row)!r} is not valid ({bad.expected})",
                        line=line + _raw_line_index(block.raw, bad.row),
                        column=column,
                    ) from None
                if writing is not None:
                    writing.result()
                    _progress(on_progress, reached, total)
                writing = pool.submit(_write_lines, out, writer, block.text, matrix)
                rows += n
                line += block.raw.count(b"\n")
                reached = block.reached
        if blocks is not None:  # a block that needs the general path: it starts afresh
            return _zscore_csv_pandas(path, out_path, rules, partial)
        partial.replace(out_path)
    finally:
        partial.unlink(missing_ok=True)
    return rows


def _warm_up(rules: RuleSet) -> None:
    """Load the engine's and the line writer's compiled kernels (a block of dummy children)."""
    n = FUSED_MIN_ROWS
    matrix = rounded_matrix(children(np.zeros(n, np.int8), weight=np.ones(n)), rules)
    _LineWriter().lines(b"\n" * n, matrix)


def _write_lines(out: BinaryIO, writer: _LineWriter, text: bytes, matrix: np.ndarray) -> None:
    out.write(writer.lines(text, matrix))


def _progress(on_progress: Progress | None, done: int, total: int) -> None:
    if on_progress and done:
        on_progress(done, total)


def _raw_line_index(block: bytes, row: int) -> int:
    """Line offset within the block of the ``row``-th non-blank line (error path only)."""
    seen = -1
    for index, raw in enumerate(block.split(b"\n")):
        if raw.strip():
            seen += 1
            if seen == row:
                return index
    return row


def _bad_column(table: pa.Table, bad: _BadValueError) -> str:
    """Which column raised ``bad`` (columns are converted in order; find the first failing)."""
    for name in table.column_names:
        array = table.column(name).combine_chunks()
        try:
            _coded(array, name) if name in CODED_COLUMNS else _numeric(array)
        except _BadValueError:
            return name
    return table.column_names[0]


def _cell(table: pa.Table, column: str, row: int) -> str:
    return str(table.column(column)[row].as_py())


def _zscore_csv_pandas(
    path: Path, target: Path, rules: RuleSet, partial: Path | None = None
) -> int:
    """The slow, general path: pandas reads every column as text and writes it back.

    The file is first scanned record by record (Python's csv module, lines split at LF, CRLF
    or a bare CR) so that any error names the physical line its record starts on.
    """
    partial = partial or target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    lines = _record_lines(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.ParserError as error:
        if "EOF inside string" in str(error) and lines:
            raise BatchInputError(
                str(path), "a quoted value is never closed", line=lines[-1]
            ) from None
        raise BatchInputError(str(path), f"cannot be read as CSV: {error}") from None
    if len(frame) != len(lines):  # the two readers disagree: name no line rather than a wrong one
        raise BatchInputError(str(path), "cannot be read as CSV (ambiguous quoting)")
    try:
        result = zscores(frame, rules)
    except InvalidValueError as error:
        raise BatchInputError(
            str(path), f"{error.value!r} is not valid ({error.expected})",
            line=lines[error.row], column=error.column,
        ) from None  # fmt: skip
    except MissingColumnError as error:
        raise BatchInputError(str(path), str(error), line=1) from None
    flags = [c for c in FLAG_COLUMNS if c in result]
    result[flags] = result[flags].astype("Int8")
    try:
        # csv quotes a value holding a bare CR only when CR is part of the line end
        has_cr = any(frame[c].str.contains("\r", regex=False).any() for c in frame.columns)
        result.to_csv(partial, index=False, lineterminator="\r\n" if has_cr else "\n")
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return len(result)


def _text_lines(path: Path) -> Iterator[str]:
    """``textlines.text_lines`` with its decoding error as this reader's ``BatchInputError``."""
    try:
        yield from text_lines(path)
    except UndecodableLineError as error:
        raise BatchInputError(str(path), "the line is not UTF-8 text", line=error.line) from None


def _record_lines(path: Path) -> list[int]:
    """Line on which each data record starts (header = line 1; blank lines skipped, as pandas
    does). Raises ``BatchInputError`` for a record whose field count differs from the header's."""
    lines: list[int] = []
    reader = csv.reader(_text_lines(path))
    width = len(next(reader, []))
    done = reader.line_num
    for row in reader:
        if row and len(row) != width:
            raise BatchInputError(
                str(path), f"expected {width} fields, found {len(row)}", line=done + 1
            )
        if row:
            lines.append(done + 1)
        done = reader.line_num
    return lines
