"""``childhealth zscore IN.csv -o OUT.csv [--rules who-anthro|igrowup]``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from api.commands.errors import fail


def zscore(
    source: Annotated[Path, typer.Argument(help="Input CSV in WHO Anthro's column names.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Output CSV to write.")],
    rules: Annotated[
        str, typer.Option(help="Rule set: who-anthro (WHO anthro 1.1) or igrowup (older macros).")
    ] = "who-anthro",
) -> None:
    """Append WHO z-scores and flags to every row of a survey CSV file."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TimeRemainingColumn

    from growth_charts.anthro import RULE_SETS
    from growth_charts.batch import BatchInputError, zscore_csv

    if rules not in RULE_SETS:
        fail(f"--rules must be one of: {', '.join(RULE_SETS)} (got {rules!r})")
    show = sys.stderr.isatty()
    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        disable=not show,
        transient=True,
    )
    try:
        with progress:
            task = progress.add_task("z-scores", total=None)
            rows = zscore_csv(
                source,
                output,
                rules,  # type: ignore[arg-type]
                on_progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    except BatchInputError as error:
        fail(str(error))
    except OSError as error:
        fail(f"{error.filename or output}: {error.strerror}")
    if show:
        print(f"{rows} rows written to {output}", file=sys.stderr)


def register(app: typer.Typer) -> None:
    """Attach the ``zscore`` command."""
    app.command("zscore")(zscore)
