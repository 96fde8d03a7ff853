"""The small-count rule of health.suppression as a pure function: primary (1–4 hidden), within
a row (gap with numerator, denominator takes the numerator), complementary (no hidden count
given back by subtracting the shown parts from a shown total), on hand-made tables and on
random trees."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from health.stats import target_gap
from health.suppression import Counts, Hidden, Relation, suppress
from tests.health.suppression_checks import Cell, recovered, small_shown


def row(n: int, d: int, target: float = 0.95) -> Counts:
    return Counts(n, d, target_gap(n, d, target))


def cells(rows: dict, hidden: dict, key, count: str) -> Cell:  # type: ignore[no-untyped-def]
    value = getattr(rows[key], count)
    return Cell(value, None if getattr(hidden[key], count) else value)


def leaks(rows: dict, relations: list, hidden: dict, rest_known: bool = True) -> list[str]:  # type: ignore[type-arg]
    out = []
    for rel in relations:
        for count in ("numerator", "denominator"):
            total = cells(rows, hidden, rel.total, count)
            parts = [cells(rows, hidden, p, count) for p in rel.parts]
            out += [
                f"{rel.total} {count}: {x}" for x in recovered(total, parts, rest_known=rest_known)
            ]
    return out


def test_primary_hides_one_to_four_and_shows_zero() -> None:
    rows = {"a": row(3, 40), "b": row(0, 0), "c": row(60, 60), "d": row(2, 3), "e": row(0, 9)}
    hidden = suppress(rows, [])
    assert hidden["a"] == Hidden(numerator=True)  # 3 of 40: numerator and gap
    assert hidden["b"] == Hidden() and hidden["c"] == Hidden()  # zeros and met targets shown
    assert hidden["d"] == Hidden(numerator=True, denominator=True)
    assert hidden["e"] == Hidden()  # 0 of 9: gap 9, nothing small


def test_a_small_gap_hides_the_numerator() -> None:
    # 56 of 60: the gap is ⌈57⌉ − 56 = 1, which the numerator and denominator would give back
    hidden = suppress({"a": row(56, 60)}, [])
    assert hidden["a"] == Hidden(numerator=True) and hidden["a"].gap


def test_a_hidden_denominator_takes_a_zero_numerator_with_it() -> None:
    # "0 of 3 visited" would describe each of the three children
    assert suppress({"a": row(0, 3)}, [])["a"] == Hidden(numerator=True, denominator=True)


def test_the_next_smallest_sibling_is_hidden_too() -> None:
    rows = {"T": row(100, 100), "a": row(3, 3), "b": row(40, 40), "c": row(30, 30),
            "z": row(0, 0), "e": row(27, 27)}  # fmt: skip
    relation = Relation("T", ("a", "b", "c", "z", "e"))
    hidden = suppress(rows, [relation])
    assert {k for k, h in hidden.items() if h.denominator} == {"a", "e"}  # 27, not the zero
    assert not leaks(rows, [relation], hidden)


def test_a_hidden_zero_does_not_protect() -> None:
    # b's numerator 0 is hidden with its denominator 3; a's numerator 2 needs a child more
    rows = {"T": row(30, 60), "a": row(2, 20), "b": row(0, 3), "c": row(28, 37)}
    relation = Relation("T", ("a", "b", "c"))
    hidden = suppress(rows, [relation])
    assert hidden["b"] == Hidden(numerator=True, denominator=True)
    assert hidden["c"].numerator and not leaks(rows, [relation], hidden)


def test_a_hidden_total_needs_a_hidden_part() -> None:
    # the total is 3 short of 95 %; both parts are shown: its numerator would be their sum
    rows = {"T": row(55, 61), "a": row(40, 40), "b": row(15, 21)}
    assert (rows["T"].gap, rows["a"].gap, rows["b"].gap) == (3, 0, 5)
    rel = Relation("T", ("a", "b"))
    hidden = suppress(rows, [rel])
    assert hidden["T"] == Hidden(numerator=True) and hidden["b"] == Hidden(numerator=True)
    assert not hidden["a"].any and not leaks(rows, [rel], hidden)


def test_the_unpublished_rest_protects_when_no_sibling_can() -> None:
    # one clinic of 3 newborns, the other 0: the 20 newborns no clinic counts protect it
    rows = {"T": row(20, 23), "c1": row(3, 3), "c2": row(0, 0)}
    rel = Relation("T", ("c1", "c2"))
    hidden = suppress(rows, [rel], fixed={"T": Hidden()})
    assert hidden["T"] == Hidden() and hidden["c1"].denominator and not hidden["c2"].any
    assert leaks(rows, [rel], hidden, rest_known=True)  # someone who knew the 20 would see it
    assert not leaks(rows, [rel], hidden, rest_known=False)


def test_fixed_rows_keep_their_decision() -> None:
    rows = {"T": row(3, 50), "a": row(3, 25), "b": row(0, 25)}
    hidden = suppress(rows, [Relation("T", ("a", "b"))], fixed={"T": Hidden(numerator=True)})
    assert hidden["T"] == Hidden(numerator=True)
    rows = {"T": row(50, 50), "a": row(3, 3), "b": row(47, 47)}
    hidden = suppress(rows, [Relation("T", ("a", "b"))], fixed={"T": Hidden()})
    assert hidden["T"] == Hidden() and hidden["b"].denominator


def test_linked_relations_are_repaired_together() -> None:
    # a county's township is hidden as a complement, which opens its own table of villages
    rows = {"P": row(90, 90), "K1": row(2, 2), "K2": row(40, 40), "K3": row(48, 48),
            "T1": row(20, 20), "T2": row(20, 20), "U1": row(24, 24), "U2": row(24, 24)}  # fmt: skip
    rels = [Relation("P", ("K1", "K2", "K3")), Relation("K2", ("T1", "T2")),
            Relation("K3", ("U1", "U2"))]  # fmt: skip
    hidden = suppress(rows, rels)
    assert hidden["K1"].denominator and hidden["K2"].denominator  # 2, then the next smallest
    assert hidden["T1"].denominator != hidden["T2"].denominator  # K2 = T1 + T2 is not given back
    assert not leaks(rows, rels, hidden)


def test_another_threshold() -> None:
    hidden = suppress({"a": row(7, 100)}, [], threshold=10)
    assert hidden["a"].numerator


def test_deterministic() -> None:
    rows = {"T": row(40, 40), "a": row(3, 3), "b": row(10, 10), "c": row(10, 10), "d": row(17, 17)}
    rel = [Relation("T", ("a", "b", "c", "d"))]
    first = suppress(rows, rel)
    assert all(suppress(dict(rows), list(rel)) == first for _ in range(5))
    assert first["b"].denominator and not first["c"].denominator  # ties: the first in order


@st.composite
def trees(draw):  # type: ignore[no-untyped-def]
    """A root, 1–4 middle areas, each with 1–5 leaves; leaf counts small-heavy."""
    counts = st.one_of(st.integers(0, 6), st.integers(0, 60))
    leaves: dict[str, Counts] = {}
    relations = []
    middles = []
    for m in range(draw(st.integers(1, 4))):
        names = []
        for leaf in range(draw(st.integers(1, 5))):
            d = draw(counts)
            n = draw(st.integers(0, d))
            leaves[f"L{m}.{leaf}"] = row(n, d)
            names.append(f"L{m}.{leaf}")
        n = sum(leaves[x].numerator for x in names)
        d = sum(leaves[x].denominator for x in names)
        leaves[f"M{m}"] = row(n, d)
        relations.append(Relation(f"M{m}", tuple(names)))
        middles.append(f"M{m}")
    n = sum(leaves[x].numerator for x in middles)
    d = sum(leaves[x].denominator for x in middles)
    leaves["R"] = row(n, d)
    relations.append(Relation("R", tuple(middles)))
    return leaves, relations


@settings(max_examples=400, deadline=None)
@given(trees())
def test_no_hidden_count_comes_back_by_subtraction(tree) -> None:  # type: ignore[no-untyped-def]
    rows, relations = tree
    hidden = suppress(rows, relations)
    assert not leaks(rows, relations, hidden)
    for key, counts in rows.items():
        h = hidden[key]
        shown = [Cell(counts.numerator, None if h.numerator else counts.numerator),
                 Cell(counts.denominator, None if h.denominator else counts.denominator),
                 Cell(counts.gap, None if h.gap else counts.gap)]  # fmt: skip
        assert not small_shown(shown), (key, counts, h)
        assert not h.denominator or h.numerator


@pytest.mark.parametrize("threshold", [3, 5, 11])
def test_primary_follows_the_threshold(threshold: int) -> None:
    rows = {str(v): row(0, v) for v in range(15)}
    hidden = suppress(rows, [], threshold=threshold)
    assert {int(k) for k, h in hidden.items() if h.denominator} == set(range(1, threshold))
