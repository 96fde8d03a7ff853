"""Fixtures of the reliability tests: the API tests' world, its copy per test and a client."""

from tests.api.api_world import app_client, template_world, world

__all__ = ["app_client", "template_world", "world"]
