"""The access audit: one entry per read of a child's record by anyone but a guardian (API and
pages), per list of children read by anyone but a parent (with how many children it named),
per case outcome and per export; admin-only listing; append-only in the database."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DatabaseError

from tests.api.api_world import TODAY, World, login

ENTRY_KEYS = {"id", "at", "actor_id", "role", "action", "object_kind", "object_ref"}


def _entries(client, action: str | None = None) -> list[dict]:  # type: ignore[no-untyped-def]
    login(client, "admin")
    params = {"action": action} if action else {}
    response = client.get("/api/v1/audit", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _user_id(client, username: str) -> int:  # type: ignore[no-untyped-def]
    return login(client, username).get("/api/v1/me").json()["id"]


@pytest.mark.parametrize(
    ("username", "path"),
    [
        ("doctor2", "/api/v1/children/{other}"),
        ("doctor2", "/api/v1/children/{other}/measurements"),
        ("doctor2", "/api/v1/children/{other}/flags"),
        ("doctor2", "/children/{other}"),
        ("doctor1", "/children/{own}/summary"),
        ("facility1", "/api/v1/children/{own}"),
        ("admin", "/api/v1/children/{own}/schedule"),
    ],
)
def test_each_read_by_a_professional_is_one_entry(app_client, world: World, username, path) -> None:
    actor = _user_id(app_client, username)
    assert _entries(app_client) == []
    url = path.format(other=world.other_child, own=world.own_child)
    assert login(app_client, username).get(url).status_code == 200
    entries = _entries(app_client)
    child = world.other_child if "{other}" in path else world.own_child
    assert len(entries) == 1
    entry = entries[0]
    assert set(entry) == ENTRY_KEYS
    role = "facility" if username == "facility1" else username.rstrip("12")
    assert (entry["actor_id"], entry["role"], entry["action"]) == (actor, role, "child.read")
    assert (entry["object_kind"], entry["object_ref"]) == ("child", str(child))
    # stored in UTC; its local date (Asia/Shanghai) is the service's pinned "today"
    at = dt.datetime.fromisoformat(entry["at"].replace("Z", "+00:00"))
    assert at.tzinfo is not None and at.astimezone(ZoneInfo("Asia/Shanghai")).date() == TODAY


def test_a_parent_reading_their_own_child_is_not_audited(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    for url in ("/api/v1/children/{}", "/api/v1/children/{}/measurements", "/children/{}"):
        assert client.get(url.format(world.own_child)).status_code == 200
    assert _entries(app_client) == []


def test_refused_reads_are_not_entries(app_client, world: World) -> None:
    client = login(app_client, "doctor1")
    assert client.get(f"/api/v1/children/{world.other_child}").status_code == 404
    assert client.get("/api/v1/children", params={"lang": "nope"}).status_code == 200
    assert client.get("/api/v1/cases", params={"facility_id": 0}).status_code == 400
    assert [e["action"] for e in _entries(app_client)] == ["children.list"]


def _children_in(rows: list[dict]) -> int:
    """How many children a list answer names (queue and due rows by ``child_id``)."""
    return len({row["child_id"] if "child_id" in row else row["id"] for row in rows})


@pytest.mark.parametrize(
    ("username", "path", "action", "kind"),
    [
        ("doctor1", "/api/v1/children", "children.list", "children"),
        ("admin", "/api/v1/children", "children.list", "children"),
        ("facility1", "/api/v1/children", "children.list", "children"),
        ("doctor2", "/api/v1/cases", "cases.list", "case-queue"),
        ("doctor1", "/api/v1/cases", "cases.list", "case-queue"),  # empty: 0 children
        ("doctor1", "/api/v1/missed-checks", "missed.list", "missed-checks"),
        ("admin", "/api/v1/missed-checks", "missed.list", "missed-checks"),
        ("facility1", "/api/v1/facility/due", "due.list", "due-checks"),
    ],
)
def test_each_list_read_is_one_entry_with_its_count(
    app_client, username, path, action, kind
) -> None:
    actor = _user_id(app_client, username)
    response = login(app_client, username).get(path)
    assert response.status_code == 200
    count = _children_in(response.json())
    entries = _entries(app_client)
    assert len(entries) == 1
    entry = entries[0]
    assert (entry["actor_id"], entry["action"], entry["object_kind"]) == (actor, action, kind)
    assert entry["object_ref"] == str(count)  # how many, never which
    assert [e["id"] for e in _entries(app_client, action)] == [entry["id"]]


def test_list_counts_are_of_children_not_rows() -> None:
    from api.services.views import child_count

    rows = [SimpleNamespace(child_id=i) for i in (7, 7, 9)]  # child 7: two checks due
    assert child_count(rows) == 2  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("username", "page", "lists"),
    [
        ("doctor2", "/doctor", {"cases.list": "/api/v1/cases"}),
        ("admin", "/doctor", {"cases.list": "/api/v1/cases"}),
        ("doctor1", "/doctor/missed", {"missed.list": "/api/v1/missed-checks"}),
        (
            "facility1",
            "/facility",
            {"children.list": "/api/v1/children", "due.list": "/api/v1/facility/due"},
        ),
    ],
)
def test_each_list_on_a_page_is_one_entry(app_client, username, page, lists) -> None:
    client = login(app_client, username)
    counts = {action: _children_in(client.get(url).json()) for action, url in lists.items()}
    assert any(counts.values())
    before = len(_entries(app_client))  # the entries of the JSON reads above
    page_read = login(app_client, username).get(page, headers={"accept": "text/html"})
    assert page_read.status_code == 200
    entries = _entries(app_client)
    added = entries[: len(entries) - before]  # newest first
    assert sorted((e["action"], int(e["object_ref"])) for e in added) == sorted(counts.items())


def test_a_parent_reading_their_own_list_is_not_audited(app_client) -> None:
    client = login(app_client, "parent1")
    assert len(client.get("/api/v1/children").json()) == 1
    assert client.get("/parent/", headers={"accept": "text/html"}).status_code == 200
    assert _entries(app_client) == []


def test_case_outcome_is_one_entry_api_and_page(app_client, world: World) -> None:
    doctor = _user_id(app_client, "doctor2")
    client = login(app_client, "doctor2")
    refused = client.post(f"/api/v1/cases/{world.other_case}/outcome", json={"outcome": "recheck"})
    assert refused.status_code == 422
    done = client.post(f"/api/v1/cases/{world.other_case}/outcome", json={"outcome": "normal"})
    assert done.status_code == 201
    entries = _entries(app_client, "case.outcome")
    assert [(e["actor_id"], e["role"], e["object_kind"], e["object_ref"]) for e in entries] == [
        (doctor, "doctor", "case", str(world.other_case))
    ]
    assert len(_entries(app_client)) == 1  # the outcome itself reads no record


def test_case_outcome_from_the_page_is_one_entry(app_client, world: World) -> None:
    client = login(app_client, "doctor2")
    page = client.post(
        f"/cases/{world.other_case}/outcome",
        data={"outcome": "advice"},
        follow_redirects=False,
    )
    assert page.status_code == 303, page.text
    entries = _entries(app_client, "case.outcome")
    assert [(e["object_kind"], e["object_ref"]) for e in entries] == [
        ("case", str(world.other_case))
    ]


def test_each_coverage_export_is_one_entry(app_client) -> None:
    bureau = _user_id(app_client, "bureau_p")
    client = login(app_client, "bureau_p")
    assert client.get("/api/v1/coverage").status_code == 200  # a view is not an export
    for _ in range(2):
        csv = client.get("/api/v1/coverage.csv", params={"area": "P1", "by": "clinic"})
        assert csv.status_code == 200
    entries = _entries(app_client)
    assert [(e["actor_id"], e["role"], e["action"], e["object_ref"]) for e in entries] == [
        (bureau, "bureau", "export.coverage", "P1")
    ] * 2


def test_the_audit_is_for_admins_only_and_filtered(app_client, world: World) -> None:
    login(app_client, "doctor2").get(f"/api/v1/children/{world.other_child}")
    login(app_client, "bureau_p").get("/api/v1/coverage.csv")
    for username in ("parent1", "doctor2", "facility1", "bureau_p"):
        assert login(app_client, username).get("/api/v1/audit").status_code == 403
    assert [e["action"] for e in _entries(app_client)] == ["export.coverage", "child.read"]
    assert [e["action"] for e in _entries(app_client, "child.read")] == ["child.read"]
    assert app_client.get("/api/v1/audit", params={"action": "nope"}).status_code == 400
    assert app_client.get("/api/v1/audit", params={"limit": 1}).json()[0]["action"] == (
        "export.coverage"
    )


def test_the_audit_table_refuses_update_and_delete(app_client, world: World) -> None:
    login(app_client, "doctor2").get(f"/api/v1/children/{world.other_child}")
    engine = create_engine(f"sqlite:///{world.db_file}")
    try:
        for sql in ("UPDATE audit_log SET actor_id = NULL", "DELETE FROM audit_log"):
            with pytest.raises(DatabaseError, match="append-only"), engine.begin() as conn:
                conn.execute(text(sql))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar() == 1
    finally:
        engine.dispose()
