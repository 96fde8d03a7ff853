"""``childhealth import DIR``: load a folder in the exchange format (coverage.md §4), then
bring the day's kept dashboard sums up to date (``health.tally.prepare``; a big file drops
them)."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from api.commands.clock import command_clock
from api.commands.errors import fail


def import_folder(
    folder: Annotated[
        Path,
        typer.Argument(
            help="Folder with areas/clinics/facilities/children/checks .csv files (any subset)."
        ),
    ],
) -> None:
    """Load an exchange folder all-or-nothing into the database (re-loading changes nothing)."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    from health.db import DatabaseConfigError, get_engine
    from health.exchange import FILES, ExchangeError
    from health.exchange import import_folder as load

    total = sum((folder / n).stat().st_size for n in FILES if (folder / n).is_file())
    progress = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        transient=True,
        disable=not sys.stderr.isatty(),
        console=None,
    )
    today = command_clock().today()
    try:
        engine = get_engine()
        with progress:
            task = progress.add_task("importing", total=total or None)
            summary = load(
                engine, folder, today=today, progress=lambda n: progress.advance(task, n)
            )
    except ExchangeError as error:
        fail(error.message)
    except DatabaseConfigError as error:
        fail(str(error))
    for name, read in summary.read.items():
        changed = summary.changed.get(name, 0)
        typer.echo(f"{name}: {read} rows read, {changed} added or changed")
    if any(summary.changed.values()):  # the day's dashboards find their sums kept
        from health.schedule import load_schedule
        from health.tally import prepare

        start = time.perf_counter()
        done = prepare(engine, today, load_schedule().coverage)
        typer.echo(f"dashboard sums: {len(done)} up to date in {time.perf_counter() - start:.1f} s")


def register(app: typer.Typer) -> None:
    """Attach the ``import`` command."""
    app.command("import")(import_folder)
