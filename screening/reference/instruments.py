"""Developmental instrument files (``reference_data/instruments/<code>/<version>.yaml``, schema
``childhealth/instrument/1``): age bands of items, global questions and the scoring rule kind.

Beyond the schema: unique item and question ids; a question's flag is in the flag table and its
positive answer an answer value; contiguous bands; items of the polarity the rule reads
(``any_positive_refers``: warning signs, else milestones); a checklist age
(``any_not_yet_discuss``) has 4-16 items covering the four domains and 2-3 everyday activities
for the age (``activities``, parent checklists only); ``p1_months``,
``p99_months`` and ``refers`` on every item of a ``p99_window`` instrument, and only there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from screening.flags import RULES
from screening.reference.files import ReferenceDataError, Text, check_bands, display, text

CHECKLIST_DOMAINS = frozenset({"social_emotional", "language", "cognitive", "movement"})
CHECKLIST_ITEMS = (4, 16)  # items per checklist age, both inclusive
CHECKLIST_ACTIVITIES = (2, 3)  # everyday activities per checklist age, both inclusive
WINDOW_FIELDS = ("p1_months", "p99_months", "refers")


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
    activities: tuple[Text, ...] = ()  # things to do with a child of this age (checklists)

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


def _check_questions(shown: str, data: dict[str, Any], seen: set[str]) -> None:
    for qi, question in enumerate(data.get("global_questions", [])):
        where = f"global_questions[{qi}]"
        if question["id"] in seen:
            raise ReferenceDataError(shown, f"{where}.id", "duplicate id")
        seen.add(question["id"])
        if question["flag"] not in RULES:
            raise ReferenceDataError(shown, f"{where}.flag", "unknown flag code")
        if question["positive"] not in data["answer_values"]:
            raise ReferenceDataError(shown, f"{where}.positive", "not an answer value")


def _check_checklist_age(shown: str, bi: int, band: dict[str, Any]) -> None:
    items = band["items"]
    low, high = CHECKLIST_ITEMS
    if not low <= len(items) <= high:
        raise ReferenceDataError(shown, f"bands[{bi}].items", "a checklist age needs 4-16 items")
    low, high = CHECKLIST_ACTIVITIES
    if not low <= len(band.get("activities", [])) <= high:
        raise ReferenceDataError(
            shown, f"bands[{bi}].activities", "a checklist age needs 2-3 activities"
        )
    domains = {item["domain"] for item in items}
    if domains != CHECKLIST_DOMAINS:
        raise ReferenceDataError(
            shown, f"bands[{bi}].items", f"needs the four domains, has {sorted(domains)}"
        )


def _check_item(shown: str, where: str, item: dict[str, Any], kind: str, seen: set[str]) -> None:
    polarity = "warning_sign" if kind == "any_positive_refers" else "milestone"
    if item["id"] in seen:
        raise ReferenceDataError(shown, f"{where}.id", f"duplicate id {item['id']!r}")
    seen.add(item["id"])
    if item["polarity"] != polarity:
        raise ReferenceDataError(shown, f"{where}.polarity", f"must be {polarity} for rule {kind}")
    window = [k for k in WINDOW_FIELDS if k in item]
    if kind != "p99_window":
        if window:
            raise ReferenceDataError(shown, f"{where}.{window[0]}", "only for rule p99_window")
        return
    if len(window) != len(WINDOW_FIELDS):
        raise ReferenceDataError(
            shown, f"{where}.p99_months", "p1_months, p99_months and refers are required"
        )
    if item["p1_months"] >= item["p99_months"]:
        raise ReferenceDataError(shown, f"{where}.p99_months", "must be above p1_months")


def _item(i: dict[str, Any]) -> Item:
    return Item(
        id=i["id"],
        domain=i["domain"],
        polarity=i["polarity"],
        text=text(i["text"]),
        p1_months=i.get("p1_months"),
        p99_months=i.get("p99_months"),
        refers=i.get("refers"),
    )


def _band(b: dict[str, Any]) -> Band:
    return Band(
        id=b["id"],
        nominal=b["nominal"],
        low_months=b["low_months"],
        high_months=b["high_months"],
        reminders=tuple(b.get("reminders", [])),
        items=tuple(_item(i) for i in b["items"]),
        activities=tuple(text(a) for a in b.get("activities", [])),
    )


def build_instrument(relative: str, data: dict[str, Any]) -> Instrument:
    """An :class:`Instrument` from a schema-valid file, after the checks a schema cannot say."""
    shown = display(relative)
    kind = data["rule"]["kind"]
    check_bands(shown, data["bands"])
    seen: set[str] = set()
    _check_questions(shown, data, seen)
    for bi, band in enumerate(data["bands"]):
        if kind == "any_not_yet_discuss":
            _check_checklist_age(shown, bi, band)
        elif "activities" in band:
            raise ReferenceDataError(
                shown, f"bands[{bi}].activities", "only for rule any_not_yet_discuss"
            )
        for ii, item in enumerate(band["items"]):
            _check_item(shown, f"bands[{bi}].items[{ii}]", item, kind, seen)
    return Instrument(
        code=data["code"],
        version=data["version"],
        effective_date=data["effective_date"],
        default=data.get("default", False),
        name=text(data["name"]),
        publisher=data["publisher"],
        licence=data["licence"],
        basis=data["basis"],
        rule_kind=kind,
        rule_version=data["rule"]["version"],
        answer_values=tuple(data["answer_values"]),
        preterm_below_weeks=float(data["corrected_age"]["preterm_below_weeks"]),
        corrected_until_months=int(data["corrected_age"]["until_months"]),
        global_questions=tuple(
            GlobalQuestion(q["id"], q["kind"], q["positive"], q["flag"], text(q["text"]))
            for q in data.get("global_questions", [])
        ),
        bands=tuple(_band(b) for b in data["bands"]),
        file=shown,
    )
