"""JSON API of the health advisor's visits to the facilities linked to the clinic (the rules:
:mod:`health.services.facility_visits`)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Controller, Request
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter
from pydantic import BaseModel, Field

from api import audit
from api.access import ADMIN, BUREAU, DOCTOR, MAX_ID
from api.controllers.base import api_get, api_post
from api.request_scope import Caller
from api.services.dashboard import area_in_scope
from health.services import facility_visits as visits


class VisitIn(BaseModel):
    """Input: one visit to a linked facility."""

    facility_id: int = Field(ge=1, le=MAX_ID, description="A facility linked to your clinic")
    visited_on: dt.date = Field(description="Local date of the visit, not after today")
    children_seen: int = Field(
        ge=0, le=visits.MAX_CHILDREN, description="At most the children enrolled that day"
    )
    note: str | None = Field(default=None, max_length=visits.NOTE_LENGTH)


class VisitOut(BaseModel):
    """Output: a recorded visit (``created_at`` in UTC)."""

    id: int
    facility_id: int
    facility: str
    visited_on: dt.date
    advisor: str | None
    children_seen: int
    note: str | None
    created_at: dt.datetime


class FacilityVisitsController(Controller):
    """The clinic's visits to its linked facilities (doctors: the clinic's health advisors)."""

    path = "/api/v1/facility-visits"
    tags = ["facility"]
    opt = {"roles": (DOCTOR,)}

    @api_get("/")
    def list_visits(self, caller: NamedDependency[Caller]) -> list[VisitOut]:
        """The clinic's recorded visits, latest day first (at most 200)."""
        rows = visits.clinic_visits(caller.db, int(caller.user.clinic_id or 0))
        return [VisitOut(**vars(v)) for v in rows]

    @api_post("/")
    def record_visit(
        self, request: Request, caller: NamedDependency[Caller], data: JSONBody[VisitIn]
    ) -> VisitOut:
        """Record a visit by the signed-in advisor: a facility not linked to the clinic is 404,
        a day after today, more children than enrolled that day or a bad note 422. Audited
        (``facility_visit.record``, the facility's id)."""
        db = caller.writing()
        made = visits.record_visit(
            db, clinic_id=int(caller.user.clinic_id or 0), advisor_id=caller.user.id,
            facility_id=data.facility_id, visited_on=data.visited_on,
            children_seen=data.children_seen, note=data.note, today=caller.at.today,
            now=caller.at.now,
        )  # fmt: skip
        audit.record(request, db, caller.user, "facility_visit.record", "facility",
                     made.facility_id)  # fmt: skip
        db.commit()
        entry = next(v for v in visits.clinic_visits(db, made.clinic_id) if v.id == made.id)
        return VisitOut(**vars(entry))


class LastVisitOut(BaseModel):
    """Output: a facility and the day of the latest visit of its clinic's health advisor."""

    facility_code: str
    facility: str
    last_visited_on: dt.date | None = Field(description="Empty: not visited")


class FacilityLastVisitsController(Controller):
    """For a bureau: when each facility of an area was last visited (dates only, no child)."""

    path = "/api/v1/facilities/last-visits"
    tags = ["coverage"]
    opt = {"roles": (BUREAU, ADMIN)}

    @api_get("/")
    def last_visits(
        self,
        caller: NamedDependency[Caller],
        area: Annotated[
            str | None,
            QueryParameter(description="Area code, default your own", max_length=32),
        ] = None,
    ) -> list[LastVisitOut]:
        """Every facility in the area (your own or one below it; any other is 404) by name,
        with the day of its last visit."""
        chosen = area_in_scope(caller.db, caller.user, area)
        rows = visits.area_last_visits(caller.db, int(chosen.id))  # type: ignore[arg-type]
        return [LastVisitOut(facility_code=r.code, facility=r.name,
                             last_visited_on=r.last_visited_on) for r in rows]  # fmt: skip
