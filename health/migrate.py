"""Run the alembic migrations of ``health/migrations`` programmatically (no alembic.ini)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

from health.db import for_writing

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine | None = None) -> Config:
    """An alembic config pointing at this package's migrations (and at ``engine`` if given)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.set_main_option(
            "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
        )
    return config


MIGRATION_LOCK = 0x43484D49  # PostgreSQL advisory lock key of the migrations ("CHMI")


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring ``engine``'s database to ``revision`` (same migrations on SQLite and PostgreSQL).
    Processes starting together migrate one after the other (PostgreSQL: an advisory lock held
    to the end of the migration's transaction; SQLite: the write lock from its first statement),
    so the later ones find the schema current and do nothing."""
    config = alembic_config(engine)
    with for_writing(engine).begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Take the database of ``engine`` back to ``revision``."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)
