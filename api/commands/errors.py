"""How commands report a user error: one line on stderr, exit status 2, never a traceback.

A bad input file is a ``health.exchange.ExchangeError`` (file, line, column, reason; the survey
commands raise it as ``api.commands.survey_file.InputFileError``): commands ``fail`` with its
``message``.
"""

from __future__ import annotations

import sys
from typing import NoReturn

import typer


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``error: message`` to stderr and exit with ``code``."""
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(code)
