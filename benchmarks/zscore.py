"""Growth-engine throughput and memory, the CLI's CSV → CSV time against plain pandas I/O, and
the Parquet dataset job on one process against Dask.

    .venv/bin/python benchmarks/zscore.py [--rows 1000000] [--dask-rows 20000000] [--workers N]
        [--repeat N]

Prints: engine rows/s for all eight WHO 2006 indicators together (one core), the engine's peak
traced memory, the CLI job's wall time and peak RSS (a separate process), the time pandas
needs only to read and write the same CSV file and the ratio of the two; then, on a Parquet
dataset of ``--dask-rows`` rows (files of 1,000,000 rows, row groups of 250,000), the rows/s
per core of ``zscore_dataset`` in one process and on a local Dask cluster (``--workers``,
default one per core, 1 GiB each), with the peak RSS of the single process and of each
worker, and the cores each job got (CPU seconds over wall seconds); then, as the reference of
equal conditions, ``--workers`` single processes at the same time, each on its share of the
files (``--dask-rows 0`` skips this part). ``--repeat N``: the best of N runs of each.

On a shared machine the wall-time figure measures the machine's load as much as the job: Linux
(``kernel.sched_autogroup_enabled``) gives each session one share of the CPUs, however many
processes it runs, so on a busy machine two processes started from one shell together get what
one of them alone gets, and a cluster's per-core rate falls towards half of one process's
whatever the cluster does. The equal-conditions line shows that ceiling; on an idle machine the
three rates agree.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

# this folder holds scripts named like packages (coverage.py): keep it off the import path,
# here and in the Dask workers that copy it
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from growth_charts import children, compute, value_at_z  # noqa: E402

DATASET_FILE_ROWS = 1_000_000
DATASET_ROW_GROUP = 250_000


def synthetic_survey(rows: int, seed: int = 1) -> pd.DataFrame:
    """Children 0–1856 days with WHO-distributed measurements and a little realistic noise."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["M", "F"], rows)
    age = rng.uniform(0, 1856, rows).round(0)
    z = rng.normal(-0.3, 1.2, (6, rows))
    lenhei = value_at_z("lhfa", sex, age, z[0]).round(1)
    return pd.DataFrame({
        "id": np.arange(rows),
        "sex": np.where(sex == "M", 1, 2),
        "age_days": age.astype(int),
        "weight": value_at_z("wfa", sex, age, z[1]).round(2),
        "lenhei": lenhei,
        "measure": np.where(age < 731, "l", "h"),
        "oedema": np.where(rng.random(rows) < 0.002, "y", "n"),
        "headc": value_at_z("hcfa", sex, age, z[2]).round(1),
        "armc": value_at_z("acfa", sex, np.maximum(age, 91), z[3]).round(1),
        "triskin": value_at_z("tsfa", sex, np.maximum(age, 91), z[4]).round(1),
        "subskin": value_at_z("ssfa", sex, np.maximum(age, 91), z[5]).round(1),
    })  # fmt: skip


def engine(frame: pd.DataFrame, repeats: int = 3) -> tuple[float, float, float]:
    """Best-of rows/s for input cleaning and for the engine, and the engine's peak traced MB.

    Cleaning turns the raw columns (text codes for position and oedema) into the engine's
    arrays; the engine computes, rounds and flags every indicator (8 WHO 2006 + 3 WHO 2007).
    """
    columns = {c: frame[c].to_numpy() for c in frame.columns if c != "id"}
    best_clean = best_engine = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        kids = children(columns["sex"], **{k: v for k, v in columns.items() if k != "sex"})
        middle = time.perf_counter()
        compute(kids, rounded=True)
        best_clean = min(best_clean, middle - start)
        best_engine = min(best_engine, time.perf_counter() - middle)
    tracemalloc.start()
    compute(kids, rounded=True)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return len(frame) / best_clean, len(frame) / best_engine, peak / 2**20


CLI_WITH_PEAK = (
    "import atexit, runpy, sys;"
    "atexit.register(lambda: print(open('/proc/self/status').read().split('VmHWM:')[1].split()[0],"
    " file=sys.stderr));"
    "sys.argv = ['childhealth', *sys.argv[1:]]; runpy.run_module('api.cli', run_name='__main__')"
)


