"""Areas (a tree: province → city → county → township), clinics and childcare facilities."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Index, String
from sqlmodel import Field, SQLModel

from health.models.enums import AreaLevel, sql_in


class AreaBase(SQLModel):
    """Fields shared by every view of an area."""

    code: str = Field(max_length=32, description="Stable administrative code, unique")
    name: str = Field(max_length=200)
    level: AreaLevel = Field(sa_type=String(16))


class AreaCreate(AreaBase):
    """Input: a new area under ``parent_code`` (empty for the root)."""

    parent_code: str | None = Field(default=None, max_length=32)


class AreaPublic(AreaBase):
    """Output: an area with its id and parent id."""

    id: int
    parent_id: int | None


class Area(AreaBase, table=True):
    """An administrative area; ``parent_id`` is empty only for the root (province)."""

    __tablename__ = "areas"
    __table_args__ = (CheckConstraint(f"level IN ({sql_in(AreaLevel)})", name="ck_areas_level"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    parent_id: int | None = Field(default=None, foreign_key="areas.id", index=True)


class AreaAncestor(SQLModel, table=True):
    """Closure of the area tree: one row per (area, ancestor-or-self), ``depth`` 0 for self.

    Rebuilt by :func:`health.areas.rebuild_area_ancestors` whenever areas change; coverage groups
    children by their ancestor at the requested level through this table.
    """

    __tablename__ = "area_ancestors"
    __table_args__ = (Index("ix_area_ancestors_ancestor", "ancestor_id"),)

    area_id: int = Field(foreign_key="areas.id", primary_key=True)
    ancestor_id: int = Field(foreign_key="areas.id", primary_key=True)
    depth: int


class SiteBase(SQLModel):
    """Fields shared by every view of a site: a clinic or a childcare facility."""

    code: str = Field(max_length=32)
    name: str = Field(max_length=200)


class SiteCreate(SiteBase):
    """Input fields of a new site: the code of the area it sits in."""

    area_code: str = Field(max_length=32)


class SitePublic(SiteBase):
    """Output fields of a site: its id and its area's id."""

    id: int
    area_id: int


class SiteColumns(SiteBase):
    """Columns of a site's table: the id, the unique code, the area it sits in."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    area_id: int = Field(foreign_key="areas.id", index=True)


class ClinicCreate(SiteCreate):
    """Input: a clinic in the township ``area_code``."""


class ClinicPublic(SitePublic):
    """Output: a clinic with its id and area id."""


class Clinic(SiteColumns, table=True):
    """A township hospital / community health service centre (sits in a township-level area)."""

    __tablename__ = "clinics"


class FacilityCreate(SiteCreate):
    """Input: a facility in ``area_code`` linked to the clinic ``clinic_code``."""

    clinic_code: str = Field(max_length=32)


class FacilityPublic(SitePublic):
    """Output: a facility with its ids."""

    clinic_id: int


class Facility(SiteColumns, table=True):
    """A childcare facility (nursery, toddler class, childcare point) linked to one clinic."""

    __tablename__ = "facilities"

    clinic_id: int = Field(foreign_key="clinics.id", index=True)
