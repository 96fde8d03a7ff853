"""Hand-built test data: a small province with two counties, clinics and a facility."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from health.models import (
    AreaCreate,
    Check,
    Child,
    ChildCreate,
    Clinic,
    ClinicCreate,
    Facility,
    FacilityCreate,
)
from health.registry import create_area, create_child, create_clinic, create_facility, enrol


def d(text: str) -> dt.date:
    """ISO date shorthand."""
    return dt.date.fromisoformat(text)


def build_geography(session: Session) -> dict[str, Clinic | Facility]:
    """P ⊃ C ⊃ {K1 ⊃ T1, K2 ⊃ T2}; clinic CL1 in T1, CL2 in T2; facility F1 in T2 linked to CL1."""
    create_area(session, AreaCreate(code="P", name="Province", level="province"))
    create_area(session, AreaCreate(code="C", name="City", level="city", parent_code="P"))
    for k, t in (("K1", "T1"), ("K2", "T2")):
        create_area(
            session, AreaCreate(code=k, name=f"County {k}", level="county", parent_code="C")
        )
        create_area(session, AreaCreate(code=t, name=f"Town {t}", level="township", parent_code=k))
    cl1 = create_clinic(session, ClinicCreate(code="CL1", name="Clinic one", area_code="T1"))
    cl2 = create_clinic(session, ClinicCreate(code="CL2", name="Clinic two", area_code="T2"))
    f1 = create_facility(
        session, FacilityCreate(code="F1", name="Nursery", area_code="T2", clinic_code="CL1")
    )
    return {"CL1": cl1, "CL2": cl2, "F1": f1}


def add_child(
    session: Session,
    code: str,
    birth: str,
    area: str = "T1",
    *,
    resident: bool = True,
    sex: str = "F",
    checks: tuple[tuple[str, str], ...] = (),
    facility: Facility | None = None,
) -> Child:
    """A child with checks given as ``(date, kind)``."""
    child = create_child(
        session,
        ChildCreate(code=code, sex=sex, birth_date=d(birth), area_code=area, resident=resident),
    )
    for date, kind in checks:
        session.add(Check(child_id=child.id, check_date=d(date), kind=kind))
    if facility is not None:
        enrol(session, child, facility, start=None)
    session.flush()
    return child
