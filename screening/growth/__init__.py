"""Growth rules: one measurement's z-scores (:mod:`.measurement`), a child's weight series
(:mod:`.series`) and haemoglobin (:mod:`.anaemia`), all returning :class:`screening.flags.Flag`.

The combined weight-for-length/height indicator is keyed ``wflh`` everywhere here (the engine's
``zwfl``); the engine's own table codes ``wfl``/``wfh`` stay inside ``growth_charts`` and are
refused as input.
"""

from screening.growth.anaemia import HB_PLAUSIBLE_G_L, AnaemiaResult, anaemia
from screening.growth.errors import InvalidMeasurementError
from screening.growth.measurement import (
    CLASS_FLAGS,
    FROM_ENGINE,
    MAM_MUAC_BELOW_CM,
    MEASUREMENTS_USED,
    MUAC_MONTHS,
    SAM_MUAC_BELOW_CM,
    SEVERE_MACROCEPHALY_ABOVE_Z,
    WFLH,
    Measurement,
    engine_code,
    flags_for_measurement,
    indicator_code,
    measurement_flags,
    measurement_z,
)
from screening.growth.series import (
    CENTILE_SPACE_Z,
    EARLY_DAYS_END,
    INFANCY_LAST_DAY,
    RAPID_GAIN_ABOVE_Z,
    REGAIN_BY_DAY,
    SeriesError,
    WeightPoint,
    series_flags,
    weight_series,
)

__all__ = [
    "CENTILE_SPACE_Z",
    "CLASS_FLAGS",
    "EARLY_DAYS_END",
    "FROM_ENGINE",
    "HB_PLAUSIBLE_G_L",
    "INFANCY_LAST_DAY",
    "MAM_MUAC_BELOW_CM",
    "MEASUREMENTS_USED",
    "MUAC_MONTHS",
    "RAPID_GAIN_ABOVE_Z",
    "REGAIN_BY_DAY",
    "SAM_MUAC_BELOW_CM",
    "SEVERE_MACROCEPHALY_ABOVE_Z",
    "WFLH",
    "AnaemiaResult",
    "InvalidMeasurementError",
    "Measurement",
    "SeriesError",
    "WeightPoint",
    "anaemia",
    "engine_code",
    "flags_for_measurement",
    "indicator_code",
    "measurement_flags",
    "measurement_z",
    "series_flags",
    "weight_series",
]
