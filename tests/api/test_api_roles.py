"""Each endpoint per role, in process: real values from the growth engine and the rules."""

from __future__ import annotations

import pytest

from tests.api.api_world import TODAY, World, breast_milk_only, login


def test_health_and_openapi_with_local_docs(app_client) -> None:
    assert app_client.get("/health").json() == {"status": "ok"}
    schema = app_client.get("/schema/openapi.json").json()
    assert "/api/v1/children/{child_id}/measurements" in schema["paths"]
    page = app_client.get("/schema/swagger")
    if page.status_code == 200:  # swagger-ui-bundle installed: every asset is local
        assert "cdn" not in page.text and "/static/swagger/swagger-ui-bundle.js" in page.text
        assert app_client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200
    assert app_client.get("/static/plotly.min.js").status_code == 200


def test_me_and_wrong_password(app_client) -> None:
    client = login(app_client, "doctor1")
    assert client.get("/api/v1/me").json()["role"] == "doctor"
    bad = client.post("/api/v1/auth/login", json={"username": "doctor1", "password": "nope"})
    assert bad.status_code == 401 and bad.json()["type"].endswith("not-signed-in")


def test_parent_adds_child_and_measurement_below_minus_two(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    made = client.post(
        "/api/v1/children",
        json={"sex": "F", "birth_date": "2026-01-15", "area_code": "T1", "name": "Xiaohong"},
    )
    assert made.status_code == 201, made.text
    child_id = made.json()["id"]
    # girl, 136 days (2026-05-31): 4.9 kg is between -3 and -2 SD of weight-for-age
    body = {"measured_on": "2026-05-31", "source": "home", "weight_kg": 4.9}
    response = client.post(f"/api/v1/children/{child_id}/measurements", json=body)
    assert response.status_code == 201, response.text
    out = response.json()
    assert out["measurement"]["age_days"] == 136
    wfa = next(i for i in out["indicators"] if i["code"] == "wfa")
    assert -3 < wfa["z"] < -2
    assert wfa["percentile"] == pytest.approx(
        100 * __import__("scipy").stats.norm.cdf(wfa["z"]), abs=0.06
    )
    assert [f["code"] for f in out["flags"]] == ["GROWTH_UNDERWEIGHT"]
    assert out["case_opened"] is True
    listed = client.get(f"/api/v1/children/{child_id}/measurements").json()
    assert [m["z_wfa"] for m in listed] == [wfa["z"]]
    # the doctor of township T1 now has the case
    doctor = login(app_client, "doctor1")
    queue = doctor.get("/api/v1/cases").json()
    assert [q["child_id"] for q in queue] == [child_id]
    assert queue[0]["severity"] == "review" and queue[0]["domains"] == "growth"


def test_implausible_value_needs_confirmation(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    url = f"/api/v1/children/{world.own_child}/measurements"
    body = {"measured_on": "2026-06-01", "source": "home", "weight_kg": 30.0}
    refused = client.post(url, json=body)
    assert refused.status_code == 422
    assert refused.json()["type"] == "urn:childhealth:problem:implausible-measurement"
    assert refused.json()["indicators"] == ["wfa"]
    stored = client.post(url, params={"confirm": "true"}, json=body)
    assert stored.status_code == 201
    assert stored.json()["measurement"]["status"] == "remeasure"
    assert stored.json()["case_opened"] is False


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"source": "home", "weight_kg": 5}, "measured_on"),
        ({"measured_on": "2026-06-01", "source": "home", "weight_kg": -1}, "weight_kg"),
        ({"measured_on": "yesterday", "source": "home"}, "measured_on"),
    ],
)
def test_invalid_bodies_are_problem_details(app_client, world: World, body, where) -> None:
    client = login(app_client, "parent1")
    response = client.post(f"/api/v1/children/{world.own_child}/measurements", json=body)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["status"] == 400 and problem["type"] == "urn:childhealth:problem:bad-request"
    assert where in str(problem["errors"])


