"""``childhealth zscore --reference ws423``: WS/T 423-2022 z, flag and category columns.

Expected values are worked by hand from the printed rows (reference_data/ws423/*.csv)."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from api.cli import app
from growth_charts.ws423 import BATCH_COLUMNS

runner = CliRunner()
HEADER = "id,sex,age_days,weight,lenhei,measure,headc,oedema,note"


def run(tmp_path, text: str, *extra: str):
    source = tmp_path / "in.csv"
    source.write_text(text)
    target = tmp_path / "out.csv"
    result = runner.invoke(app, ["zscore", str(source), "-o", str(target), *extra])
    return result, target


def test_appends_the_ws423_columns_after_the_input(tmp_path) -> None:
    rows = [
        # a boy at birth on every median: weight 3.5, length 51.2, head 34.3
        "a,1,0,3.5,51.2,l,34.3,n,x",
        # a girl of exactly 12 months (365.25 d) on the −2 SD weight (7.7 kg: not below it),
        # −1 SD length (72.6 cm) and −1 SD head (43.9 cm)
        "b,2,365.25,7.7,72.6,l,43.9,n,",
        # a boy of 36 months (1095.75 d), standing, weight 20.5 kg = +3 SD (height 97.5 cm:
        # the median): BMI 21.565 > +3 SD 20.1, weight-for-height at 97.5 cm +3 SD 19.05
        '"c",m,1095.75,20.5,97.5,h,,n,"with, comma"',
        # oedema: no weight-based z; 7 years old (2557 d): beyond the standard
        "d,f,100,5.0,58,l,,y,",
        "e,f,2557,22,120,h,,n,",
    ]
    result, target = run(tmp_path, HEADER + "\n" + "\n".join(rows) + "\n", "--reference", "ws423")
    assert result.exit_code == 0, result.output
    lines = target.read_text().splitlines()
    assert lines[0] == HEADER + "," + ",".join(BATCH_COLUMNS)
    out = pd.read_csv(target, keep_default_na=False, dtype=str)
    assert list(out["note"]) == ["x", "", "with, comma", "", ""]
    assert lines[2].endswith(
        ",72.6,14.6089,-1,0,-2,0,-1.87,0,-1.79,0,-1,0,normal,normal,normal,normal"
    )
    first = out.iloc[0]
    assert [float(first[c]) for c in ("zwei", "zlen", "zhc")] == [0.0, 0.0, 0.0]
    assert (first["gwei"], first["glen"]) == ("normal", "normal")
    second = out.iloc[1]
    assert [float(second[c]) for c in ("zwei", "zlen", "zhc")] == [-2.0, -1.0, -1.0]
    assert second["gwei"] == "normal"  # < −2 SD is 低体重; on −2 SD is not
    third = out.iloc[2]
    assert float(third["zwei"]) == 3.0 and float(third["zlen"]) == 0.0
    # BMI 20.5 / 0.975² = 21.5648: 3 + (21.5648 − 20.1)/(20.1 − 18.3) = 3.81
    assert float(third["zbmi"]) == 3.81 and third["gbmi"] == "obesity"
    # weight-for-height 97.5 cm, boys: +2 SD (17.2 + 17.5)/2 = 17.35, +3 SD (18.9 + 19.2)/2
    # = 19.05; 3 + (20.5 − 19.05)/(19.05 − 17.35) = 3.85
    assert float(third["zwfl"]) == 3.85 and third["gwfl"] == "obesity"
    assert third["fwei"] == "0" and third["fwfl"] == "0"
    oedema = out.iloc[3]
    assert oedema["zwei"] == oedema["zwfl"] == oedema["zbmi"] == "" and oedema["zlen"] != ""
    assert out.iloc[4]["zwei"] == out.iloc[4]["zlen"] == ""


def test_who_stays_the_default_and_a_bad_reference_is_one_line(tmp_path) -> None:
    text = HEADER + "\na,1,0,3.5,51.2,l,34.3,n,x\n"
    result, target = run(tmp_path, text)
    assert result.exit_code == 0, result.output
    assert "c9mo_flag" in target.read_text().splitlines()[0]  # WHO's columns
    result, _ = run(tmp_path, text, "--reference", "cdc")
    assert result.exit_code != 0
    assert "--reference must be one of: who, ws423" in result.output


def test_a_bad_value_names_the_line_and_column(tmp_path) -> None:
    result, target = run(tmp_path, HEADER + "\na,1,0,heavy,51.2,l,34.3,n,x\n", "--reference",
                         "ws423")  # fmt: skip
    assert result.exit_code != 0
    assert "line 2" in result.output and "weight" in result.output
    assert not target.exists()
