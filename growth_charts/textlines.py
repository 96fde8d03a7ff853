"""Physical lines of a UTF-8 text file, numbered as an editor numbers them.

Shared by the batch z-score reader and the health exchange import (health may import this
layer): both need the exact line of a record when they report a bad value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

LINE_END = re.compile(r"\r\n|\r|\n")


class UndecodableLineError(ValueError):
    """A line that is not UTF-8: ``line`` is 1-based, ``reason`` the decoder's."""

    def __init__(self, line: int, reason: str) -> None:
        self.line = line
        self.reason = reason
        super().__init__(f"line {line}: not valid UTF-8 ({reason})")


def text_lines(path: Path) -> Iterator[str]:
    """The file's lines as text with their ends (LF, CRLF or a bare CR); a UTF-8 byte-order mark
    is dropped. Raises ``UndecodableLineError`` on the first line that is not UTF-8."""
    number = 1
    with path.open("rb") as handle:
        for raw in handle:  # split at LF; bare CRs inside are split below
            if number == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                head = raw[: error.start]
                number += head.count(b"\r") - head.count(b"\r\n")
                raise UndecodableLineError(number, str(error.reason)) from None
            start = 0
            for end in LINE_END.finditer(text):
                yield text[start : end.end()]
                start = end.end()
                number += 1
            if start < len(text):
                yield text[start:]
