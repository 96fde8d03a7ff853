"""The JSON API under ``/api/v1``: one Litestar ``Controller`` per domain. Each declares its
path, roles, tags and dependencies once; the pages (:mod:`api.pages`) are the same domains'
HTML views. Both call ``health`` and render its results (:mod:`api.services.present`)."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from litestar import Controller

from api.controllers.base import PageController

PACKAGES = ("api.controllers", "api.pages")


def _modules(package: str) -> list[ModuleType]:
    root = importlib.import_module(package)
    return [
        importlib.import_module(f"{package}.{info.name}")
        for info in pkgutil.iter_modules(root.__path__)
    ]


def controllers() -> list[type[Controller]]:
    """Every controller class defined in :data:`PACKAGES` (no hand-kept list)."""
    found: list[type[Controller]] = []
    for package in PACKAGES:
        for module in _modules(package):
            for value in vars(module).values():
                if (
                    isinstance(value, type)
                    and issubclass(value, Controller)
                    and value not in (Controller, PageController)
                    and value.__module__ == module.__name__
                ):
                    found.append(value)
    return found
