"""The parent's unread reminders at the top of the home page (the outbox rows of
:mod:`health.services.notifications` whose time has come), in words, marked read once shown."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from api.database import begin_write
from api.request_scope import Caller
from health.models import Child
from health.services import notifications
from screening.messages import text


def inbox_views(caller: Caller, children: Iterable[Child]) -> list[dict[str, Any]]:
    """The caller's unread reminders, newest first: the child's id and name (None: unnamed),
    the item's name in the caller's language and the local date it became due. Shown once:
    they are marked read (committed) before the page is rendered."""
    items = notifications.inbox(caller.db, int(caller.user.id), caller.at.now)
    if not items:
        return []
    names = {int(c.id): c.name for c in children}  # type: ignore[arg-type]
    views = [
        {
            "child_id": item.child_id,
            "child_name": names.get(item.child_id),
            "name": text(item.name_id, caller.language, **item.name_params),
            "due_on": item.due_on,
        }
        for item in items
        if item.child_id in names  # a child no longer the caller's: not shown
    ]
    db = caller.db
    if db.in_transaction():
        db.commit()
    begin_write(db)
    notifications.mark_read(db, int(caller.user.id), [item.id for item in items], caller.at.now)
    db.commit()
    return views
