"""The reader's byte-level shortcuts give what the array kernels they skip would give:
``trimmed`` as ``utf8_trim_whitespace``, ``plain_numbers`` as :data:`reader.NUMBER_RE` on every
non-empty value, and a batch of dates the strict cast reads is one the pattern accepts (the
first bad date found the same either way)."""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from health.exchange import reader

NUMBERS = ["0", "12", "4.56", "1.", ".5", "1.2.3", "", "007", "1e5", "-1", "+1", "١٢", "1,5",
           "12.50", " 1", "1 ", "nan", "..", "3.0", "9" * 30]  # fmt: skip
TEXTS = ["", "a", " a", "a ", "\ta\n", "\u00a0x", "x\u2003", "Zoë", "中文", "\u0085y", "b\x1f",
         "~", "!x!", "\x7fz", "é", "  ", "a b"]  # fmt: skip
DATES = ["2024-01-01", "2024/01/01", "2024-1-01", "2024-01-0a", "+024-01-01", "-024-01-01",
         "2024-02-30", "0000-01-01", "2024-13-01", "2024-01-00", "２０２４-01-01", "20240101",
         "2024-01-+1", "2024-+1-01", "", "2024-02-29", "2023-02-29", "12024-01-01"]  # fmt: skip

pieces = st.sampled_from(["0", "1", "9", ".", "", " ", "a", "-", "e", "é", "\u00a0", "\t", "5"])
values = st.lists(st.lists(pieces, max_size=5).map("".join), max_size=30)


def _pattern(texts: list[str]) -> bool:
    return all(re.fullmatch(r"[0-9]+(\.[0-9]+)?", t) for t in texts if t)


def test_plain_numbers_as_the_pattern() -> None:
    for text in NUMBERS:
        for batch in ([text], ["1", text, "2.5"], [text, ""]):
            assert reader.plain_numbers(pa.array(batch)) == _pattern(batch), batch
    sliced = pa.array(["x", "1.5", "2", "y"]).slice(1, 2)
    assert reader.plain_numbers(sliced) is True
    assert reader.plain_numbers(pa.array(["1", None])) is False  # nulls: not decided here


@settings(max_examples=300, deadline=None)
@given(values)
def test_plain_numbers_as_the_pattern_generated(texts: list[str]) -> None:
    assert reader.plain_numbers(pa.array(texts, pa.string())) == _pattern(texts)


def test_trimmed_as_utf8_trim_whitespace() -> None:
    for text in TEXTS:
        for batch in ([text], ["ab", text, "cd"], [text, ""]):
            array = pa.array(batch, pa.string())
            assert reader.trimmed(array).to_pylist() == pc.utf8_trim_whitespace(array).to_pylist()
    array = pa.array(["ab", "cd"])
    assert reader.trimmed(array) is array  # nothing to trim: no pass at all
    sliced = pa.array([" x", "ab", "c", "y "]).slice(1, 2)
    assert reader.trimmed(sliced).to_pylist() == ["ab", "c"]


@settings(max_examples=300, deadline=None)
@given(values)
def test_trimmed_as_utf8_trim_whitespace_generated(texts: list[str]) -> None:
    array = pa.array(texts, pa.string())
    assert reader.trimmed(array).to_pylist() == pc.utf8_trim_whitespace(array).to_pylist()


def _first_bad_by_pattern(texts: list[str]) -> int | None:
    """The first non-empty text that is not an existing date, by the pattern and a round trip."""
    import datetime as dt

    for i, text in enumerate(texts):
        if not text:
            continue
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text, re.ASCII):
            return i
        try:
            dt.date.fromisoformat(text)
        except ValueError:
            if text != "0000-01-01":  # arrow reads year 0; the pattern and strptime agree
                return i
    return None


def test_first_bad_date_fast_path_agrees() -> None:
    for text in DATES:
        for batch in ([text], ["2024-05-05", text], [text, "", "2024-05-06"]):
            array = pa.array(batch)
            present = pc.invert(pc.equal(pc.binary_length(array), 0))
            found = reader._first_bad_date(array, present)
            if text == "0000-01-01":
                assert found is None  # as before: the pattern matches and arrow casts it
            else:
                assert found == _first_bad_by_pattern(batch), batch
