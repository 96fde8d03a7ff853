"""Reading a data file of record: YAML, checked against its JSON Schema, broken files reported
by file and field; and the checks the loaders of the kinds of file share.

A file names its schema in its ``schema`` field; schemas live under
``reference_data/instruments/schemas/`` and ``reference_data/messages/``. Bytes are read through
``reference_data.read_bytes`` (``importlib.resources``), never from a path.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.abc import Traversable
from typing import Any

import jsonschema
import yaml

import reference_data

SCHEMA_FILES = {
    "childhealth/instrument/1": "instruments/schemas/instrument.schema.json",
    "childhealth/hb-cutoffs/1": "instruments/schemas/hb-cutoffs.schema.json",
    "childhealth/feeding-recall/1": "instruments/schemas/feeding-recall.schema.json",
    "childhealth/messages/1": "messages/messages.schema.json",
    "childhealth/acuity/1": "eyes/acuity.schema.json",
}


class ReferenceDataError(Exception):
    """A data file of record is broken: ``file`` (path under the repository) and ``field`` (a
    dotted path such as ``bands[3].items[0].text.en``) say where, ``reason`` what."""

    def __init__(self, file: str, field: str, reason: str) -> None:
        self.file = file
        self.field = field
        self.reason = reason
        super().__init__(f"{file}: field '{field}': {reason}")


@dataclass(frozen=True)
class Text:
    zh_cn: str
    en: str

    def get(self, lang: str) -> str:
        return self.zh_cn if lang == "zh-CN" else self.en


def text(data: Mapping[str, str]) -> Text:
    """A :class:`Text` from a file's ``{"zh-CN": …, "en": …}``."""
    return Text(zh_cn=data["zh-CN"], en=data["en"])


def display(relative: str) -> str:
    """How errors name a file: its path in the repository."""
    return f"reference_data/{relative}"


def _field(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


@cache
def _schema(schema_id: str) -> dict[str, Any]:
    return json.loads(reference_data.read_bytes(SCHEMA_FILES[schema_id]).decode("utf-8"))


def read_yaml(relative: str) -> dict[str, Any]:
    """The mapping in ``reference_data/<relative>``, valid against the schema it names."""
    shown = display(relative)
    try:
        data = yaml.safe_load(reference_data.read_bytes(relative).decode("utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(yaml)"
        raise ReferenceDataError(shown, where, f"not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ReferenceDataError(shown, "(top level)", "must be a mapping")
    schema_id = data.get("schema")
    if schema_id not in SCHEMA_FILES:
        raise ReferenceDataError(shown, "schema", f"unknown schema {schema_id!r}")
    _validate(shown, data, _schema(schema_id))
    return data


def _validate(shown: str, data: Any, schema: dict[str, Any]) -> None:
    """Raise for the first schema error (by path), naming a missing or unknown field itself."""
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(
        validator.iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.message)
    )
    if not errors:
        return
    error = errors[0]
    path = list(error.absolute_path)
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [k for k in error.validator_value if k not in error.instance]
        path.append(missing[0] if missing else "?")
        raise ReferenceDataError(shown, _field(path), "is required")
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = sorted(k for k in error.instance if k not in allowed)
        path.append(extra[0] if extra else "?")
        raise ReferenceDataError(shown, _field(path), "is not a known field")
    raise ReferenceDataError(shown, _field(path), error.message)


def yaml_files(kind_dir: Traversable, relative: str) -> Iterator[str]:
    """Relative paths of the ``.yaml``/``.yml`` files one folder below ``kind_dir`` (schemas
    excluded), sorted by folder and name."""
    for child in sorted(kind_dir.iterdir(), key=lambda t: t.name):
        if child.is_dir() and child.name != "schemas":
            for f in sorted(child.iterdir(), key=lambda t: t.name):
                if f.name.endswith((".yaml", ".yml")):
                    yield f"{relative}/{child.name}/{f.name}"


def check_bands(shown: str, bands: list[dict[str, Any]], key: str = "bands") -> None:
    """Age bands in completed months, both ends inclusive: each low <= high, contiguous and
    ascending."""
    for i, band in enumerate(bands):
        if band["low_months"] > band["high_months"]:
            raise ReferenceDataError(shown, f"{key}[{i}].high_months", "is below low_months")
        if i and band["low_months"] != bands[i - 1]["high_months"] + 1:
            raise ReferenceDataError(
                shown, f"{key}[{i}].low_months", "bands must be contiguous and in ascending order"
            )
