"""``childhealth call-list --clinic CODE --on DATE --within DAYS [--format csv|json]``.

The clinic's call list (:mod:`health.services.call_list`) on a local date: the children whose
check window closes within DAYS days without a visit, and those without whom the clinic cannot
reach 95 % this year, by days left. ``--facility CODE`` gives a facility's list instead (no
phone column). Each run is recorded in the access audit (``calls.list``, role ``cli``, the
number of children): the file holds the guardians' phones and is as sensitive as the database.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from typing import Annotated, Any

import typer

from api.commands.errors import fail

COLUMNS = ("child_id", "check", "opens", "window_end", "days_left", "age_days", "closing",
           "pivotal", "guardian_phone", "last_attempt_on", "last_result", "booked_on")  # fmt: skip
"""Columns of the output: ``child_id`` is the exchange id (``Child.code``), ``check`` the
scheduled check (``routine_6m``), ``last_attempt_on`` the local date of the last call."""


def _records(listed: Any, local_date: Any, phone: bool) -> list[dict[str, Any]]:
    out = []
    for r in listed.rows:
        last = r.last_attempt
        record = {
            "child_id": r.child_code,
            "check": r.check,
            "opens": r.opens.isoformat(),
            "window_end": r.window_end.isoformat(),
            "days_left": r.days_left,
            "age_days": r.age_days,
            "closing": r.closing,
            "pivotal": r.pivotal,
            "guardian_phone": r.guardian_phone if phone else None,
            "last_attempt_on": local_date(last.attempted_at).isoformat() if last else None,
            "last_result": last.result if last else None,
            "booked_on": last.booked_on.isoformat() if last and last.booked_on else None,
        }
        out.append(record if phone else {k: v for k, v in record.items() if k != "guardian_phone"})
    return out


def call_list(
    clinic: Annotated[str | None, typer.Option(help="Clinic code.")] = None,
    facility: Annotated[
        str | None, typer.Option(help="Facility code (instead of --clinic).")
    ] = None,
    on: Annotated[
        str | None, typer.Option(help="Local date of the list, YYYY-MM-DD (default: today).")
    ] = None,
    within: Annotated[
        int, typer.Option(help="Windows closing within this many days (0-366).", min=0, max=366)
    ] = 14,
    fmt: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
) -> None:
    """A clinic's (or facility's) call list to stdout, ordered by days left."""
    from sqlalchemy import select
    from sqlmodel import Session

    from api.commands.clock import command_clock
    from health.db import DatabaseConfigError, get_engine
    from health.models import Clinic, Facility
    from health.services import audit
    from health.services.call_list import Unit
    from health.services.call_list import call_list as compute

    if (clinic is None) == (facility is None):
        fail("give one of --clinic CODE or --facility CODE")
    if fmt not in ("csv", "json"):
        fail(f"--format must be csv or json (got {fmt!r})")
    clock = command_clock()
    try:
        day = dt.date.fromisoformat(on) if on else clock.today()
    except ValueError:
        fail(f"--on must be a date YYYY-MM-DD (got {on!r})")
    try:
        with Session(get_engine()) as session:
            table = Clinic if clinic is not None else Facility
            code = clinic if clinic is not None else facility
            found = session.execute(select(table.id).where(table.code == code)).scalar()
            if found is None:
                fail(f"unknown {'clinic' if clinic is not None else 'facility'} {code!r}")
            kind = "clinic" if clinic is not None else "facility"
            listed = compute(session, Unit(kind, int(found)), day, within)  # type: ignore[arg-type]
            audit.record(session, actor_id=None, role="cli", action="calls.list",
                         object_kind="call-list", object_ref=len({r.child_id for r in listed.rows}),
                         at=clock.now())  # fmt: skip
            session.commit()
    except DatabaseConfigError as error:
        fail(str(error))
    phone = clinic is not None
    records = _records(listed, clock.local_date, phone)
    if fmt == "json":
        json.dump(records, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return
    columns = [c for c in COLUMNS if phone or c != "guardian_phone"]
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for rec in records:
        writer.writerow(
            ["" if rec[c] is None else str(rec[c]).lower() if isinstance(rec[c], bool) else rec[c]
             for c in columns]
        )  # fmt: skip


def register(app: typer.Typer) -> None:
    """Attach the ``call-list`` command."""
    app.command("call-list")(call_list)
