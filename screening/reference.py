"""Loader of the screening data of record: instruments, cut-off tables, the feeding question bank
and the message catalogue, all under ``reference_data/`` and all validated when loaded.

Every file is checked against its JSON Schema (``reference_data/instruments/schemas/``) and then
against the rules a schema cannot say (unique item ids, contiguous age bands, one default version
per code, 4-16 items per checklist age, the same placeholders in zh-CN and en…). A broken file
raises :class:`ReferenceDataError` naming the file and the field. Call :func:`load_all` once at
start-up; afterwards every accessor returns the cached, immutable objects.

Ages in the files are **completed months**, both ends of a band inclusive.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.abc import Traversable
from types import MappingProxyType
from typing import Any

import jsonschema
import yaml

import reference_data
from screening.errors import ScreeningInputError
from screening.flags import RULES

INSTRUMENTS_DIR = "instruments"
MESSAGES_FILE = "messages/screening.yaml"
_SCHEMA_FILES = {
    "childhealth/instrument/1": "instruments/schemas/instrument.schema.json",
    "childhealth/hb-cutoffs/1": "instruments/schemas/hb-cutoffs.schema.json",
    "childhealth/feeding-recall/1": "instruments/schemas/feeding-recall.schema.json",
    "childhealth/messages/1": "messages/messages.schema.json",
}
_CHECKLIST_DOMAINS = {"social_emotional", "language", "cognitive", "movement"}


class UnknownVersionError(ScreeningInputError):
    """A table, instrument or question bank asked for by a code or version that does not exist."""

    message_id = "error.reference.unknown_version"


class ReferenceDataError(Exception):
    """A data file of record is broken: ``file`` (path under the repository) and ``field`` (a
    dotted path such as ``bands[3].items[0].text.en``) say where, ``reason`` what."""

    def __init__(self, file: str, field: str, reason: str) -> None:
        self.file = file
        self.field = field
        self.reason = reason
        super().__init__(f"{file}: field '{field}': {reason}")


# --------------------------------------------------------------------------------------------
# Immutable views of the files


@dataclass(frozen=True)
class Text:
    zh_cn: str
    en: str

    def get(self, lang: str) -> str:
        return self.zh_cn if lang == "zh-CN" else self.en


@dataclass(frozen=True)
class Item:
    """One question; ``id`` is stable and usable as a FHIR ``linkId``."""

    id: str
    domain: str
    polarity: str  # "warning_sign": "yes" is bad; "milestone": "not yet" is bad
    text: Text
    p1_months: float | None = None
    p99_months: float | None = None
    refers: bool | None = None


@dataclass(frozen=True)
class GlobalQuestion:
    id: str
    kind: str  # "regression" or "parent_concern"
    positive: str
    flag: str
    text: Text


@dataclass(frozen=True)
class Band:
    id: str
    nominal: str
    low_months: int
    high_months: int
    items: tuple[Item, ...]
    reminders: tuple[str, ...] = ()

    def contains(self, completed_months: int) -> bool:
        return self.low_months <= completed_months <= self.high_months


@dataclass(frozen=True)
class Instrument:
    code: str
    version: str
    effective_date: str
    default: bool
    name: Text
    publisher: str
    licence: str
    basis: str
    rule_kind: str
    rule_version: str
    answer_values: tuple[str, ...]
    preterm_below_weeks: float
    corrected_until_months: int
    global_questions: tuple[GlobalQuestion, ...]
    bands: tuple[Band, ...]
    file: str

    def band(self, band_id: str) -> Band | None:
        return next((b for b in self.bands if b.id == band_id), None)

    def band_of_item(self, item_id: str) -> Band | None:
        return next((b for b in self.bands if any(i.id == item_id for i in b.items)), None)


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


@dataclass(frozen=True)
class LiquidSpec:
    id: str
    kind: str
    with_times: bool
    asks_sweetened: bool
    text: Text


@dataclass(frozen=True)
class FoodSpec:
    id: str
    group: int | None  # WHO/UNICEF 2021 food group 2-8, None when it counts in no group
    unhealthy: bool  # a sentinel unhealthy food (UFC)
    with_times: bool  # asked with a number of times (yogurt: a milk feed)
    text: Text


@dataclass(frozen=True)
class RecallBank:
    code: str
    version: str
    default: bool
    indicators_version: str
    liquids: tuple[LiquidSpec, ...]
    foods: tuple[FoodSpec, ...]
    max_solid_feeds: tuple[tuple[int, int], ...]  # (below completed months, max feeds)
    max_times_per_liquid: int
    file: str

    def max_solid_feeds_at(self, completed_months: int) -> int:
        for below, most in self.max_solid_feeds:
            if completed_months < below:
                return most
        return self.max_solid_feeds[-1][1]


@dataclass(frozen=True)
class ReferenceData:
    instruments: Mapping[tuple[str, str], Instrument]
    hb_tables: Mapping[str, HbTable]
    recall_banks: Mapping[str, RecallBank]
    messages: Mapping[str, Mapping[str, str]]
    messages_version: str


# --------------------------------------------------------------------------------------------
# Reading and schema validation


def _display(relative: str) -> str:
    return f"reference_data/{relative}"


def _field(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


@cache
def _schema(schema_id: str) -> dict[str, Any]:
    return json.loads(reference_data.read_bytes(_SCHEMA_FILES[schema_id]).decode("utf-8"))


def _read_yaml(relative: str) -> dict[str, Any]:
    shown = _display(relative)
    try:
        data = yaml.safe_load(reference_data.read_bytes(relative).decode("utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(yaml)"
        raise ReferenceDataError(shown, where, f"not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ReferenceDataError(shown, "(top level)", "must be a mapping")
    schema_id = data.get("schema")
    if schema_id not in _SCHEMA_FILES:
        raise ReferenceDataError(shown, "schema", f"unknown schema {schema_id!r}")
    _validate(shown, data, _schema(schema_id))
    return data


def _validate(shown: str, data: Any, schema: dict[str, Any]) -> None:
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


def _text(data: Mapping[str, str]) -> Text:
    return Text(zh_cn=data["zh-CN"], en=data["en"])


def _files(kind_dir: Traversable, relative: str) -> Iterator[str]:
    for child in sorted(kind_dir.iterdir(), key=lambda t: t.name):
        if child.is_dir() and child.name != "schemas":
            for f in sorted(child.iterdir(), key=lambda t: t.name):
                if f.name.endswith((".yaml", ".yml")):
                    yield f"{relative}/{child.name}/{f.name}"


# --------------------------------------------------------------------------------------------
# Semantic checks and construction


def _check_bands(shown: str, bands: list[dict[str, Any]], key: str = "bands") -> None:
    for i, band in enumerate(bands):
        if band["low_months"] > band["high_months"]:
            raise ReferenceDataError(shown, f"{key}[{i}].high_months", "is below low_months")
        if i and band["low_months"] != bands[i - 1]["high_months"] + 1:
            raise ReferenceDataError(
                shown, f"{key}[{i}].low_months", "bands must be contiguous and in ascending order"
            )


def _instrument(relative: str, data: dict[str, Any]) -> Instrument:
    shown = _display(relative)
    kind = data["rule"]["kind"]
    _check_bands(shown, data["bands"])
    seen: set[str] = set()
    for qi, question in enumerate(data.get("global_questions", [])):
        if question["id"] in seen:
            raise ReferenceDataError(shown, f"global_questions[{qi}].id", "duplicate id")
        seen.add(question["id"])
        if question["flag"] not in RULES:
            raise ReferenceDataError(shown, f"global_questions[{qi}].flag", "unknown flag code")
        if question["positive"] not in data["answer_values"]:
            raise ReferenceDataError(
                shown, f"global_questions[{qi}].positive", "not an answer value"
            )
    polarity = "warning_sign" if kind == "any_positive_refers" else "milestone"
    for bi, band in enumerate(data["bands"]):
        items = band["items"]
        if kind == "any_not_yet_discuss":
            if not 4 <= len(items) <= 16:
                raise ReferenceDataError(
                    shown, f"bands[{bi}].items", "a checklist age needs 4-16 items"
                )
            domains = {item["domain"] for item in items}
            if domains != _CHECKLIST_DOMAINS:
                raise ReferenceDataError(
                    shown, f"bands[{bi}].items", f"needs the four domains, has {sorted(domains)}"
                )
        for ii, item in enumerate(items):
            where = f"bands[{bi}].items[{ii}]"
            if item["id"] in seen:
                raise ReferenceDataError(shown, f"{where}.id", f"duplicate id {item['id']!r}")
            seen.add(item["id"])
            if item["polarity"] != polarity:
                raise ReferenceDataError(
                    shown, f"{where}.polarity", f"must be {polarity} for rule {kind}"
                )
            window = [k for k in ("p1_months", "p99_months", "refers") if k in item]
            if kind == "p99_window":
                if len(window) != 3:
                    raise ReferenceDataError(
                        shown,
                        f"{where}.p99_months",
                        "p1_months, p99_months and refers are required",
                    )
                if item["p1_months"] >= item["p99_months"]:
                    raise ReferenceDataError(
                        shown, f"{where}.p99_months", "must be above p1_months"
                    )
            elif window:
                raise ReferenceDataError(shown, f"{where}.{window[0]}", "only for rule p99_window")
    return Instrument(
        code=data["code"],
        version=data["version"],
        effective_date=data["effective_date"],
        default=data.get("default", False),
        name=_text(data["name"]),
        publisher=data["publisher"],
        licence=data["licence"],
        basis=data["basis"],
        rule_kind=kind,
        rule_version=data["rule"]["version"],
        answer_values=tuple(data["answer_values"]),
        preterm_below_weeks=float(data["corrected_age"]["preterm_below_weeks"]),
        corrected_until_months=int(data["corrected_age"]["until_months"]),
        global_questions=tuple(
            GlobalQuestion(q["id"], q["kind"], q["positive"], q["flag"], _text(q["text"]))
            for q in data.get("global_questions", [])
        ),
        bands=tuple(
            Band(
                id=b["id"],
                nominal=b["nominal"],
                low_months=b["low_months"],
                high_months=b["high_months"],
                reminders=tuple(b.get("reminders", [])),
                items=tuple(
                    Item(
                        id=i["id"],
                        domain=i["domain"],
                        polarity=i["polarity"],
                        text=_text(i["text"]),
                        p1_months=i.get("p1_months"),
                        p99_months=i.get("p99_months"),
                        refers=i.get("refers"),
                    )
                    for i in b["items"]
                ),
            )
            for b in data["bands"]
        ),
        file=shown,
    )


def _hb_table(relative: str, data: dict[str, Any]) -> HbTable:
    shown = _display(relative)
    _check_bands(shown, data["bands"])
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


def _recall_bank(relative: str, data: dict[str, Any]) -> RecallBank:
    shown = _display(relative)
    ids: set[str] = set()
    for key in ("liquids", "foods"):
        for i, entry in enumerate(data[key]):
            if entry["id"] in ids:
                raise ReferenceDataError(shown, f"{key}[{i}].id", f"duplicate id {entry['id']!r}")
            ids.add(entry["id"])
    kinds = [liquid["kind"] for liquid in data["liquids"]]
    for i, liquid in enumerate(data["liquids"]):
        milk = liquid["kind"] in ("formula", "animal_milk", "yogurt_drink")
        if milk != liquid["with_times"]:
            raise ReferenceDataError(
                shown,
                f"liquids[{i}].with_times",
                "milk feeds (formula, animal milk, yogurt drink) and only they have times",
            )
    for needed in ("formula", "animal_milk", "yogurt_drink", "juice", "sweet_drink"):
        if needed not in kinds:
            raise ReferenceDataError(shown, "liquids", f"needs a liquid of kind {needed!r}")
    for i, food in enumerate(data["foods"]):
        if food.get("with_times") and food["group"] != 4:
            raise ReferenceDataError(
                shown, f"foods[{i}].with_times", "only dairy foods (milk feeds) have times"
            )
        if food["unhealthy"] and food["group"] is not None:
            raise ReferenceDataError(
                shown, f"foods[{i}].group", "a sentinel unhealthy food counts in no group"
            )
    groups = {food["group"] for food in data["foods"]}
    for group in range(2, 9):
        if group not in groups:
            raise ReferenceDataError(shown, "foods", f"no food maps to group {group}")
    limits = data["max_solid_feeds"]
    for i in range(1, len(limits)):
        if limits[i]["below_months"] <= limits[i - 1]["below_months"]:
            raise ReferenceDataError(shown, f"max_solid_feeds[{i}].below_months", "must ascend")
    if limits[-1]["below_months"] < 24:
        raise ReferenceDataError(
            shown, f"max_solid_feeds[{len(limits) - 1}].below_months", "must reach 24"
        )
    return RecallBank(
        code=data["code"],
        version=data["version"],
        default=data.get("default", False),
        indicators_version=data["indicators_version"],
        liquids=tuple(
            LiquidSpec(q["id"], q["kind"], q["with_times"], q["asks_sweetened"], _text(q["text"]))
            for q in data["liquids"]
        ),
        foods=tuple(
            FoodSpec(
                f["id"], f["group"], f["unhealthy"], f.get("with_times", False), _text(f["text"])
            )
            for f in data["foods"]
        ),
        max_solid_feeds=tuple((x["below_months"], x["max"]) for x in limits),
        max_times_per_liquid=data["max_times_per_liquid"],
        file=shown,
    )


_PLACEHOLDER = string.Formatter()


def placeholders(template: str) -> frozenset[str]:
    """The ``{names}`` a message template uses."""
    return frozenset(name for _, name, _, _ in _PLACEHOLDER.parse(template) if name)


def _messages() -> tuple[str, Mapping[str, Mapping[str, str]]]:
    data = _read_yaml(MESSAGES_FILE)
    shown = _display(MESSAGES_FILE)
    for message_id, texts in data["messages"].items():
        try:
            names = {lang: placeholders(texts[lang]) for lang in ("zh-CN", "en")}
        except ValueError as exc:
            raise ReferenceDataError(
                shown, f"messages.{message_id}", f"bad template: {exc}"
            ) from exc
        if names["zh-CN"] != names["en"]:
            raise ReferenceDataError(
                shown,
                f"messages.{message_id}",
                f"placeholders differ: zh-CN {sorted(names['zh-CN'])}, en {sorted(names['en'])}",
            )
    frozen = {k: MappingProxyType(dict(v)) for k, v in data["messages"].items()}
    return data["version"], MappingProxyType(frozen)


_BUILDERS = {
    "childhealth/instrument/1": "instrument",
    "childhealth/hb-cutoffs/1": "hb",
    "childhealth/feeding-recall/1": "recall",
}


def _one_default(kind: str, entries: list[tuple[str, bool, str]]) -> None:
    """entries: (code, default, file) — exactly one default version per code."""
    by_code: dict[str, list[tuple[bool, str]]] = {}
    for code, default, file in entries:
        by_code.setdefault(code, []).append((default, file))
    for code, versions in by_code.items():
        defaults = [file for default, file in versions if default]
        if len(defaults) != 1:
            raise ReferenceDataError(
                versions[-1][1],
                "default",
                f"{kind} {code!r} needs exactly one default version, has {len(defaults)}",
            )


@cache
def load_all() -> ReferenceData:
    """Read and validate every screening data file; raise :class:`ReferenceDataError` on the
    first broken one. Cached: the files are read once per process."""
    instruments: dict[tuple[str, str], Instrument] = {}
    hb_tables: dict[str, HbTable] = {}
    banks: dict[str, RecallBank] = {}
    root = reference_data.resource(INSTRUMENTS_DIR)
    for relative in _files(root, INSTRUMENTS_DIR):
        data = _read_yaml(relative)
        kind = _BUILDERS.get(data["schema"])
        if kind == "instrument":
            inst = _instrument(relative, data)
            if (inst.code, inst.version) in instruments:
                raise ReferenceDataError(inst.file, "version", "duplicate version")
            instruments[(inst.code, inst.version)] = inst
        elif kind == "hb":
            table = _hb_table(relative, data)
            if table.version in hb_tables:
                raise ReferenceDataError(table.file, "version", "duplicate version")
            hb_tables[table.version] = table
        elif kind == "recall":
            bank = _recall_bank(relative, data)
            banks[bank.version] = bank
        else:
            raise ReferenceDataError(_display(relative), "schema", "not an instrument data file")
    _one_default("instrument", [(i.code, i.default, i.file) for i in instruments.values()])
    _one_default(
        "haemoglobin table", [("hb-cutoffs", t.default, t.file) for t in hb_tables.values()]
    )
    _one_default("recall bank", [(b.code, b.default, b.file) for b in banks.values()])
    version, messages = _messages()
    return ReferenceData(
        instruments=MappingProxyType(instruments),
        hb_tables=MappingProxyType(hb_tables),
        recall_banks=MappingProxyType(banks),
        messages=messages,
        messages_version=version,
    )


def instrument(code: str, version: str | None = None) -> Instrument:
    """The instrument ``code`` at ``version`` (default: the version marked default)."""
    data = load_all()
    if version is None:
        found = [i for (c, _), i in data.instruments.items() if c == code and i.default]
    else:
        found = [i for (c, v), i in data.instruments.items() if c == code and v == version]
    if not found:
        known = ", ".join(sorted(v for c, v in data.instruments if c == code)) or "-"
        raise UnknownVersionError(table=code, version=version or "default", known=known)
    return found[0]


def hb_table(version: str | None = None) -> HbTable:
    """The haemoglobin cut-off table ``version`` (default: the one marked default)."""
    tables = load_all().hb_tables
    if version is None:
        return next(t for t in tables.values() if t.default)
    if version not in tables:
        raise UnknownVersionError(
            table="hb-cutoffs", version=version, known=", ".join(sorted(tables))
        )
    return tables[version]


def recall_bank(version: str | None = None) -> RecallBank:
    """The feeding question bank ``version`` (default: the one marked default)."""
    banks = load_all().recall_banks
    if version is None:
        return next(b for b in banks.values() if b.default)
    if version not in banks:
        raise UnknownVersionError(
            table="feeding-recall", version=version, known=", ".join(sorted(banks))
        )
    return banks[version]
