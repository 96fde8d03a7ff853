"""Open flags as FHIR Flag resources and a doctor's referral as a ServiceRequest.

A Flag's code is the flag code of ``screening.flags`` (local CodeSystem) with its name from the
screening catalogue; category its domain; the severity and the rule version as extensions;
``period.start`` the instant it was raised (UTC). A case closed with outcome ``referred`` is a
ServiceRequest (SNOMED CT 3457005 Patient referral), authored on the day of the outcome, its
reasons the case's flags, its note the doctor's note naming the institution.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from health.fhir.codes import (
    DOMAIN_SYSTEM,
    EXT_RULE_VERSION,
    EXT_SEVERITY,
    FLAG_SYSTEM,
    REFERRAL,
    SNOMED,
    coding,
)
from health.fhir.patient import patient_reference
from health.models import Case, Child, FlagRecord
from screening.flags import RULES
from screening.messages import has, text


def _utc(instant: dt.datetime) -> str:
    stamp = instant if instant.tzinfo else instant.replace(tzinfo=dt.UTC)
    return stamp.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def flag_name(code: str, lang: str) -> str:
    """The flag's name in ``lang`` (its code when the catalogue has none)."""
    rule = RULES.get(code)
    return text(rule.name_message_id, lang) if rule and has(rule.name_message_id) else code


def flag_code(code: str, lang: str) -> dict[str, Any]:
    return {"coding": [coding(FLAG_SYSTEM, code, flag_name(code, "en"))],
            "text": flag_name(code, lang)}  # fmt: skip


def flag_resource(child: Child, row: FlagRecord, lang: str) -> dict[str, Any]:
    """One stored flag (open: ``active``; resolved: ``inactive``)."""
    out: dict[str, Any] = {
        "resourceType": "Flag",
        "id": f"flag-{row.id}",
        "extension": [{"url": EXT_SEVERITY, "valueCode": str(row.severity)}],
        "status": "active" if row.resolved_at is None else "inactive",
        "category": [{"coding": [coding(DOMAIN_SYSTEM, str(row.domain))]}],
        "code": flag_code(row.code, lang),
        "subject": patient_reference(child),
        "period": {"start": _utc(row.raised_at)},
    }
    version = (row.evidence or {}).get("rule_version")
    if version:
        out["extension"].append({"url": EXT_RULE_VERSION, "valueString": str(version)})
    if row.resolved_at is not None:
        out["period"]["end"] = _utc(row.resolved_at)
    return out


def referral_request(
    child: Child, case: Case, flag_codes: list[str], clinic: str | None, lang: str
) -> dict[str, Any]:
    """The ServiceRequest of a case closed as ``referred``."""
    out: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": f"referral-{case.id}",
        "status": "active",
        "intent": "order",
        "code": {"coding": [coding(SNOMED, *REFERRAL)], "text": REFERRAL[1]},
        "subject": patient_reference(child),
        "reasonCode": [flag_code(c, lang) for c in flag_codes],
    }
    if case.closed_at is not None:
        out["authoredOn"] = _utc(case.closed_at)
    if clinic:
        out["requester"] = {"display": clinic}
    if case.outcome_note:
        out["note"] = [{"text": case.outcome_note}]
    return out
