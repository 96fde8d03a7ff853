"""``childhealth seed-demo``: fill an empty database with a deterministic synthetic province."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from api.commands.clock import command_clock
from api.commands.errors import fail


def seed_demo(
    seed: Annotated[int, typer.Option(help="Random seed (same seed and date: same data).")] = 7,
    children: Annotated[int, typer.Option(help="Number of children.", min=10, max=200_000)] = 3000,
    today: Annotated[
        str | None, typer.Option(help="Reference date YYYY-MM-DD (default: today).")
    ] = None,
) -> None:
    """Seed areas, clinics, facilities, children, checks, home measurements, questionnaires,
    cases and one demo account per role (password printed below)."""
    from health.db import DatabaseConfigError, get_engine
    from health.demo import DEMO_PASSWORD, DemoError
    from health.demo import seed_demo as run

    try:
        day = dt.date.fromisoformat(today) if today else None
    except ValueError:
        fail(f"--today must be a date YYYY-MM-DD (got {today!r})")
    clock = command_clock()
    day = day or clock.today()
    now = clock.at_local(day, dt.time(9, 0))  # the demo's records are entered at 09:00 local
    try:
        summary = run(get_engine(), today=day, now=now, seed=seed, children=children)
    except (DemoError, DatabaseConfigError) as error:
        fail(str(error))
    for name, count in summary.counts.items():
        typer.echo(f"{name}: {count}")
    typer.echo(f"demo accounts (password '{DEMO_PASSWORD}'):")
    for username, role in summary.accounts:
        typer.echo(f"  {username:<16} {role}")


def register(app: typer.Typer) -> None:
    """Attach the ``seed-demo`` command."""
    app.command("seed-demo")(seed_demo)
