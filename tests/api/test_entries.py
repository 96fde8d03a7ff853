"""A parent corrects or withdraws their own entry (issue 11): the JSON routes with their problem
details, and the pages (the history's links, the confirm page, the pre-filled correction form
with its errors next to the fields), on SQLite."""

from __future__ import annotations

import re
import uuid

from sqlmodel import select

from health.models import AuditEntry, Case, Measurement
from tests.api.api_world import World, login, world_db

HTML = {"accept": "text/html"}
# own_child is a boy born 2025-12-01: 196 days old on 2026-06-15, when the WHO median
# weight-for-age is 8.1 kg (z 0.00); 5.4 kg is below −3 SD (severely underweight)
MEDIAN_KG, SEVERE_KG = 8.1, 5.4


def key() -> dict[str, str]:
    """A fresh idempotency key: each POST below is a new request, not a repeat."""
    return {"Idempotency-Key": uuid.uuid4().hex}


def measure(client, world: World, kg: float, confirm: bool = False) -> dict:
    url = f"/api/v1/children/{world.own_child}/measurements"
    body = {"measured_on": "2026-06-15", "source": "home", "weight_kg": kg}
    response = client.post(url, json=body, params={"confirm": confirm}, headers=key())
    assert response.status_code == 201, response.text
    return response.json()


def entry_url(world: World, measurement_id: int, action: str, child: int | None = None) -> str:
    return f"/api/v1/children/{child or world.own_child}/measurements/{measurement_id}/{action}"


