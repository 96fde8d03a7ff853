"""The Patient resource of a child: identifier (the child's code under this deployment's
system), sex, birth date, and what the caller's :class:`~health.fhir.scope.Disclosure` allows
(the name; the guardian's phone for clinic roles)."""

from __future__ import annotations

from typing import Any

from health.fhir.codes import EXT_GESTATION, ROLE_CODE, coding
from health.fhir.scope import Disclosure
from health.models import Child

GENDER = {"M": "male", "F": "female"}


def patient_id(child: Child) -> str:
    """The Patient's resource id (the service's row id; the code is the identifier)."""
    return f"child-{child.id}"


def patient_reference(child: Child) -> dict[str, str]:
    return {"reference": f"Patient/{patient_id(child)}"}


def patient(child: Child, disclosure: Disclosure, system: str) -> dict[str, Any]:
    """The child as a FHIR R4B Patient (a plain JSON mapping)."""
    out: dict[str, Any] = {
        "resourceType": "Patient",
        "id": patient_id(child),
        "identifier": [{"use": "usual", "system": system, "value": child.code}],
        "gender": GENDER[str(child.sex)],
        "birthDate": child.birth_date.isoformat(),
    }
    if child.gestational_weeks is not None:
        out["extension"] = [{"url": EXT_GESTATION, "valueDecimal": child.gestational_weeks}]
    if disclosure.name and child.name:
        out["name"] = [{"use": "usual", "text": child.name}]
    if disclosure.guardian_phone and child.guardian_phone:
        out["contact"] = [
            {
                "relationship": [{"coding": [coding(ROLE_CODE, "GUARD", "guardian")]}],
                "telecom": [{"system": "phone", "value": child.guardian_phone}],
            }
        ]
    return out
