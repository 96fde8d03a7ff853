"""The dialect-compiled day difference gives the same answer on both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Date, Engine, literal, select

from health.sqlfunc import days_between


@pytest.mark.parametrize(
    ("a", "b", "days"),
    [
        ("2025-01-29", "2024-12-31", 29),
        ("2024-03-01", "2024-02-28", 2),
        ("2024-01-01", "2024-01-02", -1),
    ],
)
def test_days_between(engine: Engine, a: str, b: str, days: int) -> None:
    expr = days_between(
        literal(dt.date.fromisoformat(a), Date), literal(dt.date.fromisoformat(b), Date)
    )
    with engine.connect() as conn:
        assert conn.execute(select(expr)).scalar() == days
