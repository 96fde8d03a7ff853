"""``childhealth prevalence`` and ``childhealth quality`` on CSV, Parquet, Stata and SPSS files."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from typer.testing import CliRunner

import growth_charts
from api.cli import app
from growth_charts.prevalence import prevalence

runner = CliRunner()


@pytest.fixture(scope="module")
def measured(igrowup_r_survey: pd.DataFrame) -> pd.DataFrame:
    """WHO's 498-child survey as raw measurements, with a made-up cluster/stratum design."""
    d = igrowup_r_survey
    return pd.DataFrame(
        {
            "sex": d["GENDER"],
            "age_months": d["agemons"],
            "weight": d["WEIGHT"],
            "lenhei": d["HEIGHT"],
            "measure": d["measure"],
            "oedema": d["oedema"],
            "region": d["region"],
            "sw": d["SW"],
            "cluster": d["id"] % 25,
            "strata": d["id"] % 4,
        }
    )


def expected_table(frame: pd.DataFrame) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return prevalence(
            growth_charts.zscores(frame),
            weights="sw",
            cluster="cluster",
            strata="strata",
            gregion="region",
        )


def write(frame: pd.DataFrame, path, **labels) -> None:
    suffix = path.suffix
    if suffix == ".csv":
        frame.to_csv(path, index=False)
    elif suffix == ".parquet":
        frame.to_parquet(path, index=False)
    elif suffix == ".dta":
        pyreadstat.write_dta(frame, str(path), variable_value_labels=labels or None)
    else:
        pyreadstat.write_sav(frame, str(path), variable_value_labels=labels or None)


def run(*args: str):
    return runner.invoke(app, [*map(str, args)])


DESIGN = ("--weights", "sw", "--cluster", "cluster", "--strata", "strata", "--region", "region")


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".dta", ".sav"])
def test_every_input_format_gives_the_same_table(tmp_path, measured, suffix):
    source = tmp_path / f"survey{suffix}"
    write(measured, source)
    target = tmp_path / "prevalence.csv"
    result = run("prevalence", source, "-o", target, *DESIGN)
    assert result.exit_code == 0, result.output
    assert "warning: 4 rows aged over 1826 days are left out" in result.output
    got = pd.read_csv(target)
    expected = expected_table(measured)
    assert list(got.columns) == list(expected.columns)
    assert list(got["Group"]) == list(expected["Group"])
    np.testing.assert_allclose(
        got.drop(columns="Group").to_numpy(float),
        expected.drop(columns="Group").to_numpy(float),
        rtol=1e-12,
        equal_nan=True,
    )


@pytest.mark.parametrize("suffix", [".parquet", ".dta", ".sav"])
def test_every_output_format(tmp_path, measured, suffix):
    source = tmp_path / "survey.csv"
    write(measured, source)
    target = tmp_path / f"prevalence{suffix}"
    assert run("prevalence", source, "-o", target, *DESIGN).exit_code == 0
    if suffix == ".parquet":
        got = pd.read_parquet(target)
    else:
        reader = pyreadstat.read_dta if suffix == ".dta" else pyreadstat.read_sav
        got, _ = reader(str(target))
    assert got.loc[0, "Group"] == "All"
    assert got.loc[0, "HA_2_r"] == pytest.approx(expected_table(measured).loc[0, "HA_2_r"])


def test_z_scores_in_the_file_are_used_as_they_are(tmp_path, measured):
    with_z = growth_charts.zscores(measured)
    with_z["zlen"] = -2.5  # everyone stunted: proves the file's z-scores were used
    source = tmp_path / "z.csv"
    with_z.to_csv(source, index=False)
    target = tmp_path / "out.csv"
    assert run("prevalence", source, "-o", target).exit_code == 0
    assert pd.read_csv(target).loc[0, "HA_2_r"] == 100


