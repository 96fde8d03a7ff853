"""``childhealth prevalence IN -o OUT [--weights COL] [--cluster COL] [--strata COL] …``.

Writes WHO anthro's ``anthro_prevalence`` table (same row groups and column names) for a survey
file in WHO Anthro's columns; z-scores are computed when the file does not carry them. ``IN`` may
be a Parquet dataset (a folder of ``.parquet`` files); ``--engine dask`` computes the table on a
Dask cluster from per-partition sums (``api.commands.survey_batches``), the same table.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from api.commands.errors import fail
from api.commands.zscore import ENGINE_HELP, MEMORY_HELP, SCHEDULER_HELP, WORKERS_HELP

if TYPE_CHECKING:
    import pandas as pd


def _column(help_text: str):
    return typer.Option(help=help_text, metavar="COL")


def prevalence(
    source: Annotated[
        Path,
        typer.Argument(help="Survey file (.csv, .parquet, .dta or .sav) or a Parquet folder."),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Table to write (.csv/.parquet/.dta/.sav).")
    ],
    weights: Annotated[str | None, _column("Sampling-weight column (numbers ≥ 0).")] = None,
    cluster: Annotated[str | None, _column("Cluster (primary sampling unit) column.")] = None,
    strata: Annotated[str | None, _column("Stratum column.")] = None,
    region: Annotated[str | None, _column("Geographical-region column.")] = None,
    typeres: Annotated[str | None, _column("Residence-type (area) column.")] = None,
    wealthq: Annotated[str | None, _column("Wealth-quintile column (1-5 or Q1-Q5).")] = None,
    mothered: Annotated[str | None, _column("Mother's-education column.")] = None,
    othergr: Annotated[str | None, _column("Any other grouping column.")] = None,
    engine: Annotated[str, typer.Option(help=ENGINE_HELP)] = "local",
    scheduler: Annotated[str | None, typer.Option(help=SCHEDULER_HELP, metavar="ADDRESS")] = None,
    workers: Annotated[int | None, typer.Option(help=WORKERS_HELP, min=1)] = None,
    worker_memory: Annotated[str, typer.Option(help=MEMORY_HELP)] = "1GiB",
) -> None:
    """Prevalence of stunting, underweight, wasting and overweight with design-based 95 % CIs."""
    from api.commands.survey_file import (
        MEASURED,
        InputFileError,
        read_survey,
        reported_warnings,
        with_zscores,
        write_table,
    )
    from growth_charts.prevalence import NoRowsLeftError
    from growth_charts.prevalence import prevalence as compute
    from growth_charts.survey import DesignError

    if output.suffix.lower() not in (".csv", ".parquet", ".dta", ".sav"):
        fail(f"{output}: unknown output type; use .csv, .parquet, .dta or .sav")
    named = {"weights": weights, "cluster": cluster, "strata": strata, "region": region,
             "typeres": typeres, "wealthq": wealthq, "mothered": mothered,
             "othergr": othergr}  # fmt: skip
    if engine not in ("local", "dask"):
        fail(f"--engine must be one of: local, dask (got {engine!r})")
    if scheduler is not None and engine != "dask":
        fail("--scheduler needs --engine dask")
    if engine == "dask":
        table = _on_dask(source, named, scheduler, workers, worker_memory)
        write_table(table, output)
        return
    try:
        survey = read_survey(source)
        for option, column in named.items():
            if column is not None and column not in survey.frame:
                raise InputFileError(
                    str(source), f"column given by --{option} is missing", column=column
                )
        survey.check_codes([*MEASURED, *([weights] if weights else [])])
        survey.apply_labels(c for c in (region, typeres, mothered, othergr) if c)
        frame = with_zscores(survey)
        with survey.located(), reported_warnings():
            table = compute(
                frame,
                weights=weights,
                cluster=cluster,
                strata=strata,
                typeres=typeres,
                gregion=region,
                wealthq=wealthq,
                mothered=mothered,
                othergr=othergr,
            )
    except InputFileError as error:
        fail(error.message)
    except DesignError as error:
        fail(survey.error(error.row, error.variable, error.reason).message)
    except NoRowsLeftError as error:
        fail(f"{source}: {error}")
    write_table(table, output)


def _on_dask(
    source: Path,
    named: dict[str, str | None],
    scheduler: str | None,
    workers: int | None,
    worker_memory: str,
) -> pd.DataFrame:
    """The table of a Parquet dataset computed on Dask (same rules, same warnings)."""
    from api.commands.survey_batches import (
        EngineError,
        InputFileError,
        dask_client,
        dataset_columns,
        is_dataset,
        prevalence_dataset,
    )
    from api.commands.survey_file import reported_warnings
    from growth_charts.prevalence import NoRowsLeftError
    from growth_charts.prevalence_parts import Options

    if not is_dataset(source):
        fail(f"{source}: --engine dask reads a Parquet dataset (a .parquet file or a folder)")
    options = Options(
        weights=named["weights"], cluster=named["cluster"], strata=named["strata"],
        typeres=named["typeres"], gregion=named["region"], wealthq=named["wealthq"],
        mothered=named["mothered"], othergr=named["othergr"],
    )  # fmt: skip
    try:
        columns = dataset_columns(source)
        for option, column in named.items():
            if column is not None and column not in columns:
                raise InputFileError(
                    str(source), f"column given by --{option} is missing", column=column
                )
        with dask_client(scheduler, workers, worker_memory) as client, reported_warnings():
            return prevalence_dataset(source, options, client)
    except InputFileError as error:
        fail(error.message)
    except EngineError as error:
        fail(str(error))
    except NoRowsLeftError as error:
        fail(f"{source}: {error}")


def register(app: typer.Typer) -> None:
    """Attach the ``prevalence`` command."""
    app.command("prevalence")(prevalence)
