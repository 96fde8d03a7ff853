"""What the analysts' export commands (``coverage``, ``forecast``) share: their options' checks,
the access-audit entry of a run, and the CSV or JSON they print to stdout."""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from api.commands.errors import fail

UNITS = ("area", "clinic", "facility")
FORMATS = ("csv", "json")


def check_unit_and_format(by: str, fmt: str) -> None:
    """``fail`` unless ``--by`` is a unit and ``--format`` csv or json."""
    if by not in UNITS:
        fail(f"--by must be one of: {', '.join(UNITS)} (got {by!r})")
    if fmt not in FORMATS:
        fail(f"--format must be csv or json (got {fmt!r})")


def rate_text(value: float | None) -> str:
    """A rate or bound in a CSV cell: 4 decimals, empty when there is none."""
    return "" if value is None else f"{value:.4f}"


def met_text(met: bool | None) -> str:
    """``true``, ``false`` or empty (no target check without a denominator)."""
    return "" if met is None else str(met).lower()


def audit_export(session: Any, action: str, area: str | None) -> None:
    """One ``action`` entry in the access audit, committed (no account: role ``cli``; the
    object is the area code, ``*`` for every area)."""
    from health.services import audit

    audit.record(
        session, actor_id=None, role="cli", action=action, object_kind="area",
        object_ref=area or "*", at=dt.datetime.now(dt.UTC),
    )  # fmt: skip
    session.commit()


def print_records(
    records: list[dict[str, Any]],
    fmt: str,
    columns: Sequence[str],
    cells: Callable[[dict[str, Any]], list[Any]],
) -> None:
    """``records`` to stdout: a JSON list, or CSV with the header ``columns`` and a row of
    ``cells(record)`` each."""
    if fmt == "json":
        json.dump(records, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
        return
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow(cells(record))
