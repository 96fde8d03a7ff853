"""What the pages and the JSON API show: results per indicator with a plain-language sentence,
schedules, flags and questionnaires, the case queue, missed checks and due lists. Read-only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from api.access import CurrentUser, child_scope
from api.i18n import gettext
from api.services.due import due_entries
from api.services.records import assess_stored_recall
from growth_charts import percentile
from health.models import (
    Case,
    Check,
    Child,
    Enrolment,
    Facility,
    FeedingRecall,
    FlagRecord,
    Measurement,
    MilestoneAdministration,
    MilestoneAnswer,
)
from health.models.enums import SEVERITY_RANK
from health.periods import add_years
from health.schedule import CheckStatus, child_schedule, next_due

INDICATOR_NAMES = {
    "wfa": "Weight-for-age",
    "lhfa": "Length/height-for-age",
    "wflh": "Weight-for-length/height",
    "bmi": "BMI-for-age",
    "hcfa": "Head circumference-for-age",
    "acfa": "Arm circumference-for-age",
}


@dataclass(frozen=True)
class IndicatorResult:
    """One indicator of one measurement: WHO-rounded z, percentile (0-100) and a sentence."""

    code: str
    name: str
    z: float
    percentile: float
    sentence: str


def sentence(code: str, z: float, lang: str) -> str:
    """A plain-language sentence for a z-score (cut-offs ±2 and ±3, strict as WHO's)."""
    if z < -3:
        text = "Much lower than most children of the same age and sex. Please see your clinic soon."
    elif z < -2:
        text = "Lower than most children of the same age and sex. Your clinic will review it."
    elif z <= 2:
        text = "Within the usual range for children of the same age and sex."
    elif code == "lhfa":
        text = "Taller than most children of the same age and sex; this is rarely a concern."
    elif z <= 3:
        text = "Higher than most children of the same age and sex. Your clinic will review it."
    else:
        text = "Much higher than most children of the same age and sex. Please see your clinic."
    return gettext(lang, text)


def indicator_results(row: Measurement, lang: str) -> list[IndicatorResult]:
    """Every indicator with a z-score on ``row``, in :data:`INDICATOR_NAMES` order."""
    out = []
    for code, name in INDICATOR_NAMES.items():
        z = getattr(row, f"z_{code}")
        if z is None:
            continue
        out.append(
            IndicatorResult(
                code=code,
                name=gettext(lang, name),
                z=float(z),
                percentile=round(float(percentile([z])[0]), 1),
                sentence=sentence(code, float(z), lang),
            )
        )
    return out


def measurements(session: Session, child_id: int) -> list[Measurement]:
    """The child's measurements, oldest first."""
    return list(
        session.execute(
            select(Measurement)
            .where(Measurement.child_id == child_id)
            .order_by(Measurement.measured_on, Measurement.id)
        ).scalars()
    )


def schedule(session: Session, child: Child, today: dt.date) -> tuple[list[CheckStatus], Any]:
    """The child's scheduled checks and the next one still to do."""
    done = [
        (r.check_date, str(r.kind))
        for r in session.execute(select(Check).where(Check.child_id == child.id)).scalars()
    ]
    statuses = child_schedule(child.birth_date, done, today)
    return statuses, next_due(statuses)


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
        result = assess_stored_recall(recall)
        notable = [(k, str(v)) for k, v in result.indicators.items() if str(v) == "not_met"]
        out.append(AnswerSet("feeding", recall.recalled_on, result.bank_version, notable,
                             len(result.indicators)))  # fmt: skip
    return sorted(out, key=lambda a: a.on, reverse=True)


@dataclass(frozen=True)
class QueueRow:
    """One open case of the queue: no name is needed to triage, the page links to the child."""

    case_id: int
    child_id: int
    child_code: str
    child_name: str | None
    sex: str
    age_days: int
    severity: str
    domains: str
    oldest_flag_at: dt.datetime
    recheck_on: dt.date | None
    facility: str | None


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
        .where(Case.status == "open", child_scope(user))
    )
    if user.role == "doctor":
        stmt = stmt.where(Case.clinic_id == user.clinic_id)
    if facility_id is not None:
        stmt = stmt.where(
            select(Enrolment.id)
            .where(
                Enrolment.child_id == Child.id,
                Enrolment.facility_id == facility_id,
                Enrolment.end_date.is_(None),
            )
            .exists()
        )
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


@dataclass(frozen=True)
class DueRow:
    """A child with a check due now or missed (window closed without a visit)."""

    child_id: int
    child_code: str
    child_name: str | None
    birth_date: dt.date
    check: str
    status: str
    opens: dt.date
    closes: dt.date


def due_list(
    session: Session,
    user: CurrentUser,
    today: dt.date,
    statuses: tuple[str, ...] = ("due", "missed"),
) -> list[DueRow]:
    """Per child in scope under 7 years: the first scheduled check due now and the first one
    missed in the last year (see :mod:`api.services.due`), due first then by window end."""
    cutoff = add_years(today, -7)
    in_scope = and_(child_scope(user), Child.birth_date > cutoff)
    kids = session.execute(
        select(Child.id, Child.code, Child.name, Child.birth_date).where(in_scope)
    ).all()
    if not kids:
        return []
    ids = np.array([k.id for k in kids], dtype=np.int64)
    order = np.argsort(ids)
    records = session.execute(
        select(Check.child_id, Check.check_date, Check.kind).where(
            Check.child_id.in_(
                select(Child.id).where(and_(child_scope(user), Child.birth_date > cutoff))
            )
        )
    ).all()
    child_ids = np.array([r[0] for r in records], dtype=np.int64)
    index = order[np.searchsorted(ids[order], child_ids)] if records else child_ids
    entries = due_entries(
        np.array([k.birth_date for k in kids], dtype="datetime64[D]"),
        index,
        np.array([r[1] for r in records], dtype="datetime64[D]"),
        np.array([str(r[2]) for r in records], dtype=object),
        today,
        statuses,
    )
    out = [
        DueRow(kids[e.index].id, kids[e.index].code, kids[e.index].name,
               kids[e.index].birth_date, e.code, e.status, e.opens, e.closes)
        for e in entries
    ]  # fmt: skip
    return sorted(out, key=lambda r: (r.status != "due", r.closes, r.child_id))
