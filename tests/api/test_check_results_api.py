"""The check endpoint and the doctor's check form: results stored, flags in words, refusals
in words next to their field (JSON: RFC 9457 problem; page: inline, the input kept)."""

from __future__ import annotations

import uuid

from litestar.testing import TestClient

from tests.api.api_world import World, login

HTML = {"accept": "text/html"}


def key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def test_doctor_records_a_check_with_results(app_client: TestClient, world: World) -> None:
    """K-T1 (born 2024-06-01) at its 24-month check: a refer on the left ear and 2 decayed
    teeth → two refer flags and one case; the results come back stored."""
    client = login(app_client, "doctor1")
    body = {"check_date": "2026-06-01", "kind": "routine", "hearing_left": "refer",
            "hearing_right": "pass", "red_reflex": "normal", "caries_teeth": 2}  # fmt: skip
    response = client.post(f"/api/v1/children/{world.t1_child}/checks", json=body, headers=key())
    assert response.status_code == 201, response.text
    out = response.json()
    assert [f["code"] for f in out["flags"]] == ["CHECK_HEARING_REFER_LEFT", "CHECK_CARIES"]
    assert out["case_opened"] is True
    assert out["check"]["clinic_id"] == world.clinic1  # the doctor's clinic
    assert out["check"]["hearing_left"] == "refer" and out["check"]["caries_teeth"] == 2
    assert out["flags"][1]["text"].startswith("检查发现孩子有 2 颗龋齿")
    assert out["flags"][0]["domain"] == "hearing" and out["flags"][1]["domain"] == "oral"
    listed = client.get(f"/api/v1/children/{world.t1_child}/checks").json()
    assert [(c["check_date"], c["caries_teeth"]) for c in listed] == [("2026-06-01", 2)]


def test_a_result_not_allowed_is_a_problem_in_words(app_client: TestClient, world: World) -> None:
    client = login(app_client, "doctor1")
    body = {"check_date": "2026-06-01", "kind": "routine", "red_reflex": "refer"}
    response = client.post(f"/api/v1/children/{world.t1_child}/checks", json=body, headers=key())
    assert response.status_code == 422
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "请从选项中选择一个结果" in str(problem)
    young = {"check_date": "2026-06-01", "kind": "routine", "acuity_left": 4.9}
    response = client.post(f"/api/v1/children/{world.t1_child}/checks", json=young, headers=key())
    assert response.status_code == 422 and "视力表" in str(response.json())


def test_parents_and_other_clinics_cannot_record_checks(
    app_client: TestClient, world: World
) -> None:
    body = {"check_date": "2026-06-01", "kind": "routine"}
    parent = login(app_client, "parent1")
    url = f"/api/v1/children/{world.own_child}/checks"
    assert parent.post(url, json=body, headers=key()).status_code == 403
    other = login(app_client, "doctor2")
    assert other.post(f"/api/v1/children/{world.t1_child}/checks", json=body,
                      headers=key()).status_code == 404  # fmt: skip


def test_the_check_form_saves_results_and_refuses_inline(
    app_client: TestClient, world: World
) -> None:
    client = login(app_client, "doctor1")
    page = client.get(f"/children/{world.t1_child}", headers=HTML).text
    assert f'href="/children/{world.t1_child}/check"' in page
    form = client.get(f"/children/{world.t1_child}/check", headers=HTML)
    assert form.status_code == 200 and "听力筛查" in form.text and "红光反射" in form.text
    bad = {
        "check_date": "2026-06-01",
        "kind": "routine",
        "hearing_left": "maybe",
        "acuity_left": "4.9",
        "caries_teeth": "two",
        "idempotency_key": uuid.uuid4().hex,
    }
    refused = client.post(f"/children/{world.t1_child}/check", data=bad, headers=HTML)
    assert refused.status_code == 422
    text = refused.text
    assert 'id="caries_teeth-error"' in text  # the count, before anything is stored
    assert 'value="4.9"' in text  # the input kept
    bad["caries_teeth"] = "1"
    bad["idempotency_key"] = uuid.uuid4().hex
    refused = client.post(f"/children/{world.t1_child}/check", data=bad, headers=HTML)
    assert refused.status_code == 422
    assert 'id="hearing_left-error"' in refused.text and "请从选项中选择一个结果" in refused.text
    good = {
        "check_date": "2026-06-01",
        "kind": "routine",
        "hearing_left": "pass",
        "hearing_right": "refer",
        "visual_behaviour": "normal",
        "caries_teeth": "0",
        "vitamin_d_given": "yes",
        "hb_g_l": "118",
        "idempotency_key": uuid.uuid4().hex,
    }
    saved = client.post(f"/children/{world.t1_child}/check", data=good, headers=HTML,
                        follow_redirects=False)  # fmt: skip
    assert saved.status_code == 303, saved.text[:500]
    (stored,) = client.get(f"/api/v1/children/{world.t1_child}/checks").json()
    assert (stored["hearing_right"], stored["caries_teeth"], stored["vitamin_d_given"],
            stored["hb_g_l"]) == ("refer", 0, True, 118.0)  # fmt: skip
    child_page = client.get(f"/children/{world.t1_child}", headers=HTML).text
    assert "听力筛查右耳未通过" in child_page  # the flag, in words, on the doctor's page


def test_bureau_sees_screening_coverage_with_small_counts_hidden(
    app_client: TestClient, world: World
) -> None:
    """Three resident children, each with a hearing screen due in 2026 (6 and 24 months):
    every count is below 5, so the table shows <5 and no rate."""
    client = login(app_client, "bureau_p")
    page = client.get("/bureau?year=2026&part=", headers=HTML).text
    start = page.index('id="screening-coverage"')
    table = page[start : page.index("</section>", start)]
    assert "听力筛查" in table and "血红蛋白" in table
    hearing = table[table.index('data-screen="screen_hearing"') :].split("</tr>")[0]
    assert hearing.count("&lt;5") == 2 and "%" not in hearing


FIELDS = (
    "check_date", "kind", "clinic_code", "weight_kg", "length_cm", "measure", "head_cm", "hb_g_l",
    "hearing_left", "hearing_right", "red_reflex", "eye_position", "visual_behaviour",
    "acuity_left", "acuity_right", "caries_teeth", "vitamin_d_given",
)  # fmt: skip


def test_hostile_values_in_any_field_get_no_server_error(
    app_client: TestClient, world: World
) -> None:
    """Each field of the JSON body and of the form, one at a time, with the hostile corpus of
    the fuzz tests: refused in words (4xx) or stored, never a 5xx."""
    from tests.reliability.test_fuzz_api import HOSTILE_VALUES

    client = login(app_client, "doctor1")
    url = f"/api/v1/children/{world.t1_child}/checks"
    for field in FIELDS:
        for value in HOSTILE_VALUES:
            body = {"check_date": "2026-05-01", "kind": "routine", field: value}
            got = client.post(url, json=body, headers=key())
            assert got.status_code < 500, (field, value, got.text[:300])
            form = {k: str(v) for k, v in body.items()} | {"idempotency_key": uuid.uuid4().hex}
            page = client.post(f"/children/{world.t1_child}/check", data=form, headers=HTML,
                               follow_redirects=False)  # fmt: skip
            assert page.status_code < 500, (field, value, page.text[:300])
