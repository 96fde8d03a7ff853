"""Privacy in aggregates: every response a bureau user can reach (API, CSV, pages) carries no
child's name, birth date, code or id, no figure on a health condition (only the coverage
indicators) and no count from 1 to 4 (``health.suppression``; the attacks on the counts are in
``test_suppression.py``)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from health.coverage import INDICATORS
from tests.api.api_world import World, login

# keys a bureau JSON answer may never have, at any depth
CHILD_KEYS = {"child_id", "child_code", "child_name", "name", "birth_date", "code", "id", "sex"}
INDICATOR_NAMES = ("婴幼儿健康管理率", "0～6岁儿童健康管理率", "新生儿访视率")  # in the CSV
QUERIES: list[dict[str, str]] = [
    {},
    {"by": "clinic"},
    {"by": "facility"},
    {"area": "P1", "by": "area"},
    {"area": "P11", "by": "facility"},
    {"area": "T1", "by": "clinic"},
    {"area": "T2", "by": "facility"},
    {"period": "2026-Q2", "by": "facility"},
    {"period": "2026-05", "by": "area"},
    {"period": "2025", "by": "clinic"},
]


def _children(world: World) -> list[dict[str, Any]]:
    engine = create_engine(f"sqlite:///{world.db_file}")
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, code, name, birth_date FROM children"))
            return [dict(r._mapping) for r in rows]
    finally:
        engine.dispose()


def _secrets(children: list[dict[str, Any]]) -> list[str]:
    """Names, codes and every common spelling of the birth dates of the test world's children."""
    out = []
    for child in children:
        year, month, day = (int(p) for p in str(child["birth_date"])[:10].split("-"))
        out += [child["code"], f"{year}-{month:02}-{day:02}", f"{year}/{month:02}/{day:02}"]
        out += [
            f"{year}年{month}月{day}日",
            f"{day:02}/{month:02}/{year}",
            f"{year}{month:02}{day:02}",
        ]
        if child["name"]:
            out.append(child["name"])
    return out


LAST_VISIT_KEYS = {"facility_code", "facility", "last_visited_on"}


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _keys(v)}
    return set()


def _bureau_get_paths(app: Any) -> list[str]:
    """Every GET path whose handler admits the bureau role (without path parameters)."""
    paths = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if "GET" in handler.http_methods and "bureau" in (handler.opt.get("roles") or ()):
                paths.append(route.path)
    return sorted(set(paths))


def test_bureau_reachable_routes_are_known(app_client) -> None:
    # a new bureau route must be added to the scan below (and hold no child data)
    assert _bureau_get_paths(app_client.app) == [
        "/api/v1/coverage",
        "/api/v1/coverage.csv",
        "/api/v1/facilities/last-visits",
        "/api/v1/me",
        "/bureau",
        "/bureau/report.pdf",
    ]


@pytest.mark.parametrize("username", ["bureau_p", "bureau_a"])
def test_no_child_identity_in_any_bureau_response(app_client, world: World, username) -> None:
    children = _children(world)
    assert len(children) == 3 and all(c["name"] or c["code"] for c in children)
    secrets = _secrets(children)
    client = login(app_client, username)
    checked = 0
    for path in _bureau_get_paths(app_client.app):
        for params in QUERIES if path != "/api/v1/me" else [{}]:
            response = client.get(path, params=params)
            if response.status_code == 404:  # an area outside this bureau's scope
                continue
            assert response.status_code == 200, (path, params, response.text)
            body = response.text
            if response.headers["content-type"].startswith("application/pdf"):
                from tests.api.pdf_reading import reader  # the report's text, not its bytes

                body = "".join(p.extract_text() for p in reader(response.content).pages)
            leaked = [s for s in secrets if s in body]
            assert not leaked, (path, params, leaked)
            assert "/children/" not in body and "child_id" not in body
            kind = response.headers["content-type"]
            if kind.startswith("application/json") and path != "/api/v1/me":
                data = json.loads(body)
                assert not _keys(data) & CHILD_KEYS, (path, sorted(_keys(data) & CHILD_KEYS))
                if path == "/api/v1/facilities/last-visits":  # facilities and dates only
                    assert all(set(r) == LAST_VISIT_KEYS for r in data), data
                    checked += 1
                    continue
                rows = [*data["totals"], *data["rows"]]
                rows += [r for trend in data["trend"].values() for r in trend]
                assert {r["indicator"] for r in rows} <= set(INDICATORS)  # no condition figure
            elif kind.startswith("text/csv"):
                table = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
                assert not set(table[0]) & CHILD_KEYS
                assert {r["指标"] for r in table} <= set(INDICATOR_NAMES)  # no condition figure
            checked += 1
    assert checked >= 13  # me + the dashboard views, JSON and CSV, in this bureau's scope


def test_small_counts_are_hidden_with_typed_nulls(app_client) -> None:
    # the county has 1–4 children under 7: the count is null (not a string), flagged, no rate
    view = login(app_client, "bureau_a").get("/api/v1/coverage", params={"by": "facility"}).json()
    child = next(r for r in view["totals"] if r["indicator"] == "child_health_management_0_6")
    assert child["denominator"] is None and child["numerator"] is None and child["gap"] is None
    assert child["suppressed"] is True and child["rate"] is None and child["target"] == 0.95
    empty = next(r for r in view["totals"] if r["indicator"] == "newborn_visit")
    assert (empty["numerator"], empty["denominator"], empty["suppressed"]) == (0, 0, False)
