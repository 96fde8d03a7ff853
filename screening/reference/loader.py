"""Every screening data file read and checked once (:func:`load_all`, cached), and the accessors
of one version of an instrument, haemoglobin table or recall bank (default: the version marked
default; exactly one per code).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from functools import cache
from operator import attrgetter
from types import MappingProxyType
from typing import Any, Protocol, TypeVar

import reference_data
from screening.errors import ScreeningInputError
from screening.reference.catalogue import load_messages
from screening.reference.feeding_bank import RecallBank, build_recall_bank
from screening.reference.files import ReferenceDataError, display, read_yaml, yaml_files
from screening.reference.hb_cutoffs import HB_CODE, HbTable, build_hb_table
from screening.reference.instruments import Instrument, build_instrument

INSTRUMENTS_DIR = "instruments"


@dataclass(frozen=True)
class FileKind:
    """One kind of versioned file under ``reference_data/instruments/``: the schema id its files
    name, the name errors use, the builder (relative path, schema-valid data → object with
    ``code``, ``version``, ``default`` and ``file``) and the object's unique key."""

    schema: str
    label: str
    build: Callable[[str, dict[str, Any]], Any]
    key: Callable[[Any], Hashable]


_BY_VERSION = attrgetter("version")
_BY_CODE_VERSION = attrgetter("code", "version")
KINDS: tuple[FileKind, ...] = (  # the order of the ReferenceData fields
    FileKind("childhealth/instrument/1", "instrument", build_instrument, _BY_CODE_VERSION),
    FileKind("childhealth/hb-cutoffs/1", "haemoglobin table", build_hb_table, _BY_VERSION),
    FileKind("childhealth/feeding-recall/1", "recall bank", build_recall_bank, _BY_VERSION),
)


class UnknownVersionError(ScreeningInputError, message_id="error.reference.unknown_version"):
    """A table, instrument or question bank asked for by a code or version that does not exist."""


@dataclass(frozen=True)
class ReferenceData:
    instruments: Mapping[tuple[str, str], Instrument]
    hb_tables: Mapping[str, HbTable]
    recall_banks: Mapping[str, RecallBank]
    messages: Mapping[str, Mapping[str, str]]
    messages_version: str


def _one_default(kind: FileKind, loaded: Mapping[Any, Any]) -> None:
    """Exactly one version marked default per code of ``kind``."""
    by_code: dict[str, list[tuple[bool, str]]] = {}
    for obj in loaded.values():
        by_code.setdefault(obj.code, []).append((obj.default, obj.file))
    for code, versions in by_code.items():
        defaults = [file for default, file in versions if default]
        if len(defaults) != 1:
            raise ReferenceDataError(
                versions[-1][1],
                "default",
                f"{kind.label} {code!r} needs exactly one default version, has {len(defaults)}",
            )


@cache
def load_all() -> ReferenceData:
    """Read and validate every screening data file; raise :class:`ReferenceDataError` on the
    first broken one. Cached: the files are read once per process."""
    kinds = {kind.schema: kind for kind in KINDS}
    loaded: dict[str, dict[Any, Any]] = {schema: {} for schema in kinds}
    for relative in yaml_files(reference_data.resource(INSTRUMENTS_DIR), INSTRUMENTS_DIR):
        data = read_yaml(relative)
        kind = kinds.get(data["schema"])
        if kind is None:
            raise ReferenceDataError(display(relative), "schema", "not an instrument data file")
        obj = kind.build(relative, data)
        if kind.key(obj) in loaded[kind.schema]:
            raise ReferenceDataError(obj.file, "version", "duplicate version")
        loaded[kind.schema][kind.key(obj)] = obj
    for kind in KINDS:
        _one_default(kind, loaded[kind.schema])
    instruments, hb_tables, recall_banks = (MappingProxyType(v) for v in loaded.values())
    version, messages = load_messages()
    return ReferenceData(instruments, hb_tables, recall_banks, messages, version)


class _Versioned(Protocol):
    default: bool


V = TypeVar("V", bound=_Versioned)


def _version(versions: Mapping[str, V], table: str, version: str | None) -> V:
    """``version`` of ``versions`` (version → object of one code), or the default one."""
    if version is None:
        found = next((v for v in versions.values() if v.default), None)
    else:
        found = versions.get(version)
    if found is None:
        known = ", ".join(sorted(versions)) or "-"
        raise UnknownVersionError(table=table, version=version or "default", known=known)
    return found


def instrument(code: str, version: str | None = None) -> Instrument:
    """The instrument ``code`` at ``version`` (default: the version marked default)."""
    versions = {v: i for (c, v), i in load_all().instruments.items() if c == code}
    return _version(versions, code, version)


def hb_table(version: str | None = None) -> HbTable:
    """The haemoglobin cut-off table ``version`` (default: the one marked default)."""
    return _version(load_all().hb_tables, HB_CODE, version)


def recall_bank(version: str | None = None) -> RecallBank:
    """The feeding question bank ``version`` (default: the one marked default)."""
    return _version(load_all().recall_banks, "feeding-recall", version)
