"""Due lists as pages: the doctor's missed checks and the facility's enrolled children with
the checks due at the linked clinic."""

from __future__ import annotations

from litestar import Request
from litestar.di import NamedDependency
from litestar.response import Template

from api.access import ADMIN, CLINICIANS, FACILITY
from api.controllers.base import PageController, page_get
from api.pages.render import render
from api.request_scope import Caller
from api.services import views
from health.models import Facility


class SchedulePages(PageController):
    """Missed and due checks of the caller's scope."""

    path = "/"

    @page_get("/doctor/missed", opt={"roles": CLINICIANS})
    def doctor_missed(self, request: Request, caller: NamedDependency[Caller]) -> Template:
        rows = views.missed_read(request, caller)
        return render(request, "due_list.html", rows=rows, title="Missed checks")

    @page_get("/facility", opt={"roles": (FACILITY, ADMIN)})
    def facility_home(self, request: Request, caller: NamedDependency[Caller]) -> Template:
        db, user = caller.db, caller.user
        facility = db.get(Facility, user.facility_id) if user.facility_id else None
        return render(
            request,
            "facility.html",
            facility=facility,
            children=views.children_read(request, caller),
            due=views.due_read(request, caller),
        )
