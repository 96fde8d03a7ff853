"""Errors of the services (plain exceptions; the web layer maps them to problem details)."""

from __future__ import annotations


class RecordError(ValueError):
    """A record that contradicts the child's data (e.g. dated before birth or in the future).

    ``code`` is a stable message id; ``field`` names the offending input.
    """

    def __init__(self, code: str, field: str, detail: str) -> None:
        self.code = code
        self.field = field
        self.detail = detail
        super().__init__(f"{field}: {detail}")
