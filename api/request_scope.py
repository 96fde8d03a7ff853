"""The ``caller`` and ``visit`` dependencies: one request with everything its handler needs
(the session, the signed-in caller, the clock's reading, the language) and, for routes with a
``child_id``, the child the guard loaded and the pipeline's :class:`~health.pipeline.Author` of
what the caller records."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from litestar import Request
from litestar.di import NamedDependency
from sqlalchemy.orm import Session

from api import audit
from api.access import SOURCE, CurrentUser
from api.context import lang, moment
from api.database import begin_write
from health.clock import Moment
from health.models import Case, CaseClose, Child
from health.pipeline import Author
from health.services.cases import close_case

Result = TypeVar("Result")


@dataclass(frozen=True)
class Caller:
    """A request by ``user`` at ``at`` (local ``at.today``), answered in ``language``."""

    db: Session
    user: CurrentUser
    at: Moment
    language: str

    def writing(self) -> Session:
        """The session, its transaction begun for a write (see ``api.database.begin_write``)."""
        begin_write(self.db)
        return self.db


@dataclass(frozen=True)
class Visit(Caller):
    """A request about ``child`` (in the caller's scope)."""

    child: Child

    @property
    def author(self) -> Author:
        """The caller as the author of a record (source by role; clinic or facility)."""
        user = self.user
        return Author(SOURCE[user.role], user.id, user.clinic_id, user.facility_id)

    def record(self, step: Callable[..., Result], *args: Any, **kwargs: Any) -> Result:
        """``step(session, child, *args, by=author, at=at, **kwargs)`` of the pipeline in one
        write transaction, committed inside the handler (no other request's write interleaves
        before the commit); a refusal rolls back and writes nothing."""
        db = self.writing()
        result = step(db, self.child, *args, by=self.author, at=self.at, **kwargs)
        db.commit()
        return result


def record_outcome(
    request: Request[Any, Any, Any], caller: Caller, case: Case, data: CaseClose
) -> Case:
    """A doctor's outcome through :func:`health.services.cases.close_case`, audited
    (``case.outcome``) and committed in one write transaction."""
    db = caller.writing()
    closed = close_case(db, int(case.id), data, actor_id=caller.user.id, now=caller.at.now)  # type: ignore[arg-type]
    audit.record(request, db, caller.user, "case.outcome", "case", int(case.id))  # type: ignore[arg-type]
    db.commit()
    return closed


def provide_caller(
    request: Request[Any, Any, Any],
    db: NamedDependency[Session],
    user: NamedDependency[CurrentUser],
) -> Caller:
    """Dependency ``caller``."""
    return Caller(db, user, moment(request), lang(request))


def provide_visit(
    request: Request[Any, Any, Any],
    db: NamedDependency[Session],
    user: NamedDependency[CurrentUser],
    child: NamedDependency[Child],
) -> Visit:
    """Dependency ``visit`` (routes with a ``child_id``)."""
    return Visit(db, user, moment(request), lang(request), child)
