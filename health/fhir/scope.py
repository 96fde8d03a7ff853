"""What a FHIR export may carry for each role (the same lines as the JSON API's views).

Every child role sees the Patient's identifier, sex, birth date and name, and the measurements
with their z-scores and percentiles. Only clinic roles (doctor, admin) see the guardian's phone,
the open flags and referrals (``GET …/flags`` is theirs alone). A parent also gets the
questionnaire answers they gave; facility staff do not (``GET …/questionnaires`` is for
clinicians). Bureaus see no child at all (the route refuses them).
"""

from __future__ import annotations

from dataclasses import dataclass

from health.models.enums import Role


@dataclass(frozen=True)
class Disclosure:
    """The parts of a child's record an export includes."""

    name: bool = True
    guardian_phone: bool = False
    questionnaires: bool = False
    flags: bool = False
    referrals: bool = False


FULL = Disclosure(name=True, guardian_phone=True, questionnaires=True, flags=True, referrals=True)
"""A clinician's view (doctor, admin) and the operator's area export."""


def for_role(role: str) -> Disclosure | None:
    """The disclosure of ``role``, or None for a role that sees no child (bureau)."""
    if role in (Role.doctor, Role.admin):
        return FULL
    if role == Role.parent:
        return Disclosure(questionnaires=True)
    if role == Role.facility:
        return Disclosure()
    return None
