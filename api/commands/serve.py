"""``childhealth serve``: the web service under uvicorn (production: several workers behind a
TLS proxy; ``--demo``: seed the demo province into an empty database, list the demo accounts and
serve on plain-HTTP loopback)."""

from __future__ import annotations

import datetime as dt
import os
from typing import Annotated

import typer

from api.commands.clock import command_clock
from api.commands.errors import fail
from health.clock import Clock


def _demo(clock: Clock) -> None:
    """Seed when the database is empty, then print the demo accounts per role."""
    from sqlalchemy import func, select
    from sqlmodel import Session

    from health.db import get_engine
    from health.models import User

    engine = get_engine()
    with Session(engine) as session:
        empty = session.execute(select(func.count()).select_from(User)).scalar_one() == 0
    try:
        from health.demo import DEMO_PASSWORD, seed_demo
    except ImportError:
        fail("the demo data generator (health.demo) is not installed")
    if empty:
        typer.echo("Seeding the demo province (about a minute)…")
        today = clock.today()
        seed_demo(engine, today=today, now=clock.at_local(today, dt.time(9, 0)))
    with Session(engine) as session:
        users = session.execute(select(User.username, User.role).order_by(User.role, User.id)).all()
    typer.echo(f"Demo accounts (password '{DEMO_PASSWORD}'):")
    for username, role in users:
        typer.echo(f"  {role:<9} {username}")
    from api.commands.reminders import demo_pass

    typer.echo(demo_pass(engine, clock))  # the demo parents see their reminders at once


def _check_settings() -> None:
    """Read the settings and reach the shared store as the app will (one-line errors)."""
    import asyncio

    from api.settings import Settings
    from api.stores import StoreConfigError, redis_url

    try:
        settings = Settings.from_env()
    except ValueError as error:
        fail(str(error))
    if not settings.store_url:
        return  # the database: reached (and migrated) by the app itself
    from redis.asyncio import Redis
    from redis.exceptions import RedisError

    async def ping() -> None:
        client = Redis.from_url(redis_url(settings.store_url), socket_connect_timeout=3)
        try:
            await client.ping()
        finally:
            await client.aclose()

    try:
        asyncio.run(ping())
    except (OSError, RedisError, StoreConfigError) as error:
        fail(f"CHILDHEALTH_STORE_URL: cannot reach the store: {error}")


def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.", min=1, max=64)] = 1,
    demo: Annotated[
        bool, typer.Option(help="Seed the demo province if the database is empty; plain HTTP.")
    ] = False,
) -> None:
    """Serve the web service (pages, JSON API under /api/v1, OpenAPI at /schema)."""
    import uvicorn

    if demo:
        if host not in ("127.0.0.1", "localhost", "::1"):
            fail("--demo serves plain HTTP and only binds to the loopback interface")
        os.environ.setdefault("CHILDHEALTH_COOKIE_SECURE", "0")
        _demo(command_clock())
        typer.echo(f"Open http://{host}:{port}/ (Ctrl+C stops the server)")
    _check_settings()  # a bad setting stops here, in one line (not in every worker)
    if workers > 1 and not os.environ.get("CHILDHEALTH_SECRET_KEY"):
        fail("several workers need CHILDHEALTH_SECRET_KEY so that they share the CSRF secret")
    os.environ["CHILDHEALTH_WORKERS"] = str(workers)  # sizes each worker's pool (health.db)
    uvicorn.run(
        "api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
    )


def register(app: typer.Typer) -> None:
    """Attach the ``serve`` command."""
    app.command("serve")(serve)
