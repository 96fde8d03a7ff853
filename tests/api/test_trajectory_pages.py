"""The trajectory rules on the pages: the doctor reads a weight velocity below the 5th centile in
words with its evidence; a parent's value far off the child's trajectory asks for a re-measure
in words and opens no case."""

from __future__ import annotations

from litestar.testing import TestClient
from sqlmodel import select

from health.models import Case, RemeasureRequest
from screening.messages import text
from tests.api.api_world import World, login, world_db

HTML = {"accept": "text/html"}


def _section(page: str, section_id: str) -> str:
    start = page.index(f'id="{section_id}"')
    return page[start : page.index("</section>", start)]


def _measure(client: TestClient, child: int, **form: str) -> str:
    response = client.post(f"/children/{child}/measure", headers=HTML, data=form)
    assert response.status_code == 200, response.text[:400]
    return response.text


def test_the_doctor_reads_the_weight_velocity_in_words(app_client: TestClient, world: World):
    # own_child, a boy born 2025-12-01: 7.00 kg at 151 days, 7.05 kg at 181 days (+50 g in 30
    # days, WHO 1-month table, row 5-6 months)
    doctor = login(app_client, "doctor1")
    _measure(doctor, world.own_child, measured_on="2026-05-01", weight_kg="7.0")
    _measure(doctor, world.own_child, measured_on="2026-05-31", weight_kg="7.05")
    page = doctor.get(f"/children/{world.own_child}", headers=HTML).text
    flags = _section(page, "flags")
    assert "GROWTH_" not in page and "velocity_z" not in flags
    assert "体重增长速度低于第5百分位（WHO增长速度Z &lt; -1.645）" in flags
    assert "第 151 天 7.0 千克 → 第 181 天 7.05 千克（30 天，增加 50 克）" in flags
    assert "WHO 1个月增长速度Z -" in flags
    doctor.cookies.set("lang", "en", domain="testserver.local")
    english = _section(doctor.get(f"/children/{world.own_child}", headers=HTML).text, "flags")
    assert "Weight velocity below the 5th centile" in english
    assert "7.0 kg on day 151 → 7.05 kg on day 181 (30 days, 50 g)" in english


def test_a_parents_value_off_the_trajectory_asks_for_a_remeasure(
    app_client: TestClient, world: World
) -> None:
    doctor = login(app_client, "doctor1")
    _measure(doctor, world.own_child, measured_on="2026-05-31", weight_kg="7.6")
    parent = login(app_client, "parent1")
    page = _measure(parent, world.own_child, measured_on="2026-06-10", weight_kg="10.6")
    assert text("flag.growth_trajectory_weight.parent", "zh-CN") in page
    assert text("result.implausible", "zh-CN") in page
    assert "GROWTH_" not in page
    with world_db(world) as db:
        assert db.exec(select(Case).where(Case.child_id == world.own_child)).all() == []
        [request] = db.exec(
            select(RemeasureRequest).where(RemeasureRequest.child_id == world.own_child)
        ).all()
        assert request.status == "pending" and request.indicators == ["wfa"]
