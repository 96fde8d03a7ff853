"""Regression tests for what the load benchmark (``benchmarks/load.py``) found."""

from __future__ import annotations

import sqlite3
import time

import pytest
from litestar.testing import TestClient

from api import sessions
from api.stores import DatabaseStore
from screening.feeding import single as single_recall
from tests.api.api_world import World, breast_milk_only, login


def test_feeding_recall_is_scored_once_per_submission(
    app_client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A feeding submission scored the new recall twice (service, then again for the answer):
    about 35 ms of pandas work each. Now once for the new recall and once for the previous
    recall (needed for escalation), and the answer shows the service's scoring."""
    recall = breast_milk_only()
    login(app_client, "parent1")
    url = f"/api/v1/children/{world.own_child}/feeding"
    first = app_client.post(url, json={"recalled_on": "2026-06-13", "answers": recall})
    assert first.status_code == 201, first.text
    calls: list[int] = []
    original = single_recall.assess_one  # one recall is scored on plain values

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(single_recall, "assess_one", counted)
    second = app_client.post(url, json={"recalled_on": "2026-06-14", "answers": recall})
    assert second.status_code == 201, second.text
    assert len(calls) == 2  # the new recall and the previous one
    # 6 completed months (born 2025-12-01), only breast milk: solids not started, as before
    assert second.json()["meal_count"] == first.json()["meal_count"]
    assert "FEED_SOLIDS_NOT_STARTED" in [f["code"] for f in second.json()["flags"]]


def test_failed_write_releases_the_sqlite_lock_before_the_response_is_sent(
    app_client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under load on SQLite, requests stalled for 30 s: a write refused by the domain (422,
    implausible values) kept its BEGIN IMMEDIATE transaction until the response was sent, past
    the session store's await, where another request of the same worker began a write and
    waited for that lock synchronously (event loop blocked: a 30 s busy-timeout deadlock).
    The probe checks, at the session store's write, that the database's write lock is free."""
    probes: list[str] = []
    original = DatabaseStore.set

    async def probing_set(self, key, value, expires_in=None):  # type: ignore[no-untyped-def]
        other = sqlite3.connect(world.db_file, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            probes.append("free")
        except sqlite3.OperationalError as error:
            probes.append(str(error))
        finally:
            other.close()
        return await original(self, key, value, expires_in)

    login(app_client, "parent1")
    monkeypatch.setattr(DatabaseStore, "set", probing_set)
    # a session is stored again only when its last-request time moves: a minute and more later
    later = time.time() + 2 * sessions.SEEN_STEP_S
    monkeypatch.setattr(sessions, "clock", lambda: later)
    implausible = {"measured_on": "2026-06-01", "source": "home", "weight_kg": 30.0,
                   "length_cm": 60.0, "measure": "L"}  # fmt: skip
    url = f"/api/v1/children/{world.own_child}/measurements"
    response = app_client.post(url, json=implausible)
    assert response.status_code == 422, response.text
    assert probes and set(probes) == {"free"}, probes
