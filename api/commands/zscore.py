"""``childhealth zscore IN -o OUT [--rules who-anthro|igrowup] [--reference who|ws423]
[--engine local|dask …]``.

``--reference ws423`` appends, instead of WHO's columns, the same z and flag columns computed
against China's WS/T 423-2022 for the five indicators it covers, with its category codes
(``growth_charts.ws423_batch``; CSV input, local engine).

``IN`` is a CSV file, or a Parquet dataset (one ``.parquet`` file or a folder of them; output
``OUT.csv`` or a Parquet dataset folder); ``--engine dask`` runs a Parquet dataset on a Dask
cluster (``api.commands.survey_batches``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from api.commands.errors import fail

ENGINE_HELP = "local (this process) or dask (a Parquet dataset, partition by partition)."
SCHEDULER_HELP = "Address of a running Dask scheduler (tcp://host:8786); default: a local cluster."
WORKERS_HELP = "Workers of the local Dask cluster (default: one per core)."
MEMORY_HELP = "Memory limit per worker of the local Dask cluster."
REFERENCE_HELP = (
    "Growth reference: who (WHO 2006/2007, default) or ws423 (China's WS/T 423-2022: zlen, zwei, "
    "zwfl, zbmi, zhc with their flags, and the categories glen, gwei, gwfl, gbmi)."
)
REFERENCES = ("who", "ws423")
ENGINES = ("local", "dask")  # as api.commands.survey_batches.ENGINES


class _NeverRaisedError(Exception):
    """Stands for the Dask path's errors when that path (and its imports) is not used."""


def is_dataset(source: Path) -> bool:
    """A folder, or a single ``.parquet`` file (as ``survey_batches.is_dataset``)."""
    return source.is_dir() or source.suffix.lower() == ".parquet"


class _NoProgress:
    """Stands for rich's progress bar when none is shown (stderr not a terminal): rich is then
    not imported at all."""

    def __enter__(self) -> _NoProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def add_task(self, description: str, total: float | None = None) -> int:
        return 0

    def update(self, task: int, completed: float, total: float) -> None:
        return None


def _progress_bar() -> Any:
    """rich's transient progress bar (bar, percentage, time remaining) on stderr."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeRemainingColumn

    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        transient=True,
    )


def zscore(
    source: Annotated[
        Path,
        typer.Argument(
            help="Input CSV in WHO Anthro's column names, or a Parquet dataset (a .parquet "
            "file or a folder of them)."
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Output CSV, or (Parquet input) a new folder for a dataset."
        ),
    ],
    rules: Annotated[
        str, typer.Option(help="Rule set: who-anthro (WHO anthro 1.1) or igrowup (older macros).")
    ] = "who-anthro",
    engine: Annotated[str, typer.Option(help=ENGINE_HELP)] = "local",
    scheduler: Annotated[str | None, typer.Option(help=SCHEDULER_HELP, metavar="ADDRESS")] = None,
    workers: Annotated[int | None, typer.Option(help=WORKERS_HELP, min=1)] = None,
    worker_memory: Annotated[str, typer.Option(help=MEMORY_HELP)] = "1GiB",
    reference: Annotated[str, typer.Option(help=REFERENCE_HELP)] = "who",
) -> None:
    """Append WHO z-scores and flags to every row of a survey CSV file or Parquet dataset."""
    from growth_charts.anthro import RULE_SETS
    from growth_charts.batch import BatchInputError, zscore_csv

    dataset = is_dataset(source)
    if dataset or engine != "local":  # Dask, Parquet and their errors: only when asked for
        from api.commands.survey_batches import (
            EngineError,
            InputFileError,
            dask_client,
            zscore_dataset,
        )
    else:
        EngineError = InputFileError = _NeverRaisedError

    if rules not in RULE_SETS:
        fail(f"--rules must be one of: {', '.join(RULE_SETS)} (got {rules!r})")
    if reference not in REFERENCES:
        fail(f"--reference must be one of: {', '.join(REFERENCES)} (got {reference!r})")
    if engine not in ENGINES:
        fail(f"--engine must be one of: {', '.join(ENGINES)} (got {engine!r})")
    if scheduler is not None and engine != "dask":
        fail("--scheduler needs --engine dask")
    if reference == "ws423" and (dataset or engine != "local"):
        fail(f"{source}: --reference ws423 reads a CSV file with the local engine")
    if engine == "dask" and not dataset:
        fail(f"{source}: --engine dask reads a Parquet dataset (a .parquet file or a folder)")
    show = sys.stderr.isatty()
    progress = _progress_bar() if show and engine != "dask" else _NoProgress()
    try:
        if engine == "dask":
            with dask_client(scheduler, workers, worker_memory) as client:
                rows = zscore_dataset(source, output, rules, client)
        else:
            with progress:
                task = progress.add_task("z-scores", total=None)

                def step(done: int, total: int) -> None:
                    progress.update(task, completed=done, total=total)

                if reference == "ws423":
                    from growth_charts.ws423_batch import zscore_csv_ws423

                    rows = zscore_csv_ws423(source, output, rules)  # type: ignore[arg-type]
                elif dataset:
                    rows = zscore_dataset(source, output, rules, on_progress=step)
                else:
                    rows = zscore_csv(source, output, rules, on_progress=step)  # type: ignore[arg-type]
    except (BatchInputError, EngineError) as error:
        fail(str(error))
    except InputFileError as error:
        fail(error.message)
    except OSError as error:
        fail(f"{error.filename or output}: {error.strerror}")
    if show:
        print(f"{rows} rows written to {output}", file=sys.stderr)


def register(app: typer.Typer) -> None:
    """Attach the ``zscore`` command."""
    app.command("zscore")(zscore)
