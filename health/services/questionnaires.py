"""A child's latest questionnaires for the doctor, with the answers worth a look (the rules
decide which: ``screening.development.notable_answers``; a feeding indicator not met)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from health.models import FeedingRecall, MilestoneAdministration, MilestoneAnswer
from health.pipeline import stored_recall_scoring
from screening import development, reference
from screening.reference import Text


@dataclass(frozen=True)
class Notable:
    """One answer worth a look: the item, question or feeding indicator (``code``), its
    instrument ``text`` (None for a feeding indicator) and the answer."""

    code: str
    text: Text | None
    answer: str


@dataclass(frozen=True)
class AnswerSet:
    """One questionnaire: its kind (``milestone`` or ``feeding``), date, instrument and
    version, the notable answers and how many answers it had."""

    kind: str
    on: dt.date
    instrument: str
    notable: tuple[Notable, ...]
    total: int


def _milestone_sets(session: Session, child_id: int, limit: int) -> list[AnswerSet]:
    rows = session.exec(
        select(MilestoneAdministration)
        .where(MilestoneAdministration.child_id == child_id)
        .order_by(col(MilestoneAdministration.administered_on).desc())
        .limit(limit)
    ).all()
    out = []
    for row in rows:
        answers = dict(
            session.exec(
                select(MilestoneAnswer.item_code, MilestoneAnswer.answer).where(
                    MilestoneAnswer.administration_id == row.id
                )
            ).all()
        )
        code, _, version = row.instrument.partition("@")
        inst = reference.instrument(code, version or None)
        notable = tuple(
            Notable(i, text, a) for i, text, a in development.notable_answers(inst, answers)
        )
        out.append(AnswerSet("milestone", row.administered_on, row.instrument, notable,
                             len(answers)))  # fmt: skip
    return out


def _feeding_sets(session: Session, child_id: int, limit: int) -> list[AnswerSet]:
    rows = session.exec(
        select(FeedingRecall)
        .where(FeedingRecall.child_id == child_id)
        .order_by(col(FeedingRecall.recalled_on).desc())
        .limit(limit)
    ).all()
    out = []
    for row in rows:
        scoring = stored_recall_scoring(row)
        notable = tuple(
            Notable(k, None, str(v)) for k, v in scoring.indicators.items() if str(v) == "not_met"
        )
        out.append(AnswerSet("feeding", row.recalled_on, scoring.bank_version, notable,
                             len(scoring.indicators)))  # fmt: skip
    return out


def answer_sets(session: Session, child_id: int, limit: int = 5) -> list[AnswerSet]:
    """The child's latest milestone administrations and feeding recalls (``limit`` of each),
    newest first."""
    sets = _milestone_sets(session, child_id, limit) + _feeding_sets(session, child_id, limit)
    return sorted(sets, key=lambda a: a.on, reverse=True)
