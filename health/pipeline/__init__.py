"""The one recording pipeline: every record that enters (a parent's home measurement, a
facility's or a clinic's, a check, a questionnaire) goes through one call here that returns a
complete, typed result (:mod:`health.pipeline.results`). Each call takes a ``Session`` (it
flushes; the caller commits) and a :class:`~health.clock.Moment` (now in UTC, the local today).
"""

from health.errors import ImplausibleMeasurementError, RecordError
from health.pipeline.ages import Ages, ages_of, ages_on
from health.pipeline.author import Author
from health.pipeline.checks import record_check
from health.pipeline.indicators import INDICATORS, IndicatorResult
from health.pipeline.measurement import RULE_SET, measurement_result, record_measurement
from health.pipeline.questionnaires import (
    MOTOR_WINDOWS,
    PARENT_MILESTONES,
    Checklist,
    checklist_for,
    record_feeding,
    record_milestones,
    stored_recall_scoring,
)
from health.pipeline.results import (
    CheckResult,
    FeedingRecallResult,
    MeasurementResult,
    MilestoneResult,
    QuestionnaireResult,
)
from health.pipeline.stored import flag_of, flags_of_source
from health.pipeline.withdraw import (
    AlreadyWithdrawnError,
    CorrectionResult,
    EntryNotFoundError,
    NotYourEntryError,
    WithdrawalResult,
    correct_measurement,
    withdraw_measurement,
)

__all__ = [
    "INDICATORS",
    "MOTOR_WINDOWS",
    "PARENT_MILESTONES",
    "RULE_SET",
    "Ages",
    "AlreadyWithdrawnError",
    "Author",
    "CheckResult",
    "Checklist",
    "CorrectionResult",
    "EntryNotFoundError",
    "FeedingRecallResult",
    "ImplausibleMeasurementError",
    "IndicatorResult",
    "MeasurementResult",
    "MilestoneResult",
    "NotYourEntryError",
    "QuestionnaireResult",
    "RecordError",
    "WithdrawalResult",
    "ages_of",
    "ages_on",
    "checklist_for",
    "correct_measurement",
    "flag_of",
    "flags_of_source",
    "measurement_result",
    "record_check",
    "record_feeding",
    "record_measurement",
    "record_milestones",
    "stored_recall_scoring",
    "withdraw_measurement",
]
