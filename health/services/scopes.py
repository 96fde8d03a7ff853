"""Which children a clinic's or a facility's staff serve: one SQL condition on ``Child`` each,
used by the web guard (``api.access.child_scope``) and the call lists alike.

A clinic serves the children of its township and those enrolled now (enrolment without an end
date) at a facility linked to it; a facility serves the children enrolled there now. Each is a
union of index reads rather than an OR, which both databases would answer by reading every
child. No clinic or facility (an account not yet assigned) serves no child.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, select, union

from health.models import Child, Clinic, Enrolment, Facility


def facility_children(facility_id: int | None) -> ColumnElement[bool]:
    """The children enrolled now at ``facility_id`` (None: none)."""
    if facility_id is None:
        return false()
    return Child.id.in_(
        select(Enrolment.child_id).where(
            Enrolment.facility_id == facility_id, Enrolment.end_date.is_(None)
        )
    )


def clinic_children(clinic_id: int | None) -> ColumnElement[bool]:
    """The children of ``clinic_id``'s township and those enrolled now at its linked
    facilities (None: none; ``IS NULL`` would match the facilities linked to no clinic)."""
    if clinic_id is None:
        return false()
    township = select(Clinic.area_id).where(Clinic.id == clinic_id).scalar_subquery()
    linked = select(Facility.id).where(Facility.clinic_id == clinic_id)
    enrolled = select(Enrolment.child_id).where(
        Enrolment.end_date.is_(None), Enrolment.facility_id.in_(linked)
    )
    return Child.id.in_(union(select(Child.id).where(Child.area_id == township), enrolled))
