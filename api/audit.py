"""Recording audited actions from the web service (see :mod:`health.services.audit`): reads of a
child's record by anyone but a guardian (from the guard), lists of children read by anyone but a
parent (:func:`record_list`), case outcomes and exports."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from sqlalchemy.orm import Session

from api.context import now
from api.database import begin_write
from health.models.audit import LIST_READS
from health.models.enums import Role
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
    in a short write transaction of its own; a read transaction still open is ended first (by a
    commit, which keeps what was read loaded, so the write is not made on a stale snapshot)."""
    if own_transaction:
        if session.in_transaction():
            session.commit()
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


def record_list(
    connection: ASGIConnection[Any, Any, Any, Any],
    session: Session,
    user: Any,
    action: str,
    children: int,
) -> None:
    """The entry of a list read (``action`` of :data:`~health.models.audit.LIST_READS`): the
    list's name and how many ``children`` it named, never which. A parent's lists are their own
    children and are not audited."""
    if user.role == Role.parent:
        return
    record(connection, session, user, action, LIST_READS[action], children, own_transaction=True)
