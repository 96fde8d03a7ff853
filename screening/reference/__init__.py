"""Loader of the screening data of record, all under ``reference_data/`` and all validated when
loaded: instruments (:mod:`.instruments`), haemoglobin cut-off tables (:mod:`.hb_cutoffs`), the
feeding recall question bank (:mod:`.feeding_bank`) and the message catalogue
(:mod:`.catalogue`); reading and JSON-Schema checks in :mod:`.files`, the cache and the version
accessors in :mod:`.loader`.

Every file is checked against its JSON Schema (``reference_data/instruments/schemas/``) and then
against the rules a schema cannot say (unique item ids, contiguous age bands, one default version
per code, 4-16 items per checklist age, the same placeholders in zh-CN and en…). A broken file
raises :class:`ReferenceDataError` naming the file and the field. Call :func:`load_all` once at
start-up; afterwards every accessor returns the cached, immutable objects.

Ages in the files are **completed months**, both ends of a band inclusive.
"""

from screening.reference.catalogue import MESSAGES_FILE, placeholders
from screening.reference.feeding_bank import MILK_KINDS, FoodSpec, LiquidSpec, RecallBank
from screening.reference.files import SCHEMA_FILES, ReferenceDataError, Text
from screening.reference.hb_cutoffs import HbBand, HbTable
from screening.reference.instruments import Band, GlobalQuestion, Instrument, Item
from screening.reference.loader import (
    INSTRUMENTS_DIR,
    ReferenceData,
    UnknownVersionError,
    hb_table,
    instrument,
    load_all,
    recall_bank,
)

__all__ = [
    "INSTRUMENTS_DIR",
    "MESSAGES_FILE",
    "MILK_KINDS",
    "SCHEMA_FILES",
    "Band",
    "FoodSpec",
    "GlobalQuestion",
    "HbBand",
    "HbTable",
    "Instrument",
    "Item",
    "LiquidSpec",
    "RecallBank",
    "ReferenceData",
    "ReferenceDataError",
    "Text",
    "UnknownVersionError",
    "hb_table",
    "instrument",
    "load_all",
    "placeholders",
    "recall_bank",
]
