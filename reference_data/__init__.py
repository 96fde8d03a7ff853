"""Data files of record (WHO tables, instrument banks, schedules) and one small loader.

Files are read through ``importlib.resources`` so they work from an installed wheel too.
"""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable


def resource(relative_path: str) -> Traversable:
    """The packaged file at ``relative_path`` (slash-separated, relative to this package)."""
    node = resources.files(__name__)
    for part in relative_path.split("/"):
        node = node.joinpath(part)
    return node


def read_bytes(relative_path: str) -> bytes:
    """The raw bytes of a packaged reference file."""
    return resource(relative_path).read_bytes()
