"""The feeding recall question bank (``reference_data/instruments/feeding-recall/<version>.yaml``,
schema ``childhealth/feeding-recall/1``): liquids, foods with their WHO food group, and the
limits of plausible answers.

Beyond the schema: unique ids over liquids and foods; milk feeds (formula, animal milk, yogurt
drink), and only they, are asked how many times; a liquid of each kind the indicators read
(formula, animal milk, yogurt drink, juice, sweet drink); only dairy foods (group 4) have times;
a sentinel unhealthy food counts in no group; every group 2-8 has a food; the
``max_solid_feeds`` limits ascend and reach 24 months.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from screening.reference.files import ReferenceDataError, Text, display, text

MILK_KINDS = ("formula", "animal_milk", "yogurt_drink")
NEEDED_KINDS = (*MILK_KINDS, "juice", "sweet_drink")
LIMITS_UNTIL_MONTHS = 24


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


def _check_items(shown: str, data: dict[str, Any]) -> None:
    ids: set[str] = set()
    for key in ("liquids", "foods"):
        for i, entry in enumerate(data[key]):
            if entry["id"] in ids:
                raise ReferenceDataError(shown, f"{key}[{i}].id", f"duplicate id {entry['id']!r}")
            ids.add(entry["id"])
    for i, liquid in enumerate(data["liquids"]):
        if (liquid["kind"] in MILK_KINDS) != liquid["with_times"]:
            raise ReferenceDataError(
                shown,
                f"liquids[{i}].with_times",
                "milk feeds (formula, animal milk, yogurt drink) and only they have times",
            )
    kinds = {liquid["kind"] for liquid in data["liquids"]}
    for needed in NEEDED_KINDS:
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


def _check_limits(shown: str, limits: list[dict[str, Any]]) -> None:
    for i in range(1, len(limits)):
        if limits[i]["below_months"] <= limits[i - 1]["below_months"]:
            raise ReferenceDataError(shown, f"max_solid_feeds[{i}].below_months", "must ascend")
    if limits[-1]["below_months"] < LIMITS_UNTIL_MONTHS:
        raise ReferenceDataError(
            shown, f"max_solid_feeds[{len(limits) - 1}].below_months", "must reach 24"
        )


def build_recall_bank(relative: str, data: dict[str, Any]) -> RecallBank:
    """A :class:`RecallBank` from a schema-valid file, after the checks a schema cannot say."""
    shown = display(relative)
    _check_items(shown, data)
    limits = data["max_solid_feeds"]
    _check_limits(shown, limits)
    return RecallBank(
        code=data["code"],
        version=data["version"],
        default=data.get("default", False),
        indicators_version=data["indicators_version"],
        liquids=tuple(
            LiquidSpec(q["id"], q["kind"], q["with_times"], q["asks_sweetened"], text(q["text"]))
            for q in data["liquids"]
        ),
        foods=tuple(
            FoodSpec(
                f["id"], f["group"], f["unhealthy"], f.get("with_times", False), text(f["text"])
            )
            for f in data["foods"]
        ),
        max_solid_feeds=tuple((x["below_months"], x["max"]) for x in limits),
        max_times_per_liquid=data["max_times_per_liquid"],
        file=shown,
    )
