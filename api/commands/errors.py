"""How commands report a user error: one line on stderr, exit status 2, never a traceback."""

from __future__ import annotations

import sys
from typing import NoReturn

import typer


class InputFileError(Exception):
    """A problem with an input file, located by file, line (1-based, header = 1) and column."""

    def __init__(
        self, file: str, reason: str, *, line: int | None = None, column: str | None = None
    ) -> None:
        self.file = file
        self.line = line
        self.column = column
        self.reason = reason
        super().__init__(self.message)

    @property
    def message(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.column is not None:
            where += f", column '{self.column}'"
        return f"{where}: {self.reason}"


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``error: message`` to stderr and exit with ``code``."""
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(code)
