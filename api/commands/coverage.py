"""``childhealth coverage --year Y --level L [--by area|clinic|facility] [--format csv|json]``.

Each run is an export: it is recorded in the access audit (``export.coverage``, role ``cli``).

Exact counts, not suppressed: the command is for the province's analysts, who run it with the
database's address and so can read every child's record anyway; hiding small counts from them
protects no child and would break planning and the reconciliation with the source system. What
leaves their hands for a wider audience is the bureau's CSV (``/api/v1/coverage.csv``), which
hides counts under 5 (``health.suppression``)."""

from __future__ import annotations

import csv
import json
import sys
from typing import Annotated, Any

import typer

from api.commands.errors import fail

COLUMNS = ("area_code", "area_name", "indicator", "numerator", "denominator", "rate", "ci_low",
           "ci_high", "target", "meets_target", "gap")  # fmt: skip


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _audit_export(session: Any, area: str | None) -> None:
    """One ``export.coverage`` entry in the access audit (no account: role ``cli``; the object
    is the area code, ``*`` for every area)."""
    import datetime as dt

    from health.services import audit

    audit.record(
        session,
        actor_id=None,
        role="cli",
        action="export.coverage",
        object_kind="area",
        object_ref=area or "*",
        at=dt.datetime.now(dt.UTC),
    )
    session.commit()


def coverage(
    year: Annotated[int, typer.Option(help="Calendar year of the report.", min=1900, max=2200)],
    level: Annotated[
        str, typer.Option(help="Area level: province, city, county, township (or all).")
    ] = "township",
    by: Annotated[str, typer.Option(help="Unit: area, clinic or facility.")] = "area",
    fmt: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    period: Annotated[
        str | None,
        typer.Option(
            help="Instead of the whole year: YYYY-Qn, YYYY-MM or START..END (ISO dates), "
            "years 1900 to 2200."
        ),
    ] = None,
    area: Annotated[
        str | None, typer.Option(help="Only children living in this area code (and below).")
    ] = None,
) -> None:
    """Health-management coverage (the 95 % indicators) per area, clinic or facility, to stdout.

    For --by clinic|facility the first two columns hold the clinic's or facility's code and name.

    Counts are exact, small ones too (not suppressed): the report is for analysts who hold the DB.

    Its file is as sensitive as the database: give others the bureau's CSV (counts under 5 hidden).
    """
    from health.coverage import CoverageRequestError
    from health.coverage import coverage as compute
    from health.db import DatabaseConfigError, get_engine
    from health.models.enums import AREA_LEVELS
    from health.periods import Period, PeriodError

    if level not in (*AREA_LEVELS, "all"):
        fail(f"--level must be one of: {', '.join(AREA_LEVELS)}, all (got {level!r})")
    if by not in ("area", "clinic", "facility"):
        fail(f"--by must be one of: area, clinic, facility (got {by!r})")
    if fmt not in ("csv", "json"):
        fail(f"--format must be csv or json (got {fmt!r})")
    try:
        span = Period.parse(period) if period else Period.year(year)
        from sqlmodel import Session

        with Session(get_engine()) as session:
            rows = compute(session, span, by=by, level=level, within_area=area)  # type: ignore[arg-type]
            _audit_export(session, area)
    except (CoverageRequestError, PeriodError, DatabaseConfigError) as error:
        fail(str(error))
    records = [
        dict(zip(COLUMNS, (r.unit_code, r.unit_name, r.indicator, r.numerator, r.denominator,
                           r.rate, r.ci_low, r.ci_high, r.target, r.meets_target, r.gap),
                 strict=True))
        for r in rows
    ]  # fmt: skip
    if fmt == "json":
        json.dump(records, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(COLUMNS)
    for rec in records:
        met = rec["meets_target"]
        writer.writerow([
            rec["area_code"], rec["area_name"], rec["indicator"], rec["numerator"],
            rec["denominator"], _fmt(rec["rate"]), _fmt(rec["ci_low"]), _fmt(rec["ci_high"]),
            f"{rec['target']:g}", "" if met is None else str(met).lower(), rec["gap"],
        ])  # fmt: skip


def register(app: typer.Typer) -> None:
    """Attach the ``coverage`` command."""
    app.command("coverage")(coverage)
