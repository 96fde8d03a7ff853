"""Which clinic is responsible for a child: the clinic linked to the childcare facility the child
is enrolled in on the day, else the clinic of the child's township (lowest id when several)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import case, or_
from sqlmodel import Session, col, select

from health.models import Child, Clinic, Enrolment, Facility


def enrolled_facility(session: Session, child_id: int, on: dt.date) -> Facility | None:
    """The facility the child is enrolled in on ``on`` (undated enrolments count as current)."""
    stmt = (
        select(Facility)
        .join(Enrolment, col(Enrolment.facility_id) == col(Facility.id))
        .where(
            Enrolment.child_id == child_id,
            or_(col(Enrolment.start_date).is_(None), col(Enrolment.start_date) <= on),
            or_(col(Enrolment.end_date).is_(None), col(Enrolment.end_date) >= on),
        )
        .order_by(col(Enrolment.start_date).desc(), col(Facility.id))
    )
    return session.exec(stmt).first()


def responsible_clinic_id(session: Session, child: Child, on: dt.date) -> int | None:
    """Id of the clinic whose queue gets the child's case; None when no clinic serves it.
    One statement (:func:`responsible_clinic`)."""
    return session.execute(select(responsible_clinic(child, on))).scalar()


def responsible_clinic(child: Child, on: dt.date) -> Any:
    """The SQL expression of :func:`responsible_clinic_id` (to read it with other rows): the
    clinic of :func:`enrolled_facility` when the child is enrolled on ``on``, else the
    township's clinic with the lowest id."""
    enrolled = (
        select(col(Facility.clinic_id))
        .join(Enrolment, col(Enrolment.facility_id) == col(Facility.id))
        .where(
            Enrolment.child_id == child.id,
            or_(col(Enrolment.start_date).is_(None), col(Enrolment.start_date) <= on),
            or_(col(Enrolment.end_date).is_(None), col(Enrolment.end_date) >= on),
        )
    )
    facility_clinic = enrolled.order_by(col(Enrolment.start_date).desc(), col(Facility.id)).limit(1)
    township = (
        select(col(Clinic.id))
        .where(Clinic.area_id == child.area_id)
        .order_by(col(Clinic.id))
        .limit(1)
    )
    return case(
        (enrolled.exists(), facility_clinic.scalar_subquery()),
        else_=township.scalar_subquery(),
    )
