"""Regression tests for what the load benchmark (``benchmarks/load.py``) found."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.settings import Settings
from screening import feeding, reference
from tests.api.api_world import TODAY, World, build, login


@pytest.fixture(scope="module")
def load_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build(tmp_path_factory.mktemp("load") / "template.db")


@pytest.fixture
def client(load_world: World, tmp_path: Path) -> Iterator[TestClient]:
    target = tmp_path / "api.db"
    shutil.copy(load_world.db_file, target)
    settings = Settings(
        database_url=f"sqlite:///{target}", secret_key="l" * 32, session_dir="", today=TODAY
    )
    with TestClient(create_app(settings), base_url="https://testserver.local") as test_client:
        yield test_client


def test_feeding_recall_is_scored_once_per_submission(
    client: TestClient, load_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A feeding submission scored the new recall twice (service, then again for the answer):
    about 35 ms of pandas work each. Now once for the new recall and once for the previous
    recall (needed for escalation), and the answer shows the service's scoring."""
    bank = reference.recall_bank()
    recall = {
        "breastfed": True,
        "bottle_with_nipple": False,
        "liquids": {q.id: {"taken": False} for q in bank.liquids},
        "foods": {f.id: {"taken": False} for f in bank.foods},
        "solid_feeds": 0,
        "vitamin_d": True,
    }
    login(client, "parent1")
    url = f"/api/v1/children/{load_world.own_child}/feeding"
    first = client.post(url, json={"recalled_on": "2026-06-13", "answers": recall})
    assert first.status_code == 201, first.text
    calls: list[int] = []
    original = feeding.assess_recall

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(feeding, "assess_recall", counted)
    second = client.post(url, json={"recalled_on": "2026-06-14", "answers": recall})
    assert second.status_code == 201, second.text
    assert len(calls) == 2  # the new recall and the previous one
    # 6 completed months (born 2025-12-01), only breast milk: solids not started, as before
    assert second.json()["meal_count"] == first.json()["meal_count"]
    assert "FEED_SOLIDS_NOT_STARTED" in [f["code"] for f in second.json()["flags"]]


def test_failed_write_releases_the_sqlite_lock_before_the_response_is_sent(
    client: TestClient, load_world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Under load on SQLite, requests stalled for 30 s: a write refused by the domain (422,
    implausible values) kept its BEGIN IMMEDIATE transaction until the response was sent, past
    the session store's await, where another request of the same worker began a write and
    waited for that lock synchronously (event loop blocked: a 30 s busy-timeout deadlock).
    The probe checks, at the session store's write, that the database's write lock is free."""
    from litestar.stores.memory import MemoryStore

    probes: list[str] = []
    original = MemoryStore.set

    async def probing_set(self, key, value, expires_in=None):  # type: ignore[no-untyped-def]
        other = sqlite3.connect(tmp_path / "api.db", timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
            probes.append("free")
        except sqlite3.OperationalError as error:
            probes.append(str(error))
        finally:
            other.close()
        return await original(self, key, value, expires_in)

    login(client, "parent1")
    monkeypatch.setattr(MemoryStore, "set", probing_set)
    implausible = {"measured_on": "2026-06-01", "source": "home", "weight_kg": 30.0,
                   "length_cm": 60.0, "measure": "L"}  # fmt: skip
    url = f"/api/v1/children/{load_world.own_child}/measurements"
    response = client.post(url, json=implausible)
    assert response.status_code == 422, response.text
    assert probes and set(probes) == {"free"}, probes
