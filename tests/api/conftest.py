"""Fixtures of the API tests: the world, its copy per test and a client (see ``api_world``)."""

from tests.api.api_world import app_client, template_world, world

__all__ = ["app_client", "template_world", "world"]
