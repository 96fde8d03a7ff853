"""What is recorded about a child: measurements, health checks, milestone and feeding answers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from health.models.enums import CheckKind, Measure, MeasurementStatus, Source, sql_in
from health.models.ids import BIG_ID


class ChildRecordPublic(SQLModel):
    """Output fields of every stored record about a child: its id, the child, the age."""

    id: int
    child_id: int
    age_days: int


class ChildRecordColumns(SQLModel):
    """Columns of every record about a child: its id, the child, the account that entered it,
    the child's age on the day and when it was stored."""

    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_ID)
    child_id: int = Field(foreign_key="children.id")
    entered_by_id: int | None = Field(default=None, foreign_key="users.id")
    age_days: int
    created_at: dt.datetime


class MeasurementBase(SQLModel):
    """One anthropometric measurement; every value is optional but at least one is needed."""

    measured_on: dt.date
    source: Source = Field(sa_type=String(16))
    weight_kg: float | None = Field(default=None, gt=0, lt=200)
    length_cm: float | None = Field(default=None, gt=0, lt=250)
    measure: Measure | None = Field(default=None, sa_type=String(1))
    head_cm: float | None = Field(default=None, gt=0, lt=80)
    muac_cm: float | None = Field(default=None, gt=0, lt=60)
    oedema: bool = False


class MeasurementCreate(MeasurementBase):
    """Input: a measurement of one child."""


class MeasurementPublic(ChildRecordPublic, MeasurementBase):
    """Output: a stored measurement with the engine's z-scores (WHO-rounded) and its status;
    when withdrawn, when (UTC) and by which account; the entry it corrects, if any."""

    z_lhfa: float | None
    z_wfa: float | None
    z_wflh: float | None
    z_bmi: float | None
    z_hcfa: float | None
    z_acfa: float | None
    implausible: bool
    status: str
    rule_set: str
    withdrawn_at: dt.datetime | None = None
    withdrawn_by_id: int | None = None
    corrects_id: int | None = None


class Measurement(ChildRecordColumns, MeasurementBase, table=True):
    """A stored measurement. ``status`` is ``accepted``, or ``remeasure`` while an implausible
    value waits for the family or facility to measure again. ``rule_set`` names the growth
    engine's rules and version that produced the z-scores."""

    __tablename__ = "measurements"
    __table_args__ = (
        CheckConstraint(f"source IN ({sql_in(Source)})", name="ck_measurements_source"),
        CheckConstraint(f"status IN ({sql_in(MeasurementStatus)})", name="ck_meas_status"),
        Index("ix_measurements_child_date", "child_id", "measured_on"),
    )

    clinic_id: int | None = Field(default=None, foreign_key="clinics.id")
    facility_id: int | None = Field(default=None, foreign_key="facilities.id")
    z_lhfa: float | None = None
    z_wfa: float | None = None
    z_wflh: float | None = None
    z_bmi: float | None = None
    z_hcfa: float | None = None
    z_acfa: float | None = None
    implausible: bool = False
    status: str = Field(default=MeasurementStatus.accepted, max_length=16)
    rule_set: str = Field(max_length=64)
    withdrawn_at: dt.datetime | None = Field(
        default=None, description="UTC instant the entry was withdrawn or corrected; kept"
    )
    withdrawn_by_id: int | None = Field(default=None, foreign_key="users.id")
    corrects_id: int | None = Field(
        default=None,
        foreign_key="measurements.id",
        sa_type=BIG_ID,
        description="The entry this one corrects",
    )


