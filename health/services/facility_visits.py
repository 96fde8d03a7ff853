"""Visits of a clinic's health advisor to the childcare facilities linked to the clinic.

A visit (:func:`record_visit`) names a facility linked to the advisor's clinic (any other is
"not found", like one that does not exist), its local date (not after the local today, not
before :data:`EARLIEST_VISIT`), how many children the advisor saw (a whole number from 0 to the
children enrolled there on that day) and an optional note (NFC, line breaks kept, no other
control characters, at most :data:`NOTE_LENGTH` characters). Refusals are
:class:`~health.errors.RecordError` naming the field; nothing is written.

:func:`last_visits` gives, per facility, the day of its latest visit (for the bureau's facility
table and the facility's own page): dates only, nothing about a child.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from health.errors import RecordError
from health.models import AreaAncestor, Enrolment, Facility, FacilityVisit, User
from health.registry import plain_text

NOTE_LENGTH = 500  # the column's length
EARLIEST_VISIT = dt.date(2000, 1, 1)
"""No visit is recorded before this day (a mistyped year)."""
MAX_CHILDREN = 100_000
"""A count of children seen above this is refused before anything is counted."""


class FacilityNotLinkedError(RecordError):
    """The facility does not exist or is not linked to the advisor's clinic (404)."""

    status_code = 404
    slug = "not-found"


@dataclass(frozen=True)
class VisitEntry:
    """A visit as a list shows it: the facility, its day, the advisor's name (display name,
    else sign-in name), children seen, the note and when it was recorded (UTC)."""

    id: int
    facility_id: int
    facility: str
    visited_on: dt.date
    advisor: str | None
    children_seen: int
    note: str | None
    created_at: dt.datetime


def linked_facilities(session: Session, clinic_id: int) -> list[Facility]:
    """The facilities linked to the clinic, by name."""
    return list(
        session.exec(
            select(Facility)
            .where(Facility.clinic_id == clinic_id)
            .order_by(col(Facility.name), col(Facility.id))
        )
    )


def enrolled_on(session: Session, facility_id: int, day: dt.date) -> int:
    """Children enrolled at the facility on ``day``: enrolment begun on or before it (or of
    unknown start) and not ended before it."""
    return int(
        session.exec(
            select(func.count(func.distinct(Enrolment.child_id))).where(
                Enrolment.facility_id == facility_id,
                or_(col(Enrolment.start_date).is_(None), col(Enrolment.start_date) <= day),
                or_(col(Enrolment.end_date).is_(None), col(Enrolment.end_date) >= day),
            )
        ).one()
    )


def record_visit(
    session: Session,
    *,
    clinic_id: int,
    advisor_id: int,
    facility_id: int,
    visited_on: dt.date,
    children_seen: int,
    note: str | None,
    today: dt.date,
    now: dt.datetime,
) -> FacilityVisit:
    """Store one visit of the advisor ``advisor_id`` of ``clinic_id`` (see the module's text;
    ``today`` is the local date, ``now`` the UTC instant stored as ``created_at``)."""
    facility = session.get(Facility, facility_id)
    if facility is None or facility.clinic_id != clinic_id:
        raise FacilityNotLinkedError(
            "error.record.visit_facility_unknown", "facility_id", "not linked to the clinic"
        )
    if visited_on > today:
        raise RecordError(
            "error.record.visit_after_today", "visited_on", f"{visited_on} is after {today}",
            date=visited_on.isoformat(), today=today.isoformat(),
        )  # fmt: skip
    if visited_on < EARLIEST_VISIT:
        raise RecordError(
            "error.record.visit_too_early", "visited_on", f"{visited_on} is too early",
            date=visited_on.isoformat(), earliest=EARLIEST_VISIT.isoformat(),
        )  # fmt: skip
    if children_seen < 0:
        raise RecordError("error.record.visit_children_negative", "children_seen", "below 0")
    enrolled = enrolled_on(session, facility_id, visited_on) if children_seen <= MAX_CHILDREN else 0
    if children_seen > enrolled:
        raise RecordError(
            "error.record.visit_children_more_than_enrolled", "children_seen",
            f"{children_seen} is more than the {enrolled} enrolled",
            seen=children_seen, enrolled=enrolled, date=visited_on.isoformat(),
        )  # fmt: skip
    text = plain_text(note, "error.record.note_characters", "note", limit=NOTE_LENGTH, lines=True)
    visit = FacilityVisit(
        facility_id=facility_id,
        clinic_id=clinic_id,
        advisor_id=advisor_id,
        visited_on=visited_on,
        children_seen=children_seen,
        note=text,
        created_at=now,
    )
    session.add(visit)
    session.flush()
    return visit


