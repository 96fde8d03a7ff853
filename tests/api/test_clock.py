"""One clock: "today" is the local date in CHILDHEALTH_TIMEZONE (default Asia/Shanghai), for
every date check of the API and the pages; instants are stored in UTC and shown local.

The clock is pinned at 07:00 local (still the day before in UTC: the morning case) and at 23:30
local (the same day in UTC, the next day half an hour later)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from litestar.testing import TestClient
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from api.app import create_app
from api.cli import app as cli
from api.settings import Settings
from health.clock import Clock, TimezoneSettingError
from tests.api.api_world import World, login

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = dt.date(2026, 6, 15)
MORNING = dt.datetime(2026, 6, 15, 7, 0, tzinfo=SHANGHAI)  # 2026-06-14 23:00 UTC
NIGHT = dt.datetime(2026, 6, 15, 23, 30, tzinfo=SHANGHAI)  # 2026-06-15 15:30 UTC


def client_at(world: World, instant: dt.datetime) -> TestClient:
    settings = Settings(database_url=f"sqlite:///{world.db_file}", secret_key="t" * 32)
    clock = Clock(zone=SHANGHAI, source=lambda: instant.astimezone(dt.UTC))
    return TestClient(create_app(settings, clock=clock), base_url="https://testserver.local")


@pytest.fixture(params=[MORNING, NIGHT], ids=["07:00", "23:30"])
def local_client(request: pytest.FixtureRequest, world: World) -> Iterator[TestClient]:
    with client_at(world, request.param) as client:
        yield client


def test_clock_reads_the_local_date() -> None:
    morning = Clock(zone=SHANGHAI, source=lambda: MORNING.astimezone(dt.UTC))
    assert morning.now().date() == dt.date(2026, 6, 14) and morning.today() == DAY
    night = Clock(zone=SHANGHAI, source=lambda: NIGHT.astimezone(dt.UTC))
    assert night.today() == DAY and night.local(night.now()).strftime("%H:%M") == "23:30"
    pinned = Clock(zone=SHANGHAI, pinned_today=dt.date(2026, 1, 2), source=morning.source)
    assert pinned.today() == dt.date(2026, 1, 2) and pinned.local(pinned.now()).hour == 7


def test_a_measurement_dated_today_is_accepted(local_client: TestClient, world: World) -> None:
    client = login(local_client, "parent1")
    url = f"/api/v1/children/{world.own_child}/measurements"
    today = client.post(url, json={"measured_on": "2026-06-15", "source": "home", "weight_kg": 7.2})
    assert today.status_code == 201, today.text
    tomorrow = client.post(
        url, json={"measured_on": "2026-06-16", "source": "home", "weight_kg": 7.2}
    )
    assert tomorrow.status_code == 422
    assert tomorrow.json()["message_id"] == "error.record.date_in_future"


def test_the_page_form_is_dated_and_saved_today(local_client: TestClient, world: World) -> None:
    client = login(local_client, "parent1")
    form = client.get(f"/children/{world.own_child}/measure")
    assert 'value="2026-06-15"' in form.text
    saved = client.post(
        f"/children/{world.own_child}/measure",
        data={"measured_on": "2026-06-15", "weight_kg": "7.3"},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    later = client.post(
        f"/children/{world.own_child}/measure",
        data={"measured_on": "2026-06-16", "weight_kg": "7.3"},
        headers={"accept": "text/html"},
    )
    assert later.status_code == 422 and "晚于今天" in later.text  # the form, not an error page


def test_instants_are_stored_in_utc(world: World) -> None:
    with client_at(world, MORNING) as client:
        login(client, "parent1")
        body = {"measured_on": "2026-06-15", "source": "home", "weight_kg": 7.2}
        assert (
            client.post(f"/api/v1/children/{world.own_child}/measurements", json=body).status_code
            == 201
        )
    engine = create_engine(f"sqlite:///{world.db_file}")
    with engine.connect() as conn:
        created = conn.execute(text("SELECT max(created_at) FROM measurements")).scalar()
    engine.dispose()
    assert str(created).startswith("2026-06-14 23:00")


def test_the_bureau_sees_local_time(world: World) -> None:
    with client_at(world, MORNING) as client:
        page = login(client, "bureau_p").get("/bureau", headers={"accept": "text/html"})
    assert page.status_code == 200 and "截至 07:00" in page.text and "UTC" not in page.text


def test_a_bad_time_zone_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(TimezoneSettingError, match="CHILDHEALTH_TIMEZONE"):
        Settings(timezone="Mars/Olympus_Mons")
    monkeypatch.setenv("CHILDHEALTH_TIMEZONE", "Mars/Olympus_Mons")
    with pytest.raises(TimezoneSettingError, match="CHILDHEALTH_TIMEZONE"):
        Settings.from_env()
    result = CliRunner().invoke(cli, ["serve", "--port", "8765"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "CHILDHEALTH_TIMEZONE" in lines[0]
    assert "Traceback" not in result.output
