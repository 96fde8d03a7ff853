"""Every reference file listed in PROVENANCE.md is present, unchanged and complete."""

from __future__ import annotations

import hashlib
import re

import pytest

import reference_data

ROW = re.compile(r"^\| `(?P<file>[^`]+)` \| (?P<rows>\d+) \| `(?P<sha>[0-9a-f]{64})` \|$")


def provenance_rows() -> list[tuple[str, int, str]]:
    text = reference_data.read_bytes("PROVENANCE.md").decode("utf-8")
    rows = []
    for line in text.splitlines():
        match = ROW.match(line.strip())
        if match:
            rows.append((match["file"], int(match["rows"]), match["sha"]))
    return rows


def test_provenance_lists_all_who_tables() -> None:
    files = {name for name, _, _ in provenance_rows()}
    expected = {f"who2006/{t}.csv" for t in "wfa lhfa wfl wfh bmifa hcfa acfa tsfa ssfa".split()}
    expected |= {f"who2007/{t}.csv" for t in "hfa wfa bmifa".split()}
    velocity = "weight-1mo weight-2mo length-2mo head-2mo".split()
    expected |= {f"velocity/{t}-{sex}.csv" for t in velocity for sex in "mf"}
    assert expected <= files


@pytest.mark.parametrize(("name", "rows", "sha"), provenance_rows())
def test_checksum_and_row_count(name: str, rows: int, sha: str) -> None:
    data = reference_data.read_bytes(name)
    assert hashlib.sha256(data).hexdigest() == sha
    if name.endswith(".csv"):
        assert data.decode("utf-8").count("\n") - 1 == rows


@pytest.mark.parametrize(
    ("name", "first", "last", "per_sex"),
    [
        ("who2006/wfa.csv", "0", "1856", 1857),
        ("who2006/acfa.csv", "91", "1856", 1766),
        ("who2006/wfl.csv", "45.0", "110.0", 651),
        ("who2006/wfh.csv", "65.0", "120.0", 551),
        ("who2007/hfa.csv", "61", "228", 168),
        ("who2007/wfa.csv", "61", "120", 60),
    ],
)
def test_table_ranges(name: str, first: str, last: str, per_sex: int) -> None:
    lines = reference_data.read_bytes(name).decode("utf-8").splitlines()[1:]
    for sex in "MF":
        keys = [line.split(",")[1] for line in lines if line.startswith(sex + ",")]
        assert (keys[0], keys[-1], len(keys)) == (first, last, per_sex)
