"""``childhealth tallies [--on DATE]``: bring the kept coverage sums of the day's bureau
dashboards up to date (:func:`health.tally.prepare`).

A dashboard's figures are made from sums the database keeps per counted period
(``health/tally.py``); a period counted to today is a new one every day, so the day's first
view would compute them from every child. Run this from a timer soon after local midnight
(``childhealth import`` does the same after a load) and that view finds them kept. Prints
what it prepared, counts only.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated

import typer

from api.commands.clock import command_clock
from api.commands.errors import fail


def tallies_command(
    on: Annotated[
        str | None, typer.Option("--on", help="The local day (YYYY-MM-DD; default: today).")
    ] = None,
) -> None:
    """Compute or bring up to date the kept sums of the day's dashboard views."""
    from health.db import DatabaseConfigError, get_engine
    from health.schedule import load_schedule
    from health.tally import prepare

    try:
        today = dt.date.fromisoformat(on) if on else command_clock().today()
    except ValueError:
        fail(f"--on must be a date YYYY-MM-DD, not {on!r}")
    start = time.perf_counter()
    try:
        done = prepare(get_engine(), today, load_schedule().coverage)
    except DatabaseConfigError as error:
        fail(str(error))
    for kind, period in done:
        typer.echo(f"{kind}: {period.start.isoformat()} to {period.end.isoformat()}")
    typer.echo(f"{len(done)} kept sums up to date in {time.perf_counter() - start:.1f} s")


def register(app: typer.Typer) -> None:
    """Attach the ``tallies`` command."""
    app.command("tallies")(tallies_command)