class CheckBase(SQLModel):
    """A health check (newborn home visit, full-month check, or routine check)."""

    check_date: dt.date
    kind: CheckKind = Field(sa_type=String(16))
    weight_kg: float | None = Field(default=None, gt=0, lt=200)
    length_cm: float | None = Field(default=None, gt=0, lt=250)
    measure: Measure | None = Field(default=None, sa_type=String(1))
    head_cm: float | None = Field(default=None, gt=0, lt=80)
    hb_g_l: float | None = Field(default=None, gt=0, lt=300, description="Haemoglobin, g/L")
    hearing_left: str | None = Field(
        default=None, max_length=8, description="Hearing screen, left ear: pass or refer"
    )
    hearing_right: str | None = Field(
        default=None, max_length=8, description="Hearing screen, right ear: pass or refer"
    )
    red_reflex: str | None = Field(default=None, max_length=8, description="normal or abnormal")
    eye_position: str | None = Field(default=None, max_length=8, description="normal or abnormal")
    visual_behaviour: str | None = Field(
        default=None, max_length=8, description="Fixing and following: normal or abnormal"
    )
    acuity_left: float | None = Field(
        default=None, ge=3.0, le=5.3, description="Visual acuity, left eye, 5-point record (4.9)"
    )
    acuity_right: float | None = Field(
        default=None, ge=3.0, le=5.3, description="Visual acuity, right eye, 5-point record"
    )
    caries_teeth: int | None = Field(
        default=None, ge=0, le=20, description="Number of decayed teeth"
    )
    vitamin_d_given: bool | None = Field(
        default=None, description="Vitamin D given daily since the last check"
    )


class CheckCreate(CheckBase):
    """Input: a check done by ``clinic_code`` (optional)."""

    clinic_code: str | None = Field(default=None, max_length=32)


class CheckPublic(CheckBase):
    """Output: a stored check."""

    id: int
    child_id: int
    clinic_id: int | None


class Check(CheckBase, table=True):
    """A stored check; one per child, date and kind."""

    __tablename__ = "checks"
    __table_args__ = (
        CheckConstraint(f"kind IN ({sql_in(CheckKind)})", name="ck_checks_kind"),
        # also the access path of every per-child query (schedule, coverage)
        UniqueConstraint("child_id", "check_date", "kind", name="uq_checks_child_date_kind"),
        # coverage: the checks of a period, covering (no table access)
        Index("ix_checks_date_child_kind", "check_date", "child_id", "kind"),
    )

    id: int | None = Field(default=None, primary_key=True, sa_type=BIG_ID)
    child_id: int = Field(foreign_key="children.id")
    clinic_id: int | None = Field(default=None, foreign_key="clinics.id")


class MilestoneAdministrationBase(SQLModel):
    """One use of a milestone instrument for a child; answers keyed by item code."""

    instrument: str = Field(max_length=64, description="Instrument code and version")
    administered_on: dt.date
    source: Source = Field(sa_type=String(16))


class MilestoneAdministrationCreate(MilestoneAdministrationBase):
    """Input: an administration with its answers (item code → answer code)."""

    answers: dict[str, str]


class MilestoneAdministrationPublic(ChildRecordPublic, MilestoneAdministrationBase):
    """Output: a stored administration."""

    answers: dict[str, str]


class MilestoneAdministration(ChildRecordColumns, MilestoneAdministrationBase, table=True):
    """A stored milestone administration; answers in ``milestone_answers``."""

    __tablename__ = "milestone_administrations"
    __table_args__ = (Index("ix_milestone_adm_child", "child_id", "administered_on"),)


class MilestoneAnswer(SQLModel, table=True):
    """One answer of an administration (e.g. ``yes``, ``not_yet``)."""

    __tablename__ = "milestone_answers"

    administration_id: int = Field(
        foreign_key="milestone_administrations.id", primary_key=True, sa_type=BIG_ID
    )
    item_code: str = Field(max_length=64, primary_key=True)
    answer: str = Field(max_length=32)


class FeedingRecallBase(SQLModel):
    """A previous-day feeding recall; ``answers`` maps question code → answer."""

    recalled_on: dt.date = Field(description="The day the recall describes")
    source: Source = Field(sa_type=String(16))


class FeedingRecallCreate(FeedingRecallBase):
    """Input: a recall with its answers."""

    answers: dict[str, Any]


class FeedingRecallPublic(ChildRecordPublic, FeedingRecallBase):
    """Output: a stored recall."""

    answers: dict[str, Any]


class FeedingRecall(ChildRecordColumns, FeedingRecallBase, table=True):
    """A stored feeding recall."""

    __tablename__ = "feeding_recalls"
    __table_args__ = (Index("ix_feeding_recalls_child", "child_id", "recalled_on"),)

    answers: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
