"""The one error type of recording (the pipeline, case outcomes): plain exceptions that ``api``
maps to RFC 9457 problem details. ``message_id`` names a text of the screening message catalogue
(``error.record.*``), filled from ``params``; ``field`` names the offending input."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class RecordError(ValueError):
    """A record the pipeline refuses (dated before birth or after today, no value, a duplicate
    check …). Nothing is written when it is raised."""

    slug = "invalid-record"

    def __init__(self, message_id: str, field: str, detail: str, **params: Any) -> None:
        self.message_id = message_id
        self.field = field
        self.detail = detail
        self.params = params
        super().__init__(f"{field}: {detail}")


class ImplausibleMeasurementError(RecordError):
    """Values beyond WHO's flag limits, not confirmed by the person entering them (the confirm
    step: the same call with ``confirm=True`` stores them and asks for a re-measure)."""

    slug = "implausible-measurement"

    def __init__(self, indicators: Sequence[str]) -> None:
        """``indicators``: the service's indicator names (``wfa``, ``wflh`` …)."""
        self.indicators = sorted(set(indicators))
        listed = ", ".join(self.indicators)
        super().__init__(
            "error.record.implausible",
            "measurement",
            f"values beyond WHO's flag limits: {listed}",
            indicators=listed,
        )
