"""The facility's journey (issue 11): overdue checks first, the enrolled children by name with
their age in words and next check, and after a measurement of an overdue child the page says
why the check is still missed: a measurement here is not a health check, the linked clinic
(named) does the check."""

from __future__ import annotations

from tests.api.api_world import World, login

HTML = {"accept": "text/html"}


def _page(client, **params: str) -> str:
    answer = client.get("/facility", params=params, headers=HTML)
    assert answer.status_code == 200, answer.text
    return answer.text


def test_overdue_checks_come_before_due_ones(app_client, world: World) -> None:
    page = _page(login(app_client, "facility1"))
    missed, due = page.index('class="st-missed"'), page.index('class="st-due"')
    assert missed < due


def test_the_enrolled_children_are_listed_by_name_with_age_and_next_check(
    app_client, world: World
) -> None:
    page = _page(login(app_client, "facility1"))
    enrolled = page[page.index('<table class="enrolled">') :]
    assert "Xiaoming" in enrolled and "K-OWN" not in enrolled
    assert "<td>6月龄</td>" in enrolled  # born 2025-12-01, seen on 2026-06-15
    assert "6月龄健康检查" in enrolled and "2026-05-17 – 2026-07-01 · 应查" in enrolled
    english = _page(login(app_client, "facility1"), lang="en")
    enrolled = english[english.index('<table class="enrolled">') :]
    assert "<th>Next check</th>" in enrolled and "<td>6 months</td>" in enrolled
    assert "m6" not in enrolled  # the check in words, never its code


def test_a_measurement_at_the_facility_leaves_a_missed_check_missed_and_says_why(
    app_client, world: World
) -> None:
    staff = login(app_client, "facility1")
    body = {"measured_on": "2026-06-12", "source": "facility", "weight_kg": 7.6,
            "length_cm": 66.0, "measure": "L"}  # fmt: skip
    made = staff.post(f"/api/v1/children/{world.own_child}/measurements", json=body)
    assert made.status_code == 201, made.text
    page = _page(staff)
    assert 'class="st-missed"' in page and "已错过" in page
    assert 'id="missed-note"' in page
    assert "在托育机构的测量不是健康检查" in page and "签约卫生机构（Clinic 1）" in page
    assert "体检由Clinic 1进行" in page
    english = _page(staff, lang="en")
    assert "A measurement at the facility is not a health check" in english
    assert (
        "done at the linked clinic, Clinic 1" in english
        and "checks are done at Clinic 1" in english
    )
