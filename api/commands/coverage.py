"""``childhealth coverage --year Y --level L [--by area|clinic|facility] [--format csv|json]``.

Each run is an export: it is recorded in the access audit (``export.coverage``, role ``cli``).

Exact counts, not suppressed: the command is for the province's analysts, who run it with the
database's address and so can read every child's record anyway; hiding small counts from them
protects no child and would break planning and the reconciliation with the source system. What
leaves their hands for a wider audience is the bureau's CSV (``/api/v1/coverage.csv``), which
hides counts under 5 (``health.suppression``)."""

from __future__ import annotations

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

COLUMNS = ("area_code", "area_name", "indicator", "numerator", "denominator", "rate", "ci_low",
           "ci_high", "target", "meets_target", "gap")  # fmt: skip


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
    check_unit_and_format(by, fmt)
    try:
        span = Period.parse(period) if period else Period.year(year)
        from sqlmodel import Session

        with Session(get_engine()) as session:
            rows = compute(session, span, by=by, level=level, within_area=area)  # type: ignore[arg-type]
            audit_export(session, "export.coverage", area)
    except (CoverageRequestError, PeriodError, DatabaseConfigError) as error:
        fail(str(error))
    records = [
        dict(zip(COLUMNS, (r.unit_code, r.unit_name, r.indicator, r.numerator, r.denominator,
                           r.rate, r.ci_low, r.ci_high, r.target, r.meets_target, r.gap),
                 strict=True))
        for r in rows
    ]  # fmt: skip
    print_records(records, fmt, COLUMNS, _cells)


def _cells(rec: dict[str, Any]) -> list[Any]:
    return [
        rec["area_code"], rec["area_name"], rec["indicator"], rec["numerator"],
        rec["denominator"], rate_text(rec["rate"]), rate_text(rec["ci_low"]),
        rate_text(rec["ci_high"]), f"{rec['target']:g}", met_text(rec["meets_target"]),
        rec["gap"],
    ]  # fmt: skip


def register(app: typer.Typer) -> None:
    """Attach the ``coverage`` command."""
    app.command("coverage")(coverage)
