"""A session follows its account at every request: deactivation, a new role or scope, a new
password and signing out everywhere take effect at the next request, in every process."""

from __future__ import annotations

from typing import Any

from litestar.testing import TestClient
from sqlalchemy import update
from sqlmodel import select

from health.models import User
from health.services import accounts
from tests.api.api_world import BASE_URL, PASSWORD, World, login, serve, world_db

HTML = {"accept": "text/html"}


account_db = world_db  # a session on the world's database (an administrator's tool)


def user_id(world: World, username: str) -> int:
    with account_db(world) as db:
        return int(db.exec(select(User.id).where(User.username == username)).one())


def another_device(client: TestClient, username: str) -> TestClient:
    """A second client of the same app, signed in as ``username``."""
    other = TestClient(client.app, base_url=BASE_URL)
    return login(other, username)


def now_of(client: TestClient) -> Any:
    return client.app.state["clock"].now()


def test_a_deactivated_account_is_signed_out_at_its_next_request(app_client, world) -> None:
    client = login(app_client, "doctor1")
    assert len(client.get("/api/v1/children").json()) == 2
    with account_db(world) as db:
        accounts.deactivate(db, user_id(world, "doctor1"), now=now_of(client))
    listed = client.get("/api/v1/children")
    assert listed.status_code == 401 and listed.json()["type"].endswith(":not-signed-in")
    page = client.get("/doctor", headers=HTML, follow_redirects=False)
    assert page.status_code in (302, 303) and page.headers["location"].startswith("/login")
    again = {"username": "doctor1", "password": PASSWORD}
    assert client.post("/api/v1/auth/login", json=again).status_code == 401


def test_deactivated_by_the_flag_alone(app_client, world) -> None:
    """An account switched off directly in the database (no sign-out instant) is over too."""
    client = login(app_client, "parent1")
    with account_db(world) as db:
        db.execute(update(User).where(User.username == "parent1").values(active=False))
    assert client.get(f"/api/v1/children/{world.own_child}").status_code == 401
    assert client.get("/parent", headers=HTML, follow_redirects=False).status_code in (302, 303)


def test_a_doctor_moved_to_another_clinic_sees_the_new_scope_at_once(app_client, world) -> None:
    client = login(app_client, "doctor1")
    ids = {c["id"] for c in client.get("/api/v1/children").json()}
    assert ids == {world.own_child, world.t1_child}
    with account_db(world) as db:
        db.execute(update(User).where(User.username == "doctor1").values(clinic_id=world.clinic2))
    assert client.get("/api/v1/me").json()["clinic_id"] == world.clinic2
    assert {c["id"] for c in client.get("/api/v1/children").json()} == {world.other_child}
    assert client.get(f"/api/v1/children/{world.own_child}").status_code == 404
    assert client.get(f"/api/v1/children/{world.other_child}").status_code == 200
    queue = client.get("/api/v1/cases").json()
    assert [entry["case_id"] for entry in queue] == [world.other_case]


def test_a_new_role_applies_at_the_next_request(app_client, world) -> None:
    client = login(app_client, "admin")
    assert client.get("/api/v1/audit").status_code == 200
    with account_db(world) as db:
        db.execute(update(User).where(User.username == "admin").values(role="doctor", clinic_id=1))
    assert client.get("/api/v1/audit").status_code == 403
    assert client.get("/api/v1/me").json()["role"] == "doctor"


def test_a_new_password_ends_the_sessions_begun_before(app_client, world) -> None:
    client = login(app_client, "parent1")
    laptop = another_device(client, "parent1")
    new_password = "Xq7vB-29lmTz-k4"
    with account_db(world) as db:
        accounts.change_password(db, user_id(world, "parent1"), new_password, now=now_of(client))
    assert client.get("/api/v1/me").status_code == 401
    assert laptop.get("/api/v1/me").status_code == 401
    old = {"username": "parent1", "password": PASSWORD}
    assert client.post("/api/v1/auth/login", json=old).status_code == 401
    new = {"username": "parent1", "password": new_password}
    assert client.post("/api/v1/auth/login", json=new).status_code == 201
    assert client.get("/api/v1/me").json()["username"] == "parent1"  # begun after the change


def test_an_administrator_signs_an_account_out_everywhere(app_client, world) -> None:
    phone = login(app_client, "parent1")
    laptop = another_device(phone, "parent1")
    admin = another_device(phone, "admin")
    parent1 = user_id(world, "parent1")
    answer = admin.post(f"/api/v1/users/{parent1}/sign-out-everywhere")
    assert answer.status_code == 204
    for device in (phone, laptop):
        assert device.get("/api/v1/children").status_code == 401
    assert admin.get("/api/v1/me").status_code == 200  # someone else's sessions only
    entries = admin.get("/api/v1/audit", params={"action": "user.sign_out_everywhere"}).json()
    assert [(e["object_kind"], e["object_ref"]) for e in entries] == [("user", str(parent1))]
    login(phone, "parent1")  # signing in again works at once
    assert phone.get("/api/v1/children").status_code == 200
    assert admin.post("/api/v1/users/999999/sign-out-everywhere").status_code == 404


def test_signing_oneself_out_everywhere_keeps_this_session(app_client, world) -> None:
    here = login(app_client, "admin")
    elsewhere = another_device(here, "admin")
    assert (
        here.post(f"/api/v1/users/{user_id(world, 'admin')}/sign-out-everywhere").status_code == 204
    )
    assert here.get("/api/v1/me").status_code == 200
    assert elsewhere.get("/api/v1/me").status_code == 401


def test_only_an_administrator_signs_others_out(app_client, world) -> None:
    for username in ("parent1", "doctor1", "facility1", "bureau_a"):
        client = login(app_client, username)
        answer = client.post(f"/api/v1/users/{user_id(world, 'parent2')}/sign-out-everywhere")
        assert answer.status_code == 403, username


def test_signing_out_everywhere_reaches_every_process(world: World) -> None:
    """Two apps on one database, each with its own session store: the sign-out made through
    one ends the session kept by the other."""
    url = f"sqlite:///{world.db_file}"
    with serve(url) as first, serve(url) as second:
        login(first, "admin")
        login(second, "parent1")
        assert second.get("/api/v1/children").status_code == 200
        parent1 = user_id(world, "parent1")
        assert first.post(f"/api/v1/users/{parent1}/sign-out-everywhere").status_code == 204
        assert second.get("/api/v1/children").status_code == 401
        with account_db(world) as db:
            accounts.deactivate(db, user_id(world, "admin"), now=now_of(first))
        assert first.get("/api/v1/me").status_code == 401


def test_the_session_keeps_only_who_and_since_when(app_client) -> None:
    from api.access import SESSION_KEY, SIGNED_IN_KEY, _session_start

    assert _session_start({SESSION_KEY: {"id": 3}}) is None  # no sign-in instant: over
    start = _session_start({SESSION_KEY: {"id": 3}, SIGNED_IN_KEY: "2026-06-15T01:02:03+00:00"})
    assert start is not None and start[0] == 3 and start[1].tzinfo is not None
