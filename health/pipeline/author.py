"""Who enters a record: the signed-in account (none for imports and the demo), where the record
was taken (home, clinic, facility) and the professional's clinic or facility."""

from __future__ import annotations

from dataclasses import dataclass

from health.models.enums import Source


@dataclass(frozen=True)
class Author:
    """The author of a record. ``source`` is stored on every record the pipeline writes."""

    source: Source
    actor_id: int | None = None
    clinic_id: int | None = None
    facility_id: int | None = None

    @property
    def professional(self) -> bool:
        """A clinic's or a facility's entry (it can confirm an implausible value)."""
        return self.source in (Source.clinic, Source.facility)
