"""The call list as the pages, the JSON API and the CSV read it: the caller's unit (a doctor's
clinic, a facility's own facility), the audited read (``calls.list``, the number of children),
pages of rows, the phone only for clinic roles, and the CSV for the phone team (UTF-8 with a
byte-order mark, column names in words: zh-CN, or English with ``?lang=en``)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from typing import Any

from litestar.connection import ASGIConnection

from api import audit
from api.access import FACILITY, child_scope
from api.i18n import gettext
from api.pages.render import age_text, check_name
from api.request_scope import Caller
from api.services.dashboard import BOM
from health.clock import Clock
from health.services.call_list import CallList, CallRow, Standing, Unit, call_list

Connection = ASGIConnection[Any, Any, Any, Any]
PER_PAGE = 50
DEFAULT_WITHIN = 14
RESULT_WORDS = {
    "reached": "Reached",
    "booked": "Booked",
    "refused": "Refused",
    "unreachable": "Could not reach",
}
"""A contact attempt's result → its words (interface catalogue)."""


def unit_of(caller: Caller) -> Unit | None:
    """The unit whose list the caller works: a facility account's facility, else the clinic
    of the account (None: an account of neither, e.g. an administrator without a clinic)."""
    user = caller.user
    if user.role == FACILITY:
        return Unit("facility", user.facility_id) if user.facility_id else None
    return Unit("clinic", user.clinic_id) if user.clinic_id else None


def calls_read(connection: Connection, caller: Caller, within: int) -> CallList:
    """The caller's call list on its local today (the caller's scope: the guard's rule), the
    guardian's phone removed for a facility account; audited (``calls.list``)."""
    unit = unit_of(caller)
    today = caller.at.today
    if unit is None:
        listed = CallList(today, within, [], Standing(today.year, 0, 0, 0, 0, False), 0)
    else:
        listed = call_list(caller.db, unit, today, within, scope=child_scope(caller.user))
    if caller.user.role == FACILITY:
        listed = replace(listed, rows=[replace(r, guardian_phone=None) for r in listed.rows])
    children = len({r.child_id for r in listed.rows})
    audit.record_list(connection, caller.db, caller.user, "calls.list", children)
    return listed


@dataclass(frozen=True)
class CallPage:
    """One page of a call list."""

    listed: CallList
    rows: list[CallRow]
    page: int
    pages: int


def page_of(listed: CallList, page: int, per_page: int = PER_PAGE) -> CallPage:
    """Rows of page ``page`` (a page past the last shows the last)."""
    pages = max(1, -(-len(listed.rows) // per_page))
    page = min(max(page, 1), pages)
    return CallPage(listed, listed.rows[(page - 1) * per_page : page * per_page], page, pages)


CSV_COLUMNS = (
    "Child ID", "Name", "Age", "Check", "Window opens", "Window closes", "Days left",
    "Needed for 95%", "Guardian's phone", "Last call", "Last call result", "Booked visit",
)  # fmt: skip
"""Column names of the CSV (interface catalogue ids); a facility's CSV has no phone column."""


def to_csv(listed: CallList, language: str, clock: Clock, *, phone: bool) -> str:
    """The rows as CSV in ``language``: the child's exchange id and name, age and check in
    words, the window's dates, days left, whether the child is needed for 95 % (yes/no), the
    guardian's phone (only with ``phone``), the last call's local date, its result in words and
    the booked visit's date."""
    columns = [c for c in CSV_COLUMNS if phone or c != "Guardian's phone"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([gettext(language, c) for c in columns])
    for r in listed.rows:
        last = r.last_attempt
        values = {
            "Child ID": r.child_code,
            "Name": r.child_name or "",
            "Age": age_text(r.age_days, language),
            "Check": check_name(r.code, language),
            "Window opens": r.opens.isoformat(),
            "Window closes": r.window_end.isoformat(),
            "Days left": r.days_left,
            "Needed for 95%": gettext(language, "yes" if r.pivotal else "no"),
            "Guardian's phone": r.guardian_phone or "",
            "Last call": clock.local(last.attempted_at).date().isoformat() if last else "",
            "Last call result": gettext(language, RESULT_WORDS[last.result]) if last else "",
            "Booked visit": last.booked_on.isoformat() if last and last.booked_on else "",
        }
        writer.writerow([values[c] for c in columns])
    return BOM + out.getvalue()
