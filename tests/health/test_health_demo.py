"""`seed-demo`: deterministic, every role, flags and cases, only into an empty database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from health.db import make_engine
from health.demo import DemoError, seed_demo
from health.migrate import upgrade
from health.registry import verify_password

TODAY = dt.date(2025, 6, 1)
NOW = dt.datetime(2025, 6, 1, 9, tzinfo=dt.UTC)
FINGERPRINT = [
    "SELECT COUNT(*), SUM(area_id), MIN(birth_date), MAX(birth_date) FROM children",
    "SELECT COUNT(*), ROUND(SUM(weight_kg), 2) FROM checks",
    "SELECT COUNT(*), ROUND(SUM(z_wfa), 2) FROM measurements",
    "SELECT code, COUNT(*) FROM flags GROUP BY code ORDER BY code",
    "SELECT severity, COUNT(*) FROM cases GROUP BY severity ORDER BY severity",
    "SELECT role, COUNT(*) FROM users GROUP BY role ORDER BY role",
]


def fingerprint(engine: Engine) -> list:
    with engine.connect() as conn:
        return [[tuple(map(str, r)) for r in conn.execute(text(q))] for q in FINGERPRINT]


def test_seed_demo(engine: Engine) -> None:
    summary = seed_demo(engine, today=TODAY, now=NOW, seed=3, children=200)
    assert summary.counts["children"] == 200
    assert {role for _, role in summary.accounts} == {
        "admin", "bureau", "doctor", "facility", "parent"
    }  # fmt: skip
    with engine.connect() as conn:
        hashed = conn.execute(text("SELECT password_hash FROM users WHERE username='doctor-1'"))
        assert verify_password(hashed.scalar_one(), "childhealth-demo")
        assert conn.execute(text("SELECT COUNT(*) FROM guardianships")).scalar_one() >= 4
        assert conn.execute(text("SELECT COUNT(*) FROM measurements")).scalar_one() > 20
        assert summary.counts["open_cases"] > 0
        compliance = conn.execute(
            text(
                "SELECT a.code, AVG(CASE WHEN k.id IS NULL THEN 0.0 ELSE 1.0 END) "
                "FROM children c JOIN area_ancestors aa ON aa.area_id = c.area_id "
                "JOIN areas a ON a.id = aa.ancestor_id AND a.level = 'county' "
                "LEFT JOIN checks k ON k.child_id = c.id AND k.kind = 'full_month' "
                "WHERE c.birth_date < :d GROUP BY a.code"
            ),
            {"d": TODAY - dt.timedelta(days=40)},
        ).all()
    assert len(compliance) == 4 and len({round(float(r[1]), 3) for r in compliance}) > 1
    with pytest.raises(DemoError, match="not empty"):
        seed_demo(engine, today=TODAY, now=NOW, seed=3, children=200)


def test_seed_demo_is_deterministic(tmp_path: Path, sqlite_template: Path) -> None:
    prints = []
    for name in ("a", "b"):
        engine = make_engine(f"sqlite:///{tmp_path / name}.db")
        upgrade(engine)
        seed_demo(engine, today=TODAY, now=NOW, seed=11, children=150)
        prints.append(fingerprint(engine))
        engine.dispose()
    assert prints[0] == prints[1]
