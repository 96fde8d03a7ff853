"""The base of every input error raised by the screening layer.

Each concrete error class is defined next to the code that raises it (``development.py``,
``feeding/``, ``growth/``, ``reference/``) and names its catalogue entry in the class statement,
``class X(ScreeningInputError, message_id="error.…")``; an error with ``reasons=(…)`` takes a
``reason`` and uses the entry ``<message_id>.<reason>``. ``api/`` translates them in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class ScreeningInputError(ValueError):
    """Bad input to a screening rule: says what is wrong, never guesses.

    ``message_id`` names a catalogue entry (zh-CN and en) whose ``{placeholders}`` are the keys of
    ``params``. ``str(error)`` is the English text, for logs and tests.
    """

    message_id: ClassVar[str] = "error.screening.input"
    REASONS: ClassVar[tuple[str, ...]] = ()  # when set, ``reason`` is required

    def __init_subclass__(
        cls, *, message_id: str | None = None, reasons: tuple[str, ...] = (), **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        if message_id is not None:
            cls.message_id = message_id
        if reasons:
            cls.REASONS = reasons

    def __init__(self, **params: Any) -> None:
        if self.REASONS:
            if "reason" not in params:
                raise TypeError(f"{type(self).__name__} needs a reason")
            # one catalogue text per reason
            self.message_id = f"{type(self).message_id}.{params['reason']}"  # type: ignore[misc]
        self.params: Mapping[str, Any] = dict(params)
        super().__init__(self._english())

    def _english(self) -> str:
        # Imported late: the catalogue module imports the loader, which imports this module.
        from screening.messages import text

        try:
            return text(self.message_id, "en", **self.params)
        except Exception:  # a broken catalogue must not hide the original error
            return f"{self.message_id} {dict(self.params)!r}"
