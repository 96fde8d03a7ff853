"""Services: record what is measured or answered about a child, turn screening flags into the
one open case per child in the right clinic's queue, close cases, report a child's schedule.

Every function takes a ``Session`` (it flushes; the caller commits) and explicit ``now``/``today``;
none knows about HTTP.
"""

from health.services.cases import CaseStateError, close_case, open_queue, raise_flags
from health.services.errors import RecordError
from health.services.records import (
    RecordResult,
    record_check,
    record_feeding,
    record_measurement,
    record_milestones,
)
from health.services.routing import responsible_clinic_id
from health.services.schedule import flag_missed_checks, schedule_for_child

__all__ = [
    "CaseStateError",
    "RecordError",
    "RecordResult",
    "close_case",
    "flag_missed_checks",
    "open_queue",
    "raise_flags",
    "record_check",
    "record_feeding",
    "record_measurement",
    "record_milestones",
    "responsible_clinic_id",
    "schedule_for_child",
]
