"""The ``visit`` dependency: one request about one child in the caller's scope, with everything
its handler needs (the session, the caller, the child loaded by the guard, the clock's reading,
the language) and the pipeline's :class:`~health.pipeline.Author` of what it records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy.orm import Session

from api.access import SOURCE, CurrentUser
from api.context import lang, moment
from api.database import begin_write
from health.clock import Moment
from health.models import Child
from health.pipeline import Author


@dataclass(frozen=True)
class Visit:
    """A request about ``child`` by ``user`` at ``at`` (local ``at.today``), in ``language``."""

    db: Session
    user: CurrentUser
    child: Child
    at: Moment
    language: str

    @property
    def author(self) -> Author:
        """The caller as the author of a record (source by role; clinic or facility)."""
        user = self.user
        return Author(SOURCE[user.role], user.id, user.clinic_id, user.facility_id)

    def writing(self) -> Session:
        """The session, its transaction begun for a write (see ``api.database.begin_write``)."""
        begin_write(self.db)
        return self.db


def provide_visit(
    request: Request[Any, Any, Any],
    db: NamedDependency[Session],
    user: NamedDependency[CurrentUser],
    child: NamedDependency[Child],
) -> Visit:
    """Dependency ``visit`` (routes with a ``child_id``)."""
    return Visit(db, user, child, moment(request), lang(request))
