"""Flags as the database keeps them, read back as ``screening.flags.Flag`` so that what a page
shows is exactly what the pipeline stored."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlmodel import Session, col, select

from health.models import FlagRecord
from screening.flags import Domain, Evidence, Flag, Severity


def flag_of(record: FlagRecord) -> Flag:
    """The stored flag ``record`` as a :class:`Flag` (evidence from its JSON)."""
    ev: dict[str, Any] = dict(record.evidence or {})
    return Flag(
        code=record.code,
        domain=Domain(record.domain),
        severity=Severity(str(record.severity)),
        evidence=Evidence(
            rule=str(ev.get("rule") or record.code),
            rule_version=str(ev.get("rule_version") or ""),
            instrument=ev.get("instrument"),
            instrument_version=ev.get("instrument_version"),
            values=ev.get("values") or {},
            z=ev.get("z") or {},
            item_ids=tuple(ev.get("item_ids") or ()),
        ),
        parent_message_id=record.parent_message_id,
        clinician_message_id=record.clinician_message_id,
    )


def flags_of_source(session: Session, child_id: int, kind: str, source_id: int) -> tuple[Flag, ...]:
    """The flags stored for one record (``kind`` measurement, check, milestone, feeding), most
    severe first."""
    rows: Iterable[FlagRecord] = session.exec(
        select(FlagRecord)
        .where(
            FlagRecord.child_id == child_id,
            FlagRecord.source_kind == kind,
            FlagRecord.source_id == source_id,
        )
        .order_by(col(FlagRecord.id))
    ).all()
    return tuple(sorted((flag_of(r) for r in rows), key=lambda f: -f.severity.rank))
