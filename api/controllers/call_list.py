"""JSON API of the call list (``health.services.call_list``): the list of the caller's clinic or
facility, the CSV for the phone team, and a clinic's contact attempt."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import Controller, Request, Response
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from pydantic import BaseModel, Field

from api.access import ADMIN, CLINICIANS, DOCTOR, FACILITY
from api.context import clock_of
from api.controllers.base import api_get, api_post
from api.request_scope import Caller, Visit
from api.services import calls
from health.models.outreach import CONTACT_RESULTS
from health.services.call_list import MAX_WITHIN, NOTE_LENGTH, AttemptEntry, CallRow
from health.services.call_list import record_contact_attempt as record_attempt

CALL_ROLES = (DOCTOR, FACILITY, ADMIN)
Within = Annotated[
    int,
    QueryParameter(ge=0, le=MAX_WITHIN, description="Windows closing within this many days"),
]


class AttemptOut(BaseModel):
    """A contact attempt (``attempted_at`` in UTC)."""

    attempted_at: dt.datetime
    result: str = Field(description="reached, booked, refused or unreachable")
    check: str = Field(description="The scheduled check, e.g. routine_6m")
    booked_on: dt.date | None = None


class CallOut(BaseModel):
    """A child to call about one scheduled check; the guardian's phone for clinic roles only
    (always empty in a facility's list)."""

    child_id: int
    child_code: str = Field(description="The exchange id of the child")
    check: str = Field(description="The scheduled check, e.g. routine_6m")
    age_days: int
    opens: dt.date
    window_end: dt.date
    days_left: int
    closing: bool = Field(description="The window closes within the list's horizon")
    pivotal: bool = Field(description="Needed for the unit to reach 95 % this year")
    last_attempt: AttemptOut | None = None
    guardian_phone: str | None = Field(
        default=None, description="Guardian's phone (clinic roles; empty: none on file)"
    )


class StandingOut(BaseModel):
    """The unit's infant-and-toddler figures for the year (coverage.md §2)."""

    year: int
    denominator: int
    numerator: int
    gap: int = Field(description="Children still needed to reach 95 %")
    countable: int = Field(description="Not yet counted, still countable in their windows")
    pivotal: bool = Field(description="Every countable child is needed")


class CallListOut(BaseModel):
    """A unit's call list (phone numbers for clinic roles only)."""

    on: dt.date
    within: int
    count: int
    standing: StandingOut
    rows: list[CallOut]


class ContactAttemptIn(BaseModel):
    """A try to reach a child's family about one scheduled check."""

    check: str = Field(max_length=32, description="The scheduled check, e.g. routine_6m")
    result: str = Field(max_length=16, description=", ".join(CONTACT_RESULTS))
    booked_on: dt.date | None = Field(default=None, description="The visit date, for booked")
    note: str | None = Field(default=None, max_length=NOTE_LENGTH * 2)


class ContactAttemptOut(AttemptOut):
    id: int
    child_id: int
    note: str | None


def _row(r: CallRow, phone: bool) -> CallOut:
    last = r.last_attempt
    values = dict(
        child_id=r.child_id, child_code=r.child_code, check=r.check, age_days=r.age_days,
        opens=r.opens, window_end=r.window_end, days_left=r.days_left, closing=r.closing,
        pivotal=r.pivotal,
        last_attempt=AttemptOut(attempted_at=last.attempted_at, result=last.result,
                                check=last.check, booked_on=last.booked_on) if last else None,
    )  # fmt: skip
    return CallOut(**values, guardian_phone=r.guardian_phone if phone else None)


class CallListController(Controller):
    """The call list of the caller's unit and the clinic's contact attempts."""

    path = "/api/v1"
    tags = ["outreach"]

    @api_get("/call-list", opt={"roles": CALL_ROLES})
    def get_call_list(
        self, request: Request, caller: NamedDependency[Caller], within: Within = 14
    ) -> CallListOut:
        """Children whose check window closes within ``within`` days without a visit, and
        those without whom the unit cannot reach 95 % this year, by days left; the guardian's
        phone for clinic roles only. Audited (``calls.list``, the number of children)."""
        listed = calls.calls_read(request, caller, within)
        phone = caller.user.role != FACILITY
        rows = [_row(r, phone) for r in listed.rows]
        return CallListOut(
            on=listed.on, within=within, count=len(rows),
            standing=StandingOut(**vars(listed.standing)), rows=rows,  # type: ignore[arg-type]
        )  # fmt: skip

    @api_get("/call-list.csv", media_type="text/csv", opt={"roles": CALL_ROLES})
    def call_list_csv(
        self, request: Request, caller: NamedDependency[Caller], within: Within = 14
    ) -> Response[str]:
        """The same list as CSV for the phone team, in the caller's language (``?lang=en``;
        zh-CN by default), UTF-8 with a byte-order mark; the phone column for clinic roles
        only. Audited (``calls.list``)."""
        listed = calls.calls_read(request, caller, within)
        phone = caller.user.role != FACILITY
        body = calls.to_csv(listed, caller.language, clock_of(request), phone=phone)
        name = f"call-list-{listed.on.isoformat()}-{within}d.csv"
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )

    @api_post(
        "/children/{child_id:int}/contact-attempts", tags=["children"], opt={"roles": CLINICIANS}
    )
    def add_contact_attempt(
        self, visit: NamedDependency[Visit], data: ContactAttemptIn
    ) -> ContactAttemptOut:
        """Record a call to the child's family about one scheduled check: reached, booked
        (with the visit's date), refused or unreachable, and a note. Audited
        (``contact.record``); refusals are problem details naming the field."""
        db = visit.writing()
        attempt = record_attempt(
            db, visit.child, AttemptEntry(data.check, data.result, data.booked_on, data.note),
            clinic_id=visit.user.clinic_id, by_user_id=visit.user.id, role=visit.user.role,
            at=visit.at,
        )  # fmt: skip
        db.commit()
        return ContactAttemptOut(
            id=int(attempt.id), child_id=attempt.child_id, attempted_at=attempt.attempted_at,  # type: ignore[arg-type]
            result=attempt.result, check=attempt.check_code, booked_on=attempt.booked_on,
            note=attempt.note,
        )  # fmt: skip
