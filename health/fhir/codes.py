"""Code systems, codes and identifiers of the FHIR R4B export (``docs/fhir.md``).

LOINC for the measured values; SNOMED CT observable entities for z-scores and percentiles as
the RCPCH Digital Growth Charts documentation suggests them ("SNOMED CT codes for storing growth
results", checked there against the UK Edition 42.1.0 of 6 May 2026); weight-for-height from
NHS England's primary-care refset (``NDAHEIGHT_COD``). Where no concept could be confirmed
(weight-for-length lying, MUAC-for-age) only this project's local CodeSystem codes the value;
every derived Observation carries the local code too, so an importer never needs SNOMED.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"

LOCAL = "urn:childhealth:fhir"
"""Root of this project's own canonical names (URNs: no server resolves them)."""
INDICATOR_SYSTEM = f"{LOCAL}:CodeSystem:growth-indicator"  # wfa-z, wfa-percentile, ...
REFERENCE_SYSTEM = f"{LOCAL}:CodeSystem:growth-reference"  # who2006, who2007
FLAG_SYSTEM = f"{LOCAL}:CodeSystem:flag"  # the flag codes of screening.flags.RULES
DOMAIN_SYSTEM = f"{LOCAL}:CodeSystem:flag-domain"  # growth, development, ...
ANSWER_SYSTEM = f"{LOCAL}:CodeSystem:answer"  # yes, no, not_yet, not_sure
EXT_RULE_SET = f"{LOCAL}:StructureDefinition:rule-set"  # valueString: the engine's rule set
EXT_RULE_VERSION = f"{LOCAL}:StructureDefinition:rule-version"  # valueString: a flag's rule
EXT_SEVERITY = f"{LOCAL}:StructureDefinition:flag-severity"  # valueCode: urgent ... advice
EXT_SOURCE = f"{LOCAL}:StructureDefinition:record-source"  # valueCode: home, clinic, facility
EXT_GESTATION = f"{LOCAL}:StructureDefinition:gestational-weeks"  # valueDecimal, weeks
QUESTIONNAIRE_BASE = f"{LOCAL}:Questionnaire:"  # + instrument code

SYSTEM_ENV = "CHILDHEALTH_FHIR_SYSTEM"
"""Environment variable naming the identifier system of this deployment's child codes."""
DEFAULT_SYSTEM_PATH = "/fhir/sid/child-code"

MEASURED: Mapping[str, tuple[str, str, str, str]] = {
    # field → (LOINC code, display, UCUM unit, model field)
    "weight": ("29463-7", "Body weight", "kg", "weight_kg"),
    "length": ("8306-3", "Body height --lying", "cm", "length_cm"),
    "height": ("8302-2", "Body height", "cm", "length_cm"),
    "head": ("9843-4", "Head Occipital-frontal circumference", "cm", "head_cm"),
    "muac": ("56072-2", "Mid upper arm circumference", "cm", "muac_cm"),
    "bmi": ("39156-5", "Body mass index (BMI) [Ratio]", "kg/m2", ""),
}
"""Each measured (or, for BMI, calculated) value as a LOINC Observation."""

INDICATOR_NAMES: Mapping[str, str] = {
    "wfa": "Weight-for-age",
    "lhfa": "Length/height-for-age",
    "wflh": "Weight-for-length/height",
    "bmi": "BMI-for-age",
    "hcfa": "Head circumference-for-age",
    "acfa": "Arm circumference-for-age",
}

SNOMED_DERIVED: Mapping[tuple[str, str], tuple[tuple[str, str], tuple[str, str]]] = {
    # (indicator, "L"|"H"|"") → ((z code, display), (percentile code, display))
    ("wfa", ""): (("1153593003", "Weight for age z-score"),
                  ("1153592008", "Weight for age percentile")),
    ("lhfa", "L"): (("1153590000", "Length for age z score"),
                    ("1153591001", "Length for age percentile")),
    ("lhfa", "H"): (("1153604005", "Body height for age z-score"),
                    ("1153605006", "Body height for age percentile")),
    ("bmi", ""): (("1153596006", "Body mass index for age z-score"),
                  ("1153602009", "Body mass index for age percentile")),
    ("hcfa", ""): (("1153594009", "Head circumference for age z-score"),
                   ("1153595005", "Child head circumference for age percentile")),
    ("wflh", "H"): (("1153600001", "Weight for height z-score"),
                    ("1153601002", "Weight for height percentile")),
}  # fmt: skip
"""SNOMED CT concepts of the derived values; a pair not listed has the local code only."""

REFERENCES: Mapping[str, str] = {
    "who2006": "WHO Child Growth Standards (2006)",
    "who2007": "WHO Growth Reference for 5-19 years (2007)",
}

REFERRAL = ("3457005", "Patient referral")
"""SNOMED CT procedure of a ServiceRequest for a doctor's referral."""


def snomed_derived(indicator: str, measure: str | None) -> tuple[tuple[str, str], ...] | None:
    """The SNOMED CT (z, percentile) concepts of ``indicator`` for a length measured
    ``measure`` (L lying, H standing), or None where none is confirmed."""
    found = SNOMED_DERIVED.get((indicator, "")) or SNOMED_DERIVED.get((indicator, measure or ""))
    return found


def identifier_system(environ: Mapping[str, str] | None = None) -> str:
    """The identifier system of this deployment's child codes: ``CHILDHEALTH_FHIR_SYSTEM``, else
    ``CHILDHEALTH_PUBLIC_URL`` + ``/fhir/sid/child-code``, else a URN of the project."""
    env = os.environ if environ is None else environ
    given = env.get(SYSTEM_ENV, "").strip()
    if given:
        return given
    public = env.get("CHILDHEALTH_PUBLIC_URL", "").strip().rstrip("/")
    return f"{public}{DEFAULT_SYSTEM_PATH}" if public else f"{LOCAL}:sid:child-code"


def coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    """One FHIR Coding (display left out when None)."""
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out
