"""Small-count suppression: which counts of a set of related rows may be shown.

The rule of coverage.md §5, itself the common small-cell practice of health statistics offices
(a threshold on counts of people, then complementary, or secondary, suppression so that no
hidden cell follows from the published ones by subtraction; e.g. the cell-suppression rules of
national statistics institutes and health information offices for tables of small areas).
:data:`SMALL_COUNT` is the threshold (5); callers may pass another.

A row has three counts: the numerator ``n``, the denominator ``d`` and the gap in children to
the target ``g = max(0, ⌈target × d⌉ − n)``; the rate is ``n / d``.

1. **Primary.** A count from 1 to ``threshold − 1`` (1–4 children) is hidden. A zero is shown:
   it singles out no child, and a target met has gap 0.
2. **Within a row.** A hidden ``d`` hides ``n`` (``n ≤ d``, and "0 of 1–4" describes each of
   those children); a hidden ``g`` hides ``n`` (else ``n`` and ``d`` give ``g`` back); a
   hidden ``n`` hides ``g``. So ``g`` is hidden exactly when ``n`` is, and the rate, its
   interval and whether the target is met are hidden when ``n`` or ``d`` is.
3. **Complementary.** A :class:`Relation` says that a total row's ``n`` (and its ``d``) is the
   sum of its parts' plus an unpublished rest ``r ≥ 0`` (the children no part counts). For ``n``
   and ``d`` separately, in every relation: when the total is shown, the hidden parts other
   than any one hidden part must hold at least one child (so total − shown parts − ``r`` never
   gives a hidden part, even to someone who knows ``r``); when the total is hidden, the hidden
   parts must hold at least one child (so the shown parts and ``r`` never give the total).
   Where that fails, the smallest shown part holding at least one child is hidden too (ties:
   the first in the relation's order; coverage.md: "the next smallest"); with no such part, an
   unpublished rest of at least one child is what protects; with no rest either, the total is
   hidden. Every step hides one more count, so the repair ends; a count hidden in one relation
   is hidden in every relation it belongs to, so linked tables (a tree of areas, a year of
   quarters and months) are repaired together.

Rows in ``fixed`` keep a decision taken elsewhere (e.g. an area's totals, decided once over the
whole area tree) and are never changed; the repair then works on the other rows only.

What this does not cover: counts combined across relations by linear algebra beyond one
subtraction (rare in one-level tables and hierarchies with this repair), and the same period
asked on two days (new records between the two answers).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, Literal, TypeVar

SMALL_COUNT = 5
"""Counts from 1 to ``SMALL_COUNT − 1`` children are hidden (coverage.md §5)."""
MARK = "<5"
"""How a hidden count is written in the CSV exports (pages take the catalogue's words)."""

K = TypeVar("K", bound=Hashable)
Count = Literal["numerator", "denominator"]
COUNTS: tuple[Count, Count] = ("numerator", "denominator")


@dataclass(frozen=True)
class Counts:
    """The three counts of a row, in children."""

    numerator: int
    denominator: int
    gap: int


@dataclass(frozen=True)
class Hidden:
    """Which counts of a row are hidden; the gap goes with the numerator (rule 2)."""

    numerator: bool = False
    denominator: bool = False

    @property
    def gap(self) -> bool:
        """The gap is hidden exactly when the numerator is."""
        return self.numerator

    @property
    def any(self) -> bool:
        """Whether any count of the row is hidden (then so are the rate and its interval)."""
        return self.numerator or self.denominator


SHOWN = Hidden()


@dataclass(frozen=True)
class Relation(Generic[K]):
    """``total``'s counts = the sum of ``parts``' counts + an unpublished rest ≥ 0."""

    total: K
    parts: tuple[K, ...]


def _small(count: int, threshold: int) -> bool:
    return 0 < count < threshold


def suppress(
    rows: Mapping[K, Counts],
    relations: Iterable[Relation[K]],
    *,
    fixed: Mapping[K, Hidden] | None = None,
    threshold: int = SMALL_COUNT,
) -> dict[K, Hidden]:
    """The :class:`Hidden` decision of every row of ``rows`` under rules 1–3 (module docstring).

    Every key of a relation must be a key of ``rows``; ``fixed`` rows keep their decision.
    Deterministic: the same rows and relations in the same order give the same decisions.
    """
    fixed = dict(fixed or {})
    rels = list(relations)
    hidden: dict[Count, set[K]] = {"numerator": set(), "denominator": set()}
    for key, counts in rows.items():
        if key in fixed:
            if fixed[key].numerator:
                hidden["numerator"].add(key)
            if fixed[key].denominator:
                hidden["denominator"].add(key)
            continue
        if _small(counts.denominator, threshold):
            hidden["denominator"].add(key)
            hidden["numerator"].add(key)
        if _small(counts.numerator, threshold) or _small(counts.gap, threshold):
            hidden["numerator"].add(key)
    member: dict[K, list[int]] = {}
    for index, rel in enumerate(rels):
        for key in (rel.total, *rel.parts):
            member.setdefault(key, []).append(index)
    rest_protects: set[tuple[int, Count]] = set()
    queue = deque((index, count) for index in range(len(rels)) for count in COUNTS)
    waiting = set(queue)
    while queue:
        item = queue.popleft()
        waiting.discard(item)
        index, count = item
        changed = _repair(rels[index], count, rows, hidden, fixed, rest_protects, index)
        for key, counts_changed in changed:
            for other in member.get(key, ()):
                for c in counts_changed:
                    if (other, c) not in waiting:
                        waiting.add((other, c))
                        queue.append((other, c))
    return {key: Hidden(key in hidden["numerator"], key in hidden["denominator"]) for key in rows}


def _protected(
    rel: Relation[K], count: Count, rows: Mapping[K, Counts], hidden_keys: set[K], rest: int
) -> bool:
    """Rule 3 for one relation and one count; ``rest`` is the protecting rest (0 if none)."""
    values = [getattr(rows[p], count) for p in rel.parts if p in hidden_keys]
    mass = sum(values) + rest
    if rel.total in hidden_keys:
        return mass > 0
    return not values or mass - max(values) > 0


def _repair(
    rel: Relation[K],
    count: Count,
    rows: Mapping[K, Counts],
    hidden: dict[Count, set[K]],
    fixed: Mapping[K, Hidden],
    rest_protects: set[tuple[int, Count]],
    index: int,
) -> list[tuple[K, tuple[Count, ...]]]:
    """Hide what rule 3 asks for in ``rel`` (one step); the rows changed and their counts."""
    keys = hidden[count]
    rest = getattr(rows[rel.total], count) - sum(getattr(rows[p], count) for p in rel.parts)
    rest = max(0, rest)
    protecting = rest if (index, count) in rest_protects else 0
    if _protected(rel, count, rows, keys, protecting):
        return []
    candidates = [
        (getattr(rows[p], count), position, p)
        for position, p in enumerate(rel.parts)
        if p not in keys and p not in fixed and getattr(rows[p], count) > 0
    ]
    if candidates:
        chosen = min(candidates, key=lambda c: (c[0], c[1]))[2]
        return [(chosen, _hide(chosen, count, hidden))]
    if rest > 0 and not protecting:
        rest_protects.add((index, count))
        return []
    if rel.total not in keys and rel.total not in fixed:
        return [(rel.total, _hide(rel.total, count, hidden))]
    return []  # nothing left to hide (cannot happen with counts that add up; see the tests)


def _hide(key: K, count: Count, hidden: dict[Count, set[K]]) -> tuple[Count, ...]:
    """Hide ``count`` of ``key`` (a denominator takes the numerator with it, rule 2)."""
    hidden[count].add(key)
    if count == "denominator" and key not in hidden["numerator"]:
        hidden["numerator"].add(key)
        return ("denominator", "numerator")
    return (count,)
