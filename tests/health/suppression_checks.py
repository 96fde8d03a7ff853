"""Generic checks of released counts, shared by the suppression tests of health and api.

``recovered`` is the attacker's subtraction: for a table (a total and its parts, for one count),
the total minus the shown parts, compared with each hidden part's true value; and the shown
parts' sum compared with a hidden total. ``rest_known`` says the attacker also knows the
children no part counts (0 for an area's sub-areas); without it (clinics and facilities: the
children they do not count are published nowhere) the attacker takes the rest as 0 for the
parts, and learns no more than a lower bound of a hidden total.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Cell:
    """One count: its true value and what was released (None: hidden)."""

    true: int
    shown: int | None

    @property
    def hidden(self) -> bool:
        return self.shown is None


def recovered(total: Cell, parts: Sequence[Cell], *, rest_known: bool = True) -> list[str]:
    """What subtraction gives away in one table: descriptions of each recovered count."""
    found = []
    rest = total.true - sum(p.true for p in parts) if rest_known else 0
    shown_sum = sum(p.shown for p in parts if p.shown is not None)
    hidden = [p for p in parts if p.hidden]
    if total.shown is not None:
        for part in hidden:
            if total.shown - shown_sum - rest == part.true:
                found.append(f"part {part.true} = {total.shown} − {shown_sum} − {rest}")
    elif rest_known and not hidden and shown_sum + rest == total.true:
        found.append(f"total {total.true} = sum of the shown parts {shown_sum} + {rest}")
    return found


def small_shown(cells: Sequence[Cell], threshold: int = 5) -> list[int]:
    """Shown counts from 1 to ``threshold − 1`` (there must be none)."""
    return [c.shown for c in cells if c.shown is not None and 0 < c.shown < threshold]
