"""FHIR R4B export and import of children's records (``docs/fhir.md``): the Patient, the
measurements with their z-scores and percentiles, questionnaire answers, open flags and
referrals out; Patients and measurement Observations in, through the one pipeline."""

from health.fhir.bundle import ExportSummary, UnknownAreaError, child_bundle, export_area
from health.fhir.codes import identifier_system
from health.fhir.scope import FULL, Disclosure, for_role

__all__ = [
    "FULL",
    "Disclosure",
    "ExportSummary",
    "UnknownAreaError",
    "child_bundle",
    "export_area",
    "for_role",
    "identifier_system",
]
