"""The one error of an import: where (file, line, column) and why."""

from __future__ import annotations


class ExchangeError(Exception):
    """A row or file that cannot be loaded. ``line`` is 1-based with the header on line 1."""

    def __init__(
        self, file: str, reason: str, *, line: int | None = None, column: str | None = None
    ) -> None:
        self.file = file
        self.reason = reason
        self.line = line
        self.column = column
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """``file, line N, column 'name': reason``, naming the parts that are known."""
        where = self.file + (f", line {self.line}" if self.line is not None else "")
        where += f", column '{self.column}'" if self.column is not None else ""
        return f"{where}: {self.reason}"
