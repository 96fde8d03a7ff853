"""``childhealth send-reminders [--on DATE] [--at HH:MM] [--sender module:Class]``: one pass of
the reminder outbox (:func:`health.services.notifications.send_reminders`): the rows of every
family's items due on the local day are made, then the rows whose time has come are sent.

Run it from a timer (every 15 minutes, say): quiet hours (``CHILDHEALTH_QUIET_HOURS``, default
21:00-08:00 local) and one reminder per family per day are the outbox's rules, not the timer's.
The sender is ``--sender`` or ``CHILDHEALTH_NOTIFY_SENDER`` (``module:Class``), by default the
file sender (JSON lines in ``CHILDHEALTH_NOTIFY_FILE``, ``var/notifications.jsonl``). Prints
counts only.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

import typer

from api.commands.clock import command_clock
from api.commands.errors import fail
from health.clock import Clock, Moment

if TYPE_CHECKING:
    from sqlalchemy import Engine


def _moment(on: str | None, at: str | None) -> tuple[Clock, Moment]:
    """The pass's clock and instant: the local date ``on`` and local time ``at`` when given
    (either alone: the other from the clock); one-line errors for bad values."""
    clock = command_clock()
    try:
        day = dt.date.fromisoformat(on) if on else None
    except ValueError:
        fail(f"--on must be a date YYYY-MM-DD, not {on!r}")
    try:
        time = dt.time.fromisoformat(at) if at else None
    except ValueError:
        fail(f"--at must be a local time HH:MM, not {at!r}")
    if day is None and time is None:
        return clock, clock.moment()
    pinned = Clock(zone=clock.zone, pinned_today=day, source=clock.source)
    if time is None:
        return pinned, pinned.moment()
    now = clock.at_local(day or clock.today(), time)
    return pinned, Moment(now=now, today=clock.local_date(now))


def send_reminders(
    on: Annotated[
        str | None, typer.Option(help="Local date of the pass, YYYY-MM-DD (default: today).")
    ] = None,
    at: Annotated[
        str | None, typer.Option(help="Local time of the pass, HH:MM (default: now).")
    ] = None,
    sender: Annotated[
        str | None,
        typer.Option(help="Sender module:Class (default: CHILDHEALTH_NOTIFY_SENDER, the file)."),
    ] = None,
) -> None:
    """Make the reminders that became due and send those whose time has come."""
    from health.db import DatabaseConfigError, get_engine, session_scope
    from health.notify import SenderSettingError, load_sender
    from health.services import notifications

    clock, moment = _moment(on, at)
    try:
        chosen = load_sender(sender)
        quiet = notifications.quiet_hours_from_env()
        with session_scope(get_engine(), write=True) as session:
            made, sent = notifications.send_reminders(session, chosen, moment, clock, quiet)
    except (SenderSettingError, notifications.QuietHoursSettingError, DatabaseConfigError) as error:
        fail(str(error))
    typer.echo(
        f"reminders made: {made.made} for {made.families} families, removed: {made.removed}; "
        f"sent: {sent.sent} ({chosen.channel}), failed: {sent.failed}, "
        f"moved to a later day: {sent.postponed}"
    )


def demo_pass(engine: Engine, clock: Clock) -> str:
    """One outbox pass for ``childhealth serve --demo`` (the few demo families: cheap), with
    the configured sender and quiet hours; the line to print, or why no pass ran."""
    from health.db import session_scope
    from health.notify import SenderSettingError, load_sender
    from health.services import notifications

    try:
        sender = load_sender()
        quiet = notifications.quiet_hours_from_env()
    except (SenderSettingError, notifications.QuietHoursSettingError) as error:
        return f"Reminders: not sent ({error})"
    with session_scope(engine, write=True) as session:
        made, sent = notifications.send_reminders(session, sender, clock.moment(), clock, quiet)
    return f"Reminders for the demo families: {made.made} made, {sent.sent} sent ({sender.channel})"


def register(app: typer.Typer) -> None:
    """Attach the ``send-reminders`` command."""
    app.command("send-reminders")(send_reminders)