def clinic_visits(session: Session, clinic_id: int, *, limit: int = 200) -> list[VisitEntry]:
    """The clinic's recorded visits, latest day first (at most ``limit``)."""
    rows = session.exec(
        select(FacilityVisit, Facility.name, User.display_name, User.username)
        .join(Facility, col(Facility.id) == FacilityVisit.facility_id)
        .outerjoin(User, col(User.id) == FacilityVisit.advisor_id)
        .where(FacilityVisit.clinic_id == clinic_id)
        .order_by(col(FacilityVisit.visited_on).desc(), col(FacilityVisit.id).desc())
        .limit(limit)
    ).all()
    return [
        VisitEntry(
            id=int(v.id),  # type: ignore[arg-type]
            facility_id=v.facility_id,
            facility=name,
            visited_on=v.visited_on,
            advisor=display or username,
            children_seen=v.children_seen,
            note=v.note,
            created_at=v.created_at,
        )
        for v, name, display, username in rows
    ]


def last_visits(session: Session, facility_ids: Iterable[int]) -> dict[int, dt.date]:
    """The day of each facility's latest visit (facilities never visited are absent)."""
    ids = list(facility_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(FacilityVisit.facility_id, func.max(FacilityVisit.visited_on))
        .where(col(FacilityVisit.facility_id).in_(ids))
        .group_by(col(FacilityVisit.facility_id))
    ).all()
    return {int(fid): day for fid, day in rows}


def last_visits_by_code(session: Session, codes: Iterable[str]) -> dict[str, dt.date]:
    """:func:`last_visits` keyed by the facilities' codes (the bureau's tables name units by
    code)."""
    wanted = list(codes)
    if not wanted:
        return {}
    rows = session.exec(
        select(Facility.code, func.max(FacilityVisit.visited_on))
        .join(FacilityVisit, col(FacilityVisit.facility_id) == Facility.id)
        .where(col(Facility.code).in_(wanted))
        .group_by(col(Facility.code))
    ).all()
    return {str(code): day for code, day in rows}


@dataclass(frozen=True)
class FacilityLastVisit:
    """A facility of an area (code and name) and the day of its latest visit (None: never
    visited)."""

    code: str
    name: str
    last_visited_on: dt.date | None


def area_last_visits(session: Session, area_id: int) -> list[FacilityLastVisit]:
    """Every facility in the area ``area_id`` or below it, by name, with the day of its latest
    visit (one grouped query)."""
    latest = (
        select(FacilityVisit.facility_id, func.max(FacilityVisit.visited_on).label("day"))
        .group_by(col(FacilityVisit.facility_id))
        .subquery()
    )
    rows = session.exec(
        select(Facility.code, Facility.name, latest.c.day)
        .join(AreaAncestor, col(AreaAncestor.area_id) == Facility.area_id)
        .outerjoin(latest, latest.c.facility_id == Facility.id)
        .where(AreaAncestor.ancestor_id == area_id)
        .order_by(col(Facility.name), col(Facility.code))
    ).all()
    return [FacilityLastVisit(str(code), str(name), day) for code, name, day in rows]
