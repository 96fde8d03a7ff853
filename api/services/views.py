"""What the pages and the JSON API read: measurements, schedules, flags and questionnaires, the
case queue, missed checks and due lists. Read-only; results come from :mod:`health.pipeline`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.access import DOCTOR, CurrentUser, child_scope, open_enrolment
from health.models import (
    Case,
    Child,
    Enrolment,
    Facility,
    FeedingRecall,
    FlagRecord,
    Measurement,
    MilestoneAdministration,
    MilestoneAnswer,
)
from health.models.enums import SEVERITY_RANK, CaseStatus
from health.pipeline import stored_recall_scoring
from health.services import schedule as schedule_service
from health.services.schedule import DueRow


def measurements(session: Session, child_id: int) -> list[Measurement]:
    """The child's measurements, oldest first."""
    return list(
        session.execute(
            select(Measurement)
            .where(Measurement.child_id == child_id)
            .order_by(Measurement.measured_on, Measurement.id)
        ).scalars()
    )


def open_flags(session: Session, child_id: int) -> list[FlagRecord]:
    """The child's flags (open first, then by severity and time)."""
    rows = session.execute(
        select(FlagRecord).where(FlagRecord.child_id == child_id).order_by(FlagRecord.raised_at)
    ).scalars()
    return sorted(rows, key=lambda f: (f.resolved_at is not None, SEVERITY_RANK[f.severity]))


@dataclass(frozen=True)
class AnswerSet:
    """One questionnaire of a child for the doctor: what, when, and the answers worth a look
    (milestones not achieved or unsure, warning signs present; feeding indicators not met)."""

    kind: str  # milestone or feeding
    on: dt.date
    instrument: str
    notable: list[tuple[str, str]]
    total: int


def answer_sets(session: Session, child_id: int, lang: str, limit: int = 5) -> list[AnswerSet]:
    """The child's latest milestone administrations and feeding recalls, newest first."""
    from screening import reference

    out: list[AnswerSet] = []
    administrations = session.execute(
        select(MilestoneAdministration)
        .where(MilestoneAdministration.child_id == child_id)
        .order_by(MilestoneAdministration.administered_on.desc())
        .limit(limit)
    ).scalars()
    for row in administrations:
        answers = dict(
            session.execute(
                select(MilestoneAnswer.item_code, MilestoneAnswer.answer).where(
                    MilestoneAnswer.administration_id == row.id
                )
            ).all()
        )
        code, _, version = row.instrument.partition("@")
        inst = reference.instrument(code, version or None)
        texts = {i.id: i for b in inst.bands for i in b.items}
        globals_ = {q.id: q for q in inst.global_questions}
        notable = []
        for item_id, answer in answers.items():
            if item_id in texts:
                item = texts[item_id]
                bad = answer == "yes" if item.polarity == "warning_sign" else answer != "yes"
                if bad:
                    notable.append((item.text.get(lang), answer))
            elif item_id in globals_ and answer == globals_[item_id].positive:
                notable.append((globals_[item_id].text.get(lang), answer))
        out.append(AnswerSet("milestone", row.administered_on, row.instrument, notable,
                             len(answers)))  # fmt: skip
    recalls = session.execute(
        select(FeedingRecall)
        .where(FeedingRecall.child_id == child_id)
        .order_by(FeedingRecall.recalled_on.desc())
        .limit(limit)
    ).scalars()
    for recall in recalls:
        result = stored_recall_scoring(recall)
        notable = [(k, str(v)) for k, v in result.indicators.items() if str(v) == "not_met"]
        out.append(AnswerSet("feeding", recall.recalled_on, result.bank_version, notable,
                             len(result.indicators)))  # fmt: skip
    return sorted(out, key=lambda a: a.on, reverse=True)


@dataclass(frozen=True)
class QueueEntry:
    """One open case of the queue without the child's name (the JSON API: no name is needed to
    triage; the doctor opens the child)."""

    case_id: int
    child_id: int
    child_code: str
    sex: str
    age_days: int
    severity: str
    domains: str
    oldest_flag_at: dt.datetime
    recheck_on: dt.date | None
    facility: str | None

    @classmethod
    def of(cls, row: QueueEntry) -> QueueEntry:
        """The entry of a queue row, without the name."""
        return cls(**{f.name: getattr(row, f.name) for f in fields(cls)})


@dataclass(frozen=True)
class QueueRow(QueueEntry):
    """A queue entry with the child's name, for the doctor's page."""

    child_name: str | None


def case_queue(
    session: Session,
    user: CurrentUser,
    today: dt.date,
    *,
    facility_id: int | None = None,
    domain: str | None = None,
) -> list[QueueRow]:
    """Open cases of the doctor's clinic (admin: all) by severity, then oldest open flag first;
    filtered to children enrolled now at ``facility_id`` and/or with an open ``domain`` flag."""
    stmt = (
        select(Case, Child)
        .join(Child, Child.id == Case.child_id)
        .where(Case.status == CaseStatus.open, child_scope(user))
    )
    if user.role == DOCTOR:
        stmt = stmt.where(Case.clinic_id == user.clinic_id)
    if facility_id is not None:
        stmt = stmt.where(open_enrolment(Enrolment.facility_id == facility_id))
    if domain:
        stmt = stmt.where(
            select(FlagRecord.id)
            .where(
                FlagRecord.case_id == Case.id,
                FlagRecord.domain == domain,
                FlagRecord.resolved_at.is_(None),
            )
            .exists()
        )
    rows = session.execute(stmt).all()
    ids = [c.id for c, _ in rows]
    domains: dict[int, set[str]] = {}
    for case_id, dom in session.execute(
        select(FlagRecord.case_id, FlagRecord.domain).where(
            FlagRecord.case_id.in_(ids), FlagRecord.resolved_at.is_(None)
        )
    ):
        domains.setdefault(case_id, set()).add(dom)
    facilities = dict(
        session.execute(
            select(Enrolment.child_id, Facility.name)
            .join(Facility, Facility.id == Enrolment.facility_id)
            .where(Enrolment.child_id.in_([ch.id for _, ch in rows]), Enrolment.end_date.is_(None))
        ).all()
    )
    out = [
        QueueRow(
            case_id=c.id,
            child_id=ch.id,
            child_code=ch.code,
            child_name=ch.name,
            sex=str(ch.sex),
            age_days=(today - ch.birth_date).days,
            severity=str(c.severity),
            domains=", ".join(sorted(domains.get(c.id, ()))),
            oldest_flag_at=c.oldest_flag_at,
            recheck_on=c.recheck_on,
            facility=facilities.get(ch.id),
        )
        for c, ch in rows
    ]
    return sorted(out, key=lambda r: (SEVERITY_RANK[r.severity], r.oldest_flag_at, r.case_id))


def scope_children(session: Session, user: CurrentUser, *, limit: int = 500) -> list[Child]:
    """Children in ``user``'s scope, youngest first (at most ``limit``)."""
    return list(
        session.execute(
            select(Child)
            .where(child_scope(user))
            .order_by(Child.birth_date.desc(), Child.id)
            .limit(limit)
        ).scalars()
    )


def due_list(
    session: Session,
    user: CurrentUser,
    today: dt.date,
    statuses: tuple[str, ...] = ("due", "missed"),
) -> list[DueRow]:
    """Children in ``user``'s scope with a check due or recently missed
    (:func:`health.services.schedule.due_list`)."""
    return schedule_service.due_list(session, child_scope(user), today, statuses)
