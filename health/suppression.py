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

import numpy as np

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

    Work: the repair visits (relation, count) pairs from a queue, a pair again whenever a row it
    holds gets a count hidden. Rows are numbered once (the repair hashes no key) and the
    structure is built with numpy in flat arrays (few Python objects: little garbage-collector
    work on large tables). Each relation keeps, per count, the sum, number and largest of its
    hidden parts' counts, which only grow (a hidden count stays hidden), and, built when first
    needed, its candidate parts sorted by (count, position), read from a cursor that only moves
    forward. A step then costs O(1) amortised instead of a rescan of the relation's parts; the
    steps are those of the plain rescan, in the same order (tests/health/
    test_suppression_speed.py holds the two equal on random tables).
    """
    fixed = dict(fixed or {})
    rels = list(relations)
    keys = list(rows)
    return _repair(keys, list(rows.values()), rels, fixed, threshold)


_DECISIONS = {
    (n, d): Hidden(numerator=n, denominator=d) for n in (False, True) for d in (False, True)
}  # the four decisions, shared (frozen)


def _grouped(
    row: np.ndarray, rel: np.ndarray, n_rows: int
) -> tuple[list[int], list[int], list[int]]:
    """Per row, its distinct relations in increasing order (flat), how often the row is in each,
    and each row's first index into the flat lists (``n_rows + 1`` offsets)."""
    order = np.lexsort((rel, row))
    row, rel = row[order], rel[order]
    first = np.ones(len(row), dtype=bool)
    first[1:] = (row[1:] != row[:-1]) | (rel[1:] != rel[:-1])
    starts = np.flatnonzero(first)
    times = np.diff(np.append(starts, len(row)))
    offsets = np.zeros(n_rows + 1, dtype=np.int64)
    np.cumsum(np.bincount(row[starts], minlength=n_rows), out=offsets[1:])
    return rel[starts].tolist(), times.tolist(), offsets.tolist()


def _repair(
    keys: list[K],
    values: list[Counts],
    rels: list[Relation[K]],
    fixed: dict[K, Hidden],
    threshold: int,
) -> dict[K, Hidden]:
    """:func:`suppress` on rows numbered 0 … n−1 (their order in ``rows``); count 0 is the
    numerator, 1 the denominator (the order of :data:`COUNTS`)."""
    n_rows, n_rels = len(keys), len(rels)
    number = {key: i for i, key in enumerate(keys)}
    num = np.fromiter((c.numerator for c in values), dtype=np.int64, count=n_rows)
    den = np.fromiter((c.denominator for c in values), dtype=np.int64, count=n_rows)
    gap = np.fromiter((c.gap for c in values), dtype=np.int64, count=n_rows)
    is_fixed = np.fromiter((key in fixed for key in keys), dtype=bool, count=n_rows)
    fixed_n = np.zeros(n_rows, dtype=bool)
    fixed_d = np.zeros(n_rows, dtype=bool)
    for key, decision in fixed.items():
        if key in number:
            fixed_n[number[key]] = decision.numerator
            fixed_d[number[key]] = decision.denominator
    # the relations, flat: part j of relation r is flat[start[r] + j]
    totals = np.fromiter((number[rel.total] for rel in rels), dtype=np.int64, count=n_rels)
    sizes = np.fromiter((len(rel.parts) for rel in rels), dtype=np.int64, count=n_rels)
    flat_np = np.fromiter(
        (number[p] for rel in rels for p in rel.parts), dtype=np.int64, count=int(sizes.sum())
    )
    hid_n_out, hid_d_out = suppress_numbered(
        num, den, gap, totals, sizes, flat_np, threshold=threshold,
        fixed=(is_fixed, fixed_n, fixed_d),
    )  # fmt: skip
    return {key: _DECISIONS[(bool(hid_n_out[i]), bool(hid_d_out[i]))] for i, key in enumerate(keys)}


