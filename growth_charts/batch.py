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
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from growth_charts.anthro import RuleSet, children, compute
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

BLOCK_BYTES = 8 << 20
MEASUREMENT_COLUMNS = ("weight", "lenhei", "headc", "armc", "triskin", "subskin")
CODED_COLUMNS = {"sex": sex_codes, "measure": measure_codes, "oedema": oedema_codes}
FLAG_COLUMNS = {"c9mo_flag"} | {c for c in OUTPUT_COLUMNS if c.startswith("f")}
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
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BatchInputError(str(path), "the file is not UTF-8 text", line=1) from None
    names = [name.strip() for name in next(csv.reader([text]))]
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
    """A categorical column as engine codes, mapping each distinct text once."""
    encoded = pc.dictionary_encode(pc.fill_null(array, ""))
    codes = CODED_COLUMNS[column](encoded.dictionary.to_numpy(zero_copy_only=False))
    values = codes[encoded.indices.to_numpy(zero_copy_only=False)]
    bad = np.flatnonzero(values == UNKNOWN)
    if bad.size:
        raise _BadValueError(int(bad[0]), _EXPECTED[column])
    return values


class _BadValueError(Exception):
    def __init__(self, row: int, expected: str) -> None:
        self.row = row
        self.expected = expected


def _appended_lines(table: pa.Table, rules: RuleSet) -> list[bytes]:
    """The appended WHO columns of one parsed block, one ``,v1,v2,…\n`` text line per row."""
    n = table.num_rows
    inputs: dict[str, np.ndarray] = {}
    for name in table.column_names:
        array = table.column(name).combine_chunks()
        if name in CODED_COLUMNS:
            inputs[name] = _coded(array, name)
        else:
            inputs[name] = _numeric(array)
    kids = children(
        inputs.get("sex", np.full(n, -1, np.int8)),
        **{k: v for k, v in inputs.items() if k != "sex"},
    )
    result = compute(kids, rules, rounded=True)
    # a leading all-null column makes every written line start with the separating comma
    columns: dict[str, pa.Array] = {"": pa.nulls(n)}
    for name in OUTPUT_COLUMNS:
        values = result[name]
        if name in FLAG_COLUMNS:
            missing = np.isnan(values)
            columns[name] = pa.array(np.nan_to_num(values).astype(np.int8), mask=missing)
        else:
            columns[name] = pa.array(np.round(values, C_VALUE_DECIMALS), from_pandas=True)
    buffer = io.BytesIO()
    pacsv.write_csv(pa.table(columns), buffer, pacsv.WriteOptions(include_header=False))
    return buffer.getvalue().splitlines(keepends=True)


def _normalised(block: bytes) -> bytes:
    """LF line ends, no blank lines, a final newline: one text line per parsed row."""
    if b"\r" in block:
        block = block.replace(b"\r\n", b"\n")
    if b"\n\n" in block or block.startswith(b"\n"):
        block = b"\n".join(line for line in block.split(b"\n") if line.strip()) + b"\n"
    return block if block.endswith(b"\n") else block + b"\n"


