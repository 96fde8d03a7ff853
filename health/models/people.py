"""Users (with role and scope), children, guardianships and facility enrolments."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Index, String
from sqlmodel import Field, SQLModel

from health.models.enums import Role, Sex, sql_in


class UserBase(SQLModel):
    """Fields shared by every view of a user account."""

    username: str = Field(max_length=80)
    display_name: str = Field(default="", max_length=200)
    role: Role = Field(sa_type=String(16))
    locale: str = Field(default="zh-CN", max_length=16)
    clinic_id: int | None = Field(default=None, description="Scope of a doctor")
    facility_id: int | None = Field(default=None, description="Scope of facility staff")
    area_id: int | None = Field(default=None, description="Scope of a bureau user")


class UserCreate(UserBase):
    """Input: a new account with its clear-text password (hashed with argon2 before storing)."""

    password: str = Field(max_length=200)  # the rules: health.passwords.check_password


class UserPublic(UserBase):
    """Output: an account without its password hash."""

    id: int
    active: bool


class User(UserBase, table=True):
    """An account. The scope column that matters depends on ``role`` (see ``Role``)."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN ({sql_in(Role)})", name="ck_users_role"),
        CheckConstraint(
            "(role <> 'doctor' OR clinic_id IS NOT NULL)"
            " AND (role <> 'facility' OR facility_id IS NOT NULL)"
            " AND (role <> 'bureau' OR area_id IS NOT NULL)",
            name="ck_users_scope",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=80, unique=True)
    password_hash: str = Field(max_length=255)
    active: bool = True
    clinic_id: int | None = Field(default=None, foreign_key="clinics.id", index=True)
    facility_id: int | None = Field(default=None, foreign_key="facilities.id", index=True)
    area_id: int | None = Field(default=None, foreign_key="areas.id", index=True)
    created_at: dt.datetime
    password_changed_at: dt.datetime | None = Field(
        default=None, description="Sessions begun before it are over"
    )
    sessions_valid_after: dt.datetime | None = Field(
        default=None, description="Signed out everywhere: sessions begun before it are over"
    )


class Guardianship(SQLModel, table=True):
    """A parent/guardian account linked to a child."""

    __tablename__ = "guardianships"
    __table_args__ = (Index("ix_guardianships_child", "child_id"),)

    user_id: int = Field(foreign_key="users.id", primary_key=True)
    child_id: int = Field(foreign_key="children.id", primary_key=True)
    relation: str = Field(default="parent", max_length=32)


class ChildBase(SQLModel):
    """Fields shared by every view of a child."""

    sex: Sex = Field(sa_type=String(1))
    birth_date: dt.date
    gestational_weeks: float | None = Field(default=None, ge=22, le=45)
    resident: bool = Field(default=True, description="Registered residence is in area_id")
    name: str | None = Field(default=None, max_length=200, description="Given name, optional")


class ChildCreate(ChildBase):
    """Input: a new child living in ``area_code``."""

    area_code: str = Field(max_length=32)
    code: str | None = Field(default=None, max_length=64, description="External id, optional")
    guardian_phone: str | None = Field(
        default=None, max_length=32, description="Guardian's phone number, optional"
    )


class ChildPublic(ChildBase):
    """Output: a child with its ids."""

    id: int
    code: str
    area_id: int


class Child(ChildBase, table=True):
    """A child; ``code`` is the external id (the exchange format's ``child_id``)."""

    __tablename__ = "children"
    __table_args__ = (
        CheckConstraint(f"sex IN ({sql_in(Sex)})", name="ck_children_sex"),
        Index("ix_children_area_birth", "area_id", "birth_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    area_id: int = Field(foreign_key="areas.id")
    guardian_phone: str | None = Field(
        default=None, max_length=32, description="Guardian's phone (shown to clinics only)"
    )
    registered_on: dt.date | None = Field(
        default=None,
        description="Local date the child was registered here; empty: known since birth",
    )


class EnrolmentBase(SQLModel):
    """A child's enrolment at a childcare facility; dates may be unknown (imported records)."""

    start_date: dt.date | None = None
    end_date: dt.date | None = Field(default=None, description="Empty while enrolled")


class EnrolmentCreate(EnrolmentBase):
    """Input: enrol a child at ``facility_code``."""

    facility_code: str = Field(max_length=32)


class EnrolmentPublic(EnrolmentBase):
    """Output: an enrolment with its ids."""

    id: int
    child_id: int
    facility_id: int


class Enrolment(EnrolmentBase, table=True):
    """Enrolment of a child at a facility, open while ``end_date`` is empty."""

    __tablename__ = "enrolments"
    __table_args__ = (
        Index("ix_enrolments_child", "child_id"),
        Index("ix_enrolments_facility", "facility_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    child_id: int = Field(foreign_key="children.id")
    facility_id: int = Field(foreign_key="facilities.id")