def test_domain_errors_are_problem_details(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    url = f"/api/v1/children/{world.own_child}/measurements"
    future = client.post(url, json={"measured_on": "2026-07-01", "source": "home", "weight_kg": 7})
    assert future.status_code == 422 and "after today" in future.json()["detail"]
    assert future.json()["message_id"] == "error.record.date_in_future"
    assert future.json()["field"] == "measured_on"
    empty = client.post(url, json={"measured_on": "2026-06-01", "source": "home"})
    assert empty.status_code == 422 and empty.json()["type"].endswith("invalid-record")
    assert empty.json()["message_id"] == "error.record.no_value"


def test_schedule_of_a_child(app_client, world: World) -> None:
    client = login(app_client, "parent1")
    rows = client.get(f"/api/v1/children/{world.own_child}/schedule").json()
    # born 2025-12-01, no check recorded: the newborn visit window has closed by 2026-06-15
    assert rows[0]["kind"] == "newborn_visit" and rows[0]["status"] == "missed"
    assert {r["status"] for r in rows} <= {"missed", "due", "upcoming"}


def test_milestones_and_feeding(app_client, world: World) -> None:
    from screening import reference
    from screening.development import age_used, choose_band

    client = login(app_client, "parent1")
    inst = reference.instrument("milestone-checklist")
    import datetime as dt

    band = choose_band(
        inst,
        age_used(
            inst, birth_date=dt.date(2025, 12, 1), gestational_weeks=None, assessment_date=TODAY
        ),
    )
    answers = {item.id: "yes" for item in band.items}
    answers |= {q.id: "no" for q in inst.global_questions}
    first = band.items[0].id
    answers[first] = "not_yet"
    out = client.post(
        f"/api/v1/children/{world.own_child}/milestones",
        json={"administered_on": TODAY.isoformat(), "answers": answers},
    )
    assert out.status_code == 201, out.text
    assert out.json()["outcome"] == "discuss"
    recall = breast_milk_only()
    fed = client.post(
        f"/api/v1/children/{world.own_child}/feeding",
        json={"recalled_on": "2026-06-14", "answers": recall},
    )
    assert fed.status_code == 201, fed.text
    # 6 completed months, only breast milk yesterday: solids not started, advice given
    codes = [f["code"] for f in fed.json()["flags"]]
    assert "FEED_SOLIDS_NOT_STARTED" in codes and fed.json()["advice"]


def test_doctor_outcome_closes_case_and_audits(app_client, world: World) -> None:
    client = login(app_client, "doctor2")
    flags = client.get(f"/api/v1/children/{world.other_child}/flags").json()
    assert flags and all(f["evidence"]["rule_version"] for f in flags)
    no_date = client.post(f"/api/v1/cases/{world.other_case}/outcome", json={"outcome": "recheck"})
    assert no_date.status_code == 422
    done = client.post(
        f"/api/v1/cases/{world.other_case}/outcome",
        json={"outcome": "referred", "outcome_note": "County MCH hospital"},
    )
    assert done.status_code == 201 and done.json()["status"] == "closed"
    assert client.get("/api/v1/cases").json() == []
    again = client.post(f"/api/v1/cases/{world.other_case}/outcome", json={"outcome": "normal"})
    assert again.status_code == 409 and again.json()["type"].endswith("case-state")


def test_missed_checks_and_facility_due(app_client, world: World) -> None:
    doctor = login(app_client, "doctor1")
    missed = doctor.get("/api/v1/missed-checks").json()
    assert {m["child_id"] for m in missed} == {world.own_child, world.t1_child}
    staff = login(app_client, "facility1")
    due = staff.get("/api/v1/facility/due").json()
    assert {d["child_id"] for d in due} == {world.own_child}


def test_bureau_coverage_counts_only(app_client) -> None:
    client = login(app_client, "bureau_p")
    view = client.get("/api/v1/coverage").json()
    assert view["area_code"] == "P" and {r["unit_code"] for r in view["rows"]} == {"P1"}
    # three children under 7 live in the province, none has a check: 0 of 3, but a denominator
    # and a gap under 5 are suppressed (and so the numerator and the rate with them)
    child = next(r for r in view["totals"] if r["indicator"] == "child_health_management_0_6")
    assert (child["numerator"], child["denominator"], child["gap"]) == (None, None, None)
    assert child["suppressed"] is True
    assert len(view["trend"]) == 4
    csv = client.get("/api/v1/coverage.csv", params={"area": "P1", "by": "clinic"})
    assert csv.status_code == 200 and csv.text.startswith("\ufeff地区,统计期,统计起始日")
    for secret in ("Xiaoming", "K-OWN", "2025-12-01", "child_id"):
        assert secret not in csv.text and secret not in str(view)
    assert client.get("/api/v1/coverage", params={"by": "nope"}).status_code == 422
    assert client.get("/api/v1/coverage", params={"period": "2026-Q9"}).status_code == 400


def test_pages_render_for_each_role(app_client, world: World) -> None:
    html = {"accept": "text/html"}
    assert app_client.get("/parent", headers=html, follow_redirects=False).status_code in (302, 303)
    pages = {
        "parent1": [
            "/parent",
            f"/children/{world.own_child}",
            f"/children/{world.own_child}/measure",
            f"/children/{world.own_child}/milestones",
            f"/children/{world.own_child}/feeding",
            f"/children/{world.own_child}/summary",
            "/parent/children/new",
        ],
        "doctor2": ["/doctor", f"/children/{world.other_child}", "/doctor/missed"],
        "facility1": ["/facility"],
        "bureau_a": ["/bureau", "/bureau?by=clinic", "/bureau?area=T1&by=facility"],
    }
    for username, paths in pages.items():
        client = login(app_client, username)
        for path in paths:
            response = client.get(path, headers=html)
            assert response.status_code == 200, (username, path, response.text[:300])
    client = login(app_client, "bureau_a")
    denied = client.get(f"/children/{world.own_child}", headers=html)
    assert denied.status_code == 403 and "<html" in denied.text


def test_openapi_documents_problem_details(app_client) -> None:
    schema = app_client.get("/schema/openapi.json").json()
    post = schema["paths"]["/api/v1/children/{child_id}/measurements"]["post"]
    for status in ("400", "401", "403", "404", "422"):
        assert "application/problem+json" in post["responses"][status]["content"]
    assert not any(path.startswith(("/parent", "/doctor", "/login")) for path in schema["paths"])


def test_results_and_milestone_form_for_api_clients(app_client, world: World) -> None:
    from growth_charts import round_z
    from screening.growth import measurement_z

    client = login(app_client, "parent1")
    assert client.get(f"/api/v1/children/{world.own_child}/results").json()["indicators"] == []
    body = {"measured_on": "2026-06-10", "source": "home", "weight_kg": 6.0}
    client.post(f"/api/v1/children/{world.own_child}/measurements", json=body)
    results = client.get(f"/api/v1/children/{world.own_child}/results", params={"lang": "en"})
    wfa = results.json()["indicators"][0]
    # boy born 2025-12-01, 191 days on 2026-06-10, 6.0 kg (WHO median ~7.9 kg, -2 SD ~6.4 kg)
    expected = round_z(measurement_z(sex="M", age_days=191, weight_kg=6.0)["wfa"])
    assert (wfa["code"], wfa["z"]) == ("wfa", float(expected)) and -3 < wfa["z"] < -2
    assert wfa["sentence"].startswith("Lower than most children")
    form = client.get(f"/api/v1/children/{world.own_child}/milestones/form").json()
    assert form["instrument"].startswith("milestone-checklist@") and form["questions"]
    answers = {q["id"]: q["answers"][0] for q in form["questions"]}  # "yes" everywhere
    answers |= {q["id"]: "no" for q in form["questions"] if q["answers"] == ["yes", "no"]}
    scored = client.post(f"/api/v1/children/{world.own_child}/milestones",
                         json={"administered_on": "2026-06-15", "answers": answers})  # fmt: skip
    assert scored.status_code == 201 and scored.json()["outcome"] == "no_concern"


def test_dashboard_figures_are_kept_until_the_data_changes(
    app_client, world: World, monkeypatch
) -> None:
    import uuid

    from health import release

    calls = []
    real = release.coverage
    monkeypatch.setattr(release, "coverage", lambda *a, **k: calls.append(1) or real(*a, **k))
    client = login(app_client, "bureau_a")
    first = client.get("/api/v1/coverage").json()
    assert len(calls) == 5  # the area trees of the year and four quarters (then kept)
    assert client.get("/api/v1/coverage").json() == first
    assert client.get("/bureau", headers={"accept": "text/html"}).status_code == 200
    assert len(calls) == 5  # the page reads the same kept figures
    doctor = login(app_client, "doctor1")
    body = {"check_date": "2026-06-01", "kind": "routine"}
    recorded = doctor.post(f"/api/v1/children/{world.t1_child}/checks", json=body,
                           headers={"Idempotency-Key": uuid.uuid4().hex})  # fmt: skip
    assert recorded.status_code == 201, recorded.text
    client = login(app_client, "bureau_a")
    client.get("/api/v1/coverage")
    assert len(calls) == 10  # the check moved the data's stamp: computed again, not kept
