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


def _outcome(client: TestClient, world: World, **form: str):
    return client.post(f"/cases/{world.other_case}/outcome", headers=HTML, data=form,
                       follow_redirects=False)  # fmt: skip


def _section(page: str, section_id: str) -> str:
    start = page.index(f'id="{section_id}"')
    return page[start : page.index("</section>", start)]


def test_outcomes_are_shown_on_the_child_page(app_client: TestClient, world: World) -> None:
    """A recheck with its date and note, then a referral with its institution: both outcomes
    with who, when, the outcome in words, the date and the note/institution."""
    client = login(app_client, "doctor2")
    page = client.get(f"/children/{world.other_child}", headers=HTML).text
    assert "尚未记录处理结果" in _section(page, "outcomes")
    planned = _outcome(client, world, outcome="recheck", recheck_on="2026-07-01",
                       outcome_note="weigh again after feeding advice")  # fmt: skip
    assert planned.status_code == 303
    page = client.get(f"/children/{world.other_child}", headers=HTML).text
    history = _section(page, "outcomes")
    assert "预约复查" in history and "2026-07-01" in history and "doctor2" in history
    assert "weigh again after feeding advice" in history
    referred = _outcome(client, world, outcome="referred", outcome_note="County MCH hospital")
    assert referred.status_code == 303
    page = client.get(f"/children/{world.other_child}", headers=HTML).text
    history = _section(page, "outcomes")
    assert "转诊至County MCH hospital" in history
    assert "weigh again after feeding advice" in history  # the first outcome's note is kept
    assert history.index("County MCH hospital") < history.index("weigh again")  # newest first
    client.cookies.set("lang", "en", domain="testserver.local")
    english = _section(client.get(f"/children/{world.other_child}", headers=HTML).text, "outcomes")
    assert "Referred to County MCH hospital" in english and "Recheck planned" in english


def test_a_refused_outcome_comes_back_inline_with_the_input(
    app_client: TestClient, world: World
) -> None:
    """A recheck without its date, a referral without an institution, no outcome at all: the
    child's page again (422) with the message in the outcome form and what was typed kept."""
    client = login(app_client, "doctor2")
    refused = _outcome(client, world, outcome="recheck", outcome_note="a long note typed")
    assert refused.status_code == 422 and refused.headers["content-type"].startswith("text/html")
    form = _section(refused.text, "outcome")
    assert 'id="outcome-error"' in form and "复查" in form
    assert "a long note typed</textarea>" in form
    assert 'value="recheck" checked' in form
    assert f"/cases/{world.other_case}/outcome" in form  # the form is there to send again
    referral = _outcome(client, world, outcome="referred", recheck_on="2026-07-02")
    assert referral.status_code == 422
    assert 'id="outcome-error"' in referral.text and 'value="2026-07-02"' in referral.text
    nothing = _outcome(client, world, outcome_note="kept")
    assert nothing.status_code == 422 and "请选择一项处理结果" in nothing.text
    assert "outcome:" not in nothing.text  # no field names
    page = client.get(f"/children/{world.other_child}", headers=HTML).text
    assert "尚未记录处理结果" in _section(page, "outcomes")  # nothing was stored
