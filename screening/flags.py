"""The one result type of every screening rule, and the flag table of record.

Every rule returns :class:`Flag` (a frozen dataclass): a stable ``code``, the ``domain``, the
``severity`` (``urgent`` > ``refer`` > ``review`` > ``advice``), the :class:`Evidence` (values,
z-scores, the items answered, the rule and instrument versions) and two message ids, one for the
parent text and one for the clinician text (see ``reference_data/messages/screening.yaml``).

:data:`RULES` is the flag table of ``shared/domain/screening.md`` section 3 as code: each code
with its domain, default severity, rule version and source. A flag's message ids are derived from
its code, so a test can check that every code has both texts in both languages.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

Scalar = int | float | str | bool | None


class Severity(StrEnum):
    URGENT = "urgent"
    REFER = "refer"
    REVIEW = "review"
    ADVICE = "advice"

    @property
    def rank(self) -> int:
        """3 for urgent … 0 for advice: sort a case queue by ``-severity.rank``."""
        return _RANK[self]


_RANK = {Severity.URGENT: 3, Severity.REFER: 2, Severity.REVIEW: 1, Severity.ADVICE: 0}


class Domain(StrEnum):
    GROWTH = "growth"
    DEVELOPMENT = "development"
    FEEDING = "feeding"
    ANAEMIA = "anaemia"
    SCHEDULE = "schedule"
    HEARING = "hearing"
    VISION = "vision"
    ORAL = "oral"


def _frozen_mapping(data: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(data or {}))


@dataclass(frozen=True)
class Evidence:
    """Why a flag was raised: enough for a doctor to see which answer or value did it.

    ``values`` holds measured or answered values with their unit in the key (``muac_cm``,
    ``hb_g_l``, ``weight_loss_pct``); ``z`` holds z-scores by indicator code (``wfa``, ``wflh``…);
    ``item_ids`` the instrument items (FHIR ``linkId``) or recall fields that caused the flag.
    """

    rule: str
    rule_version: str
    instrument: str | None = None
    instrument_version: str | None = None
    values: Mapping[str, Scalar] = field(default_factory=dict, hash=False)
    z: Mapping[str, float] = field(default_factory=dict, hash=False)
    item_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", _frozen_mapping(self.values))
        object.__setattr__(self, "z", _frozen_mapping(self.z))
        object.__setattr__(self, "item_ids", tuple(self.item_ids))


@dataclass(frozen=True)
class Flag:
    """One finding of one rule for one child (see the module docstring)."""

    code: str
    domain: Domain
    severity: Severity
    evidence: Evidence
    parent_message_id: str
    clinician_message_id: str

    def message_params(self) -> dict[str, Scalar]:
        """Parameters for both texts: the evidence values, the z-scores (``z_<indicator>``)
        and ``items`` (comma-separated item ids)."""
        params: dict[str, Scalar] = dict(self.evidence.values)
        params.update({f"z_{name}": value for name, value in self.evidence.z.items()})
        params["items"] = ", ".join(self.evidence.item_ids)
        return params


@dataclass(frozen=True)
class Rule:
    """A row of the flag table: the defaults a rule's flags carry."""

    code: str
    domain: Domain
    severity: Severity
    version: str
    source: str

    @property
    def parent_message_id(self) -> str:
        return f"flag.{self.code.lower()}.parent"

    @property
    def clinician_message_id(self) -> str:
        return f"flag.{self.code.lower()}.clinician"

    @property
    def name_message_id(self) -> str:
        """The flag's name with its cut-off, for clinician pages."""
        return f"flag.{self.code.lower()}.name"

    def flag(
        self,
        *,
        values: Mapping[str, Scalar] | None = None,
        z: Mapping[str, float] | None = None,
        item_ids: Iterable[str] = (),
        instrument: str | None = None,
        instrument_version: str | None = None,
        rule_version: str | None = None,
        severity: Severity | None = None,
    ) -> Flag:
        """A flag of this rule; ``rule_version``/``severity`` override the table's defaults
        (instrument rules take their version from the instrument file)."""
        evidence = Evidence(
            rule=self.code,
            rule_version=rule_version or self.version,
            instrument=instrument,
            instrument_version=instrument_version,
            values=values or {},
            z=z or {},
            item_ids=tuple(item_ids),
        )
        return Flag(
            code=self.code,
            domain=self.domain,
            severity=severity or self.severity,
            evidence=evidence,
            parent_message_id=self.parent_message_id,
            clinician_message_id=self.clinician_message_id,
        )


