"""Writing and reading the access audit (:class:`health.models.AuditEntry`): insert and
select only, there is deliberately no update or delete here."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from health.models.audit import AUDIT_ACTIONS, AuditEntry

MAX_LIMIT = 500


def record(
    session: Session,
    *,
    actor_id: int | None,
    role: str,
    action: str,
    object_kind: str,
    object_ref: int | str,
    at: dt.datetime,
) -> AuditEntry:
    """Add one entry to ``session`` (the caller commits, with the audited change if any)."""
    if action not in AUDIT_ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    entry = AuditEntry(
        at=at,
        actor_id=actor_id,
        role=role,
        action=action,
        object_kind=object_kind,
        object_ref=str(object_ref),
    )
    session.add(entry)
    return entry


def recent(session: Session, *, action: str | None = None, limit: int = 100) -> list[AuditEntry]:
    """The newest entries first (at most ``limit``, capped at 500), optionally of one action."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(min(limit, MAX_LIMIT))
    if action is not None:
        query = query.where(AuditEntry.action == action)
    return list(session.execute(query).scalars())
