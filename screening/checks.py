"""Results recorded at a clinic check → flags (``shared/domain/screening.md`` section 2b).

Pure rules, one :class:`~screening.flags.Flag` per finding:

- hearing screen ``refer`` on an ear → ``CHECK_HEARING_REFER_LEFT`` / ``_RIGHT`` (refer,
  audiology); ``pass`` raises nothing;
- red reflex, eye position, visual behaviour (fixing and following) ``abnormal`` → one refer
  flag each (ophthalmology);
- visual acuity (5-point record, 3.0–5.3) at 48–83 completed months: an eye below the age
  band's ``refer_below`` (``reference_data/eyes/acuity-cn-2021.yaml``) → ``CHECK_ACUITY_LOW``;
  the two eyes ``interocular_lines`` lines (0.1 each) or more apart → ``CHECK_ACUITY_UNEQUAL``;
  under 48 months or beyond the table no threshold applies (stored, no flag);
- decayed teeth ≥ 1 → ``CHECK_CARIES`` (refer: advice to the family and a referral to dental
  care, as section 2b says);
- vitamin D not given, at an infant check (under 13 completed months: the 12-month check's
  window ends a month after it) → ``CHECK_NO_VITAMIN_D`` (advice).

Haemoglobin stays with :func:`screening.growth.anaemia`. :func:`acuity_refer` is the batch
form of the acuity rule (numpy arrays in, a boolean array out).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from screening.flags import Flag, rule
from screening.reference.files import check_bands, read_yaml
from screening.vocabulary import DAYS_PER_MONTH, who_completed_months

HEARING_RESULTS = ("pass", "refer")
"""Allowed hearing screen results per ear."""
EYE_RESULTS = ("normal", "abnormal")
"""Allowed results of the red reflex, eye position and visual behaviour checks."""
HEARING_FIELDS = ("hearing_left", "hearing_right")
EYE_FIELDS = ("red_reflex", "eye_position", "visual_behaviour")
ACUITY_FIELDS = ("acuity_left", "acuity_right")
ACUITY_RANGE = (3.0, 5.3)
"""The 5-point record's range on the standard logarithmic chart."""
ACUITY_MIN_MONTHS = 36
"""Below 3 years a chart acuity is not read (the check records fixing and following instead)."""
INFANT_CHECK_MAX_MONTHS = 12
"""Vitamin D advice applies up to 12 completed months (the infant checks)."""
ACUITY_FILE = "eyes/acuity-cn-2021.yaml"

_EYE_CODES = {
    "red_reflex": "CHECK_RED_REFLEX_ABNORMAL",
    "eye_position": "CHECK_EYE_POSITION_ABNORMAL",
    "visual_behaviour": "CHECK_VISUAL_BEHAVIOUR_ABNORMAL",
}
_HEARING_CODES = {
    "hearing_left": "CHECK_HEARING_REFER_LEFT",
    "hearing_right": "CHECK_HEARING_REFER_RIGHT",
}


@dataclass(frozen=True)
class AcuityTable:
    """Acuity referral thresholds by age band (completed months, both ends inclusive)."""

    version: str
    rule_version: str
    interocular_lines: int
    low_months: tuple[int, ...]
    high_months: tuple[int, ...]
    refer_below: tuple[float, ...]

    def threshold(self, months: int) -> float | None:
        """``refer_below`` of the band holding ``months``, or None outside the table."""
        for low, high, value in zip(
            self.low_months, self.high_months, self.refer_below, strict=True
        ):
            if low <= months <= high:
                return value
        return None


@cache
def acuity_table() -> AcuityTable:
    """The versioned acuity table (schema-checked, contiguous bands)."""
    data = read_yaml(ACUITY_FILE)
    check_bands(f"reference_data/{ACUITY_FILE}", data["bands"])
    bands = data["bands"]
    return AcuityTable(
        version=data["version"],
        rule_version=data["rule_version"],
        interocular_lines=int(data["interocular_lines"]),
        low_months=tuple(int(b["low_months"]) for b in bands),
        high_months=tuple(int(b["high_months"]) for b in bands),
        refer_below=tuple(float(b["refer_below"]) for b in bands),
    )


def _tenths(value: float) -> int:
    """A 5-point record in tenths (4.8 → 48), so comparisons are exact."""
    return round(value * 10)


