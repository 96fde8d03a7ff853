"""The channel from the clinic to the family and to the facility: what each of them sees of the
doctor's outcomes, read from the cases' outcome events (``recheck_planned``, ``closed``).

- The family (:func:`family_outcomes`): the doctor's latest outcomes, newest first, each with its
  instant (UTC; pages show the local date), the clinic's name, the recheck date, the institution
  of a referral, the doctor's note only when the doctor marked it for the family
  (``note_for_family``) and the advice for the facility (the family sees what the facility is
  told). A case closed because its entries were withdrawn is no outcome of a doctor and is left
  out; so is an outcome recorded before the events kept the note's audience (its note is then
  never shown: the note is the doctor's unless marked).
- The facility (:func:`facility_actions`): per enrolled child only what the facility acts on: the
  recheck date of a case still waiting for it, and the advice the doctor marked for the facility
  in the child's latest outcome (with its instant and the clinic). Never a flag, a diagnosis, a
  z-score, the outcome itself or the doctor's note.

The clinic of an outcome is the clinic of the doctor who recorded it, else the case's clinic.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from health.models import Case, CaseEvent, Clinic, User
from health.models.enums import CaseStatus, Outcome

OUTCOME_EVENTS = ("recheck_planned", "closed")
"""The events that record a doctor's outcome."""
FAMILY_OUTCOMES = 3
"""How many of the latest outcomes the family's page shows."""


@dataclass(frozen=True)
class FamilyOutcome:
    """One outcome of the doctor as the family reads it (see the module's text)."""

    at: dt.datetime
    outcome: str
    clinic: str | None
    recheck_on: dt.date | None
    institution: str | None
    note: str | None
    facility_advice: str | None


@dataclass(frozen=True)
class FacilityAction:
    """What a facility does for one enrolled child: bring it to the recheck on ``recheck_on``
    (None: no recheck waiting) and follow ``advice`` (None: no advice for the facility), both
    from the doctor of ``clinic`` at ``at`` (the latest outcome's instant, UTC)."""

    child_id: int
    at: dt.datetime
    clinic: str | None
    recheck_on: dt.date | None
    advice: str | None


def _date(value: Any) -> dt.date | None:
    """An event's stored date (ISO text; empty or ``None`` text: no date)."""
    if value in (None, "", "None"):
        return None
    return dt.date.fromisoformat(str(value))


def _outcome_rows(session: Session, child_ids: Iterable[int]) -> list[Any]:
    """(event, case, clinic name) of every outcome of the children's cases, newest first."""
    actor, actor_clinic, case_clinic = aliased(User), aliased(Clinic), aliased(Clinic)
    return list(
        session.exec(
            select(CaseEvent, Case, func.coalesce(actor_clinic.name, case_clinic.name))
            .join(Case, col(Case.id) == CaseEvent.case_id)
            .outerjoin(actor, col(actor.id) == CaseEvent.actor_id)
            .outerjoin(actor_clinic, col(actor_clinic.id) == actor.clinic_id)
            .outerjoin(case_clinic, col(case_clinic.id) == Case.clinic_id)
            .where(
                col(Case.child_id).in_(list(child_ids)),
                col(CaseEvent.action).in_(OUTCOME_EVENTS),
            )
            .order_by(col(CaseEvent.at).desc(), col(CaseEvent.id).desc())
        ).all()
    )


def family_outcomes(
    session: Session, child_id: int, *, limit: int = FAMILY_OUTCOMES
) -> list[FamilyOutcome]:
    """The doctor's latest ``limit`` outcomes for the child, newest first, as the family reads
    them (see the module's text)."""
    out: list[FamilyOutcome] = []
    for event, _case, clinic in _outcome_rows(session, [child_id]):
        detail = event.detail or {}
        outcome = str(detail.get("outcome") or "")
        if outcome not in {o.value for o in Outcome}:
            continue
        note = detail.get("note")
        referred = outcome == Outcome.referred.value
        out.append(
            FamilyOutcome(
                at=event.at,
                outcome=outcome,
                clinic=clinic,
                recheck_on=_date(detail.get("recheck_on")),
                institution=note if referred else None,
                note=note if not referred and detail.get("note_for_family") is True else None,
                facility_advice=detail.get("facility_advice") or None,
            )
        )
        if len(out) >= limit:
            break
    return out


def facility_actions(session: Session, child_ids: Iterable[int]) -> dict[int, FacilityAction]:
    """For each of ``child_ids`` with something to do, its :class:`FacilityAction` from its
    latest outcome: the recheck date while that case is still open waiting for the recheck, and
    that outcome's advice for the facility. A child whose latest outcome asks nothing of the
    facility is left out."""
    out: dict[int, FacilityAction] = {}
    seen: set[int] = set()
    for event, case, clinic in _outcome_rows(session, child_ids):
        child_id = int(case.child_id)
        if child_id in seen:
            continue
        seen.add(child_id)
        detail = event.detail or {}
        waiting = (
            event.action == "recheck_planned"
            and case.status == CaseStatus.open
            and case.outcome == Outcome.recheck
        )
        recheck = case.recheck_on if waiting else None
        advice = detail.get("facility_advice") or None
        if recheck is None and advice is None:
            continue
        out[child_id] = FacilityAction(child_id, event.at, clinic, recheck, advice)
    return out
