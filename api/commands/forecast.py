"""``childhealth forecast --year Y --on DATE --level LEVEL [--by area|clinic|facility]
[--format csv|json] [--area CODE]``: where each unit's coverage will stand on 31 December.

One row per unit and indicator with ``projected_rate``, ``low`` and ``high`` (the 80 %
interval), ``meets_target``, ``status`` (on_track, at_risk, will_miss) and
``extra_children_needed`` (method: ``health.forecast``, ``docs/forecast.md``). Exact figures,
like ``childhealth coverage``: the command is for analysts who hold the database; each run is
recorded in the access audit (``export.forecast``, role ``cli``)."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from typing import Annotated, Any

import typer

from api.commands.errors import fail

COLUMNS = ("unit_code", "unit_name", "indicator", "denominator", "counted", "projected",
           "projected_rate", "low", "high", "target", "meets_target", "status",
           "extra_children_needed")  # fmt: skip


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _audit(session: Any, area: str | None) -> None:
    """One ``export.forecast`` entry (no account: role ``cli``; the area code or ``*``)."""
    from health.services import audit

    audit.record(
        session, actor_id=None, role="cli", action="export.forecast", object_kind="area",
        object_ref=area or "*", at=dt.datetime.now(dt.UTC),
    )  # fmt: skip
    session.commit()


def forecast(
    year: Annotated[int, typer.Option(help="Calendar year forecast.", min=1900, max=2200)],
    on: Annotated[str, typer.Option(help="Day the forecast is made, YYYY-MM-DD, in the year.")],
    level: Annotated[
        str, typer.Option(help="Area level: province, city, county, township.")
    ] = "county",
    by: Annotated[str, typer.Option(help="Unit: area, clinic or facility.")] = "area",
    fmt: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    area: Annotated[
        str | None, typer.Option(help="Only children living in this area code (and below).")
    ] = None,
) -> None:
    """Projected year-end coverage per unit and indicator, to stdout (exact, not suppressed).

    For --by clinic|facility --level is not used; --area limits the units to those in the area.
    """
    from sqlmodel import Session

    from health.coverage import CoverageRequestError
    from health.db import DatabaseConfigError, get_engine
    from health.forecast import forecast as compute
    from health.models.enums import AREA_LEVELS

    if level not in AREA_LEVELS:
        fail(f"--level must be one of: {', '.join(AREA_LEVELS)} (got {level!r})")
    if by not in ("area", "clinic", "facility"):
        fail(f"--by must be one of: area, clinic, facility (got {by!r})")
    if fmt not in ("csv", "json"):
        fail(f"--format must be csv or json (got {fmt!r})")
    try:
        day = dt.date.fromisoformat(on)
    except ValueError:
        fail(f"--on must be a date YYYY-MM-DD (got {on!r})")
    if day.year != year:
        fail(f"--on {day.isoformat()} is not in --year {year}")
    try:
        with Session(get_engine()) as session:
            rows = compute(session, year, day, by=by, level=level, within_area=area)  # type: ignore[arg-type]
            _audit(session, area)
    except (CoverageRequestError, DatabaseConfigError) as error:
        fail(str(error))
    records = [{c: r.as_dict()[c] for c in COLUMNS} for r in rows]
    if fmt == "json":
        json.dump(records, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(COLUMNS)
    for rec in records:
        met = rec["meets_target"]
        writer.writerow([
            rec["unit_code"], rec["unit_name"], rec["indicator"], rec["denominator"],
            rec["counted"], f"{rec['projected']:.2f}", _fmt(rec["projected_rate"]),
            _fmt(rec["low"]), _fmt(rec["high"]), f"{rec['target']:g}",
            "" if met is None else str(met).lower(), rec["status"] or "",
            rec["extra_children_needed"],
        ])  # fmt: skip


def register(app: typer.Typer) -> None:
    """Attach the ``forecast`` command."""
    app.command("forecast")(forecast)
