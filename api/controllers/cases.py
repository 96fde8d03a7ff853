"""JSON API for doctors: the case queue and outcomes."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter

from api.access import CLINICIANS, MAX_ID
from api.controllers.base import api_get, api_post
from api.request_scope import Caller, record_outcome
from api.services import views
from health.models import Case, CaseClose, CasePublic


class CasesController(Controller):
    """The clinic's open cases and the doctor's outcomes."""

    path = "/api/v1/cases"
    tags = ["cases"]
    opt = {"roles": CLINICIANS}

    @api_get("/")
    def case_queue(
        self,
        request: Request,
        caller: NamedDependency[Caller],
        facility_id: Annotated[
            int | None,
            QueryParameter(description="Children enrolled there now", ge=1, le=MAX_ID),
        ] = None,
        domain: Annotated[
            str | None, QueryParameter(description="growth, development, feeding, …")
        ] = None,
    ) -> list[views.QueueEntry]:
        """Open cases of the doctor's clinic by severity, then oldest open flag first. Audited
        (``cases.list``, the number of children)."""
        rows = views.queue_read(request, caller, facility_id=facility_id, domain=domain)
        return [views.QueueEntry.of(r) for r in rows]

    @api_post("/{case_id:int}/outcome")
    def case_outcome(
        self,
        request: Request,
        caller: NamedDependency[Caller],
        case: NamedDependency[Case],
        data: JSONBody[CaseClose],
    ) -> CasePublic:
        """Record the outcome: ``recheck`` (with ``recheck_on``) keeps the case open,
        ``normal``, ``advice`` and ``referred`` (with the institution in ``outcome_note``) close
        it. Audited."""
        closed = record_outcome(request, caller, case, data)
        return CasePublic.model_validate(closed, from_attributes=True)
