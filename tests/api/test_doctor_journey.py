"""The doctor's journey (issue 11): the queue's filters, the outcome history and its refusals
on the child's page, evidence and flags in words, one advice flag per rule, the missed-checks
list."""

from __future__ import annotations

from litestar.testing import TestClient

from tests.api.api_world import World, login

HTML = {"accept": "text/html"}


def test_queue_filter_all_children_is_the_whole_queue(app_client: TestClient, world: World) -> None:
    """Pressing 筛选 with the defaults sends ``facility=&domain=``: the whole queue, not 400."""
    login(app_client, "doctor2")
    response = app_client.get("/doctor?facility=&domain=", headers=HTML)
    assert response.status_code == 200, response.text[:500]
    assert f"/children/{world.other_child}" in response.text
    assert app_client.get("/doctor?facility=", headers=HTML).status_code == 200
    for value in (2**63, 0, -1, "abc", " "):
        assert app_client.get(f"/doctor?facility={value}", headers=HTML).status_code == 400
