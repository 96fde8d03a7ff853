"""The base of every input error raised by the screening layer.

Each concrete error class is defined next to the code that raises it (``development.py``,
``feeding.py``, ``growth.py``, ``reference.py``); all carry a ``message_id`` from the message
catalogue and the ``params`` to fill it, so that ``api/`` can translate them in one place.
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

    def __init__(self, **params: Any) -> None:
        self.params: Mapping[str, Any] = dict(params)
        super().__init__(self._english())

    def _english(self) -> str:
        # Imported late: the catalogue module imports the loader, which imports this module.
        from screening.messages import text

        try:
            return text(self.message_id, "en", **self.params)
        except Exception:  # a broken catalogue must not hide the original error
            return f"{self.message_id} {dict(self.params)!r}"
