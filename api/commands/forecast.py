"""``childhealth forecast --year Y --on DATE --level LEVEL [--by area|clinic|facility]
[--format csv|json] [--area CODE]``: where each unit's coverage will stand on 31 December.

One row per unit and indicator with ``projected_rate``, ``low`` and ``high`` (the 80 %
interval), ``meets_target``, ``status`` (on_track, at_risk, will_miss) and
``extra_children_needed`` (method: ``health.forecast``, ``docs/forecast.md``). Exact figures,
like ``childhealth coverage``: the command is for analysts who hold the database; each run is
recorded in the access audit (``export.forecast``, role ``cli``)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer

from api.commands.errors import fail
from api.commands.exports import (
    audit_export,
    check_unit_and_format,
    met_text,
    print_records,
    rate_text,
)

COLUMNS = ("unit_code", "unit_name", "indicator", "denominator", "counted", "projected",
           "projected_rate", "low", "high", "target", "meets_target", "status",
           "extra_children_needed")  # fmt: skip


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
    check_unit_and_format(by, fmt)
    try:
        day = dt.date.fromisoformat(on)
    except ValueError:
        fail(f"--on must be a date YYYY-MM-DD (got {on!r})")
    if day.year != year:
        fail(f"--on {day.isoformat()} is not in --year {year}")
    try:
        with Session(get_engine()) as session:
            rows = compute(session, year, day, by=by, level=level, within_area=area)  # type: ignore[arg-type]
            audit_export(session, "export.forecast", area)
    except (CoverageRequestError, DatabaseConfigError) as error:
        fail(str(error))
    records = [{c: r.as_dict()[c] for c in COLUMNS} for r in rows]
    print_records(records, fmt, COLUMNS, _cells)


def _cells(rec: dict[str, Any]) -> list[Any]:
    return [
        rec["unit_code"], rec["unit_name"], rec["indicator"], rec["denominator"],
        rec["counted"], f"{rec['projected']:.2f}", rate_text(rec["projected_rate"]),
        rate_text(rec["low"]), rate_text(rec["high"]), f"{rec['target']:g}",
        met_text(rec["meets_target"]), rec["status"] or "", rec["extra_children_needed"],
    ]  # fmt: skip


def register(app: typer.Typer) -> None:
    """Attach the ``forecast`` command."""
    app.command("forecast")(forecast)