def cli_job(source: Path, target: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB, the job's own VmHWM) of ``childhealth zscore`` in its own
    process."""
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", CLI_WITH_PEAK, "zscore", str(source), "-o",
                           str(target)], check=True, capture_output=True, text=True)  # fmt: skip
    wall = time.perf_counter() - start
    return wall, int(done.stderr.split()[-1]) / 1024


def pandas_io(source: Path, target: Path) -> float:
    start = time.perf_counter()
    pd.read_csv(source).to_csv(target, index=False)
    return time.perf_counter() - start


def write_dataset(folder: Path, rows: int) -> None:
    """``rows`` synthetic children as Parquet files of ``DATASET_FILE_ROWS`` rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True)
    for number, start in enumerate(range(0, rows, DATASET_FILE_ROWS)):
        frame = synthetic_survey(min(DATASET_FILE_ROWS, rows - start), seed=100 + number)
        frame["id"] += start
        table = pa.Table.from_pandas(frame, preserve_index=False)
        pq.write_table(table, folder / f"part-{number:04d}.parquet",
                       row_group_size=DATASET_ROW_GROUP)  # fmt: skip


def single_process(source: Path, target: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MiB) of the one-process dataset job, in its own
    process (imports before the clock)."""
    code = (
        "import resource, sys, time; from pathlib import Path;"
        "from api.commands.survey_batches import zscore_dataset;"
        "u = resource.getrusage(resource.RUSAGE_SELF); t = time.perf_counter();"
        "zscore_dataset(Path(sys.argv[1]), Path(sys.argv[2]), 'who-anthro');"
        "v = resource.getrusage(resource.RUSAGE_SELF);"
        "hwm = open('/proc/self/status').read().split('VmHWM:')[1].split()[0];"
        "print(time.perf_counter() - t, v.ru_utime + v.ru_stime - u.ru_utime - u.ru_stime,"
        " int(hwm) / 1024)"
    )
    done = subprocess.run([sys.executable, "-c", code, str(source), str(target)],
                          check=True, capture_output=True, text=True)  # fmt: skip
    wall, cpu, rss = done.stdout.split()[-3:]
    return float(wall), float(cpu), float(rss)


def concurrent_processes(source: Path, target: Path, processes: int) -> tuple[float, float]:
    """Wall seconds until the last of ``processes`` one-process jobs started together ends, each
    on every ``processes``-th file of ``source`` (hard links in a folder of its own), and their
    CPU seconds together."""
    files = sorted(source.glob("*.parquet"))
    shards = []
    for number in range(processes):
        shard = target / f"shard-{number}"
        shard.mkdir(parents=True)
        for file in files[number::processes]:
            os.link(file, shard / file.name)
        shards.append(shard)
    code = (
        "import resource, sys; from pathlib import Path;"
        "from api.commands.survey_batches import zscore_dataset;"
        "sys.stdin.read();"  # imported: wait for the start
        "u = resource.getrusage(resource.RUSAGE_SELF);"
        "zscore_dataset(Path(sys.argv[1]), Path(sys.argv[2]), 'who-anthro');"
        "v = resource.getrusage(resource.RUSAGE_SELF);"
        "print(v.ru_utime + v.ru_stime - u.ru_utime - u.ru_stime)"
    )
    jobs = [subprocess.Popen([sys.executable, "-c", code, str(shard), str(shard) + "-out"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            for shard in shards]  # fmt: skip
    time.sleep(5)  # the imports (a job that has not finished them only starts later)
    start = time.perf_counter()
    for job in jobs:
        assert job.stdin is not None
        job.stdin.close()
    outputs = [job.stdout.read() if job.stdout else "" for job in jobs]
    for job in jobs:
        job.wait()
    wall = time.perf_counter() - start
    if any(job.returncode for job in jobs):
        raise RuntimeError("a one-process job failed")
    return wall, sum(float(out.split()[-1]) for out in outputs)


def peak_rss_mib() -> float:
    """This process's own peak RSS (VmHWM; ``ru_maxrss`` would carry a parent's over fork)."""
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmHWM:")[1].split()[0]) / 1024


def _usage() -> tuple[float, float]:
    """CPU seconds so far and peak RSS (MiB) of this process (run on each worker)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime, peak_rss_mib()


def on_dask(
    source: Path, target: Path, workers: int
) -> tuple[float, float, float, float, float, list[float]]:
    """Seconds to start a fresh local cluster (``dask_client``: the workers' start-up and
    warm-up), wall seconds, CPU seconds of the workers and of this process (the client,
    scheduler and nannies) for the Dask job on it, seconds to close the cluster, and each
    worker's peak RSS (MiB)."""
    from api.commands.survey_batches import dask_client, zscore_dataset

    start = time.perf_counter()
    with dask_client(None, workers) as client:
        before = client.run(_usage)  # workers up and warm before the clock starts
        startup = time.perf_counter() - start
        here = _usage()[0]
        start = time.perf_counter()
        zscore_dataset(source, target, "who-anthro", client)
        wall = time.perf_counter() - start
        here = _usage()[0] - here
        after = client.run(_usage)
        closing = time.perf_counter()
    closing = time.perf_counter() - closing
    cpu = sum(after[w][0] - before[w][0] for w in after)
    return startup, wall, cpu, here, closing, sorted(peak for _, peak in after.values())


