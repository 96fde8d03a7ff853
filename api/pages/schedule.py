"""Due lists as pages: the doctor's missed checks and the facility's enrolled children with
the checks due at the linked clinic."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from litestar import Request
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template

from api import audit
from api.access import ADMIN, CLINICIANS, FACILITY
from api.controllers.base import PageController, page_get
from api.pages.render import render
from api.request_scope import Caller
from api.services import views
from health.models import Clinic, Facility
from health.models.enums import CheckState
from health.services.channel import facility_actions
from health.services.facility_visits import last_visits
from health.services.schedule import schedule_for_child


class SchedulePages(PageController):
    """Missed and due checks of the caller's scope."""

    path = "/"

    @page_get("/doctor/missed", opt={"roles": CLINICIANS})
    def doctor_missed(
        self,
        request: Request,
        caller: NamedDependency[Caller],
        check: Annotated[str | None, QueryParameter(max_length=32, pattern=r"^[a-z0-9_]*$")] = None,
        page: Annotated[str | None, QueryParameter(max_length=7, pattern=r"^[0-9]*$")] = None,
    ) -> Template:
        """The missed checks of the caller's scope, 50 a page, optionally one check only (an
        empty filter, the form's "all checks", is no filter; an empty page is the first), each
        with the guardian's phone (clinic roles only) or "no phone on file"."""
        number = int(page) if page else 1
        missed = views.missed_page(request, caller, check=check or None, page=number)
        return render(request, "due_list.html", missed=missed, title="Missed checks")

    @page_get("/facility", opt={"roles": (FACILITY, ADMIN)})
    def facility_home(self, request: Request, caller: NamedDependency[Caller]) -> Template:
        """The facility's checks due or missed (missed first: they are the late ones), with the
        linked clinic named as the place where a check is done (a measurement here is not a
        check), and its enrolled children by name with their age and next check (from
        :func:`health.services.schedule.schedule_for_child`), and what the doctor asked of the
        facility for each (recheck date, advice: :func:`health.services.channel.facility_actions`,
        audited ``facility.actions`` with the number of children when there is one; never a
        flag, diagnosis or note) and the day of the clinic's last visit."""
        db, user, today = caller.db, caller.user, caller.at.today
        facility = db.get(Facility, user.facility_id) if user.facility_id else None
        clinic = db.get(Clinic, facility.clinic_id) if facility is not None else None
        due = sorted(
            (replace(r, guardian_phone=None) for r in views.due_read(request, caller)),
            key=lambda r: (r.status != CheckState.missed, r.closes, r.child_id),
        )  # the guardian's phone is for the clinic only
        enrolled = views.children_read(request, caller)
        children = [
            (child, (today - child.birth_date).days, schedule_for_child(db, child, today)[1])
            for child in enrolled
        ]
        actions = facility_actions(db, [int(c.id) for c in enrolled])  # type: ignore[arg-type]
        if actions:  # a list naming no child tells nothing about one
            audit.record_list(request, db, user, "facility.actions", len(actions))
        visited = last_visits(db, [int(facility.id)]) if facility is not None else {}  # type: ignore[arg-type]
        return render(
            request,
            "facility.html",
            facility=facility,
            clinic=clinic,
            children=children,
            actions=actions,
            last_visit=visited.get(int(facility.id)) if facility is not None else None,  # type: ignore[arg-type]
            due=due,
            missed=any(r.status == CheckState.missed for r in due),
        )
