"""``childhealth partitions --ahead YEARS``: the yearly partitions of ``checks`` and
``audit_log`` on PostgreSQL, created ahead (``health/partitions.py``)."""

from __future__ import annotations

from typing import Annotated

import typer

from api.commands.clock import command_clock
from api.commands.errors import fail


def partitions_command(
    ahead: Annotated[
        int,
        typer.Option("--ahead", min=0, max=50, help="Years after this one to create (0–50)."),
    ] = 2,
) -> None:
    """Create this year's partitions and those of the next YEARS years, and the default one;
    running it again creates nothing new. PostgreSQL only."""
    from health.db import DatabaseConfigError, get_engine
    from health.partitions import TABLES, PartitionError, create_ahead, years

    today = command_clock().today()
    try:
        with get_engine().begin() as conn:
            made = create_ahead(conn, today, ahead)
            held = {spec.table: years(conn, spec.table) for spec in TABLES}
    except (PartitionError, DatabaseConfigError) as error:
        fail(str(error))
    for table, created in made.items():
        now = ", ".join(map(str, created)) if created else "none (all there)"
        span = f"{held[table][0]}–{held[table][-1]}" if held[table] else "none"
        typer.echo(f"{table}: created {now}; partitions for {span} and a default one")


def register(app: typer.Typer) -> None:
    """Attach the ``partitions`` command."""
    app.command("partitions")(partitions_command)
