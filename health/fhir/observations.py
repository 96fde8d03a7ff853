"""Observations of one stored measurement: one per measured value (LOINC), the BMI the WHO
engine computed, and per indicator its z-score and percentile (SNOMED CT where confirmed, the
local indicator code always) with the reference (``method``) and the rule set (extension).

The values are what the service stored and reads back (``health.pipeline.measurement_result``:
WHO-rounded z, percentile of the rounded z to 1 decimal); nothing is worked out here again.
A row waiting for a re-measure is ``preliminary``, one a re-measure replaced ``cancelled``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from sqlmodel import Session

from growth_charts import children as engine_children
from growth_charts import compute
from health.fhir.codes import (
    EXT_RULE_SET,
    EXT_SOURCE,
    INDICATOR_NAMES,
    INDICATOR_SYSTEM,
    LOINC,
    MEASURED,
    OBSERVATION_CATEGORY,
    REFERENCE_SYSTEM,
    REFERENCES,
    SNOMED,
    UCUM,
    coding,
    snomed_derived,
)
from health.fhir.patient import patient_reference
from health.models import Child, Measurement
from health.models.enums import MeasurementStatus
from health.pipeline import measurement_result
from health.pipeline.ages import ages_of
from screening.growth.measurement import MEASUREMENTS_USED

STATUS = {
    MeasurementStatus.accepted: "final",
    MeasurementStatus.remeasure: "preliminary",
    MeasurementStatus.superseded: "cancelled",
}
_USED_FIELD = {"weight": "weight", "length": "length", "head": "head", "muac": "muac"}


def observation_id(row: Measurement, part: str) -> str:
    """``m<row id>-<part>`` (``weight``, ``length``, ``wfa-z``, ``wfa-percentile`` …)."""
    return f"m{row.id}-{part}"


def _category(code: str) -> list[dict[str, Any]]:
    return [{"coding": [coding(OBSERVATION_CATEGORY, code)]}]


def _base(child: Child, row: Measurement, part: str, category: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": observation_id(row, part),
        "extension": [{"url": EXT_SOURCE, "valueCode": str(row.source)}],
        "status": STATUS.get(row.status, "final"),  # type: ignore[call-overload]
        "category": _category(category),
        "subject": patient_reference(child),
        "effectiveDateTime": row.measured_on.isoformat(),
    }


def engine_bmi(child: Child, row: Measurement) -> float | None:
    """The BMI (kg/m², 2 decimals) the WHO engine computed for the row (length adjusted at the
    731-day switch as WHO's software does), or None without both weight and length."""
    if row.weight_kg is None or row.length_cm is None:
        return None
    kids = engine_children(
        np.array([str(child.sex)]),
        age_days=[ages_of(child, row.measured_on).used_days],
        weight=[row.weight_kg],
        lenhei=[row.length_cm],
        measure=np.array([str(row.measure or "")]),
    )
    value = float(compute(kids)["cbmi"][0])
    return None if math.isnan(value) else round(value, 2)


def _measured(child: Child, row: Measurement) -> dict[str, dict[str, Any]]:
    values: dict[str, float | None] = {
        "weight": row.weight_kg,
        "length": row.length_cm,
        "head": row.head_cm,
        "muac": row.muac_cm,
        "bmi": engine_bmi(child, row),
    }
    out = {}
    for part, value in values.items():
        if value is None:
            continue
        key = "height" if part == "length" and row.measure == "H" else part
        loinc, display, unit, _ = MEASURED[key]
        obs = _base(child, row, part, "vital-signs")
        obs["code"] = {"coding": [coding(LOINC, loinc, display)], "text": display}
        obs["valueQuantity"] = {"value": value, "unit": unit, "system": UCUM, "code": unit}
        out[part] = obs
    if "bmi" in out:
        out["bmi"]["derivedFrom"] = [
            {"reference": f"Observation/{observation_id(row, p)}"} for p in ("weight", "length")
        ]
    return out


def measurement_observations(session: Session, child: Child, row: Measurement) -> list[dict]:
    """Every Observation of one stored measurement (see the module docstring)."""
    measured = _measured(child, row)
    result = measurement_result(session, child, row)
    out = list(measured.values())
    for ind in result.indicators:
        snomed = snomed_derived(ind.code, str(row.measure) if row.measure else None)
        used = MEASUREMENTS_USED.get(ind.engine_code, frozenset())
        sources = [
            {"reference": f"Observation/{measured[_USED_FIELD[u]]['id']}"}
            for u in sorted(used)
            if u in _USED_FIELD and _USED_FIELD[u] in measured
        ]
        name = INDICATOR_NAMES[ind.code]
        for kind, value, unit, ucum, index in (
            ("z", ind.z, "SD", "{SD}", 0),
            ("percentile", ind.percentile, "%", "%", 1),
        ):
            obs = _base(child, row, f"{ind.code}-{kind}", "exam")
            codings = [coding(INDICATOR_SYSTEM, f"{ind.code}-{kind}", f"{name} {kind}")]
            if snomed is not None:
                codings.insert(0, coding(SNOMED, *snomed[index]))
            obs["code"] = {"coding": codings, "text": f"{name} {kind}"}
            obs["valueQuantity"] = {"value": value, "unit": unit, "system": UCUM, "code": ucum}
            obs["method"] = {
                "coding": [coding(REFERENCE_SYSTEM, ind.reference, REFERENCES[ind.reference])]
            }
            obs["extension"].append({"url": EXT_RULE_SET, "valueString": result.rule_set})
            if sources:
                obs["derivedFrom"] = sources
            out.append(obs)
    return out