def test_stata_value_labels_name_the_groups(tmp_path, measured):
    frame = measured.assign(region=measured["region"].map({"North": 1, "South": 2, "East": 3,
                                                           "West": 4}).astype(float))  # fmt: skip
    source = tmp_path / "survey.dta"
    write(frame, source, region={1: "North", 2: "South", 3: "East", 4: "West"})
    target = tmp_path / "out.csv"
    assert run("prevalence", source, "-o", target, *DESIGN).exit_code == 0
    groups = list(pd.read_csv(target)["Group"])
    assert groups[-4:] == [f"Geographical region: {r}" for r in ("East", "North", "South", "West")]


def error_of(tmp_path, frame: pd.DataFrame, *options: str, suffix: str = ".csv", **labels) -> str:
    source = tmp_path / f"bad{suffix}"
    write(frame, source, **labels)
    result = run("prevalence", source, "-o", tmp_path / "out.csv", *options)
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.output
    return lines[0]


def test_negative_or_text_weight_is_named_by_line_and_column(tmp_path, measured):
    frame = measured.head(5).copy()
    frame.loc[2, "sw"] = -3.0
    message = error_of(tmp_path, frame, "--weights", "sw")
    assert (
        message == f"error: {tmp_path / 'bad.csv'}, line 4, column 'sw': -3.0 is not a weight ≥ 0"
    )
    frame = measured.head(5).astype({"sw": object})
    frame.loc[1, "sw"] = "heavy"
    message = error_of(tmp_path, frame, "--weights", "sw")
    assert message.endswith("line 3, column 'sw': 'heavy' is not a number")


def test_missing_cluster_column_is_named(tmp_path, measured):
    message = error_of(tmp_path, measured.head(5), "--cluster", "psu")
    assert message.endswith("column 'psu': column given by --cluster is missing")


def test_labelled_code_in_a_stata_measurement_is_refused(tmp_path, measured):
    frame = measured.head(5).copy()
    frame.loc[3, "weight"] = 999.0
    message = error_of(tmp_path, frame, suffix=".dta", weight={999: "not measured"})
    assert "column 'weight'" in message and "row 4" in message
    assert "labelled code ('not measured')" in message


def test_bad_sex_in_an_spss_file_is_named_by_row(tmp_path, measured):
    frame = measured.head(5).copy()
    frame["sex"] = [1.0, 2.0, 3.0, 1.0, 2.0]
    message = error_of(tmp_path, frame, suffix=".sav")
    assert "row 3" in message and "column 'sex'" in message


def test_unknown_type_and_missing_file(tmp_path):
    (tmp_path / "survey.xlsx").write_text("x")
    result = run("prevalence", tmp_path / "survey.xlsx", "-o", tmp_path / "o.csv")
    assert result.exit_code == 2 and "unknown file type" in result.output
    result = run("prevalence", tmp_path / "none.csv", "-o", tmp_path / "o.csv")
    assert result.exit_code == 2 and "file not found" in result.output


@pytest.mark.parametrize("suffix", [".csv", ".dta"])
def test_quality_prints_the_table_and_writes_html(tmp_path, measured, suffix):
    source = tmp_path / f"survey{suffix}"
    write(measured, source)
    page = tmp_path / "report.html"
    result = run("quality", source, "--html", page)
    assert result.exit_code == 0, result.output
    assert "HAZ SD" in result.output and "weight DPS" in result.output
    assert "sex ratio (boys per girl)" in result.output
    assert page.read_text("utf-8").startswith("<!DOCTYPE html>")


def test_quality_reports_a_bad_value(tmp_path, measured):
    frame = measured.head(5).astype({"weight": object})
    frame.loc[0, "weight"] = "abc"
    source = tmp_path / "bad.csv"
    frame.to_csv(source, index=False)
    result = run("quality", source)
    assert result.exit_code == 2
    assert "line 2, column 'weight': 'abc' is not a number" in result.output


def test_unknown_output_type_is_refused_before_any_work(tmp_path, measured):
    source = tmp_path / "survey.csv"
    write(measured.head(5), source)
    result = run("prevalence", source, "-o", tmp_path / "out.xlsx")
    assert result.exit_code == 2 and "unknown output type" in result.output
