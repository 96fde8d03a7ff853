"""One previous-day feeding recall as typed input, and the checks of its structure and types.

A :class:`Recall` is one 24-hour recall ("yesterday, during the day or night") typed against the
question bank ``reference_data/instruments/feeding-recall/`` (liquids, a China-adapted food list
mapped to the 8 food groups and to the sentinel unhealthy foods). Every answer is ``True``,
``False`` or ``None`` = "don't know", which is *missing*, never "no". Values (counts, ages,
contradictions) are checked, vectorised, by :func:`screening.feeding.frame.validate_frame`.

"Taken, number of times not known" is an answer of its own (shared/domain/screening.md 2): a
liquid or food ``Consumed(taken=True, times=None)``, and for the solid feeds
``solid_feeds=None`` with ``solid_feeds_taken=True`` (optional, ``None`` when not asked). It
counts as at least one feed (see :mod:`screening.feeding.indicators`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from screening import reference
from screening.errors import ScreeningInputError
from screening.reference import RecallBank


class MissingFieldError(ScreeningInputError, message_id="error.feeding.missing_field"):
    """A required field of the recall is absent (``field`` names it)."""


class UnknownRecallItemError(ScreeningInputError, message_id="error.feeding.unknown_item"):
    """A liquid or food id that the question bank does not have."""


class InvalidRecallValueError(ScreeningInputError, message_id="error.feeding.invalid_value"):
    """A value of the wrong type (an answer must be yes/no/don't know; times a whole number)."""


class ImpossibleRecallError(
    ScreeningInputError,
    message_id="error.feeding.impossible",
    reasons=(
        "negative",
        "more_than_possible_at_age",
        "more_than_possible",
        "times_for_item_not_taken",
        "taken_zero_times",
        "sweetened_but_not_taken",
        "zero_with_foods_eaten",
        "feeds_without_any_food",
        "some_without_food",
        "birth_answer_without_birth_questions",
        "never_breastfed",
    ),
):
    """Values that cannot all be true (negative times, 9 meals at 3 months, times for a food
    not eaten…); ``field`` names the first one, ``row`` the recall in a batch; one catalogue text
    per reason, ``error.feeding.impossible.<reason>``."""


class RecallAgeError(ScreeningInputError, message_id="error.feeding.age_out_of_range"):
    """The recall's age is outside 0-23 completed months."""


Answer = bool | None  # None: "don't know" (missing, not "no")
MAX_COUNT = 1000
"""The largest count taken as a number of times at all (the question bank's limits of
plausible feeds lie far below it, and a bigger number overflows the typed frame)."""


@dataclass(frozen=True)
class Consumed:
    """One liquid or food of the recall: taken yesterday?, how many times (milk feeds and
    yogurt only), sweetened? (for liquids that ask). ``times=None`` when taken is "don't know"
    or not asked."""

    taken: Answer
    times: int | None = None
    sweetened: Answer = None


@dataclass(frozen=True)
class BirthAnswers:
    """The three birth questions, asked once at the first recall."""

    ever_breastfed: Answer
    breastfed_within_1h: Answer
    only_breast_milk_first_2_days: Answer


BIRTH_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(BirthAnswers))
REQUIRED_FIELDS = (
    "age_days",
    "breastfed",
    "bottle_with_nipple",
    "liquids",
    "foods",
    "solid_feeds",
    "vitamin_d",
)
ITEM_ATTRIBUTES = ("taken", "times", "sweetened")  # the fields of Consumed


def item_specs(bank: RecallBank) -> dict[str, dict[str, tuple[bool, bool]]]:
    """Recall field (``liquids``/``foods``) → item id → (asked how many times?, asked whether
    sweetened?), in question-bank order."""
    return {
        "liquids": {q.id: (q.with_times, q.asks_sweetened) for q in bank.liquids},
        "foods": {f.id: (f.with_times, False) for f in bank.foods},
    }


def _check_ids(key: str, given: Mapping[str, Any], ids: Mapping[str, Any]) -> None:
    """No id that the bank lacks (the first in ``given`` order), none of the bank's missing."""
    for item_id in given:
        if item_id not in ids:
            raise UnknownRecallItemError(field=key, item=item_id)
    for item_id in ids:
        if item_id not in given:
            raise MissingFieldError(field=f"{key}.{item_id}")