def suppress_numbered(
    num: np.ndarray,
    den: np.ndarray,
    gap: np.ndarray,
    totals: np.ndarray,
    sizes: np.ndarray,
    flat_np: np.ndarray,
    *,
    threshold: int = SMALL_COUNT,
    fixed: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> tuple[bytearray, bytearray]:
    """:func:`suppress` on rows numbered 0 … n−1 given as arrays (numerators, denominators,
    gaps) and relations as arrays: relation ``r`` has total row ``totals[r]`` and parts
    ``flat_np[start[r] : start[r] + sizes[r]]`` (``start`` the running sum of ``sizes``), in
    the order of :func:`suppress`'s relations; ``fixed`` = (which rows are fixed, their hidden
    numerator, their hidden denominator). Returns per row whether its numerator and its
    denominator are hidden (1) or not (0). The same decisions as :func:`suppress`."""
    n_rows, n_rels = len(num), len(totals)
    is_fixed, fixed_n, fixed_d = (
        fixed
        if fixed is not None
        else (np.zeros(n_rows, dtype=bool), np.zeros(n_rows, dtype=bool),
              np.zeros(n_rows, dtype=bool))
    )  # fmt: skip
    # rules 1 and 2: primary suppression, a hidden denominator hides the numerator
    hid_d = (den > 0) & (den < threshold)
    hid_n = hid_d | ((num > 0) & (num < threshold)) | ((gap > 0) & (gap < threshold))
    hid_d = np.where(is_fixed, fixed_d, hid_d)
    hid_n = np.where(is_fixed, fixed_n, hid_n)
    hidden = (
        bytearray(hid_n.astype(np.uint8).tobytes()),
        bytearray(hid_d.astype(np.uint8).tobytes()),
    )
    fixed_of = bytearray(is_fixed.astype(np.uint8).tobytes())
    owner = np.repeat(np.arange(n_rels, dtype=np.int64), sizes)
    start = np.zeros(n_rels + 1, dtype=np.int64)
    np.cumsum(sizes, out=start[1:])
    # a row's relations (as total or part: the rows to revisit) and those it is a part of
    member, _, member_at = _grouped(
        np.concatenate((totals, flat_np)), np.concatenate((np.arange(n_rels), owner)), n_rows
    )
    part_of, part_times, part_at = _grouped(flat_np, owner, n_rows)
    value: list[list[int]] = []
    rest: list[list[int]] = []
    hsum: list[list[int]] = []
    hcount: list[list[int]] = []
    hmax: list[list[int]] = []
    for val, hid in ((num, hid_n), (den, hid_d)):
        of_parts = val[flat_np]
        sums = np.zeros(n_rels, dtype=np.int64)
        np.add.at(sums, owner, of_parts)
        shut = hid[flat_np]
        s = np.zeros(n_rels, dtype=np.int64)
        np.add.at(s, owner[shut], of_parts[shut])
        m = np.full(n_rels, np.iinfo(np.int64).min, dtype=np.int64)
        np.maximum.at(m, owner[shut], of_parts[shut])
        cnt = np.bincount(owner[shut], minlength=n_rels)
        m[cnt == 0] = 0
        value.append(val.tolist())
        rest.append(np.maximum(0, val[totals] - sums).tolist())
        hsum.append(s.tolist())
        hcount.append(cnt.tolist())
        hmax.append(m.tolist())
    total = totals.tolist()
    flat = flat_np.tolist()
    first = start.tolist()
    rest_protects = (bytearray(n_rels), bytearray(n_rels))
    candidates: list[dict[int, list[int]]] = [{}, {}]
    cursor: list[dict[int, int]] = [{}, {}]

    def mark(i: int, c: int) -> None:
        hidden[c][i] = 1
        v, s, n, m = value[c][i], hsum[c], hcount[c], hmax[c]
        for j in range(part_at[i], part_at[i + 1]):
            r, times = part_of[j], part_times[j]
            s[r] += v * times
            m[r] = v if n[r] == 0 else max(m[r], v)
            n[r] += times

    def smallest_shown(r: int, c: int) -> int:
        """The shown, not fixed part of ``r`` with the smallest count ``c`` ≥ 1 (ties: the
        first in the relation's order), or −1."""
        order = candidates[c].get(r)
        if order is None:
            val = value[c]
            ranked = sorted(
                (val[p], position, p)
                for position, p in enumerate(flat[first[r] : first[r + 1]])
                if not fixed_of[p] and val[p] > 0
            )
            order = candidates[c][r] = [p for _, _, p in ranked]
        hid, at = hidden[c], cursor[c].get(r, 0)
        while at < len(order) and hid[order[at]]:
            at += 1  # hidden counts stay hidden: the cursor never goes back
        cursor[c][r] = at
        return order[at] if at < len(order) else -1

    queue = deque(range(2 * n_rels))  # item 2r + c: relation r, count c (numerator first)
    waiting = bytearray([1]) * (2 * n_rels)
    while queue:
        item = queue.popleft()
        waiting[item] = 0
        r, c = item >> 1, item & 1
        hid = hidden[c]
        t = total[r]
        protecting = rest[c][r] if rest_protects[c][r] else 0
        mass = hsum[c][r] + protecting
        if hid[t]:
            if mass > 0:
                continue
        elif hcount[c][r] == 0 or mass - hmax[c][r] > 0:
            continue
        chosen = smallest_shown(r, c)
        if chosen < 0:
            if rest[c][r] > 0 and not protecting:
                rest_protects[c][r] = 1
                continue
            if hid[t] or fixed_of[t]:
                continue  # nothing left to hide (cannot happen with counts that add up)
            chosen = t
        mark(chosen, c)  # a denominator takes the numerator with it (rule 2)
        both = c == 1 and not hidden[0][chosen]
        if both:
            mark(chosen, 0)
        for other in member[member_at[chosen] : member_at[chosen + 1]]:
            for follow in (2 * other + 1, 2 * other) if both else (2 * other + c,):
                if not waiting[follow]:
                    waiting[follow] = 1
                    queue.append(follow)
    return hidden
