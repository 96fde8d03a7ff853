"""Anaemia from haemoglobin (g/L, at sea level) against a versioned cut-off table.

The tables are ``reference_data/instruments/hb-cutoffs/``: WHO 2011 by default (< 110 g/L at
6-59 months), WHO 2024 as the alternative (< 105 g/L at 6-23 months). Age in WHO completed
months; grades are strict: anaemia is hb < the band's ``anaemia_below_g_l``, and so on. No
cut-off exists under 6 months or beyond the table (not applicable).
"""

from __future__ import annotations

from dataclasses import dataclass

from screening import reference
from screening.flags import Flag, Severity, rule
from screening.growth.errors import InvalidMeasurementError, check_age_days
from screening.vocabulary import months_from_days, who_completed_months

HB_PLAUSIBLE_G_L = (20.0, 250.0)


@dataclass(frozen=True)
class AnaemiaResult:
    applicable: bool  # False under 6 months or beyond the table: no cut-off exists there
    grade: str | None  # "none", "mild", "moderate", "severe"; None when not applicable
    cutoff_g_l: float | None
    table_version: str
    flags: tuple[Flag, ...]


def anaemia(hb_g_l: float, *, age_days: int, version: str | None = None) -> AnaemiaResult:
    """Anaemia from haemoglobin (g/L, at sea level) with the cut-off table ``version``
    (default ``who-2011``; ``who-2024`` the alternative). Age in WHO completed months."""
    table = reference.hb_table(version)
    check_age_days(age_days)
    if hb_g_l is None or not HB_PLAUSIBLE_G_L[0] <= hb_g_l <= HB_PLAUSIBLE_G_L[1]:
        raise InvalidMeasurementError(field="hb_g_l", value=hb_g_l)
    months = who_completed_months(age_days)
    band = next((b for b in table.bands if b.low_months <= months <= b.high_months), None)
    if band is None:
        return AnaemiaResult(False, None, None, table.version, ())
    if hb_g_l >= band.anaemia_below_g_l:
        return AnaemiaResult(True, "none", band.anaemia_below_g_l, table.version, ())
    if hb_g_l < band.severe_below_g_l:
        grade = "severe"
    elif hb_g_l < band.moderate_below_g_l:
        grade = "moderate"
    else:
        grade = "mild"
    flag = rule("ANAEMIA").flag(
        values={
            "hb_g_l": hb_g_l,
            "cutoff_g_l": band.anaemia_below_g_l,
            "grade": grade,
            "table": table.version,
            "age_days": age_days,
            "age_months": round(months_from_days(age_days), 2),
        },
        instrument="hb-cutoffs",
        instrument_version=table.version,
        rule_version=table.rule_version,
        severity=Severity(table.severity),
    )
    return AnaemiaResult(True, grade, band.anaemia_below_g_l, table.version, (flag,))
