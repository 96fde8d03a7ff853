"""The coverage CSV download writes its audit entry in a transaction that begins IMMEDIATE (the
SQLite write lock), with no "execution_options ignored" warning: the dashboard's read
transaction ends before the audit's write transaction begins, and nothing reads in between."""

from __future__ import annotations

import warnings
from typing import Any

from sqlalchemy import Engine, event

from tests.api.api_world import login


def test_coverage_csv_audit_takes_the_write_lock_without_warning(app_client) -> None:
    client = login(app_client, "bureau_p")
    modes: list[str | None] = []

    def on_begin(connection: Any) -> None:
        modes.append(connection.get_execution_options().get("sqlite_begin"))

    event.listen(Engine, "begin", on_begin)
    try:
        for _ in range(2):  # computed, then from the dashboard cache
            modes.clear()
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # a dropped execution option fails the request
                response = client.get("/api/v1/coverage.csv", params={"by": "clinic"})
            assert response.status_code == 200, response.text
            assert response.text.startswith("\ufeff地区,")
            assert "IMMEDIATE" in modes
    finally:
        event.remove(Engine, "begin", on_begin)
