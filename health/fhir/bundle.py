"""A child's record as FHIR R4B resources: one Bundle per child (``GET …/fhir``) and the bulk
NDJSON layout per resource type for an area (``childhealth export-fhir``).

What is included follows the :class:`~health.fhir.scope.Disclosure` of the caller: the Patient,
an Observation per measured value and per z-score and percentile of every measurement that was
not withdrawn; the QuestionnaireResponses of checklists and recalls (and the Questionnaires they
answer); the open Flags; a ServiceRequest per referral. Resources are plain JSON mappings; the
tests validate them with ``fhir.resources.R4B``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import select
from sqlmodel import Session, col

from health.areas import descendant_area_ids
from health.fhir.codes import identifier_system
from health.fhir.flags import flag_resource, referral_request
from health.fhir.observations import measurement_observations
from health.fhir.patient import patient
from health.fhir.questionnaires import (
    feeding_questionnaire,
    feeding_response,
    instrument_of,
    instrument_questionnaire,
    milestone_response,
)
from health.fhir.scope import Disclosure
from health.models import (
    Area,
    Case,
    Child,
    Clinic,
    FeedingRecall,
    FlagRecord,
    Measurement,
    MilestoneAdministration,
    MilestoneAnswer,
)
from health.models.enums import Outcome

BATCH = 200
"""Children read per query of an area export (the export never holds an area's list)."""


def _measurements(session: Session, child_id: int) -> list[Measurement]:
    stmt = (
        select(Measurement)
        .where(Measurement.child_id == child_id, col(Measurement.withdrawn_at).is_(None))
        .order_by(Measurement.measured_on, Measurement.id)
    )
    return list(session.execute(stmt).scalars())


def _questionnaire_resources(
    session: Session, child: Child, lang: str, seen: set[str]
) -> Iterator[dict[str, Any]]:
    """Responses of the child's checklists and recalls, each preceded by the Questionnaire it
    answers the first time that one appears (``seen`` holds the ids already given)."""
    admins = session.execute(
        select(MilestoneAdministration)
        .where(MilestoneAdministration.child_id == child.id)
        .order_by(MilestoneAdministration.administered_on, MilestoneAdministration.id)
    ).scalars()
    for row in admins:
        answers = {
            a.item_code: a.answer
            for a in session.execute(
                select(MilestoneAnswer).where(MilestoneAnswer.administration_id == row.id)
            ).scalars()
        }
        q = instrument_questionnaire(instrument_of(row), lang)
        if q["id"] not in seen:
            seen.add(q["id"])
            yield q
        yield milestone_response(child, row, answers)
    recalls = session.execute(
        select(FeedingRecall)
        .where(FeedingRecall.child_id == child.id)
        .order_by(FeedingRecall.recalled_on, FeedingRecall.id)
    ).scalars()
    for recall in recalls:
        q = feeding_questionnaire(lang)
        if q["id"] not in seen:
            seen.add(q["id"])
            yield q
        yield feeding_response(child, recall)


def _referrals(session: Session, child: Child, lang: str) -> Iterator[dict[str, Any]]:
    cases = session.execute(
        select(Case)
        .where(Case.child_id == child.id, Case.outcome == Outcome.referred)
        .order_by(Case.id)
    ).scalars()
    for case in cases:
        codes = list(
            session.execute(
                select(FlagRecord.code).where(FlagRecord.case_id == case.id).order_by(FlagRecord.id)
            ).scalars()
        )
        clinic = session.get(Clinic, case.clinic_id) if case.clinic_id else None
        yield referral_request(child, case, codes, clinic.name if clinic else None, lang)


def child_resources(
    session: Session,
    child: Child,
    disclosure: Disclosure,
    *,
    lang: str = "zh-CN",
    system: str | None = None,
    seen: set[str] | None = None,
) -> Iterator[dict[str, Any]]:
    """Every resource of ``child`` the disclosure allows, Patient first (see the module
    docstring); ``seen``: Questionnaire ids already given (an area export gives each once)."""
    yield patient(child, disclosure, system or identifier_system())
    for row in _measurements(session, int(child.id)):  # type: ignore[arg-type]
        yield from measurement_observations(session, child, row)
    if disclosure.questionnaires:
        yield from _questionnaire_resources(session, child, lang, set() if seen is None else seen)
    if disclosure.flags:
        flags = session.execute(
            select(FlagRecord)
            .where(FlagRecord.child_id == child.id, col(FlagRecord.resolved_at).is_(None))
            .order_by(FlagRecord.id)
        ).scalars()
        for row in flags:
            yield flag_resource(child, row, lang)
    if disclosure.referrals:
        yield from _referrals(session, child, lang)


def child_bundle(
    session: Session,
    child: Child,
    disclosure: Disclosure,
    *,
    now: dt.datetime,
    lang: str = "zh-CN",
    system: str | None = None,
) -> dict[str, Any]:
    """The child's record as one Bundle of type ``collection`` stamped ``now`` (UTC)."""
    entries = [
        {"resource": r}
        for r in child_resources(session, child, disclosure, lang=lang, system=system)
    ]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": now.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "entry": entries,
    }


@dataclass
class ExportSummary:
    """What an area export wrote: children, resources per type, bytes per file."""

    children: int = 0
    resources: dict[str, int] = field(default_factory=dict)
    bytes: dict[str, int] = field(default_factory=dict)


class UnknownAreaError(LookupError):
    """No area has the code given."""


def _children_batches(session: Session, area_ids: list[int]) -> Iterator[list[Child]]:
    last = 0
    while True:
        batch = list(
            session.execute(
                select(Child)
                .where(col(Child.area_id).in_(area_ids), col(Child.id) > last)
                .order_by(Child.id)
                .limit(BATCH)
            ).scalars()
        )
        if not batch:
            return
        yield batch
        last = int(batch[-1].id)  # type: ignore[arg-type]
        session.expunge_all()  # what was read of a batch is not kept


def export_area(
    session: Session,
    area_code: str,
    out: Path,
    disclosure: Disclosure,
    *,
    lang: str = "zh-CN",
    system: str | None = None,
) -> ExportSummary:
    """Write the NDJSON bulk layout (``Patient.ndjson``, ``Observation.ndjson``, …: one
    resource per line, UTF-8) of every child living in ``area_code`` or below into ``out``,
    reading children :data:`BATCH` at a time. :class:`UnknownAreaError` for an unknown code."""
    area = session.execute(select(Area).where(Area.code == area_code)).scalar_one_or_none()
    if area is None:
        raise UnknownAreaError(area_code)
    out.mkdir(parents=True, exist_ok=True)
    ids = descendant_area_ids(session, int(area.id))  # type: ignore[arg-type]
    files: dict[str, TextIO] = {}
    summary = ExportSummary()
    seen: set[str] = set()
    system = system or identifier_system()
    try:
        for batch in _children_batches(session, ids):
            for child in batch:
                summary.children += 1
                for resource in child_resources(
                    session, child, disclosure, lang=lang, system=system, seen=seen
                ):
                    kind = resource["resourceType"]
                    handle = files.get(kind)
                    if handle is None:
                        handle = files[kind] = (out / f"{kind}.ndjson").open("w", encoding="utf-8")
                    line = json.dumps(resource, ensure_ascii=False, separators=(",", ":"))
                    handle.write(line + "\n")
                    summary.resources[kind] = summary.resources.get(kind, 0) + 1
    finally:
        for handle in files.values():
            handle.close()
    summary.bytes = {f"{k}.ndjson": (out / f"{k}.ndjson").stat().st_size for k in files}
    return summary
