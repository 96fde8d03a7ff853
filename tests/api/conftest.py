"""Fixtures of the API tests (the world itself is built in ``api_world``)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar.testing import TestClient

from api.app import create_app
from api.settings import Settings
from tests.api.api_world import TODAY, World, build


@pytest.fixture(scope="session")
def template_world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build(tmp_path_factory.mktemp("apidb") / "template.db")


@pytest.fixture
def world(template_world: World, tmp_path: Path) -> World:
    target = tmp_path / "api.db"
    shutil.copy(template_world.db_file, target)
    fields = list(World.__dataclass_fields__)[1:]
    return World(target, *[getattr(template_world, f) for f in fields])


@pytest.fixture
def app_client(world: World) -> Iterator[TestClient]:
    settings = Settings(
        database_url=f"sqlite:///{world.db_file}",
        secret_key="t" * 32,
        session_dir="",
        today=TODAY,
    )
    with TestClient(create_app(settings), base_url="https://testserver.local") as client:
        yield client
