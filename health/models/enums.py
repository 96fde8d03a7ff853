"""Closed vocabularies of the health data, as ``StrEnum`` (stored as their string value)."""

from __future__ import annotations

from enum import StrEnum


class AreaLevel(StrEnum):
    """Administrative level of an area, from the root down."""

    province = "province"
    city = "city"
    county = "county"
    township = "township"


AREA_LEVELS: tuple[str, ...] = tuple(level.value for level in AreaLevel)


class Sex(StrEnum):
    """Sex as the growth standards use it."""

    M = "M"
    F = "F"


class Role(StrEnum):
    """What a user is allowed to see; the scope column that goes with each role is in brackets."""

    parent = "parent"  # their own children (guardianships)
    doctor = "doctor"  # a clinic (clinic_id) and the facilities linked to it
    facility = "facility"  # a childcare facility (facility_id)
    bureau = "bureau"  # an area and everything below it (area_id)
    admin = "admin"  # everything


class Source(StrEnum):
    """Who took a measurement or answered a questionnaire."""

    home = "home"
    clinic = "clinic"
    facility = "facility"


class CheckKind(StrEnum):
    """Kinds of health check in the exchange format."""

    newborn_visit = "newborn_visit"
    full_month = "full_month"
    routine = "routine"


class CheckState(StrEnum):
    """Where a scheduled check stands for a child on a day (see ``health.schedule``)."""

    done = "done"
    missed = "missed"
    due = "due"
    upcoming = "upcoming"
    before_registration = "before_registration"  # closed before the child was registered here


class Measure(StrEnum):
    """How length/height was measured: L lying (recumbent), H standing."""

    L = "L"
    H = "H"


class Severity(StrEnum):
    """Severity of a flag, most urgent first."""

    urgent = "urgent"
    refer = "refer"
    review = "review"
    advice = "advice"


SEVERITY_RANK: dict[str, int] = {"urgent": 0, "refer": 1, "review": 2, "advice": 3}


class CaseStatus(StrEnum):
    """A case is open until a doctor records an outcome."""

    open = "open"
    closed = "closed"


class Outcome(StrEnum):
    """How a doctor resolved a case."""

    normal = "normal"  # normal on review
    advice = "advice"  # advice given
    recheck = "recheck"  # recheck on a date (recheck_on)
    referred = "referred"  # referred to a specialist or higher-level institution


class MeasurementStatus(StrEnum):
    """A measurement counts once ``accepted``; an implausible one waits as ``remeasure`` until
    a plausible value replaces it (it becomes ``superseded``) or a professional confirms it."""

    accepted = "accepted"
    remeasure = "remeasure"
    superseded = "superseded"


class RequestStatus(StrEnum):
    """State of a re-measure request sent to the family or facility."""

    pending = "pending"
    confirmed = "confirmed"  # the new value confirmed the old one
    replaced = "replaced"  # a plausible value replaced it
    cancelled = "cancelled"


def sql_in(values: type[StrEnum] | tuple[str, ...]) -> str:
    """``'a', 'b'`` for a CHECK constraint listing the allowed values."""
    items = values if isinstance(values, tuple) else tuple(v.value for v in values)
    return ", ".join(f"'{v}'" for v in items)
