"""``childhealth zscore``: WHO columns appended, pass-through unchanged, one-line errors."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from api.cli import app
from growth_charts.frame import OUTPUT_COLUMNS

runner = CliRunner()


def run(tmp_path, text: str | bytes, *extra: str):
    source = tmp_path / "in.csv"
    source.write_bytes(text if isinstance(text, bytes) else text.encode())
    target = tmp_path / "out.csv"
    result = runner.invoke(app, ["zscore", str(source), "-o", str(target), *extra])
    return result, target


def test_appends_who_columns_and_keeps_input_bytes(tmp_path):
    text = ('id,sex,age_days,weight,lenhei,measure,oedema,note\n'
            '007,m,100,6.0,60,l,n,"hello, world"\n'
            '8,F,800.5,11.00,85,h,,x\n')  # fmt: skip
    result, target = run(tmp_path, text)
    assert result.exit_code == 0, result.output
    lines = target.read_text().splitlines()
    assert lines[0] == text.splitlines()[0] + "," + ",".join(OUTPUT_COLUMNS)
    assert lines[1].startswith('007,m,100,6.0,60,l,n,"hello, world",60,')
    assert lines[2].startswith("8,F,800.5,11.00,85,h,,x,85,")
    out = pd.read_csv(target)
    assert list(out["zlen"]) == [-1.06, -0.81]
    assert list(out["zwei"]) == [-0.78, -0.68]


def test_matches_pandas_interface_on_who_survey(tmp_path, igrowup_r_survey):
    survey = igrowup_r_survey.rename(columns={"GENDER": "sex", "agemons": "age_months",
        "WEIGHT": "weight", "HEIGHT": "lenhei", "HEAD": "headc", "MUAC": "armc",
        "TRI": "triskin", "SUB": "subskin"})[["id", "sex", "age_months", "weight", "lenhei",
        "measure", "oedema", "headc", "armc", "triskin", "subskin"]]  # fmt: skip
    source = tmp_path / "survey.csv"
    survey.to_csv(source, index=False)
    result = runner.invoke(app, ["zscore", str(source), "-o", str(tmp_path / "o.csv"),
                                 "--rules", "igrowup"])  # fmt: skip
    assert result.exit_code == 0, result.output
    out = pd.read_csv(tmp_path / "o.csv")
    for column in ("zlen", "zwei", "zwfl", "zbmi", "zhc", "zac", "zts", "zss", "fwei"):
        pd.testing.assert_series_equal(out[column], igrowup_r_survey[column].astype(float),
                                       check_names=False)  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b"", "line 1: the file is empty: expected a header row"),
        (b"id,weight\n1,3\n", "line 1: required column 'sex' is missing"),
        (b"sex,age_days\n1,3\n", "line 1: no measurement column"),
        (b"id,sex,weight\n1,m,3\n2,x,4\n", "line 3, column 'sex': 'x' is not valid (1, 2, m or f)"),
        (b"sex,weight\n1,abc\n", "line 2, column 'weight': 'abc' is not valid (a number)"),
        (b"sex,weight,measure\n1,3,l\n1,3,s\n", "line 3, column 'measure': 's' is not valid"),
        (b"sex,weight,oedema\n1,3,maybe\n", "line 2, column 'oedema'"),
        (b"sex,weight,age_days\n1,3,10\n2,4\n", "line 3: expected 3 fields, found 2"),
        (b"sex,weight\n1,3\n1,\xff\n", "line 3: the line is not UTF-8 text"),
    ],
)
def test_bad_files_give_one_line_error(tmp_path, text, message):
    result, target = run(tmp_path, text)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert not target.exists()
    assert not list(tmp_path.glob("*.partial"))


def test_missing_file_and_bad_rules(tmp_path):
    result = runner.invoke(app, ["zscore", str(tmp_path / "nope.csv"), "-o", "x.csv"])
    assert result.exit_code == 2 and "no such file" in result.output
    result, _ = run(tmp_path, "sex,weight\n1,3\n", "--rules", "who2099")
    assert result.exit_code == 2 and "--rules must be one of" in result.output


def test_header_only_writes_header(tmp_path):
    result, target = run(tmp_path, "sex,weight\n")
    assert result.exit_code == 0
    assert target.read_text() == "sex,weight," + ",".join(OUTPUT_COLUMNS) + "\n"


@pytest.mark.parametrize(
    ("age", "expected"),
    [("0", True), ("90", True), ("91", True), ("730", True), ("730.5", True), ("731", True),
     ("1826", True), ("1856", True), ("1857", False), ("", False)],
)  # fmt: skip
def test_edge_ages_through_the_cli(tmp_path, age, expected):
    result, target = run(tmp_path, f"sex,age_days,weight\n2,{age},12\n")
    assert result.exit_code == 0
    zwei = pd.read_csv(target)["zwei"]
    assert zwei.notna().iloc[0] == expected


@pytest.mark.parametrize(
    ("age", "length", "computed"),
    [("", "44.9", False), ("", "45", True), ("", "65", True), ("", "87", True),
     ("", "110.05", True), ("", "120", True), ("", "120.1", False),
     ("400", "110", True), ("400", "110.05", False), ("800", "64.9", False)],
)  # fmt: skip
def test_edge_lengths(tmp_path, age, length, computed):
    # without age or position: length table below 87 cm, height table from 87 cm
    result, target = run(tmp_path, f"sex,age_days,weight,lenhei\n1,{age},9,{length}\n")
    assert result.exit_code == 0
    assert pd.read_csv(target)["zwfl"].notna().iloc[0] == computed


def test_multiline_quoted_values_and_existing_output_columns(tmp_path):
    result, target = run(tmp_path, 'sex,weight,note\n1,3,"two\nlines"\n2,4,x\n')
    assert result.exit_code == 0
    out = pd.read_csv(target)
    assert list(out["note"]) == ["two\nlines", "x"]
    rerun = tmp_path / "again.csv"
    result = runner.invoke(app, ["zscore", str(target), "-o", str(rerun)])
    assert result.exit_code == 0
    assert list(pd.read_csv(rerun).columns) == list(out.columns)


def test_oedema_through_the_cli(tmp_path):
    result, target = run(
        tmp_path, "sex,age_days,weight,lenhei,oedema\n1,400,9,75,y\n1,400,9,75,n\n"
    )
    assert result.exit_code == 0
    out = pd.read_csv(target)
    assert out["zwei"].isna().tolist() == [True, False]
    assert out["zlen"].notna().all()
