"""Services: turn screening flags into the one open case per child in the right clinic's queue,
close cases, report a child's schedule and due lists. Recording goes through
:mod:`health.pipeline`.

Every function takes a ``Session`` (it flushes; the caller commits) and explicit ``now``/``today``;
none knows about HTTP.
"""

from health.services.cases import CaseStateError, close_case, open_queue, raise_flags
from health.services.routing import responsible_clinic_id
from health.services.schedule import DueRow, due_list, schedule_for_child

__all__ = [
    "CaseStateError",
    "DueRow",
    "close_case",
    "due_list",
    "open_queue",
    "raise_flags",
    "responsible_clinic_id",
    "schedule_for_child",
]
