"""Haemoglobin cut-off tables (``reference_data/instruments/hb-cutoffs/<version>.yaml``, schema
``childhealth/hb-cutoffs/1``): per age band (completed months, both ends inclusive) the g/L below
which anaemia, moderate and severe anaemia start.

Beyond the schema: contiguous bands, and severe < moderate <= anaemia in every band.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from screening.reference.files import ReferenceDataError, check_bands, display

HB_CODE = "hb-cutoffs"  # the one code of every table version


@dataclass(frozen=True)
class HbBand:
    low_months: int
    high_months: int
    anaemia_below_g_l: float
    moderate_below_g_l: float
    severe_below_g_l: float


@dataclass(frozen=True)
class HbTable:
    version: str
    default: bool
    source: str
    rule_version: str
    severity: str
    bands: tuple[HbBand, ...]
    file: str

    @property
    def code(self) -> str:
        return HB_CODE


def build_hb_table(relative: str, data: dict[str, Any]) -> HbTable:
    """An :class:`HbTable` from a schema-valid file, after the checks a schema cannot say."""
    shown = display(relative)
    check_bands(shown, data["bands"])
    for i, band in enumerate(data["bands"]):
        if not band["severe_below_g_l"] < band["moderate_below_g_l"] <= band["anaemia_below_g_l"]:
            raise ReferenceDataError(
                shown, f"bands[{i}].moderate_below_g_l", "needs severe < moderate <= anaemia"
            )
    return HbTable(
        version=data["version"],
        default=data["default"],
        source=data["source"],
        rule_version=data["rule_version"],
        severity=data["severity"],
        bands=tuple(HbBand(**band) for band in data["bands"]),
        file=shown,
    )