def acuity_refer(
    acuity: npt.ArrayLike, age_days: npt.ArrayLike, table: AcuityTable | None = None
) -> npt.NDArray[np.bool_]:
    """Batch acuity rule for one eye: True where the 5-point record is below the age band's
    threshold; False where no band applies or the value is missing (NaN)."""
    table = table or acuity_table()
    values = np.asarray(acuity, dtype=float)
    months = np.floor(np.asarray(age_days, dtype=float) / DAYS_PER_MONTH).astype(int)
    limit = np.full(values.shape, np.nan)
    for low, high, value in zip(
        table.low_months, table.high_months, table.refer_below, strict=True
    ):
        limit = np.where((months >= low) & (months <= high), value, limit)
    known = ~np.isnan(values) & ~np.isnan(limit)
    out = np.zeros(values.shape, dtype=bool)
    out[known] = np.rint(values[known] * 10) < np.rint(limit[known] * 10)
    return out


def acuity_flags(
    left: float | None, right: float | None, *, age_days: int, table: AcuityTable | None = None
) -> tuple[Flag, ...]:
    """The acuity flags of one check (see the module docstring)."""
    table = table or acuity_table()
    months = who_completed_months(age_days)
    limit = table.threshold(months)
    if limit is None or (left is None and right is None):
        return ()
    common = {"age_months": months, "table": table.version}
    flags: list[Flag] = []
    eyes = {"left": left, "right": right}
    low = [v for v in eyes.values() if v is not None and _tenths(v) < _tenths(limit)]
    if low:
        flags.append(
            rule("CHECK_ACUITY_LOW").flag(
                values={
                    "acuity_left": left,
                    "acuity_right": right,
                    "acuity": min(low),
                    "threshold": limit,
                    **common,
                },
                item_ids=[f"acuity_{eye}" for eye, v in eyes.items() if v in low],
                instrument="acuity-thresholds",
                instrument_version=table.version,
                rule_version=table.rule_version,
            )
        )
    if left is not None and right is not None:
        lines = abs(_tenths(left) - _tenths(right))
        if lines >= table.interocular_lines:
            flags.append(
                rule("CHECK_ACUITY_UNEQUAL").flag(
                    values={
                        "acuity_left": left,
                        "acuity_right": right,
                        "lines": lines,
                        "lines_limit": table.interocular_lines,
                        **common,
                    },
                    item_ids=list(ACUITY_FIELDS),
                    instrument="acuity-thresholds",
                    instrument_version=table.version,
                    rule_version=table.rule_version,
                )
            )
    return tuple(flags)


def check_flags(
    *,
    age_days: int,
    hearing_left: str | None = None,
    hearing_right: str | None = None,
    red_reflex: str | None = None,
    eye_position: str | None = None,
    visual_behaviour: str | None = None,
    acuity_left: float | None = None,
    acuity_right: float | None = None,
    caries_teeth: int | None = None,
    vitamin_d_given: bool | None = None,
) -> tuple[Flag, ...]:
    """Every flag the results of one check raise (None = not done). Values must already be
    valid (:data:`HEARING_RESULTS`, :data:`EYE_RESULTS`, :data:`ACUITY_RANGE`)."""
    months = who_completed_months(age_days)
    flags: list[Flag] = []
    for name, value in (("hearing_left", hearing_left), ("hearing_right", hearing_right)):
        if value == "refer":
            flags.append(rule(_HEARING_CODES[name]).flag(
                values={name: value, "age_months": months}, item_ids=[name]))  # fmt: skip
    for name, value in (
        ("red_reflex", red_reflex),
        ("eye_position", eye_position),
        ("visual_behaviour", visual_behaviour),
    ):
        if value == "abnormal":
            flags.append(rule(_EYE_CODES[name]).flag(
                values={name: value, "age_months": months}, item_ids=[name]))  # fmt: skip
    flags += acuity_flags(acuity_left, acuity_right, age_days=age_days)
    if caries_teeth is not None and caries_teeth >= 1:
        flags.append(rule("CHECK_CARIES").flag(
            values={"caries_teeth": caries_teeth, "age_months": months},
            item_ids=["caries_teeth"]))  # fmt: skip
    if vitamin_d_given is False and months <= INFANT_CHECK_MAX_MONTHS:
        flags.append(rule("CHECK_NO_VITAMIN_D").flag(
            values={"age_months": months}, item_ids=["vitamin_d_given"]))  # fmt: skip
    return tuple(flags)