def dask_figures(rows: int, workers: int, repeat: int = 1) -> None:
    """The Parquet dataset job in one process, on Dask and as ``workers`` processes at once.

    By wall time (the goal's figure): one process's rows/s against the cluster's rows/s divided
    by its workers, the cluster's start-up (workers started, engine imported and its compiled
    kernels loaded, ``survey_task.warm_up``) and its closing left out but printed, since they
    are paid once per run and not per row; on a shared machine other people's work counts
    against both. By CPU time: rows per CPU second spent by the job's processes (the single
    process may use more than one core, through Arrow's threads in the Parquet reader and
    writer). "cores": CPU seconds over wall seconds, the share of the machine a job got. Each
    figure is the best of ``repeat`` runs (the three jobs take turns)."""
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "survey"
        start = time.perf_counter()
        write_dataset(source, rows)
        print(f"dataset: {rows:,} rows in Parquet ({time.perf_counter() - start:.0f} s to write)")
        ones, dasks, pairs = [], [], []
        for turn in range(repeat):
            ones.append(single_process(source, Path(tmp) / f"one-{turn}"))
            shutil.rmtree(Path(tmp) / f"one-{turn}")
            dasks.append(on_dask(source, Path(tmp) / f"dask-{turn}", workers))
            shutil.rmtree(Path(tmp) / f"dask-{turn}")
            pairs.append(concurrent_processes(source, Path(tmp) / f"shards-{turn}", workers))
            shutil.rmtree(Path(tmp) / f"shards-{turn}")
        wall, cpu, rss = min(ones)
        single, single_cpu = rows / wall, rows / min(c for _, c, _ in ones)
        print(f"one process (zscore_dataset): {wall:.1f} s, {single:,.0f} rows/s per core;"
              f" {single_cpu:,.0f} rows per CPU second ({cpu / wall:.2f} cores);"
              f" peak RSS {rss:.0f} MiB")  # fmt: skip
        startup, wall, cpu, here, closing, peaks = min(dasks, key=lambda d: d[1])
        per_core = rows / wall / workers
        per_cpu = max(rows / (d[2] + d[3]) for d in dasks)
        print(f"Dask, {workers} workers × 1 thread: {wall:.1f} s (+ {startup:.1f} s to start and"
              f" warm up the cluster, {closing:.1f} s to close it), {per_core:,.0f} rows/s per"
              f" core ({per_core / single:.0%} of one process;"
              f" {rows / (wall + startup + closing) / workers:,.0f} with the start and close,"
              f" {rows / (wall + startup + closing) / workers / single:.0%});"
              f" {per_cpu:,.0f} rows per CPU second ({per_cpu / single_cpu:.0%}; workers"
              f" {cpu:.1f} s, client and scheduler {here:.1f} s, {(cpu + here) / wall:.2f} cores);"
              " peak RSS per worker " + ", ".join(f"{p:.0f}" for p in peaks) + " MiB")  # fmt: skip
        wall, cpu = min(pairs)
        alike = rows / wall / workers
        print(f"equal conditions, {workers} one-process jobs at once on 1/{workers} of the files"
              f" each: {wall:.1f} s, {alike:,.0f} rows/s per process ({cpu / wall:.2f} cores);"
              f" Dask per worker is {per_core / alike:.0%} of it")  # fmt: skip
        print(f"load average after: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dask-rows", type=int, default=20_000_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    rows = args.rows
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    frame = synthetic_survey(rows)
    clean_rate, rate, traced = engine(frame)
    print(f"rows: {rows:,}")
    print(f"input cleaning (codes, ages): {clean_rate:,.0f} rows/s")
    print(
        f"engine, all 8 WHO 2006 indicators (+ WHO 2007), rounded and flagged: {rate:,.0f} rows/s;"
        f" peak traced memory {traced:.0f} MB (outputs included)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        source, target = Path(tmp) / "survey.csv", Path(tmp) / "out.csv"
        frame.to_csv(source, index=False)
        size = source.stat().st_size / 2**20
        wall, rss = cli_job(source, target)
        print(f"CLI zscore CSV→CSV ({size:.0f} MB in): {wall:.2f} s; peak RSS {rss:.0f} MB")
        plain = pandas_io(source, Path(tmp) / "p.csv")
        print(f"pandas read_csv + to_csv of the same file: {plain:.2f} s;"
              f" CLI / pandas = {wall / plain:.2f}")  # fmt: skip
    if args.dask_rows:
        dask_figures(args.dask_rows, args.workers, args.repeat)


if __name__ == "__main__":
    main()
