"""Recording audited actions from the web service (see :mod:`health.services.audit`): reads of a
child's record by anyone but a guardian (from the guard), case outcomes and exports."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from sqlalchemy.orm import Session

from api.context import now
from api.database import begin_write
from health.services import audit


def record(
    connection: ASGIConnection[Any, Any, Any, Any],
    session: Session,
    user: Any,
    action: str,
    object_kind: str,
    object_ref: int | str,
    *,
    own_transaction: bool = False,
) -> None:
    """Add one entry for ``user`` to ``session``. The caller commits it with its own change,
    or, with ``own_transaction`` (reads, which commit nothing else), it is written and committed
    in a short write transaction of its own."""
    if own_transaction:
        begin_write(session)
    audit.record(
        session,
        actor_id=user.id,
        role=user.role,
        action=action,
        object_kind=object_kind,
        object_ref=object_ref,
        at=now(connection),
    )
    if own_transaction:
        session.commit()
