"""Survey batches on Parquet datasets: ``childhealth zscore`` and ``prevalence`` with
``--engine dask`` give what the single-process path gives, row for row and cell for cell, and a
bad partition is named by its file and row."""

from __future__ import annotations

import itertools
import os
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import growth_charts
from api.cli import app
from api.commands import survey_batches
from growth_charts.prevalence import PrevalenceWarning, prevalence
from growth_charts.prevalence_parts import Options, prevalence_of_parts

runner = CliRunner()
ROWS = 3000
CUTS = (0, 700, 1500, 2300, ROWS)  # 4 files of 700-800 rows


def survey(n: int = ROWS, seed: int = 16) -> pd.DataFrame:
    """Children measured at random z-scores (weight-for-age, length-for-age), with a design:
    20 clusters in 4 strata spread over every file, sampling weights, a region and a quintile."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["m", "f"], n)
    age = rng.integers(0, 1900, n).astype(float)  # a few over 1826 days: left out
    weight = growth_charts.value_at_z("wfa", sex, age, rng.normal(-0.4, 1.2, n))
    length = growth_charts.value_at_z("lhfa", sex, age, rng.normal(-0.9, 1.1, n))
    cluster = rng.integers(0, 20, n)
    frame = pd.DataFrame(
        {
            "id": np.arange(n),
            "sex": sex,
            "age_days": age,
            "weight": np.round(weight, 2),
            "lenhei": np.round(length, 1),
            "measure": np.where(age < 731, "l", "h"),
            "oedema": np.where(rng.random(n) < 0.01, "y", "n"),
            "region": rng.choice(["North", "South", "East", "West"], n),
            "wq": rng.integers(1, 6, n).astype(float),
            "sw": np.round(rng.uniform(0.5, 3.0, n), 3),
            "cluster": cluster.astype(float),
            "strata": cluster % 4,
        }
    )
    frame.loc[[11, 1600], "sw"] = np.nan  # weight 0
    frame.loc[[12, 2400], "cluster"] = np.nan  # left out with a cluster
    frame.loc[[13, 2401], "age_days"] = np.nan  # kept, in no age group
    frame.loc[[14], "weight"] = np.nan
    return frame


def write_dataset(frame: pd.DataFrame, folder: Path) -> Path:
    folder.mkdir()
    for number, (start, stop) in enumerate(itertools.pairwise(CUTS)):
        part = frame.iloc[start:stop].reset_index(drop=True)
        # two row groups per file: a partition is a row group, not a file
        part.to_parquet(folder / f"part-{number}.parquet", index=False, row_group_size=500)
    return folder


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return survey()


@pytest.fixture(scope="module")
def dataset(frame, tmp_path_factory) -> Path:
    return write_dataset(frame, tmp_path_factory.mktemp("survey") / "survey")


@pytest.fixture(scope="module")
def scheduler():
    """A small in-process Dask cluster (threads), handed to the commands by its address."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as cluster:
        yield cluster.scheduler_address


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def only_error(result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, result.output
    return lines[0]


# z-scores ------------------------------------------------------------------------------------


def test_zscore_on_dask_writes_the_local_values_on_every_row(tmp_path, dataset, scheduler, frame):
    here, there = tmp_path / "here", tmp_path / "there"
    assert run("zscore", dataset, "-o", here).exit_code == 0
    result = run("zscore", dataset, "-o", there, "--engine", "dask", "--scheduler", scheduler)
    assert result.exit_code == 0, result.output
    local, dask = pd.read_parquet(here), pd.read_parquet(there)
    assert sorted(p.name for p in there.iterdir()) == [f"part-{i:05d}.parquet" for i in range(8)]
    pd.testing.assert_frame_equal(local, dask)
    # and they are the pandas interface's values on the whole survey
    expected = growth_charts.zscores(frame)
    assert len(dask) == ROWS
    for column in growth_charts.frame.OUTPUT_COLUMNS:
        np.testing.assert_array_equal(
            dask[column].to_numpy(float, na_value=np.nan), expected[column].to_numpy(float)
        )
    assert dask.loc[0, "zwei"] == expected.loc[0, "zwei"]
    assert dask["fwei"].dtype == "Int8"


def test_zscore_of_a_dataset_to_one_csv_file(tmp_path, dataset, scheduler):
    here, there = tmp_path / "here.csv", tmp_path / "there.csv"
    assert run("zscore", dataset, "-o", here).exit_code == 0
    result = run("zscore", dataset, "-o", there, "--engine", "dask", "--scheduler", scheduler)
    assert result.exit_code == 0, result.output
    local, dask = pd.read_csv(here), pd.read_csv(there)
    assert len(local) == ROWS and list(local["id"]) == list(range(ROWS))
    pd.testing.assert_frame_equal(local, dask)


def test_zscore_names_the_file_and_row_of_a_bad_value(tmp_path, frame, scheduler):
    bad = frame.astype({"sex": object})
    bad.loc[CUTS[2] + 16, "sex"] = "x"  # third file, its 17th row
    folder = write_dataset(bad, tmp_path / "bad")
    expected = (
        f"error: {folder / 'part-2.parquet'}, column 'sex': row 17: 'x' is not valid (1, 2, m or f)"
    )
    assert only_error(run("zscore", folder, "-o", tmp_path / "a")) == expected
    dask = run("zscore", folder, "-o", tmp_path / "b", "--engine", "dask", "--scheduler", scheduler)
    assert only_error(dask) == expected
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_row_groups_are_cut_into_slices_and_rows_counted_from_the_file_start(
    tmp_path, frame, dataset, scheduler, monkeypatch
):
    monkeypatch.setattr(survey_batches, "PARTITION_ROWS", 128)
    # row groups of 500 rows in 4 slices, of 200 in 2 and of 300 in 3
    assert len(survey_batches.dataset_parts(dataset)) == 4 * 4 + 2 + 3 + 3 + 2
    there = tmp_path / "there.csv"
    result = run("zscore", dataset, "-o", there, "--engine", "dask", "--scheduler", scheduler)
    assert result.exit_code == 0, result.output
    expected = growth_charts.zscores(frame)
    np.testing.assert_array_equal(pd.read_csv(there)["zlen"], expected["zlen"])
    bad = frame.astype({"sex": object})
    bad.loc[CUTS[3] + 600, "sex"] = "x"  # last file, second row group, row 601 of the file
    folder = write_dataset(bad, tmp_path / "bad")
    message = only_error(run("zscore", folder, "-o", tmp_path / "out"))
    assert message.startswith(f"error: {folder / 'part-3.parquet'}, column 'sex': row 601:")


def test_a_file_that_is_not_parquet_is_named(tmp_path, dataset, scheduler):
    folder = tmp_path / "broken"
    folder.mkdir()
    for file in dataset.iterdir():
        (folder / file.name).write_bytes(file.read_bytes())
    (folder / "part-1.parquet").write_bytes(b"id,sex\n1,m\n")
    for extra in ((), ("--engine", "dask", "--scheduler", scheduler)):
        message = only_error(run("zscore", folder, "-o", tmp_path / "out.csv", *extra))
        assert message.startswith(f"error: {folder / 'part-1.parquet'}: cannot be read as Parquet")
        message = only_error(run("prevalence", folder, "-o", tmp_path / "p.csv", *extra))
        assert message.startswith(f"error: {folder / 'part-1.parquet'}: cannot be read as Parquet")


def test_files_of_a_dataset_must_share_their_columns(tmp_path, frame):
    folder = write_dataset(frame, tmp_path / "mixed")
    frame.head(10).drop(columns="oedema").to_parquet(folder / "part-4.parquet", index=False)
    message = only_error(run("prevalence", folder, "-o", tmp_path / "p.csv"))
    assert message == (
        f"error: {folder / 'part-4.parquet'}: its columns differ from those of "
        f"{folder / 'part-0.parquet'}; missing: oedema"
    )


def test_a_dataset_without_rows_or_with_no_row_kept(tmp_path, frame, scheduler):
    empty = tmp_path / "empty"
    empty.mkdir()
    frame.head(0).to_parquet(empty / "a.parquet", index=False)
    message = only_error(run("zscore", empty, "-o", tmp_path / "z"))
    assert message == f"error: {empty}: the dataset holds no rows"
    old = write_dataset(frame.assign(age_days=2000.0), tmp_path / "old")
    result = run("prevalence", old, "-o", tmp_path / "p.csv", "--engine", "dask",
                 "--scheduler", scheduler)  # fmt: skip
    assert only_error(result) == (
        f"error: {old}: no rows are left for the prevalence computation after the exclusions"
    )


def test_engine_options_are_checked(tmp_path, dataset):
    source = tmp_path / "in.csv"
    source.write_text("sex,age_days,weight\nm,100,6\n")
    message = only_error(run("zscore", source, "-o", tmp_path / "o.csv", "--engine", "dask"))
    assert message.endswith("--engine dask reads a Parquet dataset (a .parquet file or a folder)")
    message = only_error(run("zscore", dataset, "-o", tmp_path / "o", "--engine", "spark"))
    assert message == "error: --engine must be one of: local, dask (got 'spark')"
    message = only_error(run("prevalence", dataset, "-o", tmp_path / "o.csv", "--scheduler", "x"))
    assert message == "error: --scheduler needs --engine dask"
    message = only_error(
        run("zscore", dataset, "-o", tmp_path / "o", "--engine", "dask", "--worker-memory", "lots")
    )
    assert message == "error: --worker-memory 'lots' is not a size such as 1GiB or 512MB"
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("x")
    message = only_error(run("zscore", dataset, "-o", tmp_path / "full"))
    assert message.endswith("full: the output folder exists and is not empty")


# prevalence ----------------------------------------------------------------------------------

CLUSTERED = ("--weights", "sw", "--cluster", "cluster", "--strata", "strata", "--region", "region",
             "--wealthq", "wq")  # fmt: skip
ROWS_AS_PSUS = ("--weights", "sw", "--strata", "strata", "--othergr", "region")


def table_of(path: Path) -> pd.DataFrame:
    return pd.read_csv(path)


def assert_same_table(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(got.columns) == list(expected.columns)
    assert list(got["Group"]) == list(expected["Group"])
    np.testing.assert_allclose(
        got.drop(columns="Group").to_numpy(float),
        expected.drop(columns="Group").to_numpy(float),
        rtol=1e-12,
        atol=1e-12,
        equal_nan=True,
    )


@pytest.mark.parametrize("design", [CLUSTERED, ROWS_AS_PSUS], ids=["clusters", "rows-as-psus"])
def test_prevalence_on_dask_is_the_single_process_table(
    tmp_path, dataset, frame, scheduler, design
):
    whole = tmp_path / "whole.csv"
    frame.to_csv(whole, index=False)
    runs = {
        "one csv": run("prevalence", whole, "-o", tmp_path / "csv.csv", *design),
        "folder": run("prevalence", dataset, "-o", tmp_path / "folder.csv", *design),
        "dask": run("prevalence", dataset, "-o", tmp_path / "dask.csv", *design,
                    "--engine", "dask", "--scheduler", scheduler),
    }  # fmt: skip
    for result in runs.values():
        assert result.exit_code == 0, result.output
    warned = [line for line in runs["dask"].output.splitlines() if line.startswith("warning:")]
    assert warned == [line for line in runs["folder"].output.splitlines()
                      if line.startswith("warning:")]  # fmt: skip
    old = int((frame["age_days"] > 1826).sum())
    assert warned[0] == f"warning: {old} rows aged over 1826 days are left out"
    assert "warning: 2 rows without a sampling weight get weight 0" in warned
    expected = table_of(tmp_path / "csv.csv")
    assert_same_table(table_of(tmp_path / "folder.csv"), expected)
    assert_same_table(table_of(tmp_path / "dask.csv"), expected)
    groups = list(expected["Group"])
    assert groups[:2] == ["All", "Age group: 00-05 mo"]
    assert len(groups) == 1 + 6 + 2 + 12 + 4 + (5 if design is CLUSTERED else 0)
    # the estimate itself, by hand: weighted share of stunted children (oedema does not count)
    data = growth_charts.zscores(frame)
    kept = (data["age_days"].isna() | (data["age_days"] <= 1826)) & (
        data["cluster"].notna() if design is CLUSTERED else True
    )
    data = data[kept & data["zlen"].notna() & (data["flen"] != 1)]
    w = data["sw"].fillna(0)
    assert expected.loc[0, "HA_2_r"] == pytest.approx(
        100 * (w * (data["zlen"] < -2)).sum() / w.sum(), rel=1e-12
    )


def test_prevalence_names_the_file_and_row_of_a_negative_weight(tmp_path, frame, scheduler):
    bad = frame.copy()
    bad.loc[CUTS[1] + 4, "sw"] = -1.5  # second file, its 5th row
    folder = write_dataset(bad, tmp_path / "bad")
    expected = f"error: {folder / 'part-1.parquet'}, column 'sw': row 5: -1.5 is not a weight ≥ 0"
    here = run("prevalence", folder, "-o", tmp_path / "a.csv", "--weights", "sw")
    assert only_error(here) == expected
    there = run("prevalence", folder, "-o", tmp_path / "b.csv", "--weights", "sw",
                "--engine", "dask", "--scheduler", scheduler)  # fmt: skip
    assert only_error(there) == expected
    missing = run("prevalence", folder, "-o", tmp_path / "c.csv", "--cluster", "psu",
                  "--engine", "dask", "--scheduler", scheduler)  # fmt: skip
    assert only_error(missing).endswith("column 'psu': column given by --cluster is missing")


# the combination itself, without Dask ----------------------------------------------------


def single_process(frame: pd.DataFrame, options: Options) -> tuple[pd.DataFrame, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PrevalenceWarning)
        table = prevalence(frame, **{k: v for k, v in vars(options).items() if v is not None})
    return table, [str(w.message) for w in caught]


def in_parts(frame: pd.DataFrame, options: Options, cuts) -> tuple[pd.DataFrame, list[str]]:
    parts = [frame.iloc[a:b].reset_index(drop=True) for a, b in itertools.pairwise(cuts)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PrevalenceWarning)
        table = prevalence_of_parts(parts, options)
    return table, [str(w.message) for w in caught]


@pytest.fixture(scope="module")
def with_z(frame) -> pd.DataFrame:
    data = growth_charts.zscores(frame)
    data["one"] = 7  # a single cluster: every row is its own PSU, as WHO anthro has it
    data["lonely"] = np.where(data["id"] == 5, 9, data["strata"])  # a stratum of one row
    data.loc[data["id"] % 50 == 0, "sw"] = 0.0  # zero weights: out of the degrees of freedom
    # a categorical keeps its categories in their order, the empty "Town" too
    areas = ["West", "Town", "East", "South", "North"]
    data["area"] = pd.Categorical(data["region"].where(data["id"] % 7 > 0), categories=areas)
    return data


CASES = {
    "weights": Options(weights="sw"),
    "clusters": Options(weights="sw", cluster="cluster", strata="strata", gregion="region"),
    "unweighted-clusters": Options(cluster="cluster", othergr="region", wealthq="wq"),
    "one-cluster": Options(weights="sw", cluster="one", strata="strata"),
    "lonely-row": Options(weights="sw", strata="lonely", typeres="region"),
    "lonely-psu": Options(weights="sw", cluster="cluster", strata="lonely"),
    "categorical": Options(cluster="cluster", typeres="area", mothered="wq"),
}
TINY = (0, 1, 2, 1000, ROWS)  # partitions of one row


@pytest.mark.parametrize(
    ("options", "cuts"),
    [(options, CUTS) for options in CASES.values()]
    + [(CASES[name], TINY) for name in ("clusters", "one-cluster")],
    ids=[*CASES, "tiny-clusters", "tiny-one-cluster"],
)
def test_partition_sums_combine_into_the_single_process_table(with_z, options, cuts):
    expected, expected_warnings = single_process(with_z, options)
    got, got_warnings = in_parts(with_z, options, cuts)
    assert got_warnings == expected_warnings
    assert_same_table(got, expected)


def test_a_partition_whose_rows_are_all_left_out(with_z):
    data = with_z.copy()
    data.loc[:99, "age_days"] = 2000.0
    options = Options(weights="sw", cluster="cluster", strata="strata")
    expected, _ = single_process(data, options)
    got, _ = in_parts(data, options, (0, 100, 200, ROWS))
    assert_same_table(got, expected)


@pytest.mark.slow
def test_the_default_local_cluster(tmp_path, dataset):
    """No ``--scheduler``: a local cluster of worker processes with 1 GiB each."""
    here, there = tmp_path / "here.csv", tmp_path / "there.csv"
    assert run("prevalence", dataset, "-o", here, *CLUSTERED).exit_code == 0
    result = run("prevalence", dataset, "-o", there, *CLUSTERED, "--engine", "dask",
                 "--workers", "2")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert_same_table(table_of(there), table_of(here))


# what a worker imports -------------------------------------------------------------------------

# what a z-score task must not load on a worker: the driver's side and the web service
DRIVER_ONLY = ("api.commands.survey_batches", "api.commands.survey_file", "api.cli", "health")

UNPICKLE_AND_RUN = """
import pickle, sys
task, args = pickle.loads(sys.stdin.buffer.read())
print(task(*args))
print(' '.join(sorted(sys.modules)))
"""


def test_a_zscore_task_unpickles_and_runs_without_the_driver_modules(tmp_path, dataset):
    """A task as Dask ships it (cloudpickle of the function and its ``Part``), run in a fresh
    interpreter: it writes the single-process path's file and imports neither
    ``api.commands.survey_batches`` nor ``survey_file`` nor ``health``."""
    import subprocess
    import sys

    import cloudpickle

    from api.commands import survey_task

    part = survey_batches.dataset_parts(dataset)[3]
    assert type(part).__module__ == "api.commands.survey_task"
    out = tmp_path / "part.parquet"
    payload = cloudpickle.dumps((survey_task.zscore_part_to, (part, "who-anthro", str(out), False)))
    done = subprocess.run([sys.executable, "-c", UNPICKLE_AND_RUN], input=payload,
                          capture_output=True, check=True)  # fmt: skip
    rows, modules = done.stdout.decode().splitlines()
    assert int(rows) == part.rows
    loaded = set(modules.split())
    assert "api.commands.survey_task" in loaded and "growth_charts" in loaded
    assert not [m for m in loaded if m.startswith(DRIVER_ONLY)]
    expected = survey_task.zscore_part(part, "who-anthro")
    pd.testing.assert_frame_equal(pd.read_parquet(out), expected)


def test_a_bad_partition_error_travels_without_the_driver_modules():
    """``PartError`` pickles by reference to ``survey_task`` and becomes the command's error on
    the driver only."""
    import pickle

    from api.commands.survey_file import InputFileError
    from api.commands.survey_task import PartError

    error = pickle.loads(pickle.dumps(PartError("f.parquet", "'x' is not valid", 17, "sex")))
    assert b"survey_batches" not in pickle.dumps(error)
    made = error.input_error()
    assert isinstance(made, InputFileError)
    assert (made.file, made.column, made.reason) == ("f.parquet", "sex", "row 17: 'x' is not valid")


def test_warm_up_leaves_nothing_behind(tmp_path, monkeypatch):
    import tempfile

    from api.commands.survey_task import warm_up

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert warm_up() >= 0
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_zscore_on_the_default_local_cluster(tmp_path, dataset):
    """No ``--scheduler``: worker processes, warmed up, write the single-process path's files
    and never import the driver's modules."""
    here, there = tmp_path / "here", tmp_path / "there"
    survey_batches.zscore_dataset(dataset, here, "who-anthro")
    with survey_batches.dask_client(None, 2) as client:
        survey_batches.zscore_dataset(dataset, there, "who-anthro", client)
        # eval, a builtin, runs on the worker without shipping any module of this test
        modules = client.run(eval, "sorted(__import__('sys').modules)")
        threads = client.nthreads()
        processes = client.run(eval, "__import__('os').getpid()")
    assert sorted(threads.values()) == [1, 1]
    assert len(set(processes.values())) == 2 and os.getpid() not in processes.values()
    for loaded in modules.values():
        assert "api.commands.survey_task" in loaded
        assert not [m for m in loaded if m.startswith(DRIVER_ONLY)]
    for name in sorted(p.name for p in here.iterdir()):
        assert (here / name).read_bytes() == (there / name).read_bytes()
