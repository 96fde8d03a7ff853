"""JSON API for the check schedule: a child's schedule, the doctor's missed checks and the
facility's due list (computed by ``health.schedule``)."""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

from litestar import Controller, Request
from litestar.di import NamedDependency
from pydantic import BaseModel, Field

from api.access import ADMIN, CHILD_ROLES, CLINICIANS, FACILITY
from api.controllers.base import api_get
from api.request_scope import Caller, Visit
from api.services import views
from health.services.schedule import schedule_for_child


class ScheduleOut(BaseModel):
    code: str
    kind: str
    target: dt.date
    opens: dt.date
    closes: dt.date
    status: str
    done_on: dt.date | None


class DueOut(BaseModel):
    """A child with a scheduled check due now or missed (window closed without a visit)."""

    child_id: int
    child_code: str
    check: str
    status: str
    opens: dt.date
    closes: dt.date


class MissedOut(DueOut):
    """A missed check for the child's clinic, with the guardian's phone to call (clinic roles
    only; the facility's due list never carries it)."""

    guardian_phone: str | None = Field(description="Guardian's phone; empty: none on file")


Out = TypeVar("Out", bound=DueOut)


def _due(rows: list[views.DueRow], out: type[Out]) -> list[Out]:
    """``rows`` as ``out`` (only the fields ``out`` declares: :class:`DueOut` has no phone)."""
    return [out(**{k: getattr(r, k) for k in out.model_fields}) for r in rows]


class ScheduleController(Controller):
    """Scheduled checks: per child, missed in a clinic's area, due at a facility."""

    path = "/api/v1"

    @api_get("/children/{child_id:int}/schedule", tags=["children"], opt={"roles": CHILD_ROLES})
    def get_schedule(self, visit: NamedDependency[Visit]) -> list[ScheduleOut]:
        """The child's check schedule: done, missed, due or upcoming, with dates."""
        statuses, _ = schedule_for_child(visit.db, visit.child, visit.at.today)
        return [ScheduleOut(**vars(s)) for s in statuses]

    @api_get("/missed-checks", tags=["cases"], opt={"roles": CLINICIANS})
    def missed_checks(self, request: Request, caller: NamedDependency[Caller]) -> list[MissedOut]:
        """Children in the doctor's area whose check window closed without a visit (last year;
        not one that closed before the child was registered), with the guardian's phone.
        Audited (``missed.list``, the number of children)."""
        return _due(views.missed_read(request, caller), MissedOut)

    @api_get("/facility/due", tags=["facility"], opt={"roles": (FACILITY, ADMIN)})
    def facility_due(self, request: Request, caller: NamedDependency[Caller]) -> list[DueOut]:
        """Enrolled children with a check due now or overdue at the linked clinic. Audited
        (``due.list``, the number of children)."""
        return _due(views.due_read(request, caller), DueOut)
