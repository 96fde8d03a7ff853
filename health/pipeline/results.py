"""The complete, typed results of the recording pipeline: what was stored, what every rule
found, and what follows (the case, the re-measure request). ``api`` renders these and never
works a z-score, a flag or a sentence out again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from health.models import (
    Case,
    Check,
    FeedingRecall,
    Measurement,
    MilestoneAdministration,
    RemeasureRequest,
)
from health.pipeline.ages import Ages
from health.pipeline.indicators import IndicatorResult
from screening.development import DevelopmentResult
from screening.feeding import FeedingResult
from screening.flags import Flag

Record = TypeVar("Record")
Scoring = TypeVar("Scoring")


@dataclass(frozen=True)
class MeasurementResult:
    """One measurement in, everything about it out.

    ``flags`` are the flags raised and stored for it (advice ones included; one-measurement and
    series rules), each with evidence and rule version; ``case`` is the child's open case when
    a flag needs a doctor; ``remeasure`` the pending request when a value is implausible (then
    the only flag is ``GROWTH_IMPLAUSIBLE`` and no case is opened)."""

    measurement: Measurement
    ages: Ages
    rule_set: str
    indicators: tuple[IndicatorResult, ...]
    flags: tuple[Flag, ...]
    case: Case | None
    remeasure: RemeasureRequest | None

    @property
    def case_opened(self) -> bool:
        return self.case is not None


@dataclass(frozen=True)
class QuestionnaireResult(Generic[Record, Scoring]):
    """A scored questionnaire (a milestone checklist, a feeding recall): the stored ``record``,
    the rules' ``scoring`` (outcome and band; IYCF indicators and advice), the flags raised
    (advice to the family, escalations to the doctor) and the case."""

    record: Record
    ages: Ages
    scoring: Scoring
    flags: tuple[Flag, ...]
    case: Case | None


MilestoneResult = QuestionnaireResult[MilestoneAdministration, DevelopmentResult]
FeedingRecallResult = QuestionnaireResult[FeedingRecall, FeedingResult]


@dataclass(frozen=True)
class CheckResult:
    """A health check: the stored check, the measurement it carried (if any), the anaemia flags
    of its haemoglobin, and the case."""

    check: Check
    ages: Ages
    measurement: MeasurementResult | None
    flags: tuple[Flag, ...]
    case: Case | None
