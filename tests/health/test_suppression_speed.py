"""The indexed repair of :func:`health.suppression.suppress` against a plain rescan of rule 3
(written here, from the module docstring): the same decisions on random tables.

The reference keeps the hidden counts in sets, and on every visit of a (relation, count) pair
rescans the relation's parts (the hidden parts' sum and largest, the smallest shown candidate),
visiting the pairs from one queue: first every pair in relation order (numerator, then
denominator), then, each time a row gets a count hidden, every pair of every relation holding
that row (relation order; a denominator first, then the numerator it takes along). The tables
are random trees and two-level time tables, with the odd shapes of real callers: fixed rows,
a part listed twice, a total that is one of its own parts (a January counted on 15 January is
the year, its first quarter and the month), parts adding up to more than the total.
"""

from __future__ import annotations

from collections import deque

from hypothesis import given, settings
from hypothesis import strategies as st

from health.stats import target_gap
from health.suppression import COUNTS, Counts, Hidden, Relation, suppress


def reference(
    rows: dict[int, Counts],
    relations: list[Relation[int]],
    fixed: dict[int, Hidden],
    threshold: int,
) -> dict[int, Hidden]:
    """Rules 1–3 by rescanning each relation on each visit (the behaviour to keep)."""
    hidden: dict[str, set[int]] = {"numerator": set(), "denominator": set()}
    for key, c in rows.items():
        if key in fixed:
            for count in COUNTS:
                if getattr(fixed[key], count):
                    hidden[count].add(key)
        else:
            if 0 < c.denominator < threshold:
                hidden["denominator"].add(key)
                hidden["numerator"].add(key)
            if 0 < c.numerator < threshold or 0 < c.gap < threshold:
                hidden["numerator"].add(key)
    rest_protects: set[tuple[int, str]] = set()
    queue = deque((r, count) for r in range(len(relations)) for count in COUNTS)
    waiting = set(queue)
    while queue:
        r, count = queue.popleft()
        waiting.discard((r, count))
        rel, keys = relations[r], hidden[count]

        def v(key: int, count: str = count) -> int:
            return int(getattr(rows[key], count))

        rest = max(0, v(rel.total) - sum(v(p) for p in rel.parts))
        shut = [v(p) for p in rel.parts if p in keys]
        mass = sum(shut) + (rest if (r, count) in rest_protects else 0)
        if (mass > 0) if rel.total in keys else (not shut or mass - max(shut) > 0):
            continue
        shown = [(v(p), i, p) for i, p in enumerate(rel.parts)
                 if p not in keys and p not in fixed and v(p) > 0]  # fmt: skip
        if shown:
            chosen = min(shown)[2]
        elif rest > 0 and (r, count) not in rest_protects:
            rest_protects.add((r, count))
            continue
        elif rel.total not in keys and rel.total not in fixed:
            chosen = rel.total
        else:
            continue
        keys.add(chosen)
        changed = [count]
        if count == "denominator" and chosen not in hidden["numerator"]:
            hidden["numerator"].add(chosen)
            changed.append("numerator")
        for other, o in enumerate(relations):
            if chosen == o.total or chosen in o.parts:
                for c in changed:
                    if (other, c) not in waiting:
                        waiting.add((other, c))
                        queue.append((other, c))
    return {k: Hidden(k in hidden["numerator"], k in hidden["denominator"]) for k in rows}


small = st.integers(0, 12)  # many counts of 1–4: much to suppress


@st.composite
def tables(draw: st.DrawFn) -> tuple[dict[int, Counts], list[Relation[int]], dict[int, Hidden]]:
    """Random rows (keys in a shuffled order) and relations over them, some rows fixed."""
    n = draw(st.integers(1, 30))
    rows = {}
    for key in draw(st.permutations(range(n))):
        d = draw(small)
        num = draw(st.integers(0, d))
        rows[key] = Counts(num, d, target_gap(num, d, 0.9))
    keys = list(rows)
    relations: list[Relation[int]] = []
    if draw(st.booleans()) and n > 1:  # a tree: each row's parent is an earlier row
        parent = {k: draw(st.sampled_from(keys[:i])) for i, k in enumerate(keys) if i}
        below: dict[int, list[int]] = {}
        for k, up in parent.items():
            below.setdefault(up, []).append(k)
        relations += [Relation(up, tuple(subs)) for up, subs in below.items()]
    for _ in range(draw(st.integers(0, 8))):  # other sums, of any shape
        parts = draw(st.lists(st.sampled_from(keys), min_size=0, max_size=6))
        relations.append(Relation(draw(st.sampled_from(keys)), tuple(parts)))
    relations = draw(st.permutations(relations))
    chosen = draw(st.lists(st.sampled_from(keys), max_size=3, unique=True))
    fixed = {k: Hidden(draw(st.booleans()), draw(st.booleans())) for k in chosen}
    return rows, relations, fixed


@settings(max_examples=400, deadline=None)
@given(tables(), st.sampled_from([2, 5, 11]))
def test_the_same_decisions_as_the_plain_rescan(table, threshold: int) -> None:  # type: ignore[no-untyped-def]
    rows, relations, fixed = table
    found = suppress(rows, relations, fixed=fixed, threshold=threshold)
    assert list(found) == list(rows)
    assert found == reference(rows, relations, fixed, threshold)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.tuples(small, small), min_size=12, max_size=12), min_size=1,
                max_size=6))  # fmt: skip
def test_the_same_decisions_on_years_of_quarters_and_months(areas) -> None:  # type: ignore[no-untyped-def]
    """Areas of a root (area 0) by year (span 0), quarters (1–4), months (5–16): the shape of
    the newborn-visit table."""
    spans = [(1, 12), *((3 * q - 2, 3 * q) for q in range(1, 5)), *((m, m) for m in range(1, 13))]
    rows: dict[int, Counts] = {}
    for a, months in enumerate(areas):
        for s, (first, last) in enumerate(spans):
            d = sum(max(x, y) for x, y in months[first - 1 : last])
            num = sum(min(x, y) for x, y in months[first - 1 : last])
            rows[a * 17 + s] = Counts(num, d, target_gap(num, d, 0.9))
    relations = []
    for a in range(len(areas)):
        relations.append(Relation(a * 17, tuple(a * 17 + q for q in range(1, 5))))
        relations += [Relation(a * 17 + q, tuple(a * 17 + 2 + 3 * q + m for m in range(3)))
                      for q in range(1, 5)]  # fmt: skip
    for s in range(17):
        if len(areas) > 1:
            relations.append(Relation(s, tuple(a * 17 + s for a in range(1, len(areas)))))
    assert suppress(rows, relations) == reference(rows, relations, {}, 5)


def test_the_same_decisions_with_a_total_among_its_parts() -> None:
    rows = {0: Counts(3, 10, 6), 1: Counts(3, 10, 6), 2: Counts(7, 8, 0), 3: Counts(0, 0, 0)}
    relations = [Relation(0, (0, 1)), Relation(2, (1, 1, 3)), Relation(1, ())]
    for fixed in ({}, {1: Hidden(False, True)}, {0: Hidden(True, True)}):
        assert suppress(rows, relations, fixed=fixed) == reference(rows, relations, fixed, 5)
