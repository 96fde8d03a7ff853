"""``childhealth backup FILE`` and ``childhealth restore FILE`` for the configured database."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from api.commands.errors import fail

if TYPE_CHECKING:
    from health.backup import BackupInfo


def _run(action: Callable[[Path], BackupInfo], path: Path) -> BackupInfo:
    """``action(path)`` on the configured database; a backup or settings error ends the command."""
    from health.backup import BackupError
    from health.db import DatabaseConfigError

    try:
        return action(path)
    except (BackupError, DatabaseConfigError) as error:
        fail(str(error))


def backup_command(
    target: Annotated[Path, typer.Argument(help="Backup file to write (replaced if it exists).")],
) -> None:
    """Write a consistent backup of the database (SQLite backup API, or pg_dump)."""
    from health.backup import backup

    info = _run(backup, target)
    typer.echo(f"backup written to {info.path} ({info.size_bytes} bytes, schema {info.revision})")


def restore_command(
    source: Annotated[Path, typer.Argument(help="A file written by `childhealth backup`.")],
) -> None:
    """Replace the database's content by a backup (checked first; nothing changes if it fails)."""
    from health.backup import restore

    info = _run(restore, source)
    typer.echo(f"restored {info.path} (schema {info.revision})")


def register(app: typer.Typer) -> None:
    """Attach the ``backup`` and ``restore`` commands."""
    app.command("backup")(backup_command)
    app.command("restore")(restore_command)