def _parse_block(path: Path, header: bytes, block: bytes, wanted: list[str]) -> pa.Table:
    source = io.BytesIO(header + b"\n" + block)
    return pacsv.read_csv(
        source,
        read_options=pacsv.ReadOptions(use_threads=True, block_size=BLOCK_BYTES * 2),
        parse_options=pacsv.ParseOptions(newlines_in_values=False, ignore_empty_lines=True),
        convert_options=pacsv.ConvertOptions(
            include_columns=wanted,
            column_types=dict.fromkeys(wanted, pa.string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def _locate_parse_error(header: bytes, block: bytes) -> tuple[int, str]:
    """Row (0-based within the block) and reason of the first line that does not parse."""
    found: list[tuple[int, str]] = []

    def handler(row: pacsv.InvalidRow) -> str:
        found.append((row.number or 0, f"expected {row.expected_columns} fields, found "
                      f"{row.actual_columns}"))  # fmt: skip
        return "error"

    try:
        pacsv.read_csv(
            io.BytesIO(header + b"\n" + block),
            read_options=pacsv.ReadOptions(use_threads=False),
            parse_options=pacsv.ParseOptions(invalid_row_handler=handler),
            convert_options=pacsv.ConvertOptions(column_types={}, strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as error:
        if found:
            return found[0][0] - 2, found[0][1]
        return 0, f"cannot be read as CSV ({error})"
    return 0, "cannot be read as CSV"


def zscore_csv(
    source: str | Path,
    target: str | Path,
    rules: RuleSet = "who-anthro",
    on_progress: Progress | None = None,
) -> int:
    """Write ``source`` plus WHO's z-score columns to ``target``; returns the number of rows.

    Raises ``BatchInputError`` (file, line, column, reason) for an unreadable file, a missing
    required column or a value that cannot be read; ``target`` is then left unwritten.
    """
    path = Path(source)
    if not path.is_file():
        raise BatchInputError(str(path), "no such file")
    names, header, start = _header(path)
    _check_columns(path, names)
    wanted = [c for c in names if c in CODED_COLUMNS or c in NUMERIC_COLUMNS]
    if any(c in OUTPUT_COLUMNS for c in names) or len(set(names)) != len(names):
        return _zscore_csv_pandas(path, Path(target), rules)
    total = path.stat().st_size
    out_path = Path(target)
    partial = out_path.with_name(out_path.name + ".partial")
    rows = 0
    line = 2
    try:
        with partial.open("wb") as out:
            out.write(header + b"," + ",".join(OUTPUT_COLUMNS).encode() + b"\n")
            for block, reached in _blocks(path, start):
                try:
                    table = _parse_block(path, header, block, wanted)
                except (pa.ArrowInvalid, UnicodeDecodeError):
                    if b'"' in block:  # a quoted value may span lines: let pandas decide
                        return _zscore_csv_pandas(path, out_path, rules, partial)
                    raise _located_parse_error(path, header, block, line) from None
                text = _normalised(block)
                if table.num_rows != text.count(b"\n"):
                    return _zscore_csv_pandas(path, out_path, rules, partial)
                try:
                    appended = _appended_lines(table, rules)
                except _BadValueError as bad:
                    column = _bad_column(table, bad)
                    raise BatchInputError(
                        str(path),
                        f"{_cell(table, column, bad.row)!r} is not valid ({bad.expected})",
                        line=line + _raw_line_index(block, bad.row),
                        column=column,
                    ) from None
                parts: list[bytes] = [b""] * (2 * table.num_rows)
                parts[0::2] = text.split(b"\n")[:-1]
                parts[1::2] = appended
                out.write(b"".join(parts))
                rows += table.num_rows
                line += block.count(b"\n")
                if on_progress:
                    on_progress(reached, total)
        partial.replace(out_path)
    finally:
        partial.unlink(missing_ok=True)
    return rows


def _located_parse_error(path: Path, header: bytes, block: bytes, line: int) -> BatchInputError:
    """The error for a block that does not parse, located on its line."""
    raw_lines = block.split(b"\n")
    bad_text = _first_undecodable(raw_lines)
    if bad_text is not None:
        return BatchInputError(str(path), "the line is not UTF-8 text", line=line + bad_text)
    row, reason = _locate_parse_error(header, block)
    return BatchInputError(str(path), reason, line=line + row)


def _first_undecodable(raw_lines: list[bytes]) -> int | None:
    """Index of the first line that is not valid UTF-8 (only called once a block has failed)."""
    for index, raw in enumerate(raw_lines):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return index
    return None


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
    """The slow, general path: pandas reads every column as text and writes it back."""
    if partial is not None:
        partial.unlink(missing_ok=True)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.ParserError as error:
        raise BatchInputError(str(path), f"cannot be read as CSV: {error}") from None
    except UnicodeDecodeError:
        raise BatchInputError(str(path), "the file is not UTF-8 text") from None
    try:
        result = zscores(frame, rules)
    except InvalidValueError as error:
        raise BatchInputError(
            str(path), f"{error.value!r} is not valid ({error.expected})",
            line=error.row + 2, column=error.column,
        ) from None  # fmt: skip
    except MissingColumnError as error:
        raise BatchInputError(str(path), str(error), line=1) from None
    flags = [c for c in FLAG_COLUMNS if c in result]
    result[flags] = result[flags].astype("Int8")
    result.to_csv(target, index=False)
    return len(result)
