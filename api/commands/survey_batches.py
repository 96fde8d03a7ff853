"""Survey batches on Parquet datasets: read a partition at a time, here or on a Dask cluster.

A *dataset* is one ``.parquet`` file or a folder of them (searched recursively, in path order;
names starting with ``_`` or ``.``, such as ``_metadata``, are skipped; every file has the same
columns). A *partition* is one row group of one file, cut into slices of at most
``PARTITION_ROWS`` rows, so a partition's rows are a known run of one file and an error names the
file and the row in it (1-based, as in a spreadsheet without its header). A task holds one
decoded row group (Arrow, about 8 bytes per cell) and one slice in pandas with the engine's
columns: about 240 MiB for the loaded engine plus 130 MiB per 100,000 rows, so 250,000-row slices
stay near 600 MiB, under the default 1 GiB per worker.

``--engine dask`` runs the same engine functions as the single-process path on every partition:
for z-scores one task per partition reads it, computes it (``growth_charts.zscores``) and
writes its own output file, the very file the single-process path writes, so a worker holds
one partition at a time and no result travels; ``growth_charts.prevalence_parts`` for the
prevalence table, whose per-partition sums are merged pairwise, in partition order, on the
workers. Without ``--scheduler`` a ``distributed.LocalCluster`` is started with one thread
per worker and ``--worker-memory`` (default 1 GiB) per worker; with ``--scheduler ADDRESS``
the tasks go to that cluster, whose workers must have this project installed and be able to
read the dataset's path. See ``docs/survey-batches.md``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from api.commands.survey_file import InputFileError, SurveyFile
from api.commands.survey_task import (
    Part,
    PartError,
    facts_of,
    read_part,
    sums_of,
    warm_up,
    zscore_part,
    zscore_part_to,
)

if TYPE_CHECKING:
    from distributed import Client

    from growth_charts.prevalence_parts import Options

# the tasks themselves (and ``Part``, ``PartError``, which their pickles name) are in
# api.commands.survey_task, so that a worker imports only it and the engine, not this module
# with api.commands.survey_file and health.exchange

ENGINES = ("local", "dask")
PARTITION_ROWS = 250_000
DEFAULT_WORKER_MEMORY = "1GiB"


class EngineError(Exception):
    """The Dask cluster cannot be used (bad address, bad memory limit)."""


def is_dataset(source: Path) -> bool:
    """A folder, or a single ``.parquet`` file."""
    return source.is_dir() or source.suffix.lower() == ".parquet"


def dataset_parts(source: Path) -> list[Part]:
    """The partitions of a dataset, files in path order; ``InputFileError`` if unreadable, if
    its files differ in their columns or if it holds no rows."""
    if source.is_dir():
        files = sorted(
            p
            for p in source.rglob("*")
            if p.is_file()
            and p.suffix.lower() == ".parquet"
            and not any(s.startswith(("_", ".")) for s in p.relative_to(source).parts)
        )
        if not files:
            raise InputFileError(str(source), "the folder holds no .parquet file")
    elif not source.exists():
        raise InputFileError(str(source), "file not found")
    else:
        files = [source]
    parts: list[Part] = []
    names: list[str] | None = None
    for file in files:
        try:
            handle = pq.ParquetFile(file)
        except (OSError, pa.ArrowException) as error:
            raise InputFileError(str(file), f"cannot be read as Parquet ({error})") from None
        meta = handle.metadata
        own = list(handle.schema_arrow.names)
        if names is None:
            names = own
        elif own != names:
            missing = [c for c in names if c not in own]
            extra = [c for c in own if c not in names]
            raise InputFileError(
                str(file),
                f"its columns differ from those of {files[0]}"
                + (f"; missing: {', '.join(missing)}" if missing else "")
                + (f"; not in the first file: {', '.join(extra)}" if extra else "")
                + ("" if missing or extra else "; same columns in another order"),
            )
        first = 0
        for group in range(meta.num_row_groups):
            rows = meta.row_group(group).num_rows
            for start in range(0, rows, PARTITION_ROWS):
                size = min(PARTITION_ROWS, rows - start)
                parts.append(Part(str(file), group, start, first + start, size))
            first += rows
    if not parts:
        raise InputFileError(str(source), "the dataset holds no rows")
    return parts


def dataset_columns(source: Path) -> list[str]:
    """Column names of the dataset's first file."""
    return list(pq.ParquetFile(dataset_parts(source)[0].path).schema_arrow.names)


