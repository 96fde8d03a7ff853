"""The health advisor's visits to the facilities linked to the clinic, as a page: the linked
facilities with the day of their last visit, the form to record a visit and the visits recorded
(the rules: :mod:`health.services.facility_visits`)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Redirect, Template

from api import audit
from api.access import DOCTOR
from api.controllers.base import PageController, page_get, page_post
from api.errors import ServiceInputError
from api.i18n import gettext
from api.pages.render import Form, error_text, parse_date, render
from api.request_scope import Caller
from api.services import forms
from health.errors import RecordError
from health.services import facility_visits as visits

VISIT_FIELDS = ("facility_id", "visited_on", "children_seen", "note")


def _context(caller: Caller) -> dict[str, Any]:
    """The linked facilities (each with its last visit) and the clinic's visits."""
    db, clinic_id = caller.db, int(caller.user.clinic_id or 0)
    facilities = visits.linked_facilities(db, clinic_id)
    last = visits.last_visits(db, [int(f.id) for f in facilities])  # type: ignore[arg-type]
    return {
        "facilities": [(f, last.get(int(f.id))) for f in facilities],  # type: ignore[arg-type]
        "visits": visits.clinic_visits(db, clinic_id),
        "today": caller.at.today.isoformat(),
    }


class FacilityVisitPages(PageController):
    """Recording the clinic's visits to its linked facilities (doctors: the clinic's health
    advisors)."""

    path = "/doctor/facility-visits"
    opt = {"roles": (DOCTOR,)}

    @page_get("/")
    def visits_page(
        self, request: Request, caller: NamedDependency[Caller], saved: FromQuery[str] = ""
    ) -> Template:
        """The form (today's date filled in) and the visits recorded; ``saved`` after a
        visit was recorded."""
        return render(request, "facility_visits.html", **_context(caller), form={}, errors={},
                      saved=saved == "1")  # fmt: skip

    @page_post("/")
    def visit_submit(
        self, request: Request, caller: NamedDependency[Caller], data: Form
    ) -> Response[Any]:
        """Record a visit (audited ``facility_visit.record``) and show the list again; every
        refused field comes back in words next to it, all at once, with the entry kept (422)."""
        language, errors = caller.language, {}
        day = facility_id = seen = None
        try:
            day = parse_date(data, "visited_on")
        except ServiceInputError:
            errors["visited_on"] = forms.date_error(language)
        raw_facility = str(data.get("facility_id") or "").strip()
        if raw_facility.isdecimal() and len(raw_facility) <= 18:
            facility_id = int(raw_facility)
        else:
            errors["facility_id"] = gettext(language, forms.CHOOSE_ONE)
        seen = forms.count(data, "children_seen", errors, language)
        if seen is None and "children_seen" not in errors:
            errors["children_seen"] = gettext(language, forms.FILL_IN)
        if not errors:
            db = caller.writing()
            try:
                made = visits.record_visit(
                    db, clinic_id=int(caller.user.clinic_id or 0), advisor_id=caller.user.id,
                    facility_id=int(facility_id or 0), visited_on=day,  # type: ignore[arg-type]
                    children_seen=int(seen or 0), note=str(data.get("note") or "") or None,
                    today=caller.at.today, now=caller.at.now,
                )  # fmt: skip
            except RecordError as exc:
                db.rollback()
                errors[exc.field if exc.field in VISIT_FIELDS else "note"] = error_text(
                    request, exc
                )
            else:
                audit.record(request, db, caller.user, "facility_visit.record", "facility",
                             made.facility_id)  # fmt: skip
                db.commit()
                return Redirect("/doctor/facility-visits?saved=1", status_code=303)
        return render(request, "facility_visits.html", status_code=422, **_context(caller),
                      form=data, errors=errors)  # fmt: skip