def test_the_parent_withdraws_a_confirmed_45_kg(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    typo = measure(client, world, 45.0, confirm=True)
    mid = typo["measurement"]["id"]
    assert typo["remeasure_requested"] and typo["measurement"]["status"] == "remeasure"
    summary = client.get(f"/children/{world.own_child}/summary", headers=HTML)
    assert "45.0" in summary.text  # the parent's summary shows it, for now

    done = client.post(entry_url(world, mid, "withdraw"), headers=key())

    assert done.status_code == 201, done.text
    body = done.json()
    assert body["measurement"]["id"] == mid and body["measurement"]["withdrawn_at"]
    assert (body["flags_resolved"], body["case_closed"], body["remeasure_cancelled"]) == (
        1, False, True,
    )  # fmt: skip
    listed = client.get(f"/api/v1/children/{world.own_child}/measurements").json()
    assert mid not in [m["id"] for m in listed]
    everything = client.get(
        f"/api/v1/children/{world.own_child}/measurements", params={"withdrawn": "true"}
    ).json()
    [kept] = [m for m in everything if m["id"] == mid]
    assert kept["weight_kg"] == 45.0 and kept["withdrawn_at"] and kept["withdrawn_by_id"]
    results = client.get(f"/api/v1/children/{world.own_child}/results").json()
    assert results == {"measurement": None, "indicators": []}
    summary = client.get(f"/children/{world.own_child}/summary", headers=HTML)
    assert summary.status_code == 200 and "45.0" not in summary.text and "45 kg" not in summary.text
    with world_db(world) as db:
        [entry] = db.exec(select(AuditEntry).where(AuditEntry.action == "measurement.withdraw"))
        assert (entry.role, entry.object_kind, entry.object_ref) == ("parent", "measurement",
                                                                     str(mid))  # fmt: skip


def test_refusals_are_problem_details(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    mid = measure(client, world, MEDIAN_KG)["measurement"]["id"]
    doctor = login(app_client, "doctor1")  # clinic C1: the child is in its scope
    refused = doctor.post(entry_url(world, mid, "withdraw"), headers=key())
    assert refused.status_code == 403
    problem = refused.json()
    assert problem["type"] == "urn:childhealth:problem:not-your-entry"
    assert problem["text"] == "这条记录是别人录入的，只有录入它的账号可以更正或撤回。"
    client = login(app_client, "parent1")
    with world_db(world) as db:
        other = db.exec(
            select(Measurement.id).where(Measurement.child_id == world.other_child)
        ).first()
    wrong_child = client.post(entry_url(world, other, "withdraw"), headers=key())
    assert wrong_child.status_code == 404
    assert wrong_child.json()["type"] == "urn:childhealth:problem:entry-not-found"
    assert client.post(entry_url(world, mid, "withdraw"), headers=key()).status_code == 201
    again = client.post(entry_url(world, mid, "withdraw"), headers=key())
    assert again.status_code == 409
    assert again.json()["type"] == "urn:childhealth:problem:already-withdrawn"
    body = {"measured_on": "2026-06-15", "source": "home", "weight_kg": 8.0}
    late = client.post(entry_url(world, mid, "correct"), json=body, headers=key())
    assert late.status_code == 409
    for nonsense in (0, 2**63, 10**30):
        lost = client.post(entry_url(world, nonsense, "withdraw"), headers=key())
        assert lost.status_code == 404, nonsense
    outsider = login(app_client, "parent2")  # not this child's guardian: no such child
    assert outsider.post(entry_url(world, mid, "withdraw"), headers=key()).status_code == 404


def test_a_correction_over_the_api(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    typo = measure(client, world, 45.0, confirm=True)["measurement"]["id"]
    body = {"measured_on": "2026-06-15", "source": "home", "weight_kg": 46.0}
    unconfirmed = client.post(entry_url(world, typo, "correct"), json=body, headers=key())
    assert unconfirmed.status_code == 422
    assert unconfirmed.json()["type"] == "urn:childhealth:problem:implausible-measurement"
    body["weight_kg"] = MEDIAN_KG
    fixed = client.post(entry_url(world, typo, "correct"), json=body, headers=key())
    assert fixed.status_code == 201, fixed.text
    out = fixed.json()
    new = out["result"]["measurement"]
    assert (new["corrects_id"], new["weight_kg"], new["z_wfa"], new["status"]) == (
        typo, MEDIAN_KG, 0.0, "accepted",
    )  # fmt: skip
    withdrawn = out["withdrawn"]
    assert withdrawn["measurement"]["withdrawn_at"] and withdrawn["remeasure_cancelled"]
    results = client.get(f"/api/v1/children/{world.own_child}/results").json()
    assert results["measurement"]["id"] == new["id"]
    [wfa] = [i for i in results["indicators"] if i["code"] == "wfa"]
    assert wfa["z"] == 0.0


def _history_row(page: str, mid: int) -> str:
    found = re.search(rf'<tr id="entry-{mid}"[^>]*>(.*?)</tr>', page, re.S)
    assert found, f"entry {mid} is in the history"
    return found.group(0)


def test_the_history_offers_the_parents_own_entries_only(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    mid = measure(client, world, MEDIAN_KG)["measurement"]["id"]
    page = client.get(f"/children/{world.own_child}", headers=HTML)
    row = _history_row(page.text, mid)
    assert f'href="/children/{world.own_child}/measurements/{mid}/correct">更正</a>' in row
    assert f'action="/children/{world.own_child}/measurements/{mid}/withdraw"' in row
    assert ">撤回</button>" in row
    doctor = login(app_client, "doctor1")
    page = doctor.get(f"/children/{world.own_child}", headers=HTML)
    assert "/correct" not in _history_row(page.text, mid)  # the parent's entry, not the doctor's
    refused = doctor.get(f"/children/{world.own_child}/measurements/{mid}/correct", headers=HTML)
    assert refused.status_code == 403
    assert "只有录入它的账号可以更正或撤回" in refused.text


def test_withdrawing_from_the_pages_closes_the_case(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    severe = measure(client, world, SEVERE_KG)
    assert severe["case_opened"]
    mid = severe["measurement"]["id"]
    confirm = client.get(f"/children/{world.own_child}/measurements/{mid}/withdraw", headers=HTML)
    assert confirm.status_code == 200
    assert "撤回 2026-06-15 的记录吗？" in confirm.text and "5.4 kg" in confirm.text
    done = client.post(f"/children/{world.own_child}/measurements/{mid}/withdraw",
                       headers=HTML, data={"idempotency_key": uuid.uuid4().hex},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    assert done.headers["location"] == f"/children/{world.own_child}#measurements"
    page = client.get(f"/children/{world.own_child}", headers=HTML)
    row = _history_row(page.text, mid)
    assert 'class="withdrawn"' in row and "已撤回" in row and "parent1" in row
    assert "/correct" not in row  # withdrawn: nothing more to change
    assert 'id="results"' not in page.text  # no measurement left that counts
    with world_db(world) as db:
        case = db.exec(select(Case).where(Case.child_id == world.own_child)).one()
        assert case.status == "closed"
    doctor = login(app_client, "doctor1")
    seen = doctor.get(f"/children/{world.own_child}", headers=HTML)
    assert "已关闭：引起提示的记录已被撤回" in seen.text  # the outcome history


def test_the_correction_form_is_filled_and_keeps_refused_input(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    mid = measure(client, world, 45.0, confirm=True)["measurement"]["id"]
    url = f"/children/{world.own_child}/measurements/{mid}/correct"
    form = client.get(url, headers=HTML)
    assert form.status_code == 200
    assert 'name="weight_kg" inputmode="decimal" step="0.01" value="45"' in form.text
    assert f'action="{url}"' in form.text and "更正 2026-06-15 的记录" in form.text
    bad = client.post(url, headers=HTML, data={"measured_on": "2026-06-15", "weight_kg": "8,1x"})
    assert bad.status_code == 422
    assert re.search(r'id="weight_kg-error"[^>]*>请填写数字，例如 7.25。<', bad.text)
    assert 'value="8,1x"' in bad.text
    again = client.post(url, headers=HTML, data={"measured_on": "2026-06-15", "weight_kg": "44"})
    assert again.status_code == 422 and 'name="confirm"' in again.text  # the confirm step
    saved = client.post(url, headers=HTML, follow_redirects=False,
                        data={"measured_on": "2026-06-15", "weight_kg": "8.1"})  # fmt: skip
    assert saved.status_code == 303
    page = client.get(f"/children/{world.own_child}", headers=HTML)
    assert "已更正" in _history_row(page.text, mid)
    with world_db(world) as db:
        new = db.exec(select(Measurement).where(Measurement.corrects_id == mid)).one()
        assert (new.weight_kg, new.z_wfa, new.withdrawn_at) == (8.1, 0.0, None)
        new_id = new.id
    assert "更正了之前的一条记录" in _history_row(page.text, new_id)