class DatasetFile(SurveyFile):
    """A whole dataset in one frame (the single-process path), rows named by file and row."""

    def __init__(self, path: Path, frame: pd.DataFrame, parts: list[Part]) -> None:
        super().__init__(path, frame, {})
        self.parts = parts

    def error(self, row: int, column: str | None, reason: str) -> InputFileError:
        seen = 0
        for part in self.parts:
            if row < seen + part.rows:
                place = PartError(part.path, reason, part.first_row + row - seen + 1, column)
                return place.input_error()
            seen += part.rows
        return super().error(row, column, reason)


def read_dataset(source: Path) -> DatasetFile:
    """Every partition of a folder dataset, concatenated in order."""
    parts = dataset_parts(source)
    try:
        frames = [read_part(part) for part in parts]
    except PartError as error:
        raise error.input_error() from None
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return DatasetFile(source, frame, parts)


# z-scores ------------------------------------------------------------------------------------


def _fresh(target: Path) -> Path:
    """Where to write before the result is moved onto ``target`` (left alone on error)."""
    if target.is_dir() and any(target.iterdir()):
        raise InputFileError(str(target), "the output folder exists and is not empty")
    partial = target.with_name(target.name + ".partial")
    if partial.is_dir():
        shutil.rmtree(partial)
    partial.unlink(missing_ok=True)
    return partial


def _publish(partial: Path, target: Path) -> None:
    if target.is_dir():
        target.rmdir()
    partial.replace(target)


def part_name(number: int) -> str:
    """File name of output partition ``number``."""
    return f"part-{number:05d}.parquet"


def zscore_dataset(
    source: Path,
    target: Path,
    rules: str,
    client: Client | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> int:
    """z-scores of every row of a dataset; returns the number of rows.

    ``target`` ending in ``.csv``: one CSV file, partitions in order; otherwise a Parquet
    dataset folder, one ``part-NNNNN.parquet`` per input partition. ``client``: run on Dask.
    Raises ``InputFileError`` (file, row, column, reason); ``target`` is then left unwritten.
    """
    parts = dataset_parts(source)
    as_csv = target.suffix.lower() == ".csv"
    partial = _fresh(target)
    try:
        try:
            if client is None:
                _zscore_here(parts, partial, rules, as_csv, on_progress)
            else:
                with worker_failures():
                    _zscore_on_dask(parts, partial, rules, as_csv, client)
        except PartError as error:
            raise error.input_error() from None
        _publish(partial, target)
    finally:
        if partial.is_dir():
            shutil.rmtree(partial)
        partial.unlink(missing_ok=True)
    return sum(p.rows for p in parts)


def _zscore_here(
    parts: list[Part],
    partial: Path,
    rules: str,
    as_csv: bool,
    on_progress: Callable[[int, int], None] | None,
) -> None:
    if not as_csv:
        partial.mkdir(parents=True)
    total = sum(p.rows for p in parts)
    done = 0
    for number, part in enumerate(parts):
        result = zscore_part(part, rules)
        if as_csv:
            result.to_csv(partial, index=False, mode="w" if number == 0 else "a",
                          header=number == 0)  # fmt: skip
        else:
            result.to_parquet(partial / part_name(number), index=False)
        done += part.rows
        if on_progress:
            on_progress(done, total)


def _zscore_on_dask(
    parts: list[Part], partial: Path, rules: str, as_csv: bool, client: Client
) -> None:
    """Each partition a task that reads, computes and writes its own file (as ``_zscore_here``
    does, so the files are the same); a CSV target is the parts' files joined in order."""
    if as_csv:
        folder = partial.with_name(partial.name + "-parts")
        folder.mkdir(parents=True)
        paths = [str(folder / f"part-{n:05d}.csv") for n in range(len(parts))]
    else:
        partial.mkdir(parents=True)
        paths = [str(partial / part_name(n)) for n in range(len(parts))]
    try:
        headers = [as_csv and n == 0 for n in range(len(parts))]
        futures = client.map(zscore_part_to, parts, [rules] * len(parts), paths, headers,
                             pure=False)  # fmt: skip
        try:
            for future in futures:  # in partition order: the first bad partition is named
                future.result()
        finally:
            client.cancel(futures)
        if as_csv:
            with partial.open("wb") as out:
                for path in paths:
                    with open(path, "rb") as part_file:
                        shutil.copyfileobj(part_file, out, 1 << 24)
    finally:
        if as_csv:
            shutil.rmtree(folder, ignore_errors=True)


# prevalence ----------------------------------------------------------------------------------


def _pass_one_columns(options: Options) -> list[str]:
    return ["age_days", "age_months", "sex", "oedema", *options.columns()]


def prevalence_dataset(source: Path, options: Options, client: Client) -> pd.DataFrame:
    """WHO's prevalence table of a dataset on Dask: pass 1 (design facts) and pass 2 (sums),
    each mapped over the partitions and folded pairwise in partition order on the workers.

    Raises ``InputFileError`` for a bad partition, ``NoRowsLeftError`` when nothing is kept;
    warns (``PrevalenceWarning``) as ``prevalence`` does.
    """
    from growth_charts.prevalence_parts import DesignFacts, fold_facts, merge, plan, table

    parts = dataset_parts(source)
    columns = _pass_one_columns(options)
    try:
        with worker_failures():
            leaves = client.map(facts_of, parts, options=options, columns=columns, pure=False)
            facts = _tree(client, leaves, fold_facts)
            layout = plan(facts if facts is not None else DesignFacts(), options)
            shared = client.scatter(layout, broadcast=True)
            leaves = client.map(sums_of, parts, layout=shared, pure=False)
            sums = _tree(client, leaves, merge)
    except PartError as error:
        raise error.input_error() from None
    return table(layout, sums)


@contextmanager
def worker_failures() -> Iterator[None]:
    """A worker lost while running a partition (killed for memory, machine gone) as one line."""
    from distributed import KilledWorker

    try:
        yield
    except KilledWorker as error:
        raise EngineError(
            f"a Dask worker died while running {error.task} (out of memory? give the workers "
            "more --worker-memory or the dataset smaller row groups)"
        ) from None


def _tree(client: Client, futures: list, fold: Callable[[Any, Any], Any]) -> Any:
    """``fold`` over the futures' results, neighbours first (order kept), on the workers."""
    if not futures:
        return None
    while len(futures) > 1:
        pairs = zip(futures[0::2], futures[1::2], strict=False)
        paired = [client.submit(fold, a, b, pure=False) for a, b in pairs]
        futures = paired + (futures[-1:] if len(futures) % 2 else [])
    return futures[0].result()


# the cluster ---------------------------------------------------------------------------------


def check_memory(limit: str) -> None:
    """``EngineError`` unless ``limit`` is a size such as ``1GiB`` or ``512MB``."""
    from dask.utils import parse_bytes

    try:
        if parse_bytes(limit) <= 0:
            raise ValueError(limit)
    except (ValueError, TypeError):
        message = f"--worker-memory {limit!r} is not a size such as 1GiB or 512MB"
        raise EngineError(message) from None


# a local cluster started for one run has no dashboard to feed (no bokeh, nobody told its
# address): its servers' timers are slowed to what the run needs. With Dask's defaults (the
# statistical profiler sampling every worker 100 times a second, every server's event loop
# ticking every 20 ms, a psutil system monitor every 500 ms, the memory monitors every 100 ms)
# an idle 2-worker cluster spends 0.12 CPU seconds per second, 6 % of a 2-core machine taken
# from the tasks; with these 0.02 (measured, 10 s idle). The nanny still checks each worker's
# memory twice a second.
LOCAL_CLUSTER_CONFIG: dict[str, object] = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "500ms",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.admin.system-monitor.disk": False,
    "distributed.worker.memory.monitor-interval": "500ms",
}