@dataclass(frozen=True)
class Recall:
    """One previous-day recall of a child aged ``age_days`` on the recall day."""

    age_days: int
    breastfed: Answer
    bottle_with_nipple: Answer
    liquids: Mapping[str, Consumed] = field(hash=False)
    foods: Mapping[str, Consumed] = field(hash=False)
    solid_feeds: int | None
    vitamin_d: Answer
    birth: BirthAnswers | None = None
    solid_feeds_taken: Answer = None
    """Ate solid, semi-solid or soft food yesterday (``True`` with ``solid_feeds=None``: some,
    number of times not known); ``None`` when not asked or "don't know"."""

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], bank: RecallBank | None = None) -> Recall:
        """Build a recall from plain data (e.g. a JSON body), refusing missing fields, unknown
        ids and wrongly typed values with a specific error. Liquids and foods are mappings of
        id → ``{"taken": true|false|null, "times": n, "sweetened": …}``; every id of the
        question bank must be present. ``solid_feeds_taken`` is optional."""
        bank = bank or reference.recall_bank()
        for name in REQUIRED_FIELDS:
            if name not in data:
                raise MissingFieldError(field=name)
        birth = data.get("birth")
        if birth is not None:
            for name in BIRTH_FIELDS:
                if name not in birth:
                    raise MissingFieldError(field=f"birth.{name}")
            birth = BirthAnswers(*(birth[name] for name in BIRTH_FIELDS))
        items = {key: _items(data, key, ids) for key, ids in item_specs(bank).items()}
        recall = cls(
            age_days=data["age_days"],
            breastfed=data["breastfed"],
            bottle_with_nipple=data["bottle_with_nipple"],
            liquids=items["liquids"],
            foods=items["foods"],
            solid_feeds=data["solid_feeds"],
            vitamin_d=data["vitamin_d"],
            birth=birth,
            solid_feeds_taken=data.get("solid_feeds_taken"),
        )
        check_types(recall, bank)
        return recall


def _items(data: Mapping[str, Any], key: str, ids: Mapping[str, Any]) -> dict[str, Consumed]:
    """The ``key`` answers of plain data as :class:`Consumed`, in question-bank order."""
    given = data[key]
    if not isinstance(given, Mapping):
        raise InvalidRecallValueError(field=key, value=type(given).__name__)
    _check_ids(key, given, ids)
    out = {}
    for item_id in ids:
        entry = given[item_id]
        if not isinstance(entry, Mapping) or "taken" not in entry:
            raise MissingFieldError(field=f"{key}.{item_id}.taken")
        extra = set(entry) - set(ITEM_ATTRIBUTES)
        if extra:
            raise UnknownRecallItemError(field=f"{key}.{item_id}", item=sorted(extra)[0])
        out[item_id] = Consumed(entry["taken"], entry.get("times"), entry.get("sweetened"))
    return out


def _is_answer(value: Any) -> bool:
    return value is None or isinstance(value, bool)


def _is_count(value: Any) -> bool:
    """None, or a whole number within ±:data:`MAX_COUNT` (negatives are refused by the frame's
    value checks, with their own message)."""
    if value is None:
        return True
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_COUNT


def _check(ok: bool, name: str, value: Any) -> None:
    if not ok:
        raise InvalidRecallValueError(field=name, value=value)


def check_types(recall: Recall, bank: RecallBank) -> None:
    """Types and structure of a typed recall (values are checked, vectorised, by
    :func:`screening.feeding.frame.validate_frame`)."""
    age = recall.age_days
    _check(isinstance(age, int) and not isinstance(age, bool), "age_days", age)
    for name in ("breastfed", "bottle_with_nipple", "vitamin_d", "solid_feeds_taken"):
        _check(_is_answer(getattr(recall, name)), name, getattr(recall, name))
    _check(_is_count(recall.solid_feeds), "solid_feeds", recall.solid_feeds)
    for key, spec in item_specs(bank).items():
        given: Mapping[str, Consumed] = getattr(recall, key)
        _check_ids(key, given, spec)
        for item_id, (with_times, asks_sweetened) in spec.items():
            answer = given[item_id]
            where = f"{key}.{item_id}"
            _check(_is_answer(answer.taken), f"{where}.taken", answer.taken)
            _check(_is_count(answer.times), f"{where}.times", answer.times)
            _check(_is_answer(answer.sweetened), f"{where}.sweetened", answer.sweetened)
            if answer.times is not None and not with_times:
                raise UnknownRecallItemError(field=where, item="times")
            if answer.sweetened is not None and not asks_sweetened:
                raise UnknownRecallItemError(field=where, item="sweetened")
    if recall.birth is not None:
        for name in BIRTH_FIELDS:
            value = getattr(recall.birth, name)
            _check(_is_answer(value), f"birth.{name}", value)
