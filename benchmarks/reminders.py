"""Reminder outbox benchmark on SQLite: one pass over N guardian-linked children (ages spread
over 0-7 years, two children per family, no check recorded) in a temporary file. Prints the
first pass (every due item is new), a second pass an hour later (nothing new: the idempotent
scan) and one delivery through a sender that does nothing. The first pass includes loading the
screening catalogue once (about a second). Run: ``.venv/bin/python benchmarks/reminders.py [N]``
(default 20000).
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import func, insert, select
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from health.clock import Clock, Moment
from health.db import make_engine
from health.migrate import upgrade
from health.models import Area, Child, Guardianship, User
from health.notify import Message
from health.services.notifications import deliver, make_notifications
from tests.health.health_builders import build_geography

TODAY = dt.date(2026, 6, 15)
NOW = dt.datetime(2026, 6, 15, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai
CLOCK = Clock(zone=ZoneInfo("Asia/Shanghai"))


class NullSender:
    """Accepts every message (the sender's own cost is left out)."""

    channel = "null"

    def send(self, message: Message) -> None:
        """Nothing to do."""


def fill(session: Session, n: int) -> None:
    """``n`` children of township T1 born over the last 7 years, two per parent account."""
    build_geography(session)
    area = session.execute(select(Area.id).where(Area.code == "T1")).scalar_one()
    ages = np.random.default_rng(1).integers(0, 7 * 365, n)
    session.execute(insert(Child), [
        {"code": f"B{i}", "sex": "MF"[i % 2], "birth_date": TODAY - dt.timedelta(days=int(a)),
         "area_id": area, "resident": True} for i, a in enumerate(ages)])  # fmt: skip
    session.execute(insert(User), [
        {"username": f"u{i}", "role": "parent", "locale": "zh-CN", "password_hash": "-",
         "active": True, "created_at": NOW} for i in range(n // 2 + 1)])  # fmt: skip
    first_user = session.execute(select(func.min(User.id))).scalar_one()
    first_child = session.execute(select(func.min(Child.id))).scalar_one()
    session.execute(insert(Guardianship), [
        {"user_id": first_user + i // 2, "child_id": first_child + i, "relation": "parent"}
        for i in range(n)])  # fmt: skip
    session.commit()


def main(n: int) -> None:
    with tempfile.TemporaryDirectory(prefix="reminders-bench-") as folder:
        engine = make_engine(f"sqlite:///{folder}/bench.db")
        upgrade(engine)
        with Session(engine) as session:
            fill(session, n)
        for label, now in (("first pass", NOW), ("second pass", NOW + dt.timedelta(hours=1))):
            with Session(engine) as session:
                start = time.perf_counter()
                made = make_notifications(session, Moment(now, TODAY), CLOCK)
                session.commit()
                took = time.perf_counter() - start
            print(f"{label}: {n} children, {made.made} reminders made for {made.families} "
                  f"families in {took:.2f} s")  # fmt: skip
        with Session(engine) as session:
            start = time.perf_counter()
            sent = deliver(session, NullSender(), NOW, CLOCK)
            session.commit()
            took = time.perf_counter() - start
        print(f"delivery: {sent.sent} sent, {sent.postponed} moved to a later day in {took:.2f} s")
        engine.dispose()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
