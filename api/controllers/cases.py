"""JSON API for doctors: the case queue and outcomes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter
from pydantic import BaseModel
from sqlalchemy.orm import Session

from api import audit
from api.access import CLINICIANS, MAX_ID, CurrentUser
from api.context import now, today
from api.controllers.base import api_get, api_post
from api.database import begin_write
from api.services import views
from health.models import Case, CaseClose, CasePublic
from health.services.cases import close_case


class QueueOut(BaseModel):
    """One open case of the queue (no name: the doctor opens the child to see it)."""

    case_id: int
    child_id: int
    child_code: str
    sex: str
    age_days: int
    severity: str
    domains: str
    oldest_flag_at: dt.datetime
    recheck_on: dt.date | None
    facility: str | None


class CasesController(Controller):
    """The clinic's open cases and the doctor's outcomes."""

    path = "/api/v1/cases"
    tags = ["cases"]
    opt = {"roles": CLINICIANS}

    @api_get("/")
    def case_queue(
        self,
        request: Request,
        db: NamedDependency[Session],
        user: NamedDependency[CurrentUser],
        facility_id: Annotated[
            int | None,
            QueryParameter(description="Children enrolled there now", ge=1, le=MAX_ID),
        ] = None,
        domain: Annotated[
            str | None, QueryParameter(description="growth, development, feeding, …")
        ] = None,
    ) -> list[QueueOut]:
        """Open cases of the doctor's clinic by severity, then oldest open flag first."""
        rows = views.case_queue(db, user, today(request), facility_id=facility_id, domain=domain)
        return [
            QueueOut(**{k: v for k, v in vars(r).items() if k != "child_name"}) for r in rows
        ]

    @api_post("/{case_id:int}/outcome")
    def case_outcome(
        self,
        request: Request,
        db: NamedDependency[Session],
        user: NamedDependency[CurrentUser],
        case: NamedDependency[Case],
        data: JSONBody[CaseClose],
    ) -> CasePublic:
        """Record the outcome: ``recheck`` (with ``recheck_on``) keeps the case open,
        ``normal``, ``advice`` and ``referred`` (with the institution in ``outcome_note``) close
        it. Audited."""
        begin_write(db)
        closed = close_case(db, int(case.id), data, actor_id=user.id, now=now(request))  # type: ignore[arg-type]
        audit.record(request, db, user, "case.outcome", "case", int(case.id))  # type: ignore[arg-type]
        db.commit()
        return CasePublic.model_validate(closed, from_attributes=True)