GROWTH_RULES_VERSION = "growth-flags-1.0"
GROWTH_SERIES_VERSION = "growth-series-1.0"
IYCF_VERSION = "iycf-2021.1"
FEEDING_ESCALATION_VERSION = "feeding-escalation-1.0"

_WHO_2006 = "WHO Child Growth Standards 2006; WHO anthro 1.1 classification and flag limits"
_WHO_2007 = "WHO Growth Reference 2007 (5-19 y); WHO AnthroPlus classification"
_SAM = "WHO 2013 guideline on severe acute malnutrition (MUAC, oedema; 6-59 months)"
_NICE = "NICE NG75 (2017) Faltering growth: recognition and management"
_RWG = "Rapid infant weight gain: change in weight-for-age z > 0.67 (Ong et al., BMJ 2000)"
_IYCF = "WHO/UNICEF 2021 Indicators for assessing infant and young child feeding practices"
_CN_FEED = (
    "China: exclusive breastfeeding to 6 months, vitamin D 400 IU/day,"
    " complementary food from 6 months"
)
_CN_WS = "China 2013 child mental health care technical specification: warning-signs table"
_CHECKLIST = "Parent milestone checklist (modelled on CDC/AAP 2022)"
_LOST_SKILL = (
    "shared/domain/screening.md 1a and 3: loss (regression) of skills at any age is an abnormal"
    " screen -> refer (China 2013 specification); asked on the parent checklist since ms-rule-1.1"
)
_AAP = (
    "AAP: standardised developmental screening at 9, 18 and 24/30 months;"
    " autism at 18 and 24 months"
)
_MGRS = "WHO MGRS motor development windows, Acta Paediatrica 2006 Suppl 450"
_HB = "WHO haemoglobin cut-offs (2011; 2024 alternative), versioned table"
# growth trajectory (issue 13, 3): screening/growth/trajectory.py, docs/trajectory.md
GROWTH_TRAJECTORY_VERSION = "growth-trajectory-1.0"
_TRAJ = (
    "WHO growth velocity 2009 z, else Cole's conditional gain z (Cole 1995) with the Cole"
    " correlation model of van Buuren, Ann Hum Biol 2023;50:247-257, Table 3; |z| > 4 re-measure"
)
_VELOCITY = "WHO Child Growth Standards: growth velocity (2009); weight velocity < 5th centile"
CHECK_RULES_VERSION = "check-results-1.0"
_CHECKS = "shared/domain/screening.md 2b: results recorded at a check (China 0-6 programme)"
_EYE_SPEC = "China NHC 2021: 0-6 years eye care and vision examination specification (trial)"

_G, _D, _F, _A = Domain.GROWTH, Domain.DEVELOPMENT, Domain.FEEDING, Domain.ANAEMIA
_U, _R, _V, _ADV = Severity.URGENT, Severity.REFER, Severity.REVIEW, Severity.ADVICE

