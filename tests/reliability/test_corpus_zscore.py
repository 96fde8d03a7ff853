"""Bad-input corpus for ``childhealth zscore``: generated survey files with one known defect.

Properties: a valid file gives exit 0 and one output row per input record; a file with a defect
gives exactly one ``error: FILE, line N[, column 'C']: reason`` line naming the physical line
(LF, CRLF or bare CR each end a line) of the defect, a non-zero exit, no traceback, and leaves
neither an output file nor a ``.partial`` file behind.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from unittest import mock

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

from growth_charts import batch
from growth_charts.frame import OUTPUT_COLUMNS
from tests.reliability.cli_outcomes import invoke, line_breaks, one_error, quote, run_script

pytestmark = pytest.mark.slow  # hypothesis corpora of bad input files: seconds per test
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
OPTIONAL = ("id", "age_days", "lenhei", "measure", "oedema", "note")
NUMERIC = ("age_days", "weight", "lenhei")
CODED = {"sex": ("x", "3", "男", "mf"), "measure": ("q", "LH"), "oedema": ("maybe", "3")}
JUNK_NUMBERS = ("abc", "1.2.3", "--1", "12kg", "N/A", "中文", "3,5", "\x003", "1 2")

# ---- generating files --------------------------------------------------------------------------

numbers = st.one_of(
    st.sampled_from(["", "NA", "."]),
    st.decimals(min_value=0, max_value=200, places=2, allow_nan=False).map(str),
)
notes = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",), include_characters='\r\n,"中é'),
    max_size=8,
)


@st.composite
def cell(draw: st.DrawFn, column: str) -> str:
    """A valid value for ``column``."""
    if column == "id":
        return str(draw(st.integers(1, 5)))  # duplicate ids are fine for z-scores
    if column == "sex":
        return draw(st.sampled_from(["1", "2", "m", "F", " male ", "female"]))
    if column == "measure":
        return draw(st.sampled_from(["", "l", "H"]))
    if column == "oedema":
        return draw(st.sampled_from(["", "n", "Y", "2"]))
    if column == "note":
        return draw(notes)
    return draw(numbers)


@dataclass
class Survey:
    """A generated file: its bytes, the physical line each record starts on, and the columns."""

    columns: list[str]
    records: list[list[str]]
    line_ends: list[str]
    blank_before: list[bool]
    bom: bool
    block_bytes: int  # the batch reader's block size: small ones spread a file over many blocks
    bad_line: int = 0  # physical line of the cell ``encode(bad=…)`` filled

    def encode(self, bad: tuple[int, str, bytes] | None = None) -> tuple[bytes, list[int]]:
        """The file's bytes and each record's start line; ``bad`` = (record, column, raw bytes)
        puts raw (non-UTF-8) bytes into one cell (see ``bad_line``)."""
        out = [b"\xef\xbb\xbf" if self.bom else b"", ",".join(self.columns).encode(), b"\n"]
        line, starts = 2, []
        for index, (record, end, blank) in enumerate(
            zip(self.records, self.line_ends, self.blank_before, strict=True)
        ):
            if blank:  # CRLF: a bare CR before it would merge with a lone LF
                out.append(b"\r\n")
                line += 1
            cells = [quote(value).encode() for value in record]
            if bad is not None and bad[0] == index:
                at = self.columns.index(bad[1])
                cells[at] = bad[2]
                self.bad_line = line + line_breaks(b",".join(cells[:at]))
            text = b",".join(cells)
            starts.append(line)
            line += line_breaks(text) + 1
            out += [text, end.encode()]
        return b"".join(out), starts


@st.composite
def surveys(draw: st.DrawFn, min_records: int = 1) -> Survey:
    extra = draw(st.lists(st.sampled_from(OPTIONAL), unique=True))
    columns = draw(st.permutations(["sex", "weight", *extra]))
    n = draw(st.integers(min_records, 12))
    records = [[draw(cell(c)) for c in columns] for _ in range(n)]
    ends = draw(st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=n, max_size=n))
    blanks = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    block = draw(st.sampled_from([batch.BLOCK_BYTES, 256]))
    return Survey(columns, records, ends, blanks, draw(st.booleans()), block)


def noted(tmp_path: Path, data: bytes, block_bytes: int) -> tuple[object, Path, Path]:
    """``run`` with the given block size, showing the file when hypothesis reports a failure."""
    note(f"file: {data!r}, block size {block_bytes}")
    with mock.patch.object(batch, "BLOCK_BYTES", block_bytes):
        return run(tmp_path, data)


def run(tmp_path: Path, data: bytes) -> tuple[object, Path, Path]:
    folder = tmp_path / f"case{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    source, target = folder / "in.csv", folder / "out.csv"
    source.write_bytes(data)
    return invoke("zscore", str(source), "-o", str(target)), source, target


def assert_clean_failure(outcome, source: Path, target: Path, line: int | tuple[int, int]):
    """One located error on the expected line (or within the (low, high) range), no output."""
    reported = one_error(outcome)
    assert reported.file == str(source)
    if isinstance(line, tuple):
        assert line[0] <= reported.line <= line[1], (reported, line)
    else:
        assert reported.line == line, (reported, line)
    assert not target.exists()
    assert not list(target.parent.glob("*.partial"))
    return reported


# ---- properties --------------------------------------------------------------------------------


@SETTINGS
@given(survey=surveys())
def test_valid_file_gives_one_row_per_record(tmp_path: Path, survey: Survey) -> None:
    data, _ = survey.encode()
    outcome, _, target = noted(tmp_path, data, survey.block_bytes)
    assert outcome.crashed is None and outcome.code == 0, outcome.stderr
    out = pd.read_csv(target, dtype=str, keep_default_na=False)
    assert len(out) == len(survey.records)
    assert list(out.columns) == survey.columns + list(OUTPUT_COLUMNS)
    if "id" in survey.columns:
        assert list(out["id"]) == [r[survey.columns.index("id")] for r in survey.records]


@SETTINGS
@given(survey=surveys(), data=st.data())
def test_junk_value_is_located(tmp_path: Path, survey: Survey, data: st.DataObject) -> None:
    row = data.draw(st.integers(0, len(survey.records) - 1))
    column = data.draw(st.sampled_from([c for c in survey.columns if c in NUMERIC or c in CODED]))
    junk = JUNK_NUMBERS if column in NUMERIC else CODED[column]
    survey.records[row][survey.columns.index(column)] = data.draw(st.sampled_from(junk))
    raw, starts = survey.encode()
    outcome, source, target = noted(tmp_path, raw, survey.block_bytes)
    reported = assert_clean_failure(outcome, source, target, starts[row])
    assert reported.column == column
    assert "is not valid" in reported.reason


@SETTINGS
@given(survey=surveys(), data=st.data())
def test_wrong_field_count_is_located(tmp_path: Path, survey: Survey, data: st.DataObject) -> None:
    row = data.draw(st.integers(0, len(survey.records) - 1))
    record = survey.records[row]
    if data.draw(st.booleans()) and len(record) > 1:
        record.pop(data.draw(st.integers(0, len(record) - 1)))
    else:
        record.append(data.draw(st.sampled_from(["", "9", "extra"])))
    assume(record != [""])  # that would be a blank line, which is skipped
    raw, starts = survey.encode()
    outcome, source, target = noted(tmp_path, raw, survey.block_bytes)
    reported = assert_clean_failure(outcome, source, target, starts[row])
    assert reported.column is None
    assert "fields" in reported.reason


@SETTINGS
@given(survey=surveys(), data=st.data())
def test_foreign_encoding_is_located(tmp_path: Path, survey: Survey, data: st.DataObject) -> None:
    """Latin-1 or GBK bytes in any cell, even one the engine only passes through."""
    row = data.draw(st.integers(0, len(survey.records) - 1))
    column = data.draw(st.sampled_from(survey.columns))
    codec, text = data.draw(st.sampled_from([("latin-1", "é"), ("gbk", "中文"), ("latin-1", "ß1")]))
    raw, _ = survey.encode(bad=(row, column, text.encode(codec)))
    outcome, source, target = noted(tmp_path, raw, survey.block_bytes)
    reported = assert_clean_failure(outcome, source, target, survey.bad_line)
    assert "UTF-8" in reported.reason


@SETTINGS
@given(survey=surveys(min_records=2), data=st.data())
def test_file_cut_short(tmp_path: Path, survey: Survey, data: st.DataObject) -> None:
    """A file cut inside its last record (mid-line, mid-quote or mid-character) either still
    reads (the cut left whole fields) or fails on a line of that last record."""
    survey.line_ends[-1] = ""
    survey.blank_before[-1] = False
    survey.records[-1][survey.columns.index("sex")] = "female"  # long enough to cut inside
    raw, starts = survey.encode()
    begin = len(raw) - len(b",".join(quote(v).encode() for v in survey.records[-1]))
    cut = data.draw(st.integers(begin + 1, len(raw) - 1))
    outcome, source, target = noted(tmp_path, raw[:cut], survey.block_bytes)
    if outcome.code == 0:
        assert outcome.crashed is None
        assert len(pd.read_csv(target, dtype=str, keep_default_na=False)) == len(survey.records)
    else:
        assert_clean_failure(
            outcome, source, target, (starts[-1], starts[-1] + line_breaks(raw[begin:cut]))
        )


@pytest.mark.parametrize(
    ("data", "line", "reason"),
    [
        (b"", 1, "the file is empty"),
        (b"\n\n", 1, "the file is empty"),
        (b"\xef\xbb\xbf", 1, "required column 'sex' is missing"),
        ("sex,weight\n1,3\n".encode("utf-16"), 1, "not UTF-8"),
        (b"sex,weight,note\n1,3,\xe4\xb8\xad\n2,4,\xe4\xb8", 3, "not UTF-8"),
        (b"id,sex,age_days\n1,m,3\n", 1, "no measurement column"),
        (b"id,weight\n1,3\n", 1, "required column 'sex' is missing"),
        (b'sex,weight,note\n1,3,"open\n2,4,x\n', 2, "a quoted value is never closed"),
        (b"sex,weight\r1,3\r2,x\r", 3, "'x' is not valid (a number)"),
        (b"sex,weight,weight\n1,3,4\n2,4\n", 3, "expected 3 fields, found 2"),
    ],
)
def test_fixed_bad_files(tmp_path: Path, data: bytes, line: int, reason: str) -> None:
    outcome, source, target = run(tmp_path, data)
    reported = assert_clean_failure(outcome, source, target, line)
    assert reason in reported.reason


def test_header_only_gives_header_only(tmp_path: Path) -> None:
    outcome, _, target = run(tmp_path, b"\xef\xbb\xbfid,sex,weight\r\n")
    assert outcome.code == 0, outcome.stderr
    assert target.read_bytes() == b"id,sex,weight," + ",".join(OUTPUT_COLUMNS).encode() + b"\n"


def test_failure_keeps_an_existing_output(tmp_path: Path) -> None:
    """A failed run neither deletes nor overwrites what the output path held before."""
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_bytes(b'sex,weight,note\n1,3,"a\nb"\n2,x,c\n')
    target.write_bytes(b"before")
    reported = one_error(invoke("zscore", str(source), "-o", str(target)))
    assert (reported.line, reported.column) == (4, "weight")
    assert target.read_bytes() == b"before"
    assert not list(tmp_path.glob("*.partial"))


def test_console_script_reports_one_line(tmp_path: Path) -> None:
    """The installed ``childhealth`` script: bare-CR file with GBK bytes, then a valid one."""
    source, target = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_bytes(b"sex,weight,note\r1,3,x\r2,4," + "中".encode("gbk") + b"\r")
    reported = one_error(run_script("zscore", str(source), "-o", str(target)))
    assert (reported.file, reported.line) == (str(source), 3)
    assert not target.exists()
    source.write_bytes(b"sex,weight,note\r\n1,3,x\r2,4,y\n")
    done = run_script("zscore", str(source), "-o", str(target))
    assert done.code == 0 and done.stderr == ""
    assert len(pd.read_csv(target)) == 2


@pytest.mark.parametrize("block_bytes", [batch.BLOCK_BYTES, 4096])
def test_big_file_cut_mid_character_deep_in_the_file(tmp_path: Path, block_bytes: int) -> None:
    """5,000 rows over many blocks, a junk weight on line 3,210, the file cut inside a
    multi-byte character of its last line: the first fault (line 3,210) is named; with the junk
    value fixed, the cut last line is named."""
    rows = [f"{i},{'mf'[i % 2]},{600 + i % 900},{8 + i % 7}.5,note 中文" for i in range(5000)]
    rows[3208] = rows[3208].replace(".5,", "..5,")  # line 3,210 (header + 1-based)
    data = ("id,sex,age_days,weight,note\n" + "\n".join(rows)).encode()[:-2]  # half of 文
    with mock.patch.object(batch, "BLOCK_BYTES", block_bytes):
        outcome, source, target = run(tmp_path, data)
        reported = assert_clean_failure(outcome, source, target, 3210)
        assert reported.column == "weight"
        fixed = data.replace(b"..5,", b".5,")
        outcome, source, target = run(tmp_path, fixed)
        reported = assert_clean_failure(outcome, source, target, 5001)
        assert "UTF-8" in reported.reason