@contextmanager
def dask_client(
    scheduler: str | None, workers: int | None = None, worker_memory: str = DEFAULT_WORKER_MEMORY
) -> Iterator[Client]:
    """A client of the cluster at ``scheduler``, or of a local cluster started for the run
    (``workers`` processes of one thread each, default one per core; ``worker_memory`` each;
    ``LOCAL_CLUSTER_CONFIG``'s timers; each worker warmed up with ``survey_task.warm_up`` before
    the client is handed out)."""
    import logging

    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError, ValueError) as error:
            raise EngineError(f"cannot reach the Dask scheduler at {scheduler} ({error})") from None
        with client:
            yield client
        return
    check_memory(worker_memory)
    import dask

    # Dask's default MALLOC_TRIM_THRESHOLD_ makes glibc hand every freed block back and map
    # fresh, zeroed pages for the next partition's arrays: measured 5–10 times slower per
    # partition than one process; the workers keep glibc's own (adaptive) thresholds instead
    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ", {}))
    environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    with (
        dask.config.set({**LOCAL_CLUSTER_CONFIG, "distributed.nanny.pre-spawn-environ": environ}),
        LocalCluster(
            n_workers=workers or os.cpu_count() or 1,
            threads_per_worker=1,
            memory_limit=worker_memory,
            dashboard_address=":0",  # any free port: never fails over a busy 8787
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        # each worker imports the engine and loads its compiled kernels now, not in its first
        # partition (measured 2–3 s of a 250,000-row partition's 0.7 s otherwise)
        client.run(warm_up)
        yield client