_TABLE: tuple[tuple[str, Domain, Severity, str, str], ...] = (
    # growth, one measurement
    ("GROWTH_SEVERE_WASTING", _G, _U, GROWTH_RULES_VERSION, _WHO_2006),
    ("GROWTH_SEVERE_THINNESS", _G, _U, GROWTH_RULES_VERSION, _WHO_2007),
    ("GROWTH_SAM_MUAC", _G, _U, GROWTH_RULES_VERSION, _SAM),
    ("GROWTH_OEDEMA", _G, _U, GROWTH_RULES_VERSION, _SAM),
    ("GROWTH_SEVERE_STUNTING", _G, _R, GROWTH_RULES_VERSION, _WHO_2006),
    ("GROWTH_SEVERE_UNDERWEIGHT", _G, _R, GROWTH_RULES_VERSION, _WHO_2006),
    ("GROWTH_SEVERE_MICROCEPHALY", _G, _R, GROWTH_RULES_VERSION, _WHO_2006),
    ("GROWTH_SEVERE_MACROCEPHALY", _G, _R, GROWTH_RULES_VERSION, _WHO_2006),
    ("GROWTH_STUNTING", _G, _V, GROWTH_RULES_VERSION, _WHO_2006),
    ("GROWTH_UNDERWEIGHT", _G, _V, GROWTH_RULES_VERSION, _WHO_2006),
    ("GROWTH_WASTING", _G, _V, GROWTH_RULES_VERSION, _WHO_2006),
    ("GROWTH_THINNESS", _G, _V, GROWTH_RULES_VERSION, _WHO_2007),
    ("GROWTH_OVERWEIGHT", _G, _V, GROWTH_RULES_VERSION, _WHO_2006),
    ("GROWTH_OBESE", _G, _V, GROWTH_RULES_VERSION, _WHO_2006),
    ("GROWTH_MICROCEPHALY", _G, _V, GROWTH_RULES_VERSION, _WHO_2006),
    ("GROWTH_MACROCEPHALY", _G, _V, GROWTH_RULES_VERSION, _WHO_2006),
    ("GROWTH_MAM_MUAC", _G, _V, GROWTH_RULES_VERSION, _SAM),
    ("GROWTH_IMPLAUSIBLE", _G, _ADV, GROWTH_RULES_VERSION, _WHO_2006),
    # growth, series
    ("GROWTH_FALTERING", _G, _V, GROWTH_SERIES_VERSION, _NICE),
    ("GROWTH_RAPID_WEIGHT_GAIN", _G, _V, GROWTH_SERIES_VERSION, _RWG),
    ("GROWTH_EARLY_WEIGHT_LOSS", _G, _V, GROWTH_SERIES_VERSION, _NICE),
    ("GROWTH_BIRTH_WEIGHT_NOT_REGAINED", _G, _V, GROWTH_SERIES_VERSION, _NICE),
    # growth, the child's own trajectory (issue 13, 3; docs/trajectory.md)
    ("GROWTH_TRAJECTORY_WEIGHT", _G, _ADV, GROWTH_TRAJECTORY_VERSION, _TRAJ),
    ("GROWTH_TRAJECTORY_LENGTH", _G, _ADV, GROWTH_TRAJECTORY_VERSION, _TRAJ),
    ("GROWTH_TRAJECTORY_HEAD", _G, _ADV, GROWTH_TRAJECTORY_VERSION, _TRAJ),
    ("GROWTH_WEIGHT_VELOCITY_LOW", _G, _V, GROWTH_TRAJECTORY_VERSION, _VELOCITY),
    # development (rule versions come from the instrument files)
    ("DEV_WARNING_SIGN", _D, _R, "instrument", _CN_WS),
    ("DEV_REGRESSION", _D, _R, "instrument", _CN_WS),
    ("DEV_MOTOR_WINDOW_MISSED", _D, _R, "instrument", _MGRS),
    # T3: a motor milestone achieved after its P99 refers too (who-motor-rule-2006.2)
    ("DEV_MOTOR_ACHIEVED_LATE", _D, _R, "instrument", _MGRS),
    ("DEV_MILESTONE_NOT_YET", _D, _V, "instrument", _CHECKLIST),
    # a lost skill refers (regression at any age), not "discuss": ms-rule-1.1; before, review
    ("DEV_LOST_SKILL", _D, _R, "instrument", _LOST_SKILL),
    ("DEV_PARENT_CONCERN", _D, _V, "instrument", _CHECKLIST),
    ("DEV_REMIND_STANDARDISED_SCREENING", _D, _ADV, "instrument", _AAP),
    ("DEV_REMIND_AUTISM_SCREENING", _D, _ADV, "instrument", _AAP),
    # feeding, per recall (advice to the family)
    ("FEED_NOT_EXCLUSIVELY_BREASTFED", _F, _ADV, IYCF_VERSION, _IYCF),
    ("FEED_SOLIDS_NOT_STARTED", _F, _ADV, IYCF_VERSION, _IYCF),
    ("FEED_SOLIDS_BEFORE_4_MONTHS", _F, _ADV, IYCF_VERSION, _CN_FEED),
    ("FEED_MDD_NOT_MET", _F, _ADV, IYCF_VERSION, _IYCF),
    ("FEED_MMF_NOT_MET", _F, _ADV, IYCF_VERSION, _IYCF),
    ("FEED_MMFF_NOT_MET", _F, _ADV, IYCF_VERSION, _IYCF),
    ("FEED_MAD_NOT_MET", _F, _ADV, IYCF_VERSION, _IYCF),
    ("FEED_NO_EGG_OR_FLESH", _F, _ADV, IYCF_VERSION, _IYCF),
    ("FEED_SWEET_BEVERAGE", _F, _ADV, IYCF_VERSION, _IYCF),
    ("FEED_UNHEALTHY_FOOD", _F, _ADV, IYCF_VERSION, _IYCF),
    ("FEED_NO_VEGETABLE_OR_FRUIT", _F, _ADV, IYCF_VERSION, _IYCF),
    ("FEED_BOTTLE", _F, _ADV, IYCF_VERSION, _IYCF),
    ("FEED_NO_VITAMIN_D", _F, _ADV, IYCF_VERSION, _CN_FEED),
    # feeding, to the doctor
    (
        "FEED_PERSISTENT",
        _F,
        _V,
        FEEDING_ESCALATION_VERSION,
        "screening.md section 2: persists over two recalls",
    ),
    (
        "FEED_WITH_FALTERING",
        _F,
        _V,
        FEEDING_ESCALATION_VERSION,
        "screening.md section 2: with growth faltering",
    ),
    # anaemia (rule and table versions come from the cut-off file)
    ("ANAEMIA", _A, _R, "hb-table", _HB),
    # check results (screening/checks.py; screening.md 2b); acuity versions from its table
    ("CHECK_HEARING_REFER_LEFT", Domain.HEARING, _R, CHECK_RULES_VERSION, _CHECKS),
    ("CHECK_HEARING_REFER_RIGHT", Domain.HEARING, _R, CHECK_RULES_VERSION, _CHECKS),
    ("CHECK_RED_REFLEX_ABNORMAL", Domain.VISION, _R, CHECK_RULES_VERSION, _CHECKS),
    ("CHECK_EYE_POSITION_ABNORMAL", Domain.VISION, _R, CHECK_RULES_VERSION, _CHECKS),
    ("CHECK_VISUAL_BEHAVIOUR_ABNORMAL", Domain.VISION, _R, CHECK_RULES_VERSION, _CHECKS),
    ("CHECK_ACUITY_LOW", Domain.VISION, _R, "acuity-table", _EYE_SPEC),
    ("CHECK_ACUITY_UNEQUAL", Domain.VISION, _R, "acuity-table", _EYE_SPEC),
    ("CHECK_CARIES", Domain.ORAL, _R, CHECK_RULES_VERSION, _CHECKS),
    ("CHECK_NO_VITAMIN_D", _F, _ADV, CHECK_RULES_VERSION, _CN_FEED),
)

RULES: Mapping[str, Rule] = MappingProxyType(
    {
        code: Rule(code, domain, severity, version, source)
        for code, domain, severity, version, source in _TABLE
    }
)


def rule(code: str) -> Rule:
    """The flag-table row of ``code`` (KeyError for an unknown code: a programming error)."""
    return RULES[code]


def most_severe(flags: Iterable[Flag]) -> Severity | None:
    """The highest severity among ``flags``, or None when there are none."""
    ranked = [f.severity for f in flags]
    return max(ranked, key=lambda s: s.rank) if ranked else None
