"""Recording audited actions from the web service (see :mod:`health.services.audit`): reads of a
child's record by anyone but a guardian (from the guard), case outcomes and exports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar.connection import ASGIConnection
from sqlalchemy.orm import Session

from api.database import begin_write
from health.services import audit


def request_now(connection: ASGIConnection[Any, Any, Any, Any]) -> dt.datetime:
    """Now in UTC, moved to the service's pinned "today" if any (as ``api.routes.common.now``)."""
    clock = dt.datetime.now(dt.UTC)
    pinned = connection.app.state["settings"].today
    return dt.datetime.combine(pinned, clock.timetz()) if pinned else clock


def record(
    connection: ASGIConnection[Any, Any, Any, Any],
    session: Session,
    user: Any,
    action: str,
    object_kind: str,
    object_ref: int | str,
) -> None:
    """Add one entry for ``user`` to ``session``; the caller commits (with its own change)."""
    audit.record(
        session,
        actor_id=user.id,
        role=user.role,
        action=action,
        object_kind=object_kind,
        object_ref=object_ref,
        at=request_now(connection),
    )


def record_now(
    connection: ASGIConnection[Any, Any, Any, Any],
    session: Session,
    user: Any,
    action: str,
    object_kind: str,
    object_ref: int | str,
) -> None:
    """One entry in its own short write transaction (for reads, which commit nothing else)."""
    begin_write(session)
    record(connection, session, user, action, object_kind, object_ref)
    session.commit()
